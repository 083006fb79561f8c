"""load_reports: the frame the analytics read, with its filters."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from intel.db import session_scope
from intel.models import Report, Source
from intel.store import REPORT_COLUMNS, load_reports


@pytest.fixture(autouse=True)
def _sqlite_through_adbc(monkeypatch):
    """The Arrow read is under test on SQLite too (the product keeps it for PostgreSQL only: see
    ``intel.columnar.SQLITE_THROUGH_ADBC``)."""
    from intel import columnar

    monkeypatch.setattr(columnar, "SQLITE_THROUGH_ADBC", True)


def _add(session, **kw):
    base: dict[str, Any] = dict(
        observed_on=dt.date(2022, 1, 1), country="NG", lat=6.3, lon=5.6, fingerprint=str(kw)
    )
    base.update(kw)
    r = Report(**base)
    session.add(r)
    session.flush()
    return r


def test_frame_columns_and_filters(engine):
    with session_scope(engine) as s:
        src = Source(kind="news", name="Vanguard", reliability="C")
        s.add(src)
        s.flush()
        a = _add(s, source_id=src.id, reliability="C", exploitation="sexual")
        _add(s, source_id=src.id, reliability="C", exploitation="sexual", duplicate_of=a.id)
        _add(s, reliability="E", exploitation="forced_labour", observed_on=dt.date(2020, 3, 1))
        _add(s, reliability="A", is_aggregate=True, victim_count=40)
    with session_scope(engine) as s:
        df = load_reports(s)
        assert list(df.columns) == list(REPORT_COLUMNS)
        assert len(df) == 2
        first = df.set_index("id").loc[a.id]
        assert first["corroboration"] == 2 and first["source_kind"] == "news"
        assert len(load_reports(s, min_reliability="C")) == 1
        assert len(load_reports(s, types=["forced_labour"])) == 1
        assert len(load_reports(s, since=dt.date(2021, 1, 1))) == 1
        assert len(load_reports(s, include_duplicates=True, include_aggregates=True)) == 4
        assert str(df["observed_on"].dtype).startswith("datetime64")


def _row_object_frame(session, **filters):
    """The frame as load_reports built it before reading columns from the driver: SQLAlchemy rows
    through ``DataFrame.from_records``, kept here as the reference the new read must equal."""
    import pandas as pd

    import intel.store as store

    captured = {}
    real = store._frame

    def spy(session_, stmt, columns):
        captured["stmt"] = stmt
        return real(session_, stmt, columns)

    store._frame = spy
    try:
        store.load_reports(session, columnar=False, **filters)
    finally:
        store._frame = real
    rows = session.connection().execute(captured["stmt"]).all()
    if not rows:
        return store.empty_report_frame()
    df = pd.DataFrame.from_records(rows, columns=list(REPORT_COLUMNS))
    if filters.get("types"):
        wanted = set(filters["types"])
        df = df[df["exploitation"].fillna("").map(lambda s: bool(wanted.intersection(s.split("|"))))]
        df = df.reset_index(drop=True)
    df["source_kind"] = df["source_kind"].fillna("unknown")
    df["source"] = df["source"].fillna("unknown source")
    return df.astype({c: t for c, t in REPORT_COLUMNS.items() if t != "object"})


def test_columns_read_from_the_driver_equal_the_row_object_frame(engine, monkeypatch, caplog):
    """Column by column, dtypes and missing values included, on both engines, through the session's
    connection (two rows at a time, so that the frame is put together from several chunks) and as
    Arrow columns through the ADBC driver."""
    import pandas as pd

    import intel.store as store
    from intel import columnar

    monkeypatch.setattr(store, "_CHUNK_ROWS", 2)

    with session_scope(engine) as s:
        src = Source(kind="news", name="Vanguard", reliability="C")
        s.add(src)
        s.flush()
        a = _add(s, source_id=src.id, reliability="C", exploitation="sexual|begging", admin1="Edo",
                 place="Benin City", transit="", origin="NG", simulated=True)  # fmt: skip
        _add(s, source_id=src.id, reliability="B", exploitation="sexual", duplicate_of=a.id)
        _add(s, source_id=src.id, reliability="B", exploitation="sexual", duplicate_of=a.id)
        _add(s, reliability="E", exploitation=None, lat=None, lon=None, observed_on=dt.date(2019, 12, 31))
        _add(s, reliability="A", is_aggregate=True, victim_count=40, destination="IT")
    with session_scope(engine) as s:
        for filters in (
            {},
            {"include_duplicates": True, "include_aggregates": True},
            {"types": ["begging"]},
            {"since": dt.date(2020, 1, 1), "min_reliability": "C"},
            {"since": dt.date(2030, 1, 1)},
        ):
            want = _row_object_frame(s, **filters)
            pd.testing.assert_frame_equal(load_reports(s, columnar=False, **filters), want, check_exact=True)
            pd.testing.assert_frame_equal(load_reports(s, snapshot=False, **filters), want, check_exact=True)
            # the snapshot gives id order (the store's order is whatever its plan gives)
            by_id = want.sort_values("id").reset_index(drop=True)
            pd.testing.assert_frame_equal(load_reports(s, **filters), by_id, check_exact=True)
        full = load_reports(s, include_duplicates=True, include_aggregates=True).set_index("id")
        assert columnar.arrow_source(s) is not None
    assert "ADBC read failed" not in caplog.text
    # worked by hand: the incident and its two corroborations, the unsourced row, the aggregate
    assert full.loc[a.id, "corroboration"] == 3 and bool(full.loc[a.id, "simulated"])
    assert full["source"].tolist().count("unknown source") == 2
    assert full["lat"].isna().sum() == 1 and full.loc[a.id, "observed_on"] == pd.Timestamp("2022-01-01")


def test_arrow_read_fixes_types_when_the_first_rows_are_null(engine, caplog):
    """The SQLite ADBC driver guesses a column's type from the rows it has seen: 1,500 reports
    without an admin area, then one with it, must still give a text column; a column with no value
    at all (destination) is objects, as the row-object frame has it; both engines."""
    import pandas as pd

    from intel import columnar

    with session_scope(engine) as s:
        src = Source(kind="news", name="Vanguard", reliability="C")
        s.add(src)
        s.flush()
        s.add_all(
            Report(observed_on=dt.date(2022, 1, 1 + i % 28), country="NG", lat=6.0 + i / 1e4, lon=5.6,
                   fingerprint=f"f{i}", source_id=src.id, reliability="C")
            for i in range(1500)
        )  # fmt: skip
        s.flush()
        last = _add(s, admin1="Edo", origin="NG", reliability="B", source_id=src.id)
    with session_scope(engine) as s:
        assert columnar.arrow_source(s) is not None  # the Arrow read is the one under test
        got = load_reports(s, snapshot=False)
        pd.testing.assert_frame_equal(  # and the snapshot, in id order
            load_reports(s), got.sort_values("id").reset_index(drop=True), check_exact=True
        )
        want = _row_object_frame(s)
    assert "ADBC read failed" not in caplog.text  # no fall-back to the session's connection
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert len(got) == 1501 and got["admin1"].isna().sum() == 1500
    assert got.set_index("id").loc[last.id, "admin1"] == "Edo"
    assert got["destination"].dtype == object and got["destination"].isna().all()


def test_uncommitted_reports_are_read_through_the_session(engine):
    """A fresh connection cannot see what the session wrote and has not committed: then the
    session's own connection reads, and the new report is in the frame; once committed, Arrow."""
    from intel import columnar

    with session_scope(engine) as s:
        assert columnar.arrow_source(s) is not None  # nothing written yet
        a = _add(s, reliability="C", exploitation="sexual")
        assert columnar.arrow_source(s) is None
        assert load_reports(s)["id"].tolist() == [a.id]
    with session_scope(engine) as s:
        assert load_reports(s)["id"].tolist() == [a.id]
        assert columnar.arrow_source(s) is not None


def test_sqlite_reads_through_the_stores_own_connection_by_default(sqlite_engine, monkeypatch):
    """ADBC links its own copy of SQLite: SQLite's POSIX locks are shared by the copies in one
    process, and a read through it missed rows committed through the store's connection (the
    loop's second hotspot run did not see the tips' reports). SQLite stays on the session's read."""
    from intel import columnar

    monkeypatch.setattr(columnar, "SQLITE_THROUGH_ADBC", False)
    with Session(sqlite_engine) as s:
        assert columnar.arrow_source(s) is None
