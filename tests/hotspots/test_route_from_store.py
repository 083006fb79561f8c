"""A ranked route from the store: the same through the Arrow read and the session's tuples."""

from __future__ import annotations

import pandas as pd
import pytest

from hotspots.params import HotspotParams
from hotspots.pipeline import analyse
from hotspots.routes import parse_route
from intel import columnar
from intel.db import session_scope
from intel.store import load_reports
from tests.factories import clusters, store_reports


@pytest.fixture(autouse=True)
def _sqlite_through_adbc(monkeypatch):
    """The Arrow read is under test on SQLite too (the product keeps it for PostgreSQL only: see
    ``intel.columnar.SQLITE_THROUGH_ADBC``)."""
    from intel import columnar

    monkeypatch.setattr(columnar, "SQLITE_THROUGH_ADBC", True)


def test_the_same_route_is_ranked_from_either_read(engine) -> None:
    """Three clusters along Benin City > Agadez > Tripoli (120, 40 and 50 reports) and a stray one
    off the route, on both engines: the Gi* ranking over the Arrow frame equals, cell by cell and
    figure by figure, the ranking over the frame built from the session's tuples."""
    frame = clusters(
        [(6.34, 5.62, 120), (16.97, 7.99, 40), (32.89, 13.19, 50), (9.06, 9.5, 30)],
        exploitation="sexual", country="NG",
    )  # fmt: skip
    store_reports(engine, frame)
    route = parse_route("Benin City > Agadez > Tripoli", corridor_km=120)
    params = HotspotParams(resolution=5, top=3, method="gi")
    with session_scope(engine) as s:
        assert columnar.arrow_source(s) is not None
        arrow, tuples = load_reports(s), load_reports(s, columnar=False)
    pd.testing.assert_frame_equal(arrow, tuples, check_exact=True)
    got = analyse(arrow, route=route, params=params)
    want = analyse(tuples, route=route, params=params)
    pd.testing.assert_frame_equal(got.ranked, want.ranked, check_exact=True)
    pd.testing.assert_frame_equal(got.cells, want.cells, check_exact=True)
    # worked by hand: the stray cluster lies about 360 km east of the route line, outside the
    # 120 km corridor, so the cells hold 120 + 40 + 50 reports; one pick near each town
    assert int(got.cells["count"].sum()) == 210
    towns = [(6.34, 5.62), (32.89, 13.19), (16.97, 7.99)]  # Benin City, Tripoli, Agadez
    picked = got.ranked[["lat", "lon"]].to_numpy()
    assert len(picked) == 3
    for (lat, lon), (t_lat, t_lon) in zip(picked, towns, strict=True):
        assert abs(lat - t_lat) < 0.2 and abs(lon - t_lon) < 0.2


def test_reading_only_the_hotspot_columns_ranks_the_same(engine) -> None:
    """The hotspot path reads ``HOTSPOT_COLUMNS`` only: on both reads and both engines that frame
    is the full frame's columns of the same name, and the Gi* and forecast rankings, the cells and
    the map's flow lines over it equal those over the full frame."""
    from hotspots.movement import flow_lines
    from intel.store import HOTSPOT_COLUMNS

    frame = clusters(
        [(6.34, 5.62, 60), (16.97, 7.99, 20), (32.89, 13.19, 25)], exploitation="sexual", country="NG"
    )
    store_reports(engine, frame)
    route = parse_route("Benin City > Agadez > Tripoli", corridor_km=120)
    with session_scope(engine) as s:
        full = load_reports(s)
        some = load_reports(s, columns=HOTSPOT_COLUMNS)
        some_tuples = load_reports(s, columns=HOTSPOT_COLUMNS, columnar=False)
    assert list(some.columns) == list(HOTSPOT_COLUMNS)
    assert "recruitment" not in some and "corroboration" not in some
    pd.testing.assert_frame_equal(some, full[list(HOTSPOT_COLUMNS)], check_exact=True)
    pd.testing.assert_frame_equal(some_tuples, some, check_exact=True)
    for method in ("gi", "forecast"):
        params = HotspotParams(resolution=5, top=3, method=method)
        got = analyse(some, route=route, params=params)
        want = analyse(full, route=route, params=params)
        pd.testing.assert_frame_equal(got.ranked, want.ranked, check_exact=True)
        pd.testing.assert_frame_equal(got.cells, want.cells, check_exact=True)
    pd.testing.assert_frame_equal(flow_lines(some), flow_lines(full), check_exact=True)
