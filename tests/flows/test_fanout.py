"""Heavy work on many processes: the backtest over origins and resolutions, and the nightly hotspot
runs over saved routes, on a Dask cluster (its scheduler address given as an operator would, in
COUNTERFLOW_DASK_ADDRESS) give the same results as in one process."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlmodel import Session

from flows.fanout import fan_out_runner
from intel.errors import CounterflowError

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dask_address() -> Iterator[str]:
    """A local Dask cluster of two worker processes, as a scheduler elsewhere would be reached."""
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def test_the_runner_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.task_runners import ThreadPoolTaskRunner
    from prefect_dask import DaskTaskRunner

    monkeypatch.delenv("COUNTERFLOW_DASK_ADDRESS", raising=False)
    monkeypatch.delenv("COUNTERFLOW_DASK")  # tests/flows/conftest.py sets it
    monkeypatch.setenv("COUNTERFLOW_DASK_WORKERS", "3")
    local = fan_out_runner()
    assert isinstance(local, DaskTaskRunner) and local.address is None
    assert local.cluster_kwargs["n_workers"] == 3
    monkeypatch.setenv("COUNTERFLOW_DASK_ADDRESS", "tcp://10.0.0.5:8786")
    assert fan_out_runner().address == "tcp://10.0.0.5:8786"
    monkeypatch.setenv("COUNTERFLOW_DASK", "off")
    one = fan_out_runner()
    assert isinstance(one, ThreadPoolTaskRunner) and one._max_workers == 1
    monkeypatch.delenv("COUNTERFLOW_DASK")
    monkeypatch.delenv("COUNTERFLOW_DASK_ADDRESS")
    monkeypatch.setenv("COUNTERFLOW_DASK_WORKERS", "none")
    with pytest.raises(CounterflowError, match="COUNTERFLOW_DASK_WORKERS"):
        fan_out_runner()


def _frames(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["split"], r["resolution"], r["table"], r["pooled"], r["origins"], r["notes"]) for r in results]


def test_the_backtest_on_dask_equals_the_one_process_run(
    prefect_harness: None, dask_address: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows.evaluation import backtest_flow
    from hotspots.evaluate import backtest, read_reports_csv
    from sandbox.scenario import write_scenario_csv

    csv = str(write_scenario_csv(tmp_path / "r.csv", n=400, seed=3, end=dt.date(2026, 6, 30)))
    args = {"resolutions": [3, 4], "n_splits": 2, "seeds": 3, "n_boot": 50, "home": str(tmp_path)}
    monkeypatch.delenv("COUNTERFLOW_DASK")  # tests/flows/conftest.py sets it
    monkeypatch.setenv("COUNTERFLOW_DASK_ADDRESS", dask_address)
    on_dask = backtest_flow(csv, **args)
    monkeypatch.setenv("COUNTERFLOW_DASK", "off")
    one = backtest_flow(csv, **args)
    # four units: two resolutions x two yearly origins (the last one leaving a year of test
    # before the last report), in that order
    last = read_reports_csv(csv)["observed_on"].max().date()
    first, second = last + dt.timedelta(days=1 - 730), last + dt.timedelta(days=1 - 365)
    assert [(r["resolution"], r["split"]) for r in on_dask] == [
        (3, first),
        (3, second),
        (4, first),
        (4, second),
    ]
    for a, b in zip(_frames(on_dask), _frames(one), strict=True):
        assert a[:2] == b[:2] and a[5] == b[5]
        for x, y in zip(a[2:5], b[2:5], strict=True):
            pd.testing.assert_frame_equal(x, y)
    # and a unit is the backtest of that origin at that resolution, called directly
    direct = backtest(read_reports_csv(csv), splits=[second], resolution=4, seeds=3, n_boot=50)
    pd.testing.assert_frame_equal(on_dask[3]["table"], direct.table)
    assert on_dask[3]["table"]["hit_rate"].notna().all() and len(on_dask[3]["table"]) > 0


def test_nightly_hotspots_over_saved_routes_on_dask_equal_the_one_process_run(
    prefect_harness: None,
    dask_address: str,
    sqlite_settings: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from flows import steps
    from flows.loop import hotspots_flow
    from hotspots.routes import parse_route
    from intel.db import get_engine
    from intel.hotspot_store import get_or_create_route
    from sandbox.scenario import write_scenario_csv

    engine = get_engine(sqlite_settings)
    with Session(engine) as s:
        steps.ingest(s, path=write_scenario_csv(tmp_path / "r.csv", n=400, seed=3), settings=sqlite_settings)
        for text, km in (
            ("Benin City > Agadez > Sabha > Tripoli", 80.0),
            ("Asmara > Khartoum > Al Kufrah > Tripoli", 120.0),
        ):
            spec = parse_route(text, corridor_km=km)
            get_or_create_route(
                s, name=spec.name, waypoints=[w.to_dict() for w in spec.waypoints], corridor_km=km
            )
        s.commit()
    home, url = str(sqlite_settings.home), sqlite_settings.database_url
    monkeypatch.delenv("COUNTERFLOW_DASK")  # tests/flows/conftest.py sets it
    monkeypatch.setenv("COUNTERFLOW_DASK_ADDRESS", dask_address)
    on_dask = hotspots_flow(home=home, database_url=url, top=4)
    monkeypatch.setenv("COUNTERFLOW_DASK", "off")
    one = hotspots_flow(home=home, database_url=url, top=4)
    assert len(on_dask) == len(one) == 2
    assert len({r["run_id"] for r in on_dask + one}) == 4  # four stored runs
    for a, b in zip(on_dask, one, strict=True):
        assert a["ranked"] and a["ranked"] == b["ranked"]
        assert a["route"] == b["route"] and a["resolution"] == b["resolution"]
