"""Benchmark: the backtest of the forecast over many origins on a local Dask cluster, against the
same backtest in one process, in the same run.

Synthetic clustered reports over six years (``bench/forecast_bench.py``'s generator) at H3
resolution 5, ``--splits`` origins 180 days apart. Timed, on the same frame:

- one process: :func:`flows.evaluation.backtest_flow` with ``COUNTERFLOW_DASK=off`` (Prefect's
  thread pool with one thread), after a warm-up flow run, against a local Prefect API started
  for the run (``PREFECT_API_URL``, which the Dask workers inherit);
- Dask: the same flow on a ``distributed.LocalCluster`` of ``--workers`` processes, one thread
  each; the cluster's start (and the workers' first imports, paid by a warm-up task) is timed
  apart, as a team's long-running cluster pays it once.

The results of the two runs are checked equal before the times are printed.

Usage: ``python bench/fanout_bench.py [--reports 20000] [--splits 4] [--workers 2]``
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
sys.path.insert(0, str(Path(__file__).resolve().parent))


def _warm() -> None:
    """What a worker imports for its first task: the flows, Prefect and the analytics."""
    import flows.evaluation  # noqa: F401
    import hotspots.evaluate
    import hotspots.forecast  # noqa: F401


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=20000)
    ap.add_argument("--splits", type=int, default=4)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()

    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    import pandas as pd
    from forecast_bench import synthetic

    lat, lon, day = synthetic(args.reports)
    frame = pd.DataFrame(
        {
            "date": (pd.Timestamp("2019-01-01") + pd.to_timedelta(day, unit="D")).strftime("%Y-%m-%d"),
            "lat": lat,
            "lon": lon,
        }
    )
    folder = Path(tempfile.mkdtemp(prefix="fanout-bench-"))
    # One Prefect API for the run, in the environment the Dask workers inherit (as a team's
    # PREFECT_API_URL is): without it each worker would start a temporary API of its own.
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        run(args, frame, folder)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, frame: Any, folder: Path) -> None:
    import pandas as pd
    from distributed import Client, LocalCluster

    from flows.evaluation import backtest_flow

    csv = folder / "reports.csv"
    frame.to_csv(csv, index=False)
    kw = {
        "resolutions": [5],
        "n_splits": args.splits,
        "horizon_days": 180,
        "seeds": 5,
        "n_boot": 100,
        "home": str(folder),
    }

    os.environ["COUNTERFLOW_DASK"] = "off"
    backtest_flow(
        str(csv), resolutions=[3], n_splits=1, horizon_days=180, seeds=1, n_boot=10, home=str(folder)
    )
    t0 = time.perf_counter()
    one = backtest_flow(str(csv), **kw)
    t_one = time.perf_counter() - t0

    del os.environ["COUNTERFLOW_DASK"]
    t0 = time.perf_counter()
    cluster = LocalCluster(
        n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as client:
        client.run(_warm)  # the workers' first imports
    t_start = time.perf_counter() - t0
    os.environ["COUNTERFLOW_DASK_ADDRESS"] = cluster.scheduler_address
    try:
        t0 = time.perf_counter()
        on_dask = backtest_flow(str(csv), **kw)
        t_dask = time.perf_counter() - t0
    finally:
        cluster.close()

    for a, b in zip(one, on_dask, strict=True):
        pd.testing.assert_frame_equal(a["table"], b["table"])
        pd.testing.assert_frame_equal(a["pooled"], b["pooled"])
    print(f"{args.reports:,} reports, {len(one)} origins at resolution 5, {os.cpu_count()} cores")
    print(f"{'run':<32} {'seconds':>8} {'ratio to one process':>21}")
    print(f"{'one process':<32} {t_one:>8.1f} {1.0:>21.2f}")
    print(f"{f'Dask, {args.workers} worker processes':<32} {t_dask:>8.1f} {t_dask / t_one:>21.2f}")
    print(f"{'  + the cluster start, once':<32} {t_start:>8.1f} {(t_dask + t_start) / t_one:>21.2f}")
    print("the two runs' tables are equal")


if __name__ == "__main__":
    main()
