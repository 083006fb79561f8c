"""Hotspot runs in the store: save a run's cells, load them back, find the latest, keep routes.

The analytics live in ``hotspots/`` (which this module must not import): they hand over plain
frames and dicts. A run and its cells are written in the caller's transaction, so a crash half
way leaves nothing behind.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlmodel import Session, col, select

from intel.errors import CommandHint, CounterflowError, NotFound
from intel.models import AuditEvent, Hotspot, HotspotRun, Route

#: Columns of a run's frame (those of the ``Hotspot`` table, without ``id``/``run_id``).
HOTSPOT_COLUMNS = [
    "cell", "lat", "lon", "place", "admin1", "country", "count", "weight", "z", "p", "bin", "trend",
    "rank", "segment", "distance_km", "extent_km", "reasons",
]  # fmt: skip


def _plain(value: Any) -> Any:
    """JSON- and driver-safe Python values (no numpy scalars, no NaN)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def get_or_create_route(
    session: Session, *, name: str, waypoints: list[dict[str, Any]], corridor_km: float
) -> Route:
    """The stored route of this name, created or updated to these waypoints and corridor.

    A change is kept as an audit event with the route as it was. Earlier runs and campaigns keep
    what they used: each run stores its waypoints and corridor with its parameters, and
    :func:`route_of_run` gives them back.
    """
    if len(waypoints) < 2:
        raise CounterflowError(f"route {name!r} has {len(waypoints)} waypoint(s)", "give at least two")
    clean = [_plain(dict(w)) for w in waypoints]
    route = session.exec(select(Route).where(Route.name == name)).first()
    if route is None:
        route = Route(name=name, waypoints=clean, corridor_km=float(corridor_km))
    elif route.waypoints != clean or route.corridor_km != float(corridor_km):
        session.add(
            AuditEvent(
                actor="counterflow",
                action="route.changed",
                object_type="route",
                object_id=route.id,
                detail={
                    "before": {"waypoints": route.waypoints, "corridor_km": route.corridor_km},
                    "after": {"waypoints": clean, "corridor_km": float(corridor_km)},
                },
            )
        )
        route.waypoints = clean
        route.corridor_km = float(corridor_km)
    session.add(route)
    session.flush()
    return route


def list_routes(session: Session) -> list[Route]:
    """Every saved route, oldest first."""
    return list(session.exec(select(Route).order_by(col(Route.id))))


def route_of_run(session: Session, run: HotspotRun) -> Route | None:
    """The route as ``run`` used it: its stored waypoints and corridor (a route changed since
    then is not what the run saw), or the stored route for a run saved without them.

    The returned row is a detached copy when it comes from the run: never add it to a session.
    """
    if run.route_id is None:
        return None
    stored = session.get(Route, run.route_id)
    params = run.params or {}
    waypoints, corridor = params.get("waypoints"), params.get("corridor_km")
    if not waypoints or corridor is None:
        return stored
    return Route(
        id=run.route_id,
        name=params.get("route") or (stored.name if stored is not None else f"route {run.route_id}"),
        waypoints=list(waypoints),
        corridor_km=float(corridor),
    )


def save_run(
    session: Session,
    *,
    cells: pd.DataFrame,
    params: dict[str, Any],
    n_reports: int,
    route_id: int | None = None,
    resolution: int | None = None,
    method: str = "gistar-h3",
    map_path: str | None = None,
) -> HotspotRun:
    """Store a run and its cells (one ``Hotspot`` row per row of ``cells``).

    Parameters
    ----------
    cells
        Frame with ``HOTSPOT_COLUMNS`` (missing optional columns are stored empty); ``reasons``
        holds a dict per row.
    params
        The analysis parameters, stored as JSON with the run.
    """
    missing = {"cell", "lat", "lon"} - set(cells.columns)
    if missing:
        raise ValueError(f"cells frame lacks {sorted(missing)}")
    run = HotspotRun(
        route_id=route_id,
        method=method,
        resolution=resolution,
        n_reports=int(n_reports),
        n_cells=len(cells),
        n_significant=int((cells["bin"] != 0).sum()) if "bin" in cells else 0,
        params=_plain(params),
        map_path=map_path,
    )
    session.add(run)
    session.flush()
    frame = cells.reindex(columns=HOTSPOT_COLUMNS)
    rows = []
    for rec in frame.to_dict("records"):
        row: dict[str, Any] = {str(k): _plain(v) for k, v in rec.items()}
        row["reasons"] = row["reasons"] if isinstance(row["reasons"], dict) else {}
        for k, default in (("count", 0), ("weight", 0.0), ("z", 0.0), ("p", 1.0), ("bin", 0)):
            if row[k] is None:
                row[k] = default
        row["run_id"] = run.id
        rows.append(row)
    if rows:
        session.execute(insert(Hotspot), rows)
    session.flush()
    return run


def load_run(session: Session, *, run_id: int) -> tuple[HotspotRun, pd.DataFrame]:
    """A stored run and its cells as a frame (``HOTSPOT_COLUMNS`` plus ``id``), ranked first."""
    run = session.get(HotspotRun, run_id)
    if run is None:
        raise NotFound(
            f"hotspot run {run_id} does not exist",
            "pick an existing hotspot run, or run the hotspot analysis to make one",
            hint=CommandHint("hotspots", "--route ROUTE"),
        )
    rows = session.exec(select(Hotspot).where(Hotspot.run_id == run_id).order_by(col(Hotspot.id))).all()
    df = pd.DataFrame([{"id": h.id, **{c: getattr(h, c) for c in HOTSPOT_COLUMNS}} for h in rows])
    if df.empty:
        df = pd.DataFrame(columns=["id", *HOTSPOT_COLUMNS])
    df["rank"] = df["rank"].astype("Int64")
    df["segment"] = df["segment"].astype("Int64")
    df = df.sort_values(["rank", "z"], ascending=[True, False], na_position="last").reset_index(drop=True)
    return run, df


def latest_run(session: Session, *, route_id: int | None = None) -> HotspotRun | None:
    """The newest run (of this route, when given)."""
    stmt = select(HotspotRun).order_by(col(HotspotRun.created_at).desc(), col(HotspotRun.id).desc())
    if route_id is not None:
        stmt = stmt.where(HotspotRun.route_id == route_id)
    return session.exec(stmt).first()


def comparable_run(
    session: Session, *, route_id: int | None, method: str, resolution: int | None, corridor_km: float | None
) -> HotspotRun | None:
    """The newest run that a new one can be compared with cell by cell: the same route (or
    none), method, resolution and corridor. Other runs have other cells."""
    stmt = select(HotspotRun).where(HotspotRun.method == method).order_by(col(HotspotRun.id).desc())
    stmt = stmt.where(
        HotspotRun.route_id == route_id if route_id is not None else col(HotspotRun.route_id).is_(None)
    )
    for run in session.exec(stmt).all():
        if run.resolution == resolution and (run.params or {}).get("corridor_km") == corridor_km:
            return run
    return None


def list_runs(session: Session, *, limit: int = 20) -> list[HotspotRun]:
    """The newest runs first."""
    stmt = select(HotspotRun).order_by(col(HotspotRun.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


def set_map_path(session: Session, *, run_id: int, map_path: str) -> None:
    run = session.get(HotspotRun, run_id)
    if run is None:
        raise NotFound(f"hotspot run {run_id} does not exist", "save the run first")
    run.map_path = map_path
    session.add(run)
    session.flush()
