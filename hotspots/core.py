"""The fused fast path: corridor filter, H3 binning, the Gi* neighbourhood matrix and Gi*.

Arrays in, arrays out; no Python object per report. :mod:`hotspots.pipeline` adds the
explanations (top attributes, trends, extents) on top of this for the few cells it reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from hotspots import h3cells
from hotspots.gistar import binary_weights, fdr_bins, gi_star
from hotspots.routes import RouteSpec, corridor_bbox, route_distance


@dataclass
class Corridor:
    """Reports inside a route's corridor: their row numbers and where they are along it."""

    index: np.ndarray  # rows of the input arrays
    off_km: np.ndarray  # distance to the route line
    segment: np.ndarray  # nearest segment (0 = first waypoint to second)
    along_km: np.ndarray  # distance along the route from the first waypoint


def in_corridor(route: RouteSpec, lat: np.ndarray, lon: np.ndarray) -> Corridor:
    """Points within ``route.corridor_km`` of the route line (great-circle distance).

    A bounding-box prefilter keeps the exact distance computation to the points near the route.
    """
    la0, la1, lo0, lo1 = corridor_bbox(route)
    near = (lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1)
    cand = np.flatnonzero(near)
    d, seg, along = route_distance(route, lat[cand], lon[cand], within_km=route.corridor_km)
    keep = d <= route.corridor_km
    return Corridor(cand[keep], d[keep], seg[keep], along[keep])


@dataclass
class Cells:
    """Units of the analysis (observed cells first, then empty neighbours) and their Gi*."""

    cells: np.ndarray  # uint64 H3 index of each unit
    n_observed: int  # the first n_observed units hold reports
    inverse: np.ndarray  # unit of each (kept) report
    count: np.ndarray
    weight: np.ndarray
    w: sp.csr_matrix  # binary neighbourhood (the unit and its k-ring)
    z: np.ndarray
    p: np.ndarray
    bin: np.ndarray
    resolution: int


def neighbourhood(
    cells: np.ndarray, k: int, *, keep: Callable[[np.ndarray], np.ndarray] | None = None
) -> tuple[np.ndarray, sp.csr_matrix]:
    """Units = ``cells`` plus their ``k``-ring neighbours, and the binary weights among them.

    ``keep`` optionally filters which neighbour-only cells join the study area (e.g. only those
    inside the corridor): it receives the candidate cells and returns a boolean mask.
    """
    rows, nbrs = h3cells.disks(cells, k)
    extra = np.setdiff1d(nbrs, cells)
    if keep is not None and len(extra):
        extra = extra[keep(extra)]
    units = np.concatenate((cells, extra))
    order = np.argsort(units, kind="stable")
    sorted_units = units[order]
    rows2, nbrs2 = h3cells.disks(units, k)
    pos = np.searchsorted(sorted_units, nbrs2)
    pos = np.minimum(pos, len(units) - 1)
    found = sorted_units[pos] == nbrs2
    cols = order[pos[found]]
    return units, binary_weights(rows2[found], cols, len(units))


def score_cells(
    lat: np.ndarray,
    lon: np.ndarray,
    weight: np.ndarray,
    *,
    resolution: int,
    k: int = 1,
    route: RouteSpec | None = None,
) -> Cells:
    """Bin points into H3 cells, build the study area and compute Gi* with FDR bins.

    Parameters
    ----------
    lat, lon
        Degrees (EPSG:4326) of the reports to bin (already corridor-filtered if wanted).
    weight
        Each report's weight; a cell's value is the sum.
    resolution, k
        H3 resolution and the neighbourhood ring.
    route
        When given, empty neighbour cells join the study area only if their centre is inside
        the corridor: the study area is the corridor, not the rectangle around it.
    """
    cell_of = h3cells.cells_of(lat, lon, resolution)
    obs, inverse = np.unique(cell_of, return_inverse=True)
    count = np.bincount(inverse, minlength=len(obs)).astype(np.int64)
    wsum = np.bincount(inverse, weights=weight, minlength=len(obs))
    keep: Callable[[np.ndarray], np.ndarray] | None = None
    if route is not None:
        r = route

        def in_route(c: np.ndarray) -> np.ndarray:
            la, lo = h3cells.centres(c)
            return route_distance(r, la, lo)[0] <= r.corridor_km

        keep = in_route

    units, w = neighbourhood(obs, k, keep=keep)
    y = np.zeros(len(units))
    y[: len(obs)] = wsum
    z, p = gi_star(y, w)
    return Cells(
        cells=units,
        n_observed=len(obs),
        inverse=inverse,
        count=np.concatenate((count, np.zeros(len(units) - len(obs), np.int64))),
        weight=y,
        w=w,
        z=z,
        p=p,
        bin=fdr_bins(z, p),
        resolution=resolution,
    )
