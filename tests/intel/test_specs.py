"""Import specs: the built-ins load, mistakes are named, and no cell text crashes the importer."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlmodel import func, select

from intel.db import session_scope
from intel.errors import CounterflowError
from intel.ingest import ingest_file
from intel.models import Reject, Report
from intel.specs import FIELD_KINDS, builtin_names, list_specs, load_spec, parse_spec


def test_builtin_specs_load():
    assert {"reports", "ctdc", "unodc", "iom", "tip_edges"} <= set(builtin_names())
    ctdc = load_spec("ctdc")
    assert ctdc.delimiter == ";" and ctdc.flags["exploitation"]["isSexualExploit"] == "sexual"
    assert (
        load_spec("unodc").is_aggregate
        and load_spec("iom").fields["coordinates"].column == "Location Coordinates"
    )
    assert [s.name for s in list_specs()] == sorted(builtin_names())


def test_user_spec_in_home_and_by_path(tmp_path):
    (tmp_path / "specs").mkdir()
    (tmp_path / "specs" / "mine.toml").write_text('[fields.observed_on]\ncolumn = "when"\nrequired = true\n')
    assert load_spec("mine", home=tmp_path).fields["observed_on"].column == "when"
    assert load_spec(str(tmp_path / "specs" / "mine.toml")).name == "mine"
    with pytest.raises(CounterflowError, match="'nope' does not exist") as err:
        load_spec("nope", home=tmp_path)
    assert "mine" in err.value.fix and "ctdc" in err.value.fix


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('format = "pdf"', "'pdf'"),
        ('delimiter = ";;"', "';;'"),
        ('colour = "red"', "'colour'"),
        ('[fields]\nwhen = "date"', "'when'"),
        ('[fields.country]\ncolumn = "c"\non_error = "ignore"', "'ignore'"),
        ('[flags.exploitation]\nisX = "sexx"', "'sexx'"),
        ('[fields.origin]\ncolumn = "c"\nwhen = "x"', "'x'"),
        ('date_precision = "week"', "'week'"),
        ("[fields.country", "not valid TOML"),
    ],
)
def test_bad_specs_name_the_value(tmp_path, toml, named):
    p = tmp_path / "bad.toml"
    p.write_text(toml)
    with pytest.raises(CounterflowError) as err:
        load_spec(str(p))
    assert named in err.value.problem and err.value.fix


_KEYS = st.sampled_from(
    ["column", "default", "required", "map", "separator", "formats", "when", "on_error", "junk"]
)
_VALUES = st.one_of(st.text(max_size=8), st.booleans(), st.integers(), st.lists(st.text(max_size=4), max_size=3),
                    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2))  # fmt: skip


@hsettings(max_examples=200, deadline=None)
@given(
    fields=st.dictionaries(
        st.one_of(st.sampled_from(sorted(FIELD_KINDS)), st.text(max_size=6)),
        st.one_of(st.text(max_size=6), st.dictionaries(_KEYS, _VALUES, max_size=4)),
        max_size=4,
    ),
    top=st.dictionaries(
        st.sampled_from(["format", "delimiter", "dedup", "extra", "zzz"]), _VALUES, max_size=3
    ),
)
def test_spec_parsing_never_crashes(fields, top):
    """Any spec table is either a Spec or a CounterflowError naming what is wrong."""
    try:
        spec = parse_spec({**top, "fields": fields}, name="h")
    except CounterflowError as exc:
        assert exc.problem and exc.fix
    else:
        assert set(spec.fields) <= set(FIELD_KINDS)


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
_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["", "2023-01-05", "Benin City", "Agadez", "NG", "6.3", "5.6", "sexual", "news", "<5", "3,857"]
    ),
)


@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=len(HEADER), max_size=len(HEADER)), min_size=1, max_size=6))
def test_arbitrary_cells_are_stored_or_rejected(sqlite_engine, sqlite_settings, tmp_path, rows):
    """Whatever the cells hold, every row is either stored or kept as a reject with a reason."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADER)
    w.writerows(rows)
    path = tmp_path / "h.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    with session_scope(sqlite_engine) as s:
        summary = ingest_file(s, path=path, settings=sqlite_settings)
        if summary.already_imported:
            return
        stored = s.exec(
            select(func.count()).select_from(Report).where(Report.import_id == summary.import_id)
        ).one()
        rejects = s.exec(select(Reject).where(Reject.import_id == summary.import_id)).all()
    physical = [r for r in csv.reader(io.StringIO(buf.getvalue()))][1:]
    non_blank = [r for r in physical if r and not (len(r) == 1 and not r[0].strip())]
    assert summary.rows_read == len(non_blank)
    assert summary.rows_stored + summary.rows_skipped + summary.rows_rejected == summary.rows_read
    assert stored == summary.rows_stored and len(rejects) == summary.rows_rejected
    assert all(r.reason and r.line >= 2 for r in rejects)
