"""Benchmark of the forecast: fit and score against the baselines' time, in the same run.

Synthetic clustered reports over six years (300 clusters, some rising, some fading, 10 % noise)
at H3 resolution 5. Timed, each from the same report arrays:

- forecast: the study area's neighbourhood matrices, the features at every training cutoff,
  the validation fit, the final fit and the scores (:func:`hotspots.forecast.forecast`);
- previous period / decayed counts: one ``bincount`` each;
- kernel density: Gaussian kernels at the cell centres (one bandwidth, no selection);
- Gi*: the neighbourhood matrix and Gi* of the decayed counts.

Each time is given as wall-clock seconds and as CPU seconds of this process (``cpu``): on a
shared, busy machine the wall clock counts the time other processes hold the cores, the CPU
time does not. Everything runs on one thread. scikit-learn is imported before the clock starts
(the import, a few seconds once per process, is printed apart).

Usage: ``python bench/forecast_bench.py [--sizes 100000,1000000]``
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotspots import h3cells
from hotspots.evaluate import _kde
from hotspots.forecast import Grid, area_index, disk_matrix, forecast
from hotspots.gistar import gi_star

RESOLUTION = 5
DAYS = 6 * 365


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    k = 300
    c_lat, c_lon = rng.uniform(0, 45, k), rng.uniform(-10, 40, k)
    slope = rng.uniform(-1, 1, k)  # rising or fading clusters
    size = rng.pareto(1.5, k) + 1
    which = rng.choice(k, size=int(n * 0.9), p=size / size.sum())
    u = rng.random(len(which))
    s = slope[which]
    # density 1 + s (2t - 1) on [0, 1]: inverse CDF
    t = np.where(
        np.abs(s) < 1e-6,
        u,
        ((s - 1) + np.sqrt((1 - s) ** 2 + 4 * s * u)) / (2 * np.where(np.abs(s) < 1e-6, 1, s)),
    )
    lat = np.concatenate((c_lat[which] + rng.normal(0, 0.3, len(which)), rng.uniform(0, 45, n - len(which))))
    lon = np.concatenate(
        (c_lon[which] + rng.normal(0, 0.3, len(which)), rng.uniform(-10, 40, n - len(which)))
    )
    day = np.concatenate((t * DAYS, rng.uniform(0, DAYS, n - len(which)))).astype(np.int64)
    return lat, lon, day


class Clock:
    """Wall-clock and CPU seconds of a block."""

    def __enter__(self) -> Clock:
        self.w0, self.c0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.w0, time.process_time() - self.c0

    def __str__(self) -> str:
        return f"{self.wall:.2f} ({self.cpu:.2f})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100000,1000000")
    args = ap.parse_args()
    with Clock() as imp:
        import sklearn.ensemble  # noqa: F401
    print(f"scikit-learn import: {imp} s (wall (cpu)), once per process, not in the times below")
    print(
        f"{'reports':>10} {'cells':>8} {'forecast s':>15} {'counts s':>9} {'decayed s':>10} {'kde s':>15} {'gi* s':>13} {'forecast/kde':>13} {'forecast/gi*':>13}"
    )
    for n in (int(x) for x in args.sizes.split(",")):
        lat, lon, day = synthetic(n)
        grade = np.ones(n)
        as_of = float(DAYS - 365)
        t0 = time.perf_counter()
        cells = h3cells.cells_of(lat, lon, RESOLUTION)
        train = day < as_of
        area = np.unique(h3cells.disks(np.unique(cells[train]), 2)[1])
        t_area = time.perf_counter() - t0
        with Clock() as t_fc:
            grid = Grid.of(area)
            unit = area_index(grid.area, cells)
            fc = forecast(grid, unit, day, grade, as_of=as_of, horizon_days=365)
        m = len(grid.area)
        t0 = time.perf_counter()
        sel = train & (day >= as_of - 365)
        np.bincount(unit[sel], minlength=m)
        t_counts = time.perf_counter() - t0
        t0 = time.perf_counter()
        dec = np.bincount(unit[train], weights=np.power(0.5, (as_of - day[train]) / 365.0), minlength=m)
        t_dec = time.perf_counter() - t0
        with Clock() as t_kde:
            c_lat, c_lon = h3cells.centres(grid.area)
            _kde(c_lat, c_lon, lat[train], lon[train], 2 * float(h3cells.EDGE_KM[RESOLUTION]))
        with Clock() as t_gi:
            gi_star(dec, disk_matrix(np.unique(area), 1))
        print(
            f"{n:>10,} {m:>8,} {t_fc!s:>15} {t_counts:>9.3f} {t_dec:>10.3f} {t_kde!s:>15} {t_gi!s:>13}"
            f" {t_fc.wall / t_kde.wall:>6.2f} ({t_fc.cpu / t_kde.cpu:.2f}) {t_fc.wall / t_gi.wall:>6.2f} ({t_fc.cpu / t_gi.cpu:.2f})"
            f"   (area {t_area:.2f} s, {fc.method}, {fc.n_iter} iterations)"
        )


if __name__ == "__main__":
    main()
