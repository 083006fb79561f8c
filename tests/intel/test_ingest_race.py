"""The same file imported twice at once is stored once, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlmodel import func, select

from intel.db import session_scope
from intel.ingest import ingest_file
from intel.models import ImportBatch, Report

TOWNS = ["Benin City", "Agadez", "Sabha", "Lagos", "Kano", "Palermo", "Rome", "Turin"]


def _file(tmp_path: Path, rows: int) -> Path:
    lines = ["date,place,exploitation,source_kind,source,summary"]
    for i in range(rows):
        day = f"2023-{1 + i % 12:02d}-{1 + i % 28:02d}"
        lines.append(f"{day},{TOWNS[i % len(TOWNS)]},sexual,news,Wire,report number {i}")
    path = tmp_path / "reports.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_two_imports_of_one_file_at_once_store_it_once(engine, settings, tmp_path):
    # the source exists already, as it does for a feed imported every day
    first = tmp_path / "first.csv"
    first.write_text("date,place,exploitation,source_kind,source\n2022-05-01,Lagos,sexual,news,Wire\n")
    with session_scope(engine) as s:
        ingest_file(s, path=first, settings=settings)
    path = _file(tmp_path, 3000)
    start = threading.Barrier(2)
    summaries: list = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            with session_scope(engine) as s:
                summaries.append(ingest_file(s, path=path, settings=settings, dedup=False))
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    with session_scope(engine) as s:
        stored = s.exec(select(func.count()).select_from(Report)).one()
        done = s.exec(select(func.count()).select_from(ImportBatch).where(ImportBatch.status == "done")).one()
    assert stored == 3001
    assert done == 2
    assert sorted(x.already_imported for x in summaries) == [False, True]
