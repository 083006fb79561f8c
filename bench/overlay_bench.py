"""Partner overlay speed: ``hotspots.overlay.score_sites`` on N generated sites over a run of M
cells, with its ratio to a naive per-site spatial join (each site's cell looked up and its
distance to every significant cell computed, one site at a time) measured in the same run on the
first ``NAIVE`` sites and scaled up. Wall and CPU seconds.

Usage: python -m bench.overlay_bench [N] [M]
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
import pandas as pd

NAIVE = 5000


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


def main(n: int = 1_000_000, m: int = 3000) -> None:
    from hotspots.overlay import score_sites

    sites, cells = _data(n, m)
    w0, c0 = time.perf_counter(), time.process_time()
    result = score_sites(sites, cells, resolution=5)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    k = min(NAIVE, n)
    w1, c1 = time.perf_counter(), time.process_time()
    naive = _naive(sites.head(k), cells)
    naive_wall = (time.perf_counter() - w1) * n / k
    naive_cpu = (time.process_time() - c1) * n / k
    check = result.sites.set_index("line").loc[sites["line"].head(k), "nearest_km"].to_numpy()
    worst = float(np.max(np.abs(check - np.array(naive))))
    assert worst < 0.06, f"the naive join disagrees by up to {worst} km"
    print(f"{n:,} sites over {m:,} cells")
    print(f"score_sites: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(
        f"naive per-site join (first {k:,}, scaled to {n:,}): {naive_wall:.1f} s wall, {naive_cpu:.1f} s CPU"
    )
    print(f"ratio naive / score_sites: {naive_wall / wall:.1f}x wall, {naive_cpu / cpu:.1f}x CPU")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
