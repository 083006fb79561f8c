"""Benchmark: a large import split by file, prepared on a local Dask cluster and stored by one
writer, against the same import in one process, in the same run.

``--files`` generated CSV files of ``--rows`` reports each (place names with countries, so that
geocoding does its real work; dates, types and sources varied), imported into fresh SQLite
stores. Timed:

- plain: ``intel.ingest.ingest_file`` on each file in turn, no Prefect (the baseline);
- one process: :func:`flows.imports.ingest_files_flow` with ``COUNTERFLOW_DASK=off``, after a
  warm-up flow run, against a local Prefect API started for the run;
- Dask: the same flow on a ``distributed.LocalCluster`` of ``--workers`` processes, one thread
  each; the cluster's start (and the workers' first imports) is timed apart, as a team's
  long-running cluster pays it once.

Also timed, to show what can go faster at all: the preparing alone (``prepare_file`` on every
file, no store) and so the writing's share. The stored reports of the three runs are checked
equal before the times are printed.

Usage: ``python bench/import_fanout_bench.py [--files 8] [--rows 20000] [--workers 2]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PLACES = [
    ("Agadez", "NE"),
    ("Sabha", "LY"),
    ("Benin City", "NG"),
    ("Lagos", "NG"),
    ("Kano", "NG"),
    ("Niamey", "NE"),
    ("Khartoum", "SD"),
    ("Misrata", "LY"),
]
TYPES = ["sexual", "forced_labour", "sexual|forced_labour", "domestic_servitude"]
KINDS = ["news", "ngo_report", "law_enforcement", "court"]


def write_files(folder: Path, files: int, rows: int) -> None:
    for f in range(files):
        with open(folder / f"reports-{f:02d}.csv", "w", encoding="utf-8") as fh:
            fh.write("date,place,country,exploitation,source_kind,source,victim_count\n")
            for i in range(rows):
                k = f * rows + i
                place, country = PLACES[k % len(PLACES)]
                day = 1 + (k * 7) % 28
                month = 1 + (k // 28) % 12
                year = 2019 + (k // 336) % 6
                fh.write(
                    f"{year}-{month:02d}-{day:02d},{place},{country},{TYPES[k % 4]},"
                    f"{KINDS[(k // 3) % 4]},S{k % 53},{1 + k % 5}\n"
                )


def _warm() -> None:
    """What a worker imports for its first task: the flows, the import and the gazetteer."""
    import flows.imports  # noqa: F401
    from intel.ingest.geocode import geocode  # noqa: F401


def stored(url: str) -> list[Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = list(
            conn.execute(
                text(
                    "SELECT id, import_id, line, observed_on, place, lat, lon, duplicate_of, fingerprint "
                    "FROM report ORDER BY id"
                )
            ).all()
        )
    engine.dispose()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    folder = Path(tempfile.mkdtemp(prefix="import-fanout-bench-"))
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        run(args, folder)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    from distributed import Client, LocalCluster

    from flows.imports import ingest_files_flow
    from intel.db import get_engine, session_scope
    from intel.ingest import ingest_file, prepare_file
    from intel.settings import Settings

    incoming = folder / "incoming"
    incoming.mkdir()
    write_files(incoming, args.files, args.rows)
    files = sorted(incoming.iterdir())
    size = sum(f.stat().st_size for f in files)

    def store(name: str) -> Settings:
        return Settings(home=folder / name, database_url=f"sqlite:///{folder / name}.db")

    # the flow's first run in this process (Prefect's own warm-up), on a small file
    warm = store("warm")
    os.environ["COUNTERFLOW_DASK"] = "off"
    small = folder / "small"
    small.mkdir()
    write_files(small, 1, 50)
    ingest_files_flow([str(small)], home=str(warm.home), database_url=warm.db_url)

    plain = store("plain")
    t0 = time.perf_counter()
    for f in files:
        with session_scope(get_engine(plain)) as s:
            ingest_file(s, path=f, settings=plain)
    t_plain = time.perf_counter() - t0

    t0 = time.perf_counter()
    for f in files:
        prepare_file(f, settings=plain)
    t_prepare = time.perf_counter() - t0

    one = store("one")
    t0 = time.perf_counter()
    ingest_files_flow([str(incoming)], home=str(one.home), database_url=one.db_url)
    t_one = time.perf_counter() - t0

    del os.environ["COUNTERFLOW_DASK"]
    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as client:
        client.run(_warm)
    t_start = time.perf_counter() - t0
    os.environ["COUNTERFLOW_DASK_ADDRESS"] = cluster.scheduler_address
    dask = store("dask")
    try:
        t0 = time.perf_counter()
        ingest_files_flow([str(incoming)], home=str(dask.home), database_url=dask.db_url)
        t_dask = time.perf_counter() - t0
    finally:
        cluster.close()

    want = stored(plain.db_url)
    assert stored(one.db_url) == want and stored(dask.db_url) == want, "the stores differ"
    total = args.files * args.rows
    print(
        f"{args.files} files x {args.rows:,} reports ({total:,}, {size / 2**20:.1f} MB), "
        f"SQLite, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'run':<36} {'seconds':>8} {'ratio to one process':>21}")
    print(f"{'plain ingest_file, file by file':<36} {t_plain:>8.1f} {t_plain / t_one:>21.2f}")
    print(f"{'one process (the flow, Dask off)':<36} {t_one:>8.1f} {1.0:>21.2f}")
    print(f"{f'Dask, {args.workers} worker processes':<36} {t_dask:>8.1f} {t_dask / t_one:>21.2f}")
    print(f"{'  + the cluster start, once':<36} {t_start:>8.1f} {(t_dask + t_start) / t_one:>21.2f}")
    print(
        f"of the plain import, preparing (what fans out) {t_prepare:.1f} s, "
        f"writing (one writer) {t_plain - t_prepare:.1f} s"
    )
    print(f"the three stores hold the same {len(want):,} reports")


if __name__ == "__main__":
    main()
