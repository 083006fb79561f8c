"""The report snapshot (``intel.snapshot``): made by the first read after a change, read by the
next, never served for a state of the store other than the one the reader sees."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import text

from intel import snapshot
from intel.db import session_scope
from intel.models import Report, Source
from intel.store import load_reports


def _add(session, **kw):
    base: dict[str, Any] = dict(
        observed_on=dt.date(2022, 1, 1), country="NG", lat=6.3, lon=5.6, fingerprint=str(kw), reliability="C"
    )
    base.update(kw)
    r = Report(**base)
    session.add(r)
    session.flush()
    return r


def _files(engine) -> list[Path]:
    with session_scope(engine) as s:
        store = snapshot.store_of(s)
    assert store is not None
    return sorted(store.folder.glob("reports-*.arrow"))


def _same_as_the_store(session) -> pd.DataFrame:
    """The frame from the snapshot, checked against the read through the session's connection."""
    got = load_reports(session, include_duplicates=True, include_aggregates=True)
    want = load_reports(session, include_duplicates=True, include_aggregates=True, columnar=False)
    pd.testing.assert_frame_equal(got, want.sort_values("id").reset_index(drop=True), check_exact=True)
    return got.set_index("id")


def _seed(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        src = Source(kind="news", name="Vanguard", reliability="C")
        s.add(src)
        s.flush()
        a = _add(s, source_id=src.id, place="Benin City", exploitation="sexual")
        b = _add(s, source_id=src.id, place="Benin City", exploitation="sexual", duplicate_of=a.id)
        c = _add(s, place="Agadez", reliability="B", observed_on=dt.date(2021, 6, 1))
        d = _add(s, is_aggregate=True, victim_count=40)
        return {"a": a.id, "b": b.id, "c": c.id, "d": d.id, "src": src.id}


def test_the_first_read_makes_the_snapshot_and_the_next_reads_it(engine):
    ids = _seed(engine)
    with session_scope(engine) as s:
        full = _same_as_the_store(s)
    (made,) = _files(engine)
    stamp = made.stat().st_mtime_ns
    with session_scope(engine) as s:
        # worked by hand: a and its duplicate b (corroboration 2), c, the aggregate d
        assert load_reports(s)["id"].tolist() == [ids["a"], ids["c"]]
        assert full.loc[ids["a"], "corroboration"] == 2 and full.loc[ids["c"], "source"] == "unknown source"
        assert load_reports(s, since=dt.date(2022, 1, 1))["id"].tolist() == [ids["a"]]
        assert load_reports(s, min_reliability="B")["id"].tolist() == [ids["c"]]
    assert _files(engine) == [made] and made.stat().st_mtime_ns == stamp  # read, not made again
    assert made.stat().st_mode & 0o077 == 0 and made.parent.stat().st_mode & 0o077 == 0


def test_every_kind_of_change_makes_a_new_snapshot(engine):
    ids = _seed(engine)
    seen: list[Path] = []

    def check() -> pd.DataFrame:
        with session_scope(engine) as s:
            frame = _same_as_the_store(s)
        (now,) = _files(engine)  # the older state's file is gone
        assert now not in seen
        seen.append(now)
        return frame

    check()
    with session_scope(engine) as s:  # a report added
        _add(s, place="Tripoli", country="LY", lat=32.9, lon=13.2)
    assert (check()["place"] == "Tripoli").sum() == 1
    with session_scope(engine) as s:  # a report changed: no longer a duplicate, placed elsewhere
        s.connection().execute(
            text("UPDATE report SET duplicate_of = NULL, place = 'Lagos' WHERE id = :i"), {"i": ids["b"]}
        )
    frame = check()
    assert frame.loc[ids["a"], "corroboration"] == 1 and frame.loc[ids["b"], "place"] == "Lagos"
    with session_scope(engine) as s:  # the newest report deleted, and another added in its place
        newest = s.connection().execute(text("SELECT max(id) FROM report")).scalar()
        s.connection().execute(text("DELETE FROM report WHERE id = :i"), {"i": newest})
    with session_scope(engine) as s:
        _add(s, place="Agadez", country="NE", lat=17.0, lon=8.0)
    assert (check()["place"] == "Tripoli").sum() == 0
    with session_scope(engine) as s:  # a source renamed
        s.connection().execute(text("UPDATE source SET name = 'Punch' WHERE id = :i"), {"i": ids["src"]})
    assert check().loc[ids["a"], "source"] == "Punch"


def test_a_session_with_uncommitted_reports_reads_them_from_the_store(engine):
    _seed(engine)
    with session_scope(engine) as s:
        load_reports(s)
    before = _files(engine)
    with session_scope(engine) as s:
        mine = _add(s, place="Zinder", country="NE", lat=13.8, lon=8.98)
        assert snapshot.reports(s) is None
        assert mine.id in load_reports(s)["id"].tolist()
        s.rollback()
    assert _files(engine) == before
    with session_scope(engine) as s:
        assert mine.id not in load_reports(s)["id"].tolist()


def test_without_its_triggers_the_store_is_read_as_before(engine):
    """A migration that rebuilt the report table would drop the triggers that name its state:
    then no snapshot is made or read."""
    ids = _seed(engine)
    with session_scope(engine) as s:
        load_reports(s)
    with session_scope(engine) as s:
        if s.connection().dialect.name == "sqlite":
            s.connection().execute(text("DROP TRIGGER store_revision_report_update"))
        else:
            s.connection().execute(text("DROP TRIGGER store_change_report ON report"))
    try:
        with session_scope(engine) as s:
            s.connection().execute(text("UPDATE report SET place = 'Kano' WHERE id = :i"), {"i": ids["c"]})
        with session_scope(engine) as s:
            assert snapshot.reports(s) is None
            assert load_reports(s).set_index("id").loc[ids["c"], "place"] == "Kano"
    finally:  # the PostgreSQL database is shared by the run's tests
        with session_scope(engine) as s:
            if s.connection().dialect.name == "postgresql":
                s.connection().execute(
                    text("CREATE TRIGGER store_change_report AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                         "ON report FOR EACH STATEMENT EXECUTE FUNCTION store_change_add()")
                )  # fmt: skip


def test_a_damaged_snapshot_is_made_again(engine, caplog):
    ids = _seed(engine)
    with session_scope(engine) as s:
        load_reports(s)
    (made,) = _files(engine)
    made.write_bytes(b"not an arrow file")
    with session_scope(engine) as s:
        assert load_reports(s)["id"].tolist() == [ids["a"], ids["c"]]
    assert "unreadable" in caplog.text
    assert made.read_bytes()[:6] == b"ARROW1"


def test_an_empty_store_has_an_empty_snapshot(engine):
    with session_scope(engine) as s:
        assert load_reports(s).empty
        assert snapshot.reports(s) is not None and snapshot.reports(s).num_rows == 0


def test_rows_added_after_a_restore_are_not_taken_for_the_state_before_it(sqlite_settings, tmp_path):
    """SQLite names a state partly by its row count and highest id: a restore gives the store a
    new token, so that the rows added after it are not served from the snapshot of a state that
    had as many rows before the restore (worked by hand: Kano, then the restored store gets Zinder
    with the same id and count)."""
    from intel.backup import backup_store, restore_store
    from intel.db import get_engine

    engine = get_engine(sqlite_settings)
    _seed(engine)
    backup = backup_store(sqlite_settings, tmp_path / "before.backup").path
    with session_scope(engine) as s:
        kano = _add(s, place="Kano")
    with session_scope(engine) as s:
        assert load_reports(s).set_index("id").loc[kano.id, "place"] == "Kano"
    restore_store(sqlite_settings, backup, replace=True)
    with session_scope(engine) as s:
        zinder = _add(s, place="Zinder")
    assert zinder.id == kano.id
    with session_scope(engine) as s:
        assert load_reports(s).set_index("id").loc[zinder.id, "place"] == "Zinder"


def test_a_large_store_is_read_by_a_child_process(engine, monkeypatch, caplog):
    """From ``CHILD_READS_FROM`` rows a child process reads the store through the ADBC driver,
    on both engines: the same frame, including a text column whose first 1,500 values are missing
    (the SQLite driver fixes a column's type from the rows it has seen), and every change seen."""
    monkeypatch.setattr(snapshot, "CHILD_READS_FROM", 0)
    ids = _seed(engine)
    with session_scope(engine) as s:
        s.add_all(
            Report(observed_on=dt.date(2022, 1, 1 + i % 28), country="NG", lat=6.0 + i / 1e4, lon=5.6,
                   fingerprint=f"f{i}", reliability="C")
            for i in range(1500)
        )  # fmt: skip
        s.flush()
        last = _add(s, admin1="Edo", origin="NG")
    with session_scope(engine) as s:
        frame = _same_as_the_store(s)
    assert frame.loc[last.id, "admin1"] == "Edo" and frame["admin1"].isna().sum() == len(frame) - 1
    with session_scope(engine) as s:
        s.connection().execute(text("UPDATE report SET place = 'Kano' WHERE id = :i"), {"i": ids["c"]})
    with session_scope(engine) as s:
        assert _same_as_the_store(s).loc[ids["c"], "place"] == "Kano"
    assert "reading in this one" not in caplog.text  # the child made both
    assert len(_files(engine)) == 1


def test_an_sqlite_snapshot_grows_by_the_reports_added_since(sqlite_engine, monkeypatch):
    """Reports only added since the last snapshot: it is extended by them (the same table as one
    made from scratch, the new incident among the incidents), not made again; any other change, or
    more reports than ``APPEND_UP_TO``, makes it from scratch."""
    ids = _seed(sqlite_engine)
    with session_scope(sqlite_engine) as s:
        load_reports(s)
    with session_scope(sqlite_engine) as s:
        new = _add(s, place="Kano")
        _add(s, place="Kano", duplicate_of=ids["a"])
    with session_scope(sqlite_engine) as s:
        store = snapshot.store_of(s)
        state = snapshot._state(s, store)
        grown = snapshot._appended(store, state)
        assert grown is not None
        _, scratch = snapshot._read_sqlite(store.sqlite_path)
        assert grown[1].equals(snapshot.incidents_first(scratch))
        assert snapshot.incident_count(grown[1]) == 3  # a, c and the new one
        frame = _same_as_the_store(s)
    assert frame.loc[ids["a"], "corroboration"] == 3 and frame.loc[new.id, "place"] == "Kano"
    with session_scope(sqlite_engine) as s:  # a change, not an addition: made from scratch
        s.connection().execute(text("UPDATE report SET place = 'Lagos' WHERE id = :i"), {"i": ids["c"]})
    with session_scope(sqlite_engine) as s:
        assert snapshot._appended(snapshot.store_of(s), snapshot._state(s, snapshot.store_of(s))) is None
        assert _same_as_the_store(s).loc[ids["c"], "place"] == "Lagos"
    monkeypatch.setattr(snapshot, "APPEND_UP_TO", 1)
    with session_scope(sqlite_engine) as s:
        _add(s, place="Zaria")
        _add(s, place="Zaria", country="NG")
    with session_scope(sqlite_engine) as s:
        assert snapshot._appended(snapshot.store_of(s), snapshot._state(s, snapshot.store_of(s))) is None
        assert (_same_as_the_store(s)["place"] == "Zaria").sum() == 2
