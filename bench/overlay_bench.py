"""Partner overlay speed: ``hotspots.overlay.score_sites`` on N generated sites over a run of M
cells, with its ratio to a naive per-site spatial join (each site's cell looked up and its
distance to every significant cell computed, one site at a time) measured in the same run on the
first ``NAIVE`` sites and scaled up (the overlay also counts the exploitation types of
``REPORTS`` reports near each site, which the naive join leaves out). Then ``hotspots.overlay_transactions.score_transactions``
on N generated transactions between 16 countries (two in three placed at a point, the rest at
their country only) against 60 corridors and 3 saved routes of 20 hotspots each, with its ratio
to a naive per-transaction join (the corridor looked up in a list, either way; each placed end's
haversine to every hotspot of every route), measured the same way. Wall and CPU seconds.

Usage: python -m bench.overlay_bench [N] [M] [sites|transactions|both]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import pandas as pd

NAIVE = 5000
#: Reports the sites' ``types_nearby`` counts (the naive join does not count them).
REPORTS = 100_000


def _data(n: int, m: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    from hotspots import h3cells

    rng = np.random.default_rng(0)
    lat, lon = rng.uniform(4, 14, n), rng.uniform(3, 14, n)
    sites = pd.DataFrame(
        {
            "id": [f"s{i}" for i in range(n)],
            "line": np.arange(2, n + 2),
            "lat": lat,
            "lon": lon,
            "country": rng.choice(["NG", "NE", "CI", "GH"], n),
            "good": rng.choice(["Cocoa", "Gold", "Cotton", "Textiles"], n),
            "sector": "",
            "precision": "point",
            "place": "",
        }
    )
    clat, clon = rng.uniform(4, 14, m), rng.uniform(3, 14, m)
    cells = pd.DataFrame(
        {
            "cell": h3cells.to_str(h3cells.cells_of(clat, clon, 5)),
            "lat": clat,
            "lon": clon,
            "bin": rng.choice([0, 0, 0, 1, 2, 3, -1], m),
            "trend": rng.choice(["new hot spot", "no pattern detected"], m),
            "reasons": [{"forecast": 1.0}] * m,
        }
    )
    return sites, cells


def _naive(sites: pd.DataFrame, cells: pd.DataFrame) -> list[float]:
    """One site at a time: its cell by h3, its distance to every significant cell by haversine."""
    import h3

    from intel.gazetteer import EARTH_RADIUS_KM

    by_cell: dict[str, int] = {}
    for c, b in zip(cells["cell"], cells["bin"], strict=True):
        by_cell.setdefault(c, int(b))  # the first row of a cell, as the overlay reads a run
    hot = [
        (math.radians(a), math.radians(b))
        for a, b, k in zip(cells["lat"], cells["lon"], cells["bin"], strict=True)
        if k > 0
    ]
    out = []
    for _, r in sites.iterrows():
        b = by_cell.get(h3.latlng_to_cell(r["lat"], r["lon"], 5), 0)
        la, lo = math.radians(r["lat"]), math.radians(r["lon"])
        best = min(
            2
            * EARTH_RADIUS_KM
            * math.asin(
                math.sqrt(
                    math.sin((la - a) / 2) ** 2 + math.cos(la) * math.cos(a) * math.sin((lo - o) / 2) ** 2
                )
            )
            for a, o in hot
        )
        out.append(0.0 if b > 0 else best)
    return out


COUNTRIES = ["NG", "NE", "LY", "IT", "GH", "CI", "ML", "SN", "TN", "FR", "ES", "DE", "GB", "MA", "DZ", "EG"]


def _transactions(n: int) -> tuple[pd.DataFrame, pd.DataFrame, list]:  # type: ignore[type-arg]
    import datetime as dt

    from hotspots.overlay_transactions import RouteHotspots, trend_class

    rng = np.random.default_rng(1)
    s_c, r_c = rng.choice(COUNTRIES, n), rng.choice(COUNTRIES, n)
    placed_s, placed_r = rng.random(n) < 2 / 3, rng.random(n) < 2 / 3
    tx = pd.DataFrame(
        {
            "id": [f"t{i}" for i in range(n)],
            "line": np.arange(2, n + 2),
            "date": dt.date(2025, 3, 1),
            "amount": rng.uniform(10, 5000, n).round(2),
            "currency": "EUR",
            "sender_lat": np.where(placed_s, rng.uniform(4, 45, n), np.nan),
            "sender_lon": np.where(placed_s, rng.uniform(-5, 20, n), np.nan),
            "sender_country": s_c,
            "sender_precision": np.where(placed_s, "town", "country"),
            "sender_place": "",
            "receiver_lat": np.where(placed_r, rng.uniform(4, 45, n), np.nan),
            "receiver_lon": np.where(placed_r, rng.uniform(-5, 20, n), np.nan),
            "receiver_country": r_c,
            "receiver_precision": np.where(placed_r, "town", "country"),
            "receiver_place": "",
        }
    )
    pairs = {
        (str(a), str(b)) for a, b in zip(rng.choice(COUNTRIES, 200), rng.choice(COUNTRIES, 200), strict=True)
    }
    rows = []
    for a, b in sorted(pairs)[:60]:
        recent, earlier = int(rng.integers(0, 80)), int(rng.integers(0, 80))
        rows.append((a, b, recent + earlier, recent, earlier, trend_class(recent, earlier)))
    flows = pd.DataFrame(
        rows, columns=["origin_country", "destination_country", "reports", "recent", "earlier", "trend"]
    )
    routes = [RouteHotspots(f"r{i}", rng.uniform(4, 45, 20), rng.uniform(-5, 20, 20)) for i in range(3)]
    return tx, flows, routes


def _naive_transactions(tx: pd.DataFrame, flows: pd.DataFrame, routes: list, k: int) -> list[float]:  # type: ignore[type-arg]
    """One transaction at a time: the corridor by a scan of the list, every hotspot's haversine."""
    from hotspots.overlay_transactions import NEAR_KM, VOLUME_FULL, WEIGHTS
    from intel.gazetteer import EARTH_RADIUS_KM

    known = list(
        zip(
            flows["origin_country"],
            flows["destination_country"],
            flows["reports"],
            flows["trend"],
            strict=True,
        )
    )

    def km(la: float, lo: float, a: float, o: float) -> float:
        la, lo, a, o = map(math.radians, (la, lo, a, o))
        h = math.sin((la - a) / 2) ** 2 + math.cos(la) * math.cos(a) * math.sin((lo - o) / 2) ** 2
        return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))

    def nearest(la: float, lo: float, route) -> tuple[float, int]:  # type: ignore[no-untyped-def]
        return min((km(la, lo, a, o), i) for i, (a, o) in enumerate(zip(route.lat, route.lon, strict=True)))

    out = []
    for _, r in tx.iterrows():
        fwd = [x for x in known if x[0] == r["sender_country"] and x[1] == r["receiver_country"]]
        back = [x for x in known if x[1] == r["sender_country"] and x[0] == r["receiver_country"]]
        hit = max(fwd + back, key=lambda x: x[2]) if fwd or back else None
        score = 0.0
        if hit is not None:
            score += WEIGHTS["known_flow"]
            if hit[2] >= k:
                score += WEIGHTS["volume"] * min(1.0, hit[2] / VOLUME_FULL)
                score += WEIGHTS["rising"] if hit[3] == "rising" else 0.0
        if r["sender_lat"] == r["sender_lat"] and r["receiver_lat"] == r["receiver_lat"]:
            for route in routes:
                (a, i), (b, j) = (
                    nearest(r["sender_lat"], r["sender_lon"], route),
                    nearest(r["receiver_lat"], r["receiver_lon"], route),
                )
                if a <= NEAR_KM and b <= NEAR_KM and i != j:
                    score += WEIGHTS["on_route"]
                    break
        out.append(round(score, 1))
    return out


def bench_transactions(n: int) -> None:
    from hotspots.overlay_transactions import score_transactions

    tx, flows, routes = _transactions(n)
    w0, c0 = time.perf_counter(), time.process_time()
    result = score_transactions(tx, flows, routes, k=11)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    k = min(NAIVE, n)
    w1, c1 = time.perf_counter(), time.process_time()
    naive = _naive_transactions(tx.head(k), flows, routes, 11)
    naive_wall = (time.perf_counter() - w1) * n / k
    naive_cpu = (time.process_time() - c1) * n / k
    check = result.transactions.set_index("line").loc[tx["line"].head(k), "score"].to_numpy()
    assert np.allclose(check, naive, atol=0.051), "the naive join disagrees with score_transactions"
    on_route = int((result.transactions["route"] != "").sum())
    print(f"{n:,} transactions, {len(flows)} corridors, {len(routes)} routes ({on_route:,} on a route)")
    print(f"score_transactions: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(
        f"naive per-transaction join (first {k:,}, scaled to {n:,}): {naive_wall:.1f} s wall, {naive_cpu:.1f} s CPU"
    )
    print(f"ratio naive / score_transactions: {naive_wall / wall:.1f}x wall, {naive_cpu / cpu:.1f}x CPU")


def main(n: int = 1_000_000, m: int = 3000, kind: str = "both") -> None:
    if kind in ("transactions", "both"):
        bench_transactions(n)
    if kind in ("sites", "both"):
        bench_sites(n, m)


def bench_sites(n: int, m: int) -> None:
    from hotspots.overlay import score_sites

    sites, cells = _data(n, m)
    rng = np.random.default_rng(3)
    reports = pd.DataFrame(
        {
            "lat": rng.uniform(4, 14, REPORTS),
            "lon": rng.uniform(3, 14, REPORTS),
            "country": rng.choice(["NG", "NE", "CI", "GH"], REPORTS),
            "exploitation": rng.choice(
                ["sexual", "forced_labour", "sexual|forced_labour", "begging"], REPORTS
            ),
        }
    )
    w0, c0 = time.perf_counter(), time.process_time()
    result = score_sites(sites, cells, resolution=5, reports=reports, k=11)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    k = min(NAIVE, n)
    w1, c1 = time.perf_counter(), time.process_time()
    naive = _naive(sites.head(k), cells)
    naive_wall = (time.perf_counter() - w1) * n / k
    naive_cpu = (time.process_time() - c1) * n / k
    check = result.sites.set_index("line").loc[sites["line"].head(k), "nearest_km"].to_numpy()
    worst = float(np.max(np.abs(check - np.array(naive))))
    assert worst < 0.06, f"the naive join disagrees by up to {worst} km"
    print(f"{n:,} sites over {m:,} cells, exploitation types of {REPORTS:,} reports counted near each")
    print(f"score_sites: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(
        f"naive per-site join (first {k:,}, scaled to {n:,}): {naive_wall:.1f} s wall, {naive_cpu:.1f} s CPU"
    )
    print(f"ratio naive / score_sites: {naive_wall / wall:.1f}x wall, {naive_cpu / cpu:.1f}x CPU")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(
        int(args[0]) if args else 1_000_000,
        int(args[1]) if len(args) > 1 else 3000,
        args[2] if len(args) > 2 else "both",
    )
