"""Specs a user can write, on real files: flags in their usual spellings, mapped codes joined with
flag codes, only taxonomy codes stored, and a CSV read right whatever its delimiter."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import func, select

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
