"""The backtest of the forecast over many origins and resolutions, one task per (resolution,
origin), fanned out on the task runner of :func:`flows.fanout.fan_out_runner` (a Dask cluster).

Each task is :func:`hotspots.evaluate.backtest` on one origin at one resolution, with its own
random generator, so a task's tables are the same on any runner and equal to calling
``backtest(reports, splits=[origin], resolution=r, ...)`` directly. (A single backtest over all
origins draws its tie-breaks and bootstrap from one generator in turn, so its per-origin numbers
differ from these by the luck of the draws; pool them with ``counterflow evaluate`` for one.)
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from prefect import flow, task
from prefect.cache_policies import NONE

from intel.errors import CounterflowError


@task(name="backtest one origin", cache_policy=NONE)
def backtest_task(
    reports: pd.DataFrame,
    split: dt.date,
    resolution: int | None,
    horizon_days: int,
    rings: int,
    seeds: int,
    n_boot: int,
) -> dict[str, Any]:
    """The backtest of one origin at one resolution: its tables and notes."""
    from hotspots.evaluate import backtest

    bt = backtest(
        reports,
        splits=[split],
        resolution=resolution,
        horizon_days=horizon_days,
        rings=rings,
        seeds=seeds,
        n_boot=n_boot,
    )
    return {
        "split": split,
        "resolution": bt.resolution,
        "table": bt.table,
        "pooled": bt.pooled,
        "curve": bt.curve,
        "origins": bt.origins,
        "notes": bt.notes,
    }


def load(source: str, home: str, database_url: str | None) -> pd.DataFrame:
    """Reports from a CSV file or, with ``store``, from the store."""
    if source == "store":
        from flows.session import flow_session
        from flows.steps import load_reports

        with flow_session(home, database_url) as (s, _):
            return load_reports(s, since=None, until=None)
    from hotspots.evaluate import read_reports_csv

    return read_reports_csv(source)


@flow(name="backtest units")
def backtest_units_flow(
    source: str,
    units: list[tuple[int | None, dt.date]],
    horizon_days: int = 365,
    rings: int = 2,
    seeds: int = 20,
    n_boot: int = 500,
    home: str = "counterflow-data",
    database_url: str | None = None,
) -> list[dict[str, Any]]:
    """Load the reports once, then one task per (resolution, origin) on the flow's runner; the
    results in the units' order. Every unit runs before a failed one fails the flow."""
    reports = load(source, home, database_url)
    futures = [
        backtest_task.submit(reports, split, resolution, horizon_days, rings, seeds, n_boot)
        for resolution, split in units
    ]
    for f in futures:
        f.wait()
    return [f.result() for f in futures]


@flow(name="backtest")
def backtest_flow(
    source: str,
    resolutions: list[int] | None = None,
    splits: list[dt.date] | None = None,
    n_splits: int = 3,
    horizon_days: int = 365,
    rings: int = 2,
    seeds: int = 20,
    n_boot: int = 500,
    home: str = "counterflow-data",
    database_url: str | None = None,
) -> list[dict[str, Any]]:
    """Backtest the forecast over many origins and resolutions on many processes.

    ``source`` is a CSV of reports or ``store``; ``resolutions`` default to the one the extent
    gives; ``splits`` (first days of the test periods) default to ``n_splits`` origins one
    horizon apart, ending with the data. Returns one result per (resolution, origin)."""
    from flows.fanout import fan_out_runner
    from hotspots.evaluate import default_splits

    if resolutions is not None and not all(0 <= r <= 15 for r in resolutions):
        raise CounterflowError(f"resolutions were {resolutions}", "H3 resolutions run from 0 to 15")
    if splits is None:
        last = pd.to_datetime(load(source, home, database_url)["observed_on"]).max().date()
        splits = default_splits(last, horizon_days, n_splits)
    chosen: list[int | None] = list(resolutions) if resolutions else [None]
    units = [(r, s) for r in chosen for s in sorted(splits)]
    return backtest_units_flow.with_options(task_runner=fan_out_runner())(
        source, units, horizon_days, rings, seeds, n_boot, home, database_url
    )
