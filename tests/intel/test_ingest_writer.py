"""The bulk report writer: values a batch shares are written as literals and read back intact."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlmodel import select

from intel.db import session_scope
from intel.ingest import ingest_file, ingest_frame
from intel.models import Report

SUMMARY = (
    "Girls' shelter in \"Agadez\"; it's ''quoted'' -- é, ü, \u0639\u0631\u0628\u064a; DROP TABLE report;"
)


def _rows(n: int, **over: object) -> pd.DataFrame:
    base = {
        "date": "2023-03-04",
        "lat": "16.97333",
        "lon": "7.99111",
        "exploitation": "sexual",
        "source_kind": "news",
        "source": "O'Reilly Times",
        "summary": SUMMARY,
        "victim_count": "2",
        "language": "fr",
    }
    base.update({k: str(v) for k, v in over.items()})
    return pd.DataFrame([base] * n)


def test_batch_of_one_value_per_column_round_trips(engine, settings):
    with session_scope(engine) as s:
        summary = ingest_frame(s, frame=_rows(3), file_name="same.csv", settings=settings)
    assert summary.rows_stored == 3
    with session_scope(engine) as s:
        got = s.exec(select(Report).order_by(Report.id)).all()
    assert len(got) == 3 and len({r.fingerprint for r in got}) == 3
    for r in got:
        assert r.summary == SUMMARY
        assert (r.lat, r.lon) == (16.97333, 7.99111)
        assert r.observed_on == dt.date(2023, 3, 4)
        assert (r.victim_count, r.language, r.exploitation) == (2, "fr", "sexual")
        assert r.country == "NE" and r.duplicate_of is None and r.is_aggregate is False
        assert r.extra == {}


def test_batch_mixing_shared_and_varying_values(engine, settings):
    frame = pd.concat(
        [_rows(2), _rows(1, summary="", victim_count="", lat="16.9", lon="8.0", date="2023-03-05")],
        ignore_index=True,
    )
    with session_scope(engine) as s:
        assert ingest_frame(s, frame=frame, file_name="mixed.csv", settings=settings).rows_stored == 3
    with session_scope(engine) as s:
        got = s.exec(select(Report).order_by(Report.id)).all()
    assert [r.summary for r in got] == [SUMMARY, SUMMARY, None]
    assert [r.victim_count for r in got] == [2, 2, 1]
    assert [r.lat for r in got] == [16.97333, 16.97333, 16.9]
    assert [r.observed_on.day for r in got] == [4, 4, 5]


HEADER = "date,place,country,lat,lon,exploitation,source_kind,source,summary,victim_count\n"


def _csv(tmp_path, name: str, n: int, offset: int = 0):
    rows = "".join(
        f"2023-01-{1 + i % 28:02d},Benin City,NG,,,sexual,news,S{i + offset},,\n" for i in range(n)
    )
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def _indexes(session) -> list[tuple[str, str]]:
    from sqlalchemy import text

    return (
        session.connection()
        .execute(
            text(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'report' ORDER BY name"
            )
        )
        .all()
    )


def test_bulk_load_into_empty_store_builds_indexes_at_the_end(
    sqlite_engine, sqlite_settings, tmp_path, monkeypatch
):
    from intel.ingest import service

    monkeypatch.setattr(service, "BULK_ROWS", 1)  # any file counts as a bulk load
    with session_scope(sqlite_engine) as s:
        before = _indexes(s)
    assert any("fingerprint" in sql for _, sql in before)
    during: list[list[str]] = []

    def look(summary):
        during.append([name for name, _ in _indexes(s)])

    with session_scope(sqlite_engine) as s:
        first = ingest_file(
            s, path=_csv(tmp_path, "a.csv", 60), settings=sqlite_settings, batch_size=20, on_batch=look
        )
    assert first.rows_stored == 60
    # while the rows stream in, only the index the deferred foreign-key check needs is kept
    assert during[0] == ["ix_report_duplicate_of"]
    with session_scope(sqlite_engine) as s:
        assert _indexes(s) == before
        # the second import goes into a store that has rows: its indexes stay in place throughout
        during.clear()
        again = ingest_file(
            s,
            path=_csv(tmp_path, "b.csv", 60, offset=100),
            settings=sqlite_settings,
            batch_size=20,
            on_batch=look,
        )
    assert again.rows_stored == 60
    assert all(names == [name for name, _ in before] for names in during)
    with session_scope(sqlite_engine) as s:
        assert len(s.exec(select(Report)).all()) == 120 and _indexes(s) == before


def test_bulk_load_killed_mid_file_keeps_indexes_and_nothing_else(
    sqlite_engine, sqlite_settings, tmp_path, monkeypatch
):
    import pytest

    from intel.ingest import service

    monkeypatch.setattr(service, "BULK_ROWS", 1)
    with session_scope(sqlite_engine) as s:
        before = _indexes(s)

    def explode(summary):
        if summary.rows_stored >= 40:
            raise RuntimeError("killed mid-file")

    path = _csv(tmp_path, "a.csv", 60)
    with pytest.raises(RuntimeError), session_scope(sqlite_engine) as s:
        ingest_file(s, path=path, settings=sqlite_settings, batch_size=20, on_batch=explode)
    with session_scope(sqlite_engine) as s:
        assert s.exec(select(Report)).all() == [] and _indexes(s) == before
    with session_scope(sqlite_engine) as s:
        assert ingest_file(s, path=path, settings=sqlite_settings, batch_size=20).rows_stored == 60
        assert _indexes(s) == before
