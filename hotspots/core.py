"""The fused fast path: corridor filter, H3 binning, the Gi* neighbourhood matrix and Gi*.

Arrays in, arrays out; no Python object per report. :mod:`hotspots.pipeline` adds the
explanations (top attributes, trends, extents) on top of this for the few cells it reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from hotspots import h3cells
from hotspots.gistar import binary_weights, fdr_bins, gi_star
from hotspots.routes import RouteSpec, corridor_bbox, route_distance, segment_boxes, unit_xyz
from intel.gazetteer import EARTH_RADIUS_KM


@dataclass
class Corridor:
    """Reports inside a route's corridor: their row numbers and where they are along it."""

    index: np.ndarray  # rows of the input arrays
    off_km: np.ndarray  # distance to the route line
    segment: np.ndarray  # nearest segment (0 = first waypoint to second)
    along_km: np.ndarray  # distance along the route from the first waypoint


def in_corridor(route: RouteSpec, lat: np.ndarray, lon: np.ndarray) -> Corridor:
    """Points within ``route.corridor_km`` of the route line (great-circle distance).

    Membership needs no trigonometry per point beyond the unit vector: a bounding box per
    segment, then a plane test (``|p . n| <= sin(d/R)`` beside the arc, a chord test near its
    ends). Exact distances and positions along the route are computed for the members only.
    """
    la0, la1, lo0, lo1 = corridor_bbox(route)
    cand = np.flatnonzero((lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1))
    if len(cand) == 0:
        return Corridor(cand, np.zeros(0), np.zeros(0, np.int64), np.zeros(0))
    c_lat, c_lon = lat[cand], lon[cand]
    rl, ro = np.radians(c_lat), np.radians(c_lon)
    cl = np.cos(rl)
    x, y, z = cl * np.cos(ro), cl * np.sin(ro), np.sin(rl)
    w = unit_xyz(route.lat, route.lon)
    ang = route.corridor_km / EARTH_RADIUS_KM
    sin_d = np.sin(ang)
    chord2 = (2 * np.sin(ang / 2)) ** 2
    member = np.zeros(len(cand), dtype=bool)
    boxes = segment_boxes(route, route.corridor_km)
    for s in range(len(w) - 1):
        b0, b1, b2, b3 = boxes[s]
        sel = np.flatnonzero(~member & (c_lat >= b0) & (c_lat <= b1) & (c_lon >= b2) & (c_lon <= b3))
        if len(sel) == 0:
            continue
        px, py, pz = x[sel], y[sel], z[sel]
        a, b = w[s], w[s + 1]
        near_a = (px - a[0]) ** 2 + (py - a[1]) ** 2 + (pz - a[2]) ** 2 <= chord2
        near_b = (px - b[0]) ** 2 + (py - b[1]) ** 2 + (pz - b[2]) ** 2 <= chord2
        nvec = np.cross(a, b)
        nn = float(np.linalg.norm(nvec))
        ok = near_a | near_b
        if nn > 1e-15:
            n = nvec / nn
            ca, cb = np.cross(n, a), np.cross(b, n)
            beside = (px * ca[0] + py * ca[1] + pz * ca[2] >= 0) & (px * cb[0] + py * cb[1] + pz * cb[2] >= 0)
            ok |= beside & (np.abs(px * n[0] + py * n[1] + pz * n[2]) <= sin_d)
        member[sel[ok]] = True
    keep = cand[member]
    d, seg, along = route_distance(route, lat[keep], lon[keep], within_km=route.corridor_km)
    inside = d <= route.corridor_km  # the exact test agrees except for rounding at the edge
    return Corridor(keep[inside], d[inside], seg[inside], along[inside])


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
    # hash-based factorize (pandas), then sort the few uniques: much cheaper than np.unique
    codes, uniq = pd.factorize(cell_of, sort=False)
    order = np.argsort(uniq)
    obs = np.asarray(uniq, dtype=np.uint64)[order]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    inverse = rank[codes]
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
