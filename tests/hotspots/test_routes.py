"""Routes: parsing, disambiguation by neighbours, great-circle corridor and spread ranking."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots.core import in_corridor
from hotspots.routes import RouteSpec, Waypoint, parse_route, route_distance
from intel.errors import CounterflowError
from intel.gazetteer import haversine_km

ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"


def test_parse_names_and_disambiguate_tripoli() -> None:
    r = parse_route(ROUTE, corridor_km=100)
    assert [w.country for w in r.waypoints] == ["NG", "NE", "LY", "IT", "IT"]
    assert any("Tripoli" in n and "Libya" in n and "Agadez" in n for n in r.notes)
    assert r.corridor_km == 100
    # a Lebanese context picks the other Tripoli
    r2 = parse_route("Beirut > Tripoli > Homs")
    assert r2.waypoints[1].country == "LB"


def test_parse_coordinates_and_errors() -> None:
    r = parse_route("6.34,5.62 > Agadez")
    assert r.waypoints[0].lat == pytest.approx(6.34) and r.waypoints[0].country == "NG"
    with pytest.raises(CounterflowError, match="Atlantisville"):
        parse_route("Benin City > Atlantisville")
    with pytest.raises(CounterflowError, match="at least two"):
        parse_route("Rome")
    with pytest.raises(CounterflowError, match="not a valid coordinate"):
        parse_route("95,10 > Rome")


def _equator_route(km: float = 100.0) -> RouteSpec:
    return RouteSpec("eq", (Waypoint("a", 0.0, 0.0), Waypoint("b", 0.0, 10.0), Waypoint("c", 10.0, 10.0)), km)


def test_distance_to_route_by_hand() -> None:
    r = _equator_route()
    one_deg = haversine_km(0, 0, 1, 0)
    d, seg, along = route_distance(
        r, np.array([1.0, -0.5, 5.0, 0.0, 0.0]), np.array([5.0, 12.0, 11.0, -2.0, 10.0])
    )
    # (1, 5): 1 degree north of the equator segment, 5 degrees along
    assert d[0] == pytest.approx(one_deg, rel=1e-9) and seg[0] == 0
    assert along[0] == pytest.approx(haversine_km(0, 0, 0, 5), rel=1e-6)
    # (-0.5, 12): beyond the corner: nearest is the vertex b (0, 10)
    assert d[1] == pytest.approx(haversine_km(-0.5, 12, 0, 10), rel=1e-9)
    # (5, 11): 1 degree east of the meridian segment (at 5 N a degree of longitude is shorter)
    assert seg[2] == 1 and d[2] == pytest.approx(haversine_km(5, 11, 5, 10), rel=2e-3)
    assert along[2] == pytest.approx(haversine_km(0, 0, 0, 10) + haversine_km(0, 10, 5, 10), rel=1e-3)
    # before the start: distance to the first waypoint, along = 0
    assert d[3] == pytest.approx(haversine_km(0, 0, 0, -2)) and along[3] == 0
    # a waypoint itself is on the route
    assert d[4] == pytest.approx(0, abs=1e-6)


def test_corridor_agrees_with_exact_distance_and_prefilter() -> None:
    r = _equator_route(150.0)
    rng = np.random.default_rng(1)
    lat, lon = rng.uniform(-5, 15, 20000), rng.uniform(-5, 15, 20000)
    c = in_corridor(r, lat, lon)
    d, _, _ = route_distance(r, lat, lon)
    assert set(c.index.tolist()) == set(np.flatnonzero(d <= 150.0).tolist())
    np.testing.assert_allclose(c.off_km, d[c.index])
    # the box-limited variant is exact within the corridor and says "far" (inf) outside the boxes
    d2, seg2, al2 = route_distance(r, lat, lon, within_km=150.0)
    near = d <= 150.0
    np.testing.assert_allclose(d2[near], d[near])
    assert (d2 >= np.minimum(d, 150.0) - 1e-9).all() and np.isinf(d2).any()


def test_distance_matches_a_brute_force_over_the_densified_line() -> None:
    """Against an independent method: the nearest of points every ~0.5 km along the real route."""
    from hotspots.routes import densify

    r = parse_route(ROUTE, corridor_km=150)
    dl, do = densify(r, step_km=0.5)
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(4, 44, 300), rng.uniform(2, 18, 300)
    d, _, along = route_distance(r, lat, lon)
    a = np.radians(np.column_stack((lat, lon)))
    b = np.radians(np.column_stack((dl, do)))
    dlat = a[:, None, 0] - b[None, :, 0]
    dlon = a[:, None, 1] - b[None, :, 1]
    h = np.sin(dlat / 2) ** 2 + np.cos(a[:, None, 0]) * np.cos(b[None, :, 0]) * np.sin(dlon / 2) ** 2
    km = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
    np.testing.assert_allclose(d, km.min(axis=1), atol=0.3)
    # along the route: the cumulative length up to the nearest dense point
    step = np.concatenate(
        (
            [0.0],
            2
            * 6371.0088
            * np.arcsin(
                np.sqrt(
                    np.sin(np.diff(np.radians(dl)) / 2) ** 2
                    + np.cos(np.radians(dl[:-1]))
                    * np.cos(np.radians(dl[1:]))
                    * np.sin(np.diff(np.radians(do)) / 2) ** 2
                )
            ),
        )
    )
    cum = np.cumsum(step)
    close = d < 150  # near the line the foot is well defined
    np.testing.assert_allclose(along[close], cum[km.argmin(axis=1)][close], atol=1.0)
