"""Hotspot runs in the store (SQLite and PostgreSQL): save, load, latest, routes, no half runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from hotspots.compare import compare_runs
from hotspots.params import HotspotParams
from hotspots.pipeline import analyse
from hotspots.routes import parse_route
from intel import hotspot_store
from intel.db import session_scope
from intel.models import AuditEvent, Hotspot, HotspotRun
from tests.factories import clusters


@pytest.fixture(scope="module")
def result():
    df = clusters(
        [(6.34, 5.62, 120), (16.97, 7.99, 40), (32.89, 13.19, 50)], exploitation="sexual", country="NG"
    )
    return analyse(
        df,
        route=parse_route("Benin City > Agadez > Tripoli", corridor_km=120),
        params=HotspotParams(resolution=5, top=3),
    )


def test_save_and_load_a_run(engine, result) -> None:
    frame = result.hotspot_frame()
    with session_scope(engine) as s:
        route = hotspot_store.get_or_create_route(
            s,
            name=result.route.name,
            waypoints=[w.to_dict() for w in result.route.waypoints],
            corridor_km=120,
        )
        run = hotspot_store.save_run(
            s, cells=frame, params=result.stored_params(), n_reports=result.n_reports, route_id=route.id,
            resolution=result.params.resolution,
        )  # fmt: skip
        run_id, route_id = run.id, route.id
    with session_scope(engine) as s:
        run, df = hotspot_store.load_run(s, run_id=run_id)
        assert run.n_cells == len(frame) and run.route_id == route_id and run.resolution == 5
        assert run.params["route"] == result.route.name and run.params["half_life_days"] == 365.0
        assert run.n_significant == int((frame["bin"] != 0).sum())
        assert df["rank"].head(len(result.ranked)).tolist() == list(range(1, len(result.ranked) + 1))
        top = df.iloc[0]
        want = result.ranked.iloc[0]
        assert top["cell"] == want["cell"] and top["z"] == pytest.approx(want["z"])
        assert top["reasons"]["exploitation"] == {"sexual": int(want["count"])}
        assert top["extent_km"] == pytest.approx(want["extent_km"]) and top["segment"] == want["segment"]
        assert hotspot_store.latest_run(s, route_id=route_id).id == run_id
        assert hotspot_store.latest_run(s, route_id=route_id + 1) is None
        # the same run read back compares as unchanged
        assert (compare_runs(df, frame)["change"] == "same").all()
        # the same route again changes nothing and records nothing
        same = hotspot_store.get_or_create_route(
            s, name=result.route.name, waypoints=run.params["waypoints"], corridor_km=120
        )
        assert same.id == route_id
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "route.changed")).all() == []
        # the route is updated, not duplicated; the change is audited with the route as it was
        again = hotspot_store.get_or_create_route(
            s, name=result.route.name, waypoints=run.params["waypoints"], corridor_km=80
        )
        assert again.id == route_id and again.corridor_km == 80
        (event,) = s.exec(select(AuditEvent).where(AuditEvent.action == "route.changed")).all()
        assert event.object_id == route_id and event.detail["before"]["corridor_km"] == 120
        assert event.detail["after"]["corridor_km"] == 80
        # the run still reads as the route it used: its own corridor and waypoints
        seen = hotspot_store.route_of_run(s, run)
        assert seen.corridor_km == 120 and seen.name == result.route.name
        assert seen.waypoints == run.params["waypoints"] and seen not in s


def test_a_failed_save_leaves_nothing(engine, result) -> None:
    frame = result.hotspot_frame()
    frame.loc[frame.index[-1], "cell"] = None  # violates NOT NULL on the last row
    with pytest.raises(IntegrityError), session_scope(engine) as s:
        hotspot_store.save_run(s, cells=frame, params={}, n_reports=1)
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(HotspotRun)).one() == 0
        assert s.exec(select(func.count()).select_from(Hotspot)).one() == 0


def test_nan_and_numpy_values_are_stored_plainly(engine) -> None:
    cells = pd.DataFrame(
        {"cell": ["x"], "lat": [1.0], "lon": [2.0], "count": [np.int64(3)], "z": [np.float64(1.5)], "p": [np.nan],
         "bin": [0], "distance_km": [np.nan], "rank": pd.array([pd.NA], dtype="Int64"),
         "reasons": [{"z": np.float64(1.5), "trend": None, "w": float("nan")}]}
    )  # fmt: skip
    with session_scope(engine) as s:
        run = hotspot_store.save_run(s, cells=cells, params={"a": np.int64(1)}, n_reports=3)
        _, df = hotspot_store.load_run(s, run_id=run.id)
    assert (
        df.loc[0, "p"] == 1.0
        and pd.isna(df.loc[0, "rank"])
        and df.loc[0, "reasons"] == {"z": 1.5, "trend": None, "w": None}
    )


def test_only_runs_with_the_same_cells_are_compared(sqlite_engine):
    from intel.db import session_scope
    from intel.hotspot_store import comparable_run
    from intel.models import HotspotRun

    with session_scope(sqlite_engine) as s:
        a = HotspotRun(method="gistar-h3", resolution=4, params={"corridor_km": 150.0})
        b = HotspotRun(method="gistar-h3", resolution=3, params={"corridor_km": 150.0})
        c = HotspotRun(method="gistar-place", resolution=None, params={"corridor_km": 150.0})
        s.add_all([a, b, c])
        s.flush()
        found = comparable_run(s, route_id=None, method="gistar-h3", resolution=4, corridor_km=150.0)
        assert found is not None and found.id == a.id
        assert comparable_run(s, route_id=None, method="gistar-h3", resolution=5, corridor_km=150.0) is None
        assert comparable_run(s, route_id=None, method="gistar-h3", resolution=4, corridor_km=80.0) is None
