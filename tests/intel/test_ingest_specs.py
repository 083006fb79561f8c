"""Specs a user can write, on real files: flags in their usual spellings, mapped codes joined with
flag codes, only taxonomy codes stored, and a CSV read right whatever its delimiter."""

from __future__ import annotations

import csv
import json
from collections import Counter
from importlib.resources import files
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from intel import taxonomy
from intel.db import get_engine, session_scope
from intel.errors import CounterflowError
from intel.ingest import ingest_file, ingest_frame
from intel.ingest.writer import REPORT_INSERT_COLUMNS, insert_reports
from intel.models import Reject, Report, utcnow
from intel.settings import Settings
from intel.specs import Spec, load_spec

DATA = Path(__file__).parent / "data"
CTDC = DATA / "ctdc_k_anon_sample.csv"

# The CTDC codebook's flag columns and what each means, written out here rather than read from
# the spec, so that the expected counts do not depend on the code under test.
CTDC_EXPLOITATION = {
    "isForcedLabour": "forced_labour",
    "isSexualExploit": "sexual",
    "isOtherExploit": "other",
    "isForcedMarriage": "forced_marriage",
    "isForcedMilitary": "forced_military",
    "isOrganRemoval": "organ_removal",
    "isSlaveryAndPractices": "slavery",
    "typeOfLabourDomesticWork": "domestic_servitude",
    "typeOfLabourBegging": "begging",
    "typeOfLabourIllicitActivities": "criminal_activity",
}
CTDC_CONTROL = {
    "meansOfControlDebtBondage": "debt_bondage",
    "meansOfControlThreats": "threats",
    "meansOfControlPhysicalAbuse": "physical_abuse",
    "meansOfControlFalsePromises": "false_promises",
    "meansOfControlWithholdsDocuments": "withholds_documents",
}
CTDC_FLAGS = {**CTDC_EXPLOITATION, **CTDC_CONTROL}


def _ctdc_rows() -> tuple[list[str], list[list[str]]]:
    with open(CTDC, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    return rows[0], rows[1:]


def _expected_counts(facet_flags: dict[str, str]) -> Counter[str]:
    """Rows with each code, counted from the file as downloaded (its flags are "1", "0" or blank)."""
    header, rows = _ctdc_rows()
    counts: Counter[str] = Counter()
    for row in rows:
        cells = dict(zip(header, row, strict=True))
        counts.update({code for column, code in facet_flags.items() if cells[column] == "1"})
    return counts


def _write_csv(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def _stored_counts(reports: list[Report], facet: str) -> Counter[str]:
    return Counter(code for r in reports for code in getattr(r, facet).split("|") if code)


def _store(tmp_path: Path, name: str) -> tuple[Engine, Settings]:
    """A store of its own (an SQLite file), so that imports of the same rows can be compared."""
    folder = tmp_path / name
    folder.mkdir()
    settings = Settings(environment="test", home=folder / "home", database_url=f"sqlite:///{folder / 'db'}")
    return get_engine(settings), settings


def _content(reports: list[Report]) -> list[tuple[Any, ...]]:
    """The stored rows, without what differs from one import to the next."""
    skip = {"id", "import_id", "received_at", "source_id"}
    return sorted(
        tuple(
            json.dumps(getattr(r, c), sort_keys=True, default=str)
            for c in REPORT_INSERT_COLUMNS
            if c not in skip
        )
        for r in reports
    )


# --- flags --------------------------------------------------------------------------------

_SPELLINGS = {
    "as downloaded": {"1": "1", "0": "0"},
    "saved as floats": {"1": "1.0", "0": "0.0"},
    "spreadsheet booleans": {"1": "TRUE", "0": "FALSE"},
    "words, padded": {"1": " Yes", "0": "no "},
    "ticks": {"1": "x", "0": ""},
    "letters": {"1": "T", "0": "f"},
}


@pytest.mark.parametrize("spelling", sorted(_SPELLINGS))
def test_ctdc_flags_count_each_type_without_a_flag_true_option(
    sqlite_engine, sqlite_settings, tmp_path, spelling
):
    assert "flag_true" not in files("intel.specs").joinpath("ctdc.toml").read_text(encoding="utf-8")
    header, rows = _ctdc_rows()
    as_spelt = _SPELLINGS[spelling]
    at = [header.index(c) for c in CTDC_FLAGS]
    for row in rows:
        for i in at:
            row[i] = as_spelt.get(row[i], row[i])
    path = _write_csv(tmp_path / "ctdc.csv", header, rows, ";")
    with session_scope(sqlite_engine) as s:
        summary = ingest_file(s, path=path, spec="ctdc", settings=sqlite_settings)
        reports = s.exec(select(Report)).all()
    assert (summary.rows_stored, summary.rows_rejected) == (64, 0)
    expected = _expected_counts(CTDC_EXPLOITATION)
    assert expected["forced_labour"] == 24 and expected["sexual"] == 5  # the sample as published
    assert _stored_counts(reports, "exploitation") == expected
    control = _stored_counts(reports, "control")
    assert {code: control[code] for code in CTDC_CONTROL.values()} == {
        code: _expected_counts(CTDC_CONTROL)[code] for code in CTDC_CONTROL.values()
    }


def test_a_flag_cell_that_is_no_flag_rejects_its_row_with_line_and_reason(
    sqlite_engine, sqlite_settings, tmp_path
):
    header, rows = _ctdc_rows()
    col = header.index("isSexualExploit")
    k = 6
    rows[k][col] = "maybe"
    path = _write_csv(tmp_path / "ctdc_maybe.csv", header, rows, ";")
    with session_scope(sqlite_engine) as s:
        summary = ingest_file(s, path=path, spec="ctdc", settings=sqlite_settings)
        reports = s.exec(select(Report)).all()
        rejects = s.exec(select(Reject)).all()
    assert (summary.rows_read, summary.rows_stored, summary.rows_rejected) == (64, 63, 1)
    (reject,) = rejects
    assert reject.line == k + 2  # the header is line 1, and no record spans two lines
    assert "'isSexualExploit'" in reject.reason and "'maybe'" in reject.reason
    assert "flag_true" in reject.reason and "maybe" in reject.raw
    assert k + 2 not in {r.line for r in reports}
    kept = _expected_counts(CTDC_EXPLOITATION)
    kept.subtract({c for name, c in CTDC_EXPLOITATION.items() if rows[k][header.index(name)] == "1"})
    assert _stored_counts(reports, "exploitation") == +kept


def test_a_spec_with_its_own_spellings(sqlite_engine, sqlite_settings, tmp_path):
    spec = tmp_path / "oui.toml"
    spec.write_text(
        'require_location = false\nflag_true = ["oui"]\nflag_false = ["non"]\n'
        '[fields.observed_on]\ncolumn = "date"\nrequired = true\n'
        '[flags.exploitation]\nmendicite = "begging"\n',
        encoding="utf-8",
    )
    path = tmp_path / "oui.csv"
    path.write_text(
        "date,mendicite\n2023-01-01,OUI\n2023-01-02,non\n2023-01-03,\n2023-01-04,1\n", encoding="utf-8"
    )
    with session_scope(sqlite_engine) as s:
        summary = ingest_file(s, path=path, spec=str(spec), settings=sqlite_settings)
        got = {r.line: r.exploitation for r in s.exec(select(Report)).all()}
        (reject,) = s.exec(select(Reject)).all()
    assert got == {2: "begging", 3: "", 4: ""} and summary.rows_rejected == 1
    assert reject.line == 5 and "'1'" in reject.reason and "oui" in reject.reason


# --- a mapped field and flags of the same facet -----------------------------------------------

MIXED_SPEC = """
name = "mixed"
require_location = false
dedup = false

[fields.observed_on]
column = "date"
required = true

[fields.exploitation]
column = "form"

[flags.exploitation]
labour = "forced_labour"
begging = "begging"
"""
_FORMS = {
    "": set(),
    "  ": set(),
    "sexual": {"sexual"},
    "Sexual exploitation": {"sexual"},
    "forced labor": {"forced_labour"},
}
_FLAGS = {"": False, "0": False, "no": False, "1": True, "Yes": True, "x": True, "1.0": True}


def _mixed_spec(tmp_path: Path) -> Path:
    p = tmp_path / "mixed.toml"
    p.write_text(MIXED_SPEC, encoding="utf-8")
    return p


def test_mapped_codes_and_flag_codes_are_joined_never_nan(sqlite_engine, sqlite_settings, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "date,form,labour,begging\n"
        "2023-01-01,,1,\n"
        "2023-01-02,sexual,1,0\n"
        "2023-01-03,,0,\n"
        "2023-01-04,Sexual exploitation,,yes\n"
        "2023-01-05,forced labor,1,\n",
        encoding="utf-8",
    )
    with session_scope(sqlite_engine) as s:
        ingest_file(s, path=path, spec=str(_mixed_spec(tmp_path)), settings=sqlite_settings)
        got = {r.line: r.exploitation for r in s.exec(select(Report)).all()}
    assert got == {
        2: "forced_labour",
        3: "sexual|forced_labour",
        4: "",
        5: "sexual|begging",
        6: "forced_labour",
    }


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(sorted(_FORMS)), st.sampled_from(sorted(_FLAGS)), st.sampled_from(sorted(_FLAGS))
        ),
        min_size=1,
        max_size=8,
    )
)
def test_stored_codes_are_the_union_of_the_mapped_cell_and_the_flags(
    sqlite_engine, sqlite_settings, tmp_path, rows
):
    spec = load_spec(str(_mixed_spec(tmp_path)))
    frame = pd.DataFrame(
        [
            {"date": f"2023-01-{i + 1:02d}", "form": f, "labour": a, "begging": b}
            for i, (f, a, b) in enumerate(rows)
        ]
    )
    with Session(sqlite_engine) as s:
        summary = ingest_frame(s, frame=frame, file_name="mixed.csv", spec=spec, settings=sqlite_settings)
        got = {
            r.line: r.exploitation
            for r in s.exec(select(Report).where(Report.import_id == summary.import_id))
        }
        s.rollback()
    expected = {
        i + 2: _FORMS[f] | ({"forced_labour"} if _FLAGS[a] else set()) | ({"begging"} if _FLAGS[b] else set())
        for i, (f, a, b) in enumerate(rows)
    }
    assert {line: set(filter(None, v.split("|"))) for line, v in got.items()} == expected
    assert all(taxonomy.code_problem("exploitation", v) is None for v in got.values())


# --- only taxonomy codes are stored ------------------------------------------------------


def test_an_unknown_taxonomy_value_rejects_its_row(sqlite_engine, sqlite_settings, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "date,lat,lon,exploitation,control,transport\n"
        "2023-01-01,6.3,5.6,sexual,threats,boat\n"
        "2023-01-02,6.3,5.6,nan,,\n"
        "2023-01-03,6.3,5.6,,,spaceship\n",
        encoding="utf-8",
    )
    with session_scope(sqlite_engine) as s:
        summary = ingest_file(s, path=path, settings=sqlite_settings)
        rejects = {r.line: r.reason for r in s.exec(select(Reject)).all()}
    assert (summary.rows_stored, summary.rows_rejected) == (1, 2)
    assert "'nan'" in rejects[3] and "sexual" in rejects[3]
    assert "'spaceship'" in rejects[4] and "boat" in rejects[4]


def test_the_import_rejects_a_row_whose_value_is_no_code_whatever_its_path(sqlite_engine, sqlite_settings):
    """A spec built in Python bypasses the loader's checks: the rows are still rejected, not stored."""
    spec = Spec(
        name="py",
        require_location=False,
        fields={"observed_on": load_spec("reports").fields["observed_on"]},
        constants={"exploitation": "nan", "transport": "boat"},
    )
    frame = pd.DataFrame({"date": ["2023-01-01", "2023-01-02"]})
    with session_scope(sqlite_engine) as s:
        summary = ingest_frame(s, frame=frame, file_name="py.csv", spec=spec, settings=sqlite_settings)
        rejects = s.exec(select(Reject)).all()
        stored = s.exec(select(func.count()).select_from(Report)).one()
    assert (summary.rows_stored, summary.rows_rejected, stored) == (0, 2, 0)
    assert all("exploitation 'nan' is not one of the exploitation codes" in r.reason for r in rejects)


def test_the_store_write_refuses_a_value_that_is_no_code(engine, settings):
    one = pd.DataFrame([{"date": "2023-03-04", "lat": "16.97", "lon": "7.99", "exploitation": "sexual"}])
    with session_scope(engine) as s:
        ingest_frame(s, frame=one, file_name="one.csv", settings=settings)
    with session_scope(engine) as s:
        r = s.exec(select(Report)).one()
        row = {c: getattr(r, c) for c in REPORT_INSERT_COLUMNS if c != "received_at"}
        row["extra"] = json.dumps(row["extra"])
        for facet, value in [
            ("exploitation", "nan"),
            ("control", "sexual"),
            ("recruitment", "job_offer|"),
            ("transport", 3),
        ]:
            frame = pd.DataFrame([{**row, facet: value, "fingerprint": "f" * 32}])
            frame["observed_on"] = pd.to_datetime(frame["observed_on"])
            with pytest.raises(CounterflowError, match=f"report line {r.line} was not stored: {facet}"):
                insert_reports(s, frame, received_at=utcnow())
        frame = pd.DataFrame([{**row, "fingerprint": "f" * 32}])
        frame["observed_on"] = pd.to_datetime(frame["observed_on"])
        assert insert_reports(s, frame, received_at=utcnow()) == 1  # the same row with codes: stored
        assert s.exec(select(func.count()).select_from(Report)).one() == 2


# --- delimiters ------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", [",", "\t", "|"])
def test_ctdc_saved_with_another_delimiter_imports_identically(tmp_path, delimiter):
    header, rows = _ctdc_rows()
    other = _write_csv(tmp_path / "ctdc_other.csv", header, rows, delimiter)
    got = {}
    for name, path in (("downloaded", CTDC), ("resaved", other)):
        engine, settings = _store(tmp_path, name)
        with session_scope(engine) as s:
            summary = ingest_file(s, path=path, spec="ctdc", settings=settings)
            got[name] = _content(s.exec(select(Report)).all())
        assert (summary.rows_stored, summary.rows_rejected) == (64, 0)
    assert got["resaved"] == got["downloaded"]
    assert summary.delimiter == (delimiter, ";")
    assert any("found; the spec says ';' (semicolon)" in line for line in summary.lines())


@pytest.mark.parametrize(("spec", "file"), [
    ("unodc", "unodc_glotip_sample.csv"), ("iom", "iom_missing_migrants_sample.csv"),
    ("tip_edges", "tip_report_edges_sample.csv"),
])  # fmt: skip
def test_each_builtin_sample_saved_with_semicolons_imports_identically(tmp_path, spec, file):
    with open(DATA / file, encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh, delimiter=load_spec(spec).delimiter))
    other = _write_csv(tmp_path / file, header, rows, ";")
    got = {}
    for name, path in (("downloaded", DATA / file), ("resaved", other)):
        engine, settings = _store(tmp_path, name)
        with session_scope(engine) as s:
            summary = ingest_file(s, path=path, spec=spec, settings=settings)
            got[name] = (_content(s.exec(select(Report)).all()), summary.rows_rejected)
    assert got["resaved"] == got["downloaded"] and got["downloaded"][0]


def test_a_file_without_the_spec_columns_names_the_delimiter_found_and_expected(
    sqlite_engine, sqlite_settings, tmp_path
):
    path = tmp_path / "when.csv"
    path.write_text("when;where;what\n2023-01-01;Agadez;sexual\n", encoding="utf-8")
    with session_scope(sqlite_engine) as s, pytest.raises(CounterflowError) as err:
        ingest_file(s, path=path, settings=sqlite_settings)
    assert "separated by ';' (semicolon) where spec 'reports' expects ',' (comma)" in err.value.problem
    assert "no column 'date'" in err.value.problem and "'when'" in err.value.problem
    assert err.value.fix


_PIECES = st.sampled_from(
    ["", "2023-01-05", "Benin City", "Agadez", "NG", "6.3", "5.6", "sexual", "sexx", "news", "<5", "3,857",
     ",", ";", "\t", "|", '"', " ", "\n", "a b", "é", "forced_labour|sexual"]
)  # fmt: skip
HEADER = [
    "date",
    "place",
    "country",
    "lat",
    "lon",
    "exploitation",
    "source_kind",
    "source",
    "summary",
    "victim_count",
]


@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.lists(st.lists(_PIECES, max_size=2).map("".join), min_size=len(HEADER), max_size=len(HEADER)),
        min_size=1,
        max_size=5,
    )
)
def test_any_of_the_four_delimiters_gives_the_same_stored_rows(
    sqlite_engine, sqlite_settings, tmp_path, rows
):
    seen = []
    for i, delimiter in enumerate([",", ";", "\t", "|"]):
        path = _write_csv(tmp_path / f"r{i}.csv", HEADER, rows, delimiter)
        with Session(sqlite_engine) as s:
            summary = ingest_file(s, path=path, settings=sqlite_settings)
            reports = s.exec(select(Report).where(Report.import_id == summary.import_id)).all()
            rejects = s.exec(select(Reject).where(Reject.import_id == summary.import_id)).all()
            seen.append(
                (
                    summary.rows_read,
                    _content(reports),
                    sorted((r.line, r.reason) for r in rejects),
                )
            )
            s.rollback()
    assert all(x == seen[0] for x in seen[1:])
    assert seen[0][0] == len(rows)
