"""Partner transactions over hand-made corridors and one saved route: every score worked out by
hand from the documented parts (known flow 30, on a route 25, volume 25 x min(1, reports / 100)
when at least k = 11, rising 20)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from hotspots.overlay_transactions import (
    DISCLAIMER,
    WEIGHTS,
    RouteHotspots,
    corridors,
    score_transactions,
)

NAN = math.nan
FLOWS = pd.DataFrame(
    [
        ("NG", "IT", 50, 30, 10, "rising"),
        ("NG", "LY", 5, 4, 1, "rising"),
        ("NE", "LY", 200, 50, 150, "falling"),
    ],
    columns=["origin_country", "destination_country", "reports", "recent", "earlier", "trend"],
)
# the route's significant hotspots: Benin City, Agadez, Tripoli
ROUTE = RouteHotspots("Benin City - Tripoli", np.array([6.34, 16.97, 32.89]), np.array([5.62, 7.99, 13.19]))
BENIN, ROME, TRIPOLI = (6.34, 5.62), (41.90, 12.50), (32.89, 13.19)


def _tx(rows: list[tuple[str, tuple[float, float], str, tuple[float, float], str]]) -> pd.DataFrame:
    out = []
    for i, (tid, (slat, slon), sc, (rlat, rlon), rc) in enumerate(rows):
        out.append({
            "id": tid, "line": i + 2, "date": dt.date(2025, 3, 1), "amount": 100.0, "currency": "EUR",
            "sender_lat": slat, "sender_lon": slon, "sender_country": sc,
            "sender_precision": "country" if slat != slat else "town", "sender_place": "",
            "receiver_lat": rlat, "receiver_lon": rlon, "receiver_country": rc,
            "receiver_precision": "country" if rlat != rlat else "town", "receiver_place": "",
        })  # fmt: skip
    return pd.DataFrame(out)


TX = _tx(
    [
        ("T1", BENIN, "NG", ROME, "IT"),  # along NG -> IT: 30 + 25 * 50/100 + 20 rising = 62.5
        ("T2", ROME, "IT", BENIN, "NG"),  # back along NG -> IT: the same 62.5
        ("T3", (6.40, 5.62), "NG", TRIPOLI, "LY"),  # NG -> LY (5 < 11): 30; on the route: +25 = 55
        ("T4", BENIN, "NG", (6.50, 5.62), "NG"),  # both ends near Benin City only: no route; NG -> NG: 0
        ("T5", (NAN, NAN), "NE", (NAN, NAN), "LY"),  # NE -> LY: 30 + 25 (200 >= 100), falling: 55
        ("T6", (NAN, NAN), "FR", (NAN, NAN), "DE"),  # no flow: 0
    ]
)


def test_weights_sum_to_a_hundred() -> None:
    assert sum(WEIGHTS.values()) == 100


def test_hand_made_transactions_score_as_worked_out() -> None:
    got = score_transactions(TX, FLOWS, [ROUTE], k=11)
    t = got.transactions.set_index("id")
    assert got.transactions["id"].tolist() == ["T1", "T2", "T3", "T5", "T4", "T6"]
    assert t["score"].to_dict() == {"T1": 62.5, "T2": 62.5, "T3": 55.0, "T5": 55.0, "T4": 0.0, "T6": 0.0}
    assert t.loc["T2", "direction"] == "reverse" and t.loc["T2", "corridor"] == "NG -> IT"
    assert t.loc["T3", "route"] == "Benin City - Tripoli" and t.loc["T4", "route"] == ""
    # a corridor of 5 reports shows "<11" and no trend, and earns no volume or rising points
    assert (t.loc["T3", "corridor_reports"], t.loc["T3", "corridor_trend"]) == ("<11", "too few reports")
    assert (t.loc["T3", "points_volume"], t.loc["T3", "points_rising"]) == (0.0, 0.0)
    assert t.loc["T1", "reasons"] == "Nigeria -> Italy is a flow reports name (50 reports, trend rising)"
    assert str(t.loc["T2", "reasons"]).startswith(
        "Nigeria -> Italy is a flow reports name, and this money runs back"
    )
    assert t.loc["T3", "reasons"] == (
        "Nigeria -> Libya is a flow reports name (<11 reports, too few for a trend); "
        "both ends lie near hotspots of the route Benin City - Tripoli"
    )
    assert t.loc["T6", "reasons"] == "France -> Germany is not a flow our reports name"
    assert "never an accusation" in DISCLAIMER


def test_summary_per_corridor() -> None:
    summary = score_transactions(TX, FLOWS, [ROUTE], k=11).summary.set_index("corridor")
    assert list(summary.loc["NG -> IT", ["transactions", "mean_score", "reverse", "amounts"]]) == [
        2,
        62.5,
        1,
        "EUR 200.00",
    ]
    assert list(summary.loc["NG -> LY", ["on_route", "corridor_reports"]]) == [1, "<11"]
    assert bool(summary.loc["FR -> DE", "known_flow"]) is False
    assert summary.index[0] == "NG -> IT"  # highest mean first


def test_corridors_from_reports_with_their_trend() -> None:
    """Newest report 2025-06-30: recent = after 2024-06-30, earlier = the 365 days before."""
    reports = pd.DataFrame(
        {
            "origin": ["Benin City", "NG", "NG", "NG", "Niger", "NE", "NE", "Springfield", ""],
            "destination": ["Italy", "IT", "IT", "IT", "LY", "LY", "LY", "IT", "IT"],
            "observed_on": pd.to_datetime(
                [
                    "2025-06-30",
                    "2025-01-01",
                    "2024-08-01",
                    "2024-01-01",
                    "2025-02-01",
                    "2024-03-01",
                    "2023-09-01",
                    "2025-01-01",
                    "2025-01-01",
                ]
            ),  # fmt: skip
        }
    )
    got = corridors(reports)
    assert got.values.tolist() == [["NG", "IT", 4, 3, 1, "rising"], ["NE", "LY", 3, 1, 2, "falling"]]


def test_no_flows_and_no_routes_are_said() -> None:
    got = score_transactions(TX, corridors(pd.DataFrame()), [], k=11)
    assert set(got.transactions["score"]) == {0.0}
    assert len(got.notes) == 2
