"""The whole analysis on small hand-built data: weights, cells, ranking, reasons, comparison."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from hotspots.compare import compare_runs, summarise
from hotspots.params import HotspotParams
from hotspots.pipeline import CELL_COLUMNS, analyse
from hotspots.ranking import rank_hotspots
from hotspots.routes import parse_route
from hotspots.weights import report_weights
from intel.errors import CounterflowError
from tests.factories import clusters, reports

ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"


def test_report_weights_by_hand() -> None:
    df = reports(
        [
            {"reliability": "A", "credibility": 1, "victim_count": 1, "observed_on": "2024-01-01"},
            {"reliability": "C", "credibility": 3, "victim_count": 10, "observed_on": "2023-01-01"},
        ]
    )
    w = report_weights(df, half_life_days=365, as_of=dt.date(2024, 1, 1))
    assert w.loc[0, "weight"] == pytest.approx(1.0)
    # 0.7 * 0.7 * (1 + ln 10) * 0.5 ** (365/365)
    assert w.loc[1, "weight"] == pytest.approx(0.7 * 0.7 * (1 + np.log(10)) * 0.5)
    assert w.loc[1, "w_recency"] == pytest.approx(0.5)


def test_cells_carry_every_part_of_the_score() -> None:
    df = clusters([(6.34, 5.62, 200), (9.06, 7.49, 3)], spread_deg=0.05)
    res = analyse(df, params=HotspotParams(resolution=6, trends=False))
    cells = res.cells
    assert list(cells.columns) == CELL_COLUMNS
    assert cells["count"].sum() == 203
    occupied = cells[cells["count"] > 0]
    # the score is the sum of report weights; factor means lie in their ranges
    assert occupied["weight"].sum() == pytest.approx(report_weights(df, half_life_days=365)["weight"].sum())
    assert ((occupied["w_reliability"] > 0) & (occupied["w_recency"] <= 1)).all()
    # the Benin City cluster is the hottest and is named after its place
    top = res.ranked.iloc[0]
    assert top["bin"] > 0 and abs(top["lat"] - 6.34) < 0.1
    assert top["place"] == "near Benin City" and top["country"] == "NG"
    assert top["reasons"]["count"] == top["count"] and "weight_parts" in top["reasons"]


def test_route_keeps_the_corridor_and_spreads_along_segments() -> None:
    # a big Benin City cluster and smaller ones at Agadez, Tripoli and Rome; one off-route (Dakar)
    df = clusters(
        [(6.34, 5.62, 120), (6.5, 5.9, 60), (16.97, 7.99, 30), (32.89, 13.19, 30), (41.9, 12.5, 25),
         (14.7, -17.4, 200)],
        exploitation="sexual|forced_labour",
    )  # fmt: skip
    route = parse_route(ROUTE, corridor_km=100)
    res = analyse(df, route=route, params=HotspotParams(resolution=6, top=4))
    assert res.n_reports == len(df) - 200  # Dakar is outside
    assert res.cells["off_route_km"].max() <= 100 + 15  # weighted centroids of corridor reports
    ranked = res.ranked
    # every segment that has a candidate appears before any segment gets a second pick
    first_round = ranked[ranked["round"] == 1]["segment"].tolist()
    assert len(set(first_round)) == len(first_round)
    assert ranked["rank"].tolist() == list(range(1, len(ranked) + 1))
    r1 = ranked.iloc[0]["reasons"]
    assert r1["exploitation"] == {"sexual": r1["count"], "forced_labour": r1["count"]}
    assert r1["distance_km"] is not None and r1["extent_km"] > 0
    assert any("Tripoli" in n for n in res.notes)


def test_ranking_spread_on_a_hand_built_frame() -> None:
    cells = pd.DataFrame(
        {
            "cell": list("abcdef"),
            "lat": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            "lon": [0.0, 1.0, 2.0, 5.0, 6.0, 9.0],
            "count": [9, 8, 7, 6, 5, 4],
            "weight": [9.0, 8, 7, 6, 5, 4],
            "z": [6.0, 5.5, 5.0, 4.0, 3.5, 1.0],
            "bin": [3, 3, 3, 3, 3, 0],
            "segment": pd.array([0, 0, 0, 1, 1, 2], dtype="Int64"),
        }
    )
    from hotspots.routes import RouteSpec, Waypoint

    route = RouteSpec(
        "r", (Waypoint("p", 0, 0), Waypoint("q", 0, 4), Waypoint("r", 0, 8), Waypoint("s", 0, 10))
    )
    out = rank_hotspots(cells, params=HotspotParams(top=4, min_separation_km=50), route=route)
    # round 1: best of segment 0 (a), of segment 1 (d); segment 2 has only a non-significant cell
    # round 2: b then e; f (not significant) only after all significant ones
    assert out["cell"].tolist() == ["a", "d", "b", "e"]
    assert out["round"].tolist() == [1, 1, 2, 2]
    crowded = rank_hotspots(cells, params=HotspotParams(top=3, min_separation_km=150), route=None)
    assert crowded["cell"].tolist() == ["a", "c", "d"]  # b is 111 km from a: too close


def test_a_weak_cell_on_an_earlier_segment_does_not_crowd_out_a_strong_one() -> None:
    from hotspots.routes import RouteSpec, Waypoint

    cells = pd.DataFrame(
        {
            "cell": ["small", "big", "far"],
            "lat": [0.0, 0.0, 0.0],
            "lon": [9.9, 10.0, 3.0],
            "count": [4, 79, 10],
            "weight": [4.5, 22.0, 3.0],
            "z": [1.0, 1.4, 1.2],
            "bin": [0, 0, 0],
            "segment": pd.array([0, 1, 0], dtype="Int64"),
        }
    )
    route = RouteSpec("r", (Waypoint("p", 0, 0), Waypoint("q", 0, 10), Waypoint("s", 0, 20)))
    out = rank_hotspots(cells, params=HotspotParams(top=2, min_separation_km=90), route=route)
    assert out["cell"].tolist() == ["big", "far"]  # small lies 11 km from big: big wins


def test_trends_find_a_new_hotspot() -> None:
    old = clusters([(6.34, 5.62, 300)], spread_deg=0.02)
    new = clusters([(9.06, 7.49, 150)], spread_deg=0.02, seed=3)
    new["observed_on"] = pd.Timestamp("2024-12-15")
    res = analyse(
        pd.concat([old, new], ignore_index=True), params=HotspotParams(resolution=6, time_step="year")
    )
    abuja = res.cells[(res.cells["count"] > 0) & ((res.cells["lat"] - 9.06).abs() < 0.2)]
    assert (abuja["trend"] == "new hot spot").any()


def test_trends_do_not_depend_on_the_recency_half_life() -> None:
    """Trends compare time steps with each other, so recency decay must not enter them, not
    even when a short half-life rounds old reports' decay to zero."""
    df = clusters([(6.34, 5.62, 200), (9.06, 7.49, 120)], spread_deg=0.02)
    long = analyse(df, params=HotspotParams(resolution=6, time_step="year", half_life_days=3650))
    short = analyse(df, params=HotspotParams(resolution=6, time_step="year", half_life_days=1))
    a = long.cells.set_index("cell")["trend"]
    b = short.cells.set_index("cell")["trend"].reindex(a.index)
    assert (a == b).all()
    assert long.cells["trend_z"].notna().any()


def test_errors_name_the_problem() -> None:
    df = clusters([(6.34, 5.62, 5)])
    with pytest.raises(CounterflowError, match="within 150 km"):
        analyse(df, route=parse_route("Rome > Milan"))
    with pytest.raises(CounterflowError, match="resolution was 22"):
        HotspotParams(resolution=22)
    df["lat"] = np.nan
    with pytest.raises(CounterflowError, match="coordinates"):
        analyse(df)


def test_compare_runs_reports_what_changed() -> None:
    base = clusters([(6.34, 5.62, 60), (9.06, 7.49, 30)], spread_deg=0.02)
    before = analyse(base, params=HotspotParams(resolution=6, trends=False))
    more = clusters([(12.0, 8.5, 80)], spread_deg=0.02, seed=5)
    after = analyse(
        pd.concat([base, more], ignore_index=True), params=HotspotParams(resolution=6, trends=False)
    )

    def frame(r):  # cells with their rank, as load_run returns them
        return r.cells.merge(r.ranked[["cell", "rank"]], on="cell", how="left")

    diff = compare_runs(frame(before), frame(after))
    kano = diff[(diff["change"] == "new") & (diff["count_after"] > 0)]
    assert len(kano) >= 1 and diff["change"].isin(["new"]).sum() >= len(kano)
    assert "new" in summarise(diff)
    same = compare_runs(frame(before), frame(before))
    assert (same["change"] == "same").all() and summarise(same) == "no change"


def test_place_units_never_pool_unnamed_reports_of_a_country() -> None:
    df = reports(
        [
            {"lat": 32.88, "lon": 13.18, "observed_on": pd.Timestamp("2024-01-01"), "country": "LY"},
            {"lat": 27.04, "lon": 14.43, "observed_on": pd.Timestamp("2024-01-02"), "country": "LY"},
            {
                "lat": 6.34,
                "lon": 5.62,
                "observed_on": pd.Timestamp("2024-01-03"),
                "country": "NG",
                "place": "Benin City",
            },
        ]
    )
    res = analyse(df, params=HotspotParams(unit="place", trends=False))
    used = res.cells[res.cells["count"] > 0]
    assert len(used) == 3  # Tripoli and Sabha stay apart
    assert not used["cell"].str.startswith("?").any()
