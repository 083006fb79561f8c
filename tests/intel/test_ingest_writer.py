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


# values COPY's text format must escape or tell apart, each read back as written (worked by hand:
# a tab, a line break, a CR, a backslash, the text "\N" that is not NULL, quotes, an empty text
# next to NULL, letters outside Latin-1)
AWKWARD_TEXTS = [
    "tab\there",
    "two\nlines",
    "carriage\rreturn",
    "back\\slash \\t not a tab",
    "\\N",
    'it\'s "quoted"',
    "",
    None,
    "é ü \u0639\u0631\u0628\u064a \u4e2d\u6587 \U0001f642",
]
# floats whose shortest exact text is long or far from 1: each must come back bit for bit (not
# -0.0: SQLite stores it as 0)
AWKWARD_FLOATS = [
    0.1 + 0.2,
    5e-324,
    1.7976931348623157e308,
    -1.2345678901234567e-10,
    2.2250738585072014e-308,
    1 / 3,
    -89.99999,
    None,
    1e16,
]


def _awkward_frame(source_id: int, import_id: int) -> pd.DataFrame:
    n = len(AWKWARD_TEXTS)
    assert len(AWKWARD_FLOATS) == n
    return pd.DataFrame(
        {
            "source_id": source_id,
            "import_id": import_id,
            "line": range(2, n + 2),
            "observed_on": pd.to_datetime(["2023-03-04"] * (n - 1) + ["1999-12-31"]),
            "language": AWKWARD_TEXTS[::-1],
            "summary": AWKWARD_TEXTS,
            "reliability": "C",
            "credibility": 3,
            "exploitation": "sexual",
            "recruitment": "",
            "control": "",
            "transport": "",
            "age_band": None,
            "gender": None,
            "victim_count": [1, 2, 3, 4, 5, 6, 7, 8, 2_147_483_647],
            "is_aggregate": [False] * (n - 1) + [True],
            "measure": None,
            "figure": [None] * (n - 1) + [-2_147_483_648],
            "figure_high": None,
            "place": "O'Reilly \\ Town\t",
            "admin1": None,
            "country": "NE",
            "lat": AWKWARD_FLOATS,
            "lon": AWKWARD_FLOATS[::-1],
            "place_precision": "point",
            "date_precision": "day",
            "role": "incident",
            "origin": None,
            "transit": "",
            "destination": None,
            "fingerprint": [f"fp{i}" for i in range(n)],
            "duplicate_of": None,
            "simulated": False,
            "extra": ['{"note": "tab\\there \\\\ \\"q\\" \u00e9"}'] + ["{}"] * (n - 1),
        }
    )


def test_awkward_values_round_trip_exactly(engine):
    import math

    from intel.ingest.writer import insert_reports
    from intel.models import ImportBatch, Source

    with session_scope(engine) as s:
        src = Source(kind="news", name="n", reliability="C")
        imp = ImportBatch(file_name="f.csv", sha256="x")
        s.add_all([src, imp])
        s.flush()
        assert src.id is not None and imp.id is not None
        frame = _awkward_frame(src.id, imp.id)
        at = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
        assert insert_reports(s, frame, received_at=at) == len(frame)
    with session_scope(engine) as s:
        got = s.exec(select(Report).order_by(Report.line)).all()
    assert [r.summary for r in got] == AWKWARD_TEXTS
    assert [r.language for r in got] == AWKWARD_TEXTS[::-1]
    assert {r.place for r in got} == {"O'Reilly \\ Town\t"}
    assert [r.recruitment for r in got] == [""] * len(got)  # empty text, never NULL
    assert [r.admin1 for r in got] == [None] * len(got)

    def bits(values):
        return [None if v is None else (math.copysign(1, v), v.hex()) for v in values]

    assert bits([r.lat for r in got]) == bits(AWKWARD_FLOATS)
    assert bits([r.lon for r in got]) == bits(AWKWARD_FLOATS[::-1])
    assert [r.victim_count for r in got] == [1, 2, 3, 4, 5, 6, 7, 8, 2_147_483_647]
    assert [r.figure for r in got] == [None] * 8 + [-2_147_483_648]
    assert [r.is_aggregate for r in got] == [False] * 8 + [True]
    assert [r.observed_on for r in got] == [dt.date(2023, 3, 4)] * 8 + [dt.date(1999, 12, 31)]
    assert got[0].extra == {"note": 'tab\there \\ "q" é'} and got[1].extra == {}
    assert {r.received_at.astimezone(dt.UTC) for r in got} == {at}
    assert [r.fingerprint for r in got] == [f"fp{i}" for i in range(9)]


def test_a_nul_character_is_refused_with_its_line_on_postgresql(engine):
    """PostgreSQL's text holds no NUL: a clear error naming the line (the readers reject such a
    row first; this is a direct caller). SQLite's text holds one, and gets it back."""
    import pytest

    from intel.errors import CounterflowError
    from intel.ingest.writer import insert_reports
    from intel.models import ImportBatch, Source

    def write() -> None:
        with session_scope(engine) as s:
            src = Source(kind="news", name="n", reliability="C")
            imp = ImportBatch(file_name="f.csv", sha256="x")
            s.add_all([src, imp])
            s.flush()
            assert src.id is not None and imp.id is not None
            frame = _awkward_frame(src.id, imp.id)
            frame.loc[2, "summary"] = "nul\x00here"
            insert_reports(s, frame, received_at=dt.datetime.now(dt.UTC))

    if engine.dialect.name == "postgresql":
        with pytest.raises(CounterflowError, match="line 4 was not stored: its summary holds a NUL"):
            write()
        with session_scope(engine) as s:
            assert s.exec(select(Report)).all() == []
    else:
        write()
        with session_scope(engine) as s:
            got = s.exec(select(Report).order_by(Report.line)).all()
        assert got[2].summary == "nul\x00here"


def test_ids_drawn_for_a_batch_follow_the_sequence_even_with_gaps(postgres_url):
    """One round trip brings the first and last id when they follow each other, and every id
    when they do not (another writer drew some meanwhile; here: a sequence counting by 2)."""
    from sqlalchemy import text

    from intel.db import make_engine, migrate
    from intel.ingest.service import _draw_ids

    engine = make_engine(postgres_url)
    migrate(engine)
    try:
        with session_scope(engine) as s:
            s.connection().execute(text("SELECT setval(pg_get_serial_sequence('report', 'id'), 10)"))
            assert _draw_ids(s, 3).tolist() == [11, 12, 13]
            s.connection().execute(text("ALTER SEQUENCE report_id_seq INCREMENT BY 2"))
            assert _draw_ids(s, 3).tolist() == [15, 17, 19]
            s.rollback()  # the sequence's increment with it (its values are not transactional)
    finally:
        engine.dispose()


def _pg_schema(session) -> list[tuple[str, str]]:
    """The report table's indexes and foreign keys on PostgreSQL, as their definitions."""
    from sqlalchemy import text

    return (
        session.connection()
        .execute(
            text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'report' "
                "UNION ALL SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'report'::regclass AND contype = 'f' ORDER BY 1"
            )
        )
        .all()
    )


def test_bulk_load_on_postgresql_checks_keys_and_builds_indexes_at_the_end(
    engine, settings, tmp_path, monkeypatch
):
    import pytest

    from intel.ingest import service

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's bulk load: test_bulk_load_into_empty_store_builds_indexes_at_the_end")
    monkeypatch.setattr(service, "BULK_ROWS", 1)  # any file counts as a bulk load
    with session_scope(engine) as s:
        before = _pg_schema(s)
    names = [name for name, _ in before]
    assert "ix_report_fingerprint" in names and "report_source_id_fkey" in names
    during: list[list[str]] = []

    def look(summary):
        during.append([name for name, _ in _pg_schema(s)])

    with session_scope(engine) as s:
        first = ingest_file(
            s, path=_csv(tmp_path, "a.csv", 60), settings=settings, batch_size=20, on_batch=look
        )
    assert first.rows_stored == 60
    # while the rows stream in, the primary key alone is kept
    assert during[0] == ["report_pkey"]
    with session_scope(engine) as s:
        assert _pg_schema(s) == before
        during.clear()
        again = ingest_file(
            s, path=_csv(tmp_path, "b.csv", 60, offset=100), settings=settings, batch_size=20, on_batch=look
        )
    assert again.rows_stored == 60
    assert all(seen == names for seen in during)  # a store with rows keeps them throughout
    with session_scope(engine) as s:
        assert len(s.exec(select(Report)).all()) == 120 and _pg_schema(s) == before


def test_bulk_load_on_postgresql_beside_a_reader_keeps_keys_and_indexes(
    engine, settings, tmp_path, monkeypatch
):
    """Another session reading the sources: the import neither waits for it nor makes it wait;
    it keeps the keys and indexes up to date row by row."""
    import pytest
    from sqlalchemy import text

    from intel.ingest import service

    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's table locks")
    monkeypatch.setattr(service, "BULK_ROWS", 1)
    with session_scope(engine) as s:
        before = _pg_schema(s)
    during: list[list[tuple[str, str]]] = []
    with engine.connect() as reader:
        reader.execute(text("SELECT count(*) FROM source")).one()  # its lock lasts to its end
        with session_scope(engine) as s:
            summary = ingest_file(
                s,
                path=_csv(tmp_path, "a.csv", 60),
                settings=settings,
                batch_size=20,
                on_batch=lambda _: during.append(_pg_schema(s)),
            )
        assert reader.execute(text("SELECT count(*) FROM report")).scalar() == 60
        reader.rollback()
    assert summary.rows_stored == 60 and during and all(seen == before for seen in during)


def test_bulk_load_on_postgresql_killed_mid_file_keeps_keys_and_indexes(
    engine, settings, tmp_path, monkeypatch
):
    import pytest

    from intel.ingest import service

    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's: test_bulk_load_killed_mid_file_keeps_indexes_and_nothing_else")
    monkeypatch.setattr(service, "BULK_ROWS", 1)
    with session_scope(engine) as s:
        before = _pg_schema(s)

    def explode(summary):
        if summary.rows_stored >= 40:
            raise RuntimeError("killed mid-file")

    path = _csv(tmp_path, "a.csv", 60)
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        ingest_file(s, path=path, settings=settings, batch_size=20, on_batch=explode)
    with session_scope(engine) as s:
        assert s.exec(select(Report)).all() == [] and _pg_schema(s) == before
        assert ingest_file(s, path=path, settings=settings, batch_size=20).rows_stored == 60
    with session_scope(engine) as s:
        assert _pg_schema(s) == before
