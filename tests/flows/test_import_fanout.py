"""Large imports split by file: a folder of files prepared on a Dask cluster (or in one process)
and stored by one writer gives the same reports, rejects, imports and duplicate links as
importing the files one by one, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text

from intel.errors import CounterflowError
from intel.settings import Settings

pytestmark = pytest.mark.slow

HEADER = "date,place,country,exploitation,source_kind,source,summary\n"
# Worked out by hand. a.csv: two reports, one reject (no 31 February).
A = (
    HEADER
    + "2023-03-01,Sabha,LY,sexual,news,Libya Observer,women held in a house in Sabha\n"
    + "2023-03-02,Agadez,NE,sexual,law_enforcement,Police,\n"
    + "31/02/2023,Sabha,LY,sexual,news,X,\n"
)
# b.csv: Alarm Phone corroborates a's Sabha report (same place and type, 7 days on, another
# source): stored, linked to it; the May report is a new incident; the Agadez row is an exact
# copy of a's (skipped); Nowhereville is no place (rejected).
B = (
    HEADER
    + "2023-03-08,Sabha,LY,sexual,ngo_report,Alarm Phone,women held near Sabha market\n"
    + "2023-05-01,Sabha,LY,sexual,law_enforcement,Police,\n"
    + "2023-03-02,Agadez,NE,sexual,law_enforcement,Police,\n"
    + "2023-02-01,Nowhereville,,sexual,news,X,\n"
)
# c.csv: corroborates b's May report: stored, linked to it.
C = HEADER + "2023-05-03,Sabha,LY,sexual,news,Libya Observer,\n"
# (file, read, stored, merged as duplicates, skipped, rejected)
EXPECTED = [("a.csv", 3, 2, 0, 0, 1), ("b.csv", 4, 2, 1, 1, 1), ("c.csv", 1, 1, 1, 0, 0)]


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A local Dask cluster of two worker processes, reached by its address."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    folder.mkdir()
    for name, body in (("c.csv", C), ("a.csv", A), ("b.csv", B)):
        (folder / name).write_text(body, encoding="utf-8")
    (folder / "notes.md").write_text("not an import\n", encoding="utf-8")
    return folder


def _empty(settings: Settings) -> None:
    """Empty the store (PostgreSQL: one database for the run), ids starting from 1 again."""
    from tests.conftest import _truncate_all

    engine = _engine(settings)
    if engine.dialect.name == "postgresql":
        _truncate_all(engine)


def _engine(settings: Settings) -> Engine:
    from intel.db import get_engine

    return get_engine(settings)


def _stored(settings: Settings) -> dict[str, list[Any]]:
    """What an import leaves: reports with their links, rejects, and the imports' counts."""
    queries = {
        "reports": "SELECT r.id, r.import_id, s.name, r.observed_on, r.place, r.country, r.summary, "
        "r.duplicate_of, r.fingerprint, r.reliability, r.credibility, r.line, r.lat, r.lon "
        "FROM report r JOIN source s ON s.id = r.source_id ORDER BY r.id",
        "rejects": "SELECT import_id, line, reason FROM reject ORDER BY import_id, line",
        "imports": "SELECT id, file_name, sha256, spec, status, rows_read, rows_stored, rows_duplicate, "
        "rows_rejected, rows_skipped FROM importbatch ORDER BY id",
    }
    with _engine(settings).connect() as conn:
        return {name: list(conn.execute(text(sql)).all()) for name, sql in queries.items()}


def _store_for(settings: Settings, tmp_path: Path, name: str) -> Settings:
    """A fresh store of the same engine: another SQLite file, or the PostgreSQL one emptied."""
    if settings.db_url.startswith("sqlite"):
        return Settings(
            environment="test", home=settings.home, database_url=f"sqlite:///{tmp_path / name}.db"
        )
    _empty(settings)
    return settings


def test_a_folder_on_dask_equals_one_process_and_the_files_one_by_one(
    prefect_harness: None,
    dask_address: str,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows.imports import ingest_files_flow
    from intel.db import session_scope
    from intel.ingest import ingest_file

    folder = _folder(tmp_path)
    # the plain way: each file by itself, in name order, one transaction each
    by_hand = _store_for(settings, tmp_path, "by-hand")
    for name in ("a.csv", "b.csv", "c.csv"):
        with session_scope(_engine(by_hand)) as s:
            ingest_file(s, path=folder / name, settings=by_hand)
    want = _stored(by_hand)
    assert len(want["reports"]) == 5 and len(want["rejects"]) == 2
    ids = {(r.place, str(r.observed_on)[:10]): r.id for r in want["reports"]}
    links = {r.id: r.duplicate_of for r in want["reports"]}
    assert links[ids[("Sabha", "2023-03-08")]] == ids[("Sabha", "2023-03-01")]
    assert links[ids[("Sabha", "2023-05-03")]] == ids[("Sabha", "2023-05-01")]
    assert [tuple(i[1:2]) + tuple(i[5:]) for i in want["imports"]] == [
        (f, read, stored, dup, rejected, skipped) for f, read, stored, dup, skipped, rejected in EXPECTED
    ]

    got = {}
    monkeypatch.delenv("COUNTERFLOW_DASK")  # tests/flows/conftest.py sets it
    monkeypatch.setenv("COUNTERFLOW_DASK_ADDRESS", dask_address)
    for runner in ("dask", "off"):
        if runner == "off":
            monkeypatch.setenv("COUNTERFLOW_DASK", "off")
        store = _store_for(settings, tmp_path, runner)
        summaries = ingest_files_flow([str(folder)], home=str(store.home), database_url=store.db_url)
        assert [
            (
                s["file_name"],
                s["rows_read"],
                s["rows_stored"],
                s["rows_duplicate"],
                s["rows_skipped"],
                s["rows_rejected"],
            )
            for s in summaries
        ] == EXPECTED
        got[runner] = _stored(store)
        # run again: every file is already imported, nothing is added
        again = ingest_files_flow([str(folder)], home=str(store.home), database_url=store.db_url)
        assert all(s["already_imported"] for s in again) and _stored(store) == got[runner]
    assert got["dask"] == want
    assert got["off"] == want


def test_a_bad_file_ends_the_run_there(
    prefect_harness: None, sqlite_settings: Settings, tmp_path: Path
) -> None:
    from flows.imports import ingest_files_flow

    folder = _folder(tmp_path)
    (folder / "b.csv").write_text("when,where\n2023-01-01,Agadez\n", encoding="utf-8")
    home, url = str(sqlite_settings.home), sqlite_settings.db_url
    with pytest.raises(CounterflowError, match="b.csv"):
        ingest_files_flow([str(folder)], home=home, database_url=url)
    stored = _stored(sqlite_settings)
    assert [i[1] for i in stored["imports"]] == ["a.csv"] and len(stored["reports"]) == 2
    with pytest.raises(CounterflowError, match="does not exist"):
        ingest_files_flow([str(folder / "nothing.csv")], home=home, database_url=url)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CounterflowError, match="holds no file to import"):
        ingest_files_flow([str(tmp_path / "empty")], home=home, database_url=url)
