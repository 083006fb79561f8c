"""Small factories for campaign tests: a route, a hotspot run and its hotspots, written directly."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from intel.models import Hotspot, HotspotRun, Route

DEMO_ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"

# (place, lat, lon, rank, extent_km, bin, z): hand-picked points along the demo route.
DEMO_HOTSPOTS: list[tuple[str, float, float, int | None, float | None, int, float]] = [
    ("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1),
    (
        "Benin City east",
        6.36,
        5.68,
        2,
        8.0,
        3,
        5.2,
    ),  # centre inside Benin City's circle: merged, circle grows
    ("Agadez", 16.973, 7.991, 3, 8.0, 2, 4.0),
    ("Tripoli", 32.887, 13.187, 4, 15.0, 3, 5.5),
    ("Zawiya", 32.757, 12.728, 5, 35.0, 2, 3.9),  # 45 km from Tripoli, radii 15 + 35: flagged
    ("Lampedusa", 35.501, 12.610, 6, 0.5, 2, 3.1),  # tiny extent: bounded up to 2 km
    ("Rome", 41.894, 12.483, 7, 900.0, 1, 2.5),  # huge extent: bounded down to 40 km
    ("Kano", 12.0, 8.517, None, 10.0, 1, 2.2),  # not on the route, hot: used only after ranked ones
    ("Cold", 13.0, 2.0, None, 10.0, -2, -3.0),  # a cold spot: never a target
]


def make_route(session: Session, *, name: str = DEMO_ROUTE) -> Route:
    route = Route(name=name, waypoints=[{"name": p.strip()} for p in name.split(">")])
    session.add(route)
    session.flush()
    return route


def make_run(
    session: Session,
    *,
    route: Route | None = None,
    hotspots: list[tuple[str, float, float, int | None, float | None, int, float]] | None = None,
    **params: Any,
) -> HotspotRun:
    run = HotspotRun(route_id=route.id if route else None, params=params)
    session.add(run)
    session.flush()
    assert run.id is not None
    for i, (place, lat, lon, rank, extent, b, z) in enumerate(
        hotspots if hotspots is not None else DEMO_HOTSPOTS
    ):
        session.add(
            Hotspot(
                run_id=run.id,
                cell=f"cell{i:04d}",
                lat=lat,
                lon=lon,
                place=place,
                count=10 + i,
                z=z,
                p=0.001,
                bin=b,
                rank=rank,
                extent_km=extent,
            )
        )
    session.flush()
    return run
