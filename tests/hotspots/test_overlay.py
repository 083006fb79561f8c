"""Partner sites over a hand-made run: every score worked out by hand from the documented parts.

The run (H3 resolution 5) has one significant hot cell H at (6.30, 5.60), bin 3, intensifying,
forecast 4.2; one quiet cell Q at (8.00, 5.60), bin 0; one cold cell C at (11.00, 5.60), bin -2.
Along the meridian 5.60 one degree of latitude is pi/180 * 6371.0088 = 111.195 km, and
``near_hotspot`` is 15 * 0.5 ** (km / 50).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from hotspots import h3cells
from hotspots.overlay import DISCLAIMER, READ_AS, WEIGHTS, score_sites
from intel.errors import CounterflowError

RES = 5
KM_PER_DEG = math.pi / 180 * 6371.0088


def _cell(lat: float, lon: float) -> str:
    return h3cells.to_str(h3cells.cells_of(np.array([lat]), np.array([lon]), RES))[0]


def _run() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cell": [_cell(6.30, 5.60), _cell(8.00, 5.60), _cell(11.00, 5.60)],
            "lat": [6.30, 8.00, 11.00],
            "lon": [5.60, 5.60, 5.60],
            "bin": [3, 0, -2],
            "trend": ["intensifying hot spot", "no pattern detected", "persistent cold spot"],
            "reasons": [{"forecast": 4.2}, {"count": 2}, {}],
        }
    )


def _sites(rows: list[tuple[str, float, float, str, str, str]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["id", "lat", "lon", "country", "good", "sector"])
    df["line"] = range(2, len(df) + 2)
    df["precision"] = np.where(df["lat"].isna(), "country", "point")
    df["place"] = ""
    return df


SITES = _sites(
    [
        ("S1", 6.30, 5.60, "NG", "Cocoa", ""),  # NG cocoa: forced and child labour; inside H
        ("S2", 7.20, 5.60, "NG", "Gold", ""),  # NG gold: child labour only; 0.9 deg from H
        ("S3", 8.00, 5.60, "NG", "Textiles", ""),  # not listed for NG; in Q, 1.7 deg from H
        ("S4", math.nan, math.nan, "CI", "Coffee", ""),  # country only; CI coffee: forced and child
        ("S5", 11.00, 5.60, "CN", "Lithium-ion batteries", ""),  # through DR Congo's cobalt: child
        ("S6", 6.30, 5.60, "NG", "", "Agriculture"),  # a sector only: not checked against the list
    ]
)


def test_weights_sum_to_a_hundred() -> None:
    assert sum(WEIGHTS.values()) == 100


def test_hand_made_sites_score_as_worked_out() -> None:
    got = score_sites(SITES, _run(), resolution=RES, run_id=7)
    by = got.sites.set_index("id")
    # S1: 30 forced + 20 child + 25 inside + 15 near (0 km) + 10 rising = 100
    # S4: 30 + 20, no cell = 50; S6: 25 + 15 + 10 = 50 (tie: by id, S4 first)
    # S2: 20 child + 15 * 0.5 ** (100.08 / 50) = 20 + 3.746 = 23.7
    # S5: 20 child (input) + 15 * 0.5 ** (522.6 / 50) = 20 + 0.011 = 20.0
    # S3: 15 * 0.5 ** (189.03 / 50) = 1.091 -> 1.1
    assert got.sites["id"].tolist() == ["S1", "S4", "S6", "S2", "S5", "S3"]
    assert by["score"].to_dict() == {"S1": 100.0, "S4": 50.0, "S6": 50.0, "S2": 23.7, "S5": 20.0, "S3": 1.1}
    assert got.sites["rank"].tolist() == [1, 2, 3, 4, 5, 6]
    assert by.loc["S2", "nearest_km"] == pytest.approx(0.9 * KM_PER_DEG, abs=0.05)  # 100.1 km
    assert by.loc["S2", "nearest_km"] == pytest.approx(100.1, abs=0.05)
    assert by.loc["S3", "nearest_km"] == pytest.approx(189.0, abs=0.05)
    assert by.loc["S1", "nearest_km"] == 0.0 and by.loc["S1", "points_in_hotspot"] == 25.0
    assert by.loc["S2", "points_near_hotspot"] == pytest.approx(3.75, abs=0.005)
    assert by.loc["S1", "forecast"] == 4.2 and by.loc["S1", "trend"] == "intensifying hot spot"
    assert math.isnan(float(by.loc["S2", "forecast"])) and by.loc["S2", "bin"] == 0  # type: ignore[arg-type]
    assert by.loc["S5", "bin"] == -2 and by.loc["S3", "trend"] == "no pattern detected"
    assert by["dol_forced_labour"].to_dict() == {"S1": True, "S2": False, "S3": False, "S4": True,
                                                 "S5": False, "S6": False}  # fmt: skip
    assert by["dol_child_labour"].to_dict() == {"S1": True, "S2": True, "S3": False, "S4": True,
                                                "S5": True, "S6": False}  # fmt: skip
    assert math.isnan(float(by.loc["S4", "nearest_km"])) and by.loc["S4", "cell"] == ""  # type: ignore[arg-type]
    assert (got.sites["read_as"] == READ_AS).all() and got.notes == []


def test_the_reasons_say_why_in_words() -> None:
    by = score_sites(SITES, _run(), resolution=RES).sites.set_index("id")["reasons"]
    assert by["S1"] == (
        "Cocoa from Nigeria is on the DoL 2022 list for forced labour and child labour; "
        "inside a significant hotspot (Gi* bin 3); trend here: intensifying hot spot (rising); "
        "forecast here: 4.2 reports"
    )
    assert by["S2"] == (
        "Gold from Nigeria is on the DoL 2022 list for child labour; 100 km from the nearest significant hotspot"
    )
    assert "Lithium-Ion Batteries from China is on the DoL 2022 list for its input Cobalt ore" in by["S5"]
    assert "in a significant cold spot (Gi* bin -2)" in by["S5"]
    assert "placed only to its country: no hotspot cell, distance or trend" in by["S4"]
    assert by["S3"].startswith("Textiles from Nigeria is not on the DoL 2022 list")
    assert by["S6"].startswith("no good given")
    assert "never an accusation" in DISCLAIMER


def test_summary_per_country_and_good() -> None:
    summary = score_sites(SITES, _run(), resolution=RES).summary
    rows = {(r.country, r.good): r for r in summary.itertuples()}
    assert len(rows) == 6 and summary["sites"].sum() == 6
    s1 = rows[("NG", "Cocoa")]
    assert (s1.sites, s1.mean_score, s1.dol_forced_labour, s1.dol_child_labour, s1.in_hotspot) == (
        1,
        100.0,
        1,
        1,
        1,
    )
    assert summary["country"].iloc[0] == "NG" and summary["good"].iloc[0] == "Cocoa"  # highest mean first


def test_two_sites_of_one_good_average() -> None:
    two = _sites([("a", 6.30, 5.60, "NG", "Cocoa", ""), ("b", math.nan, math.nan, "NG", "Cocoa", "")])
    summary = score_sites(two, _run(), resolution=RES).summary
    # a: 100; b: 30 + 20 = 50 (country only) -> mean 75, max 100, one in a hotspot
    assert summary[["sites", "mean_score", "max_score", "in_hotspot"]].values.tolist() == [
        [2, 75.0, 100.0, 1]
    ]


def test_a_run_without_significant_hotspots_gives_no_hotspot_points() -> None:
    run = _run().assign(bin=0)
    got = score_sites(SITES, run, resolution=RES)
    by = got.sites.set_index("id")
    assert by["score"].to_dict() == {"S1": 60.0, "S4": 50.0, "S2": 20.0, "S5": 20.0, "S3": 0.0, "S6": 10.0}
    assert "no significant hotspot" in got.notes[0]


def test_a_run_of_places_is_refused() -> None:
    with pytest.raises(CounterflowError, match="ranks places, not H3 cells"):
        score_sites(SITES, _run(), resolution=None, run_id=3)


def test_site_details_at_the_precision_the_site_supports() -> None:
    """The run's cells now carry countries: H and Q in NG, C in NE. Reports: 12 sexual
    exploitation at H's point, 3 forced labour 0.3 deg (33 km) north of H, 20 forced labour
    at C (500 km away), all in NG except the 20 in NE."""
    run = _run()
    run["country"] = ["NG", "NG", "NE"]
    run["reasons"] = pd.Series([{"forecast": 4.2}, {"forecast": 1.3}, {}], dtype=object)
    reports = pd.DataFrame(
        {
            "lat": [6.30] * 12 + [6.60] * 3 + [11.00] * 20,
            "lon": [5.60] * 35,
            "country": ["NG"] * 15 + ["NE"] * 20,
            "exploitation": ["sexual"] * 12 + ["forced_labour"] * 3 + ["forced_labour"] * 20,
        }
    )
    two = _sites([("pt", 6.30, 5.60, "NG", "Cocoa", ""), ("ng", math.nan, math.nan, "NG", "Cocoa", "")])
    by = score_sites(two, run, resolution=RES, reports=reports, k=11).sites.set_index("id")
    # the point: its cell's figures; within 50 km: 12 sexual, 3 forced labour (< 11)
    assert by.loc["pt", "cell"] != "" and by.loc["pt", "forecast"] == 4.2
    assert by.loc["pt", "types_nearby"] == "sexual exploitation 12; forced labour <11"
    # the country-only site: no cell, the country's figures: 1 significant cell (H), 4.2 + 1.3
    assert by.loc["ng", "cell"] == "" and math.isnan(float(by.loc["ng", "forecast"]))  # type: ignore[arg-type]
    assert (by.loc["ng", "country_hotspots"], by.loc["ng", "country_forecast"]) == (1, 5.5)
    assert by.loc["ng", "types_nearby"] == "sexual exploitation 12; forced labour <11"
    assert "1 significant hotspot cell(s) in Nigeria, forecast 5.5 reports there" in str(
        by.loc["ng", "reasons"]
    )
    assert "20" not in str(by.loc["ng", "types_nearby"])  # the 20 in Niger are not Nigeria's


def test_types_nearby_south_and_west_of_zero() -> None:
    """12 reports in Lima (-12.05, -77.04); a site 7 km away counts them, one at (12, 77) not."""
    from hotspots.overlay import types_nearby

    reps = pd.DataFrame(
        {"lat": [-12.05] * 12, "lon": [-77.04] * 12, "country": ["PE"] * 12, "exploitation": ["sexual"] * 12}
    )
    s = pd.DataFrame({"lat": [-12.0, 12.0], "lon": [-77.0, 77.0], "country": ["PE", "IN"]})
    assert types_nearby(s, reps, k=11) == ["sexual exploitation 12", ""]
