"""H3 helpers: vectorised cell assignment (h3ronpy), rings and centres.

Cells are ``uint64`` arrays; strings only at the edges (storage, maps). Coordinates are
EPSG:4326 degrees in and out.
"""

from __future__ import annotations

import h3
import h3ronpy
import numpy as np
import pyarrow as pa
from h3ronpy import vector as h3v

#: Average hexagon edge length in km per resolution (H3 documentation).
EDGE_KM = np.array(
    [1281.256, 483.057, 182.513, 68.979, 26.072, 9.854, 3.725, 1.406, 0.531, 0.201, 0.076, 0.029,
     0.011, 0.004, 0.0015, 0.0006]
)  # fmt: skip


#: The finest H3 resolution each place precision may feed: the one whose hexagon edge is at
#: least the precision's typical error, so that a report's uncertainty fits in its cell. A point
#: feeds any cell; a town (its centre stands for a built-up area about 3 km across) cells of
#: resolution 6 (edge 3.7 km) or coarser; a district (a county or district about 25 km across)
#: resolution 4 (26 km); a region (a province about 150 km across) resolution 2 (183 km). A
#: country's or an unspecified place never feeds a cell: it is counted per country instead.
FINEST_RESOLUTION: dict[str, int] = {
    "point": 15, "town": 6, "district": 4, "region": 2, "country": -1, "unspecified": -1,
}  # fmt: skip


def feeds(precision: np.ndarray, resolution: int) -> np.ndarray:
    """Whether a report of each place precision may feed a cell of ``resolution``
    (``FINEST_RESOLUTION``); an unknown or missing precision counts as a point.

    >>> feeds(np.array(["point", "town", "district", "country"], dtype=object), 5).tolist()
    [True, True, False, False]
    """
    return _finest(precision) >= resolution


def _finest(precision: np.ndarray) -> np.ndarray:
    """``FINEST_RESOLUTION`` of each precision (15, a point's, for an unknown or missing one),
    looked up once per distinct value rather than once per report."""
    import pandas as pd

    codes, distinct = pd.factorize(np.asarray(precision, dtype=object))  # a missing value: code -1
    lookup = np.array([*(FINEST_RESOLUTION.get(p, 15) if isinstance(p, str) else 15 for p in distinct), 15])
    return lookup[codes].astype(np.int64)


def supported_resolution(precision: np.ndarray, *, share: float = 0.5) -> int | None:
    """The finest resolution that at least ``share`` of the reports (with coordinates) can feed,
    or None when there are none; a chosen resolution is never finer, so that a file of town
    names is analysed at town scale, not at a scale its places cannot support.

    >>> supported_resolution(np.array(["town", "town", "point"], dtype=object))
    6
    """
    finest = np.sort(_finest(precision))[::-1]
    if not len(finest):
        return None
    return int(finest[max(int(np.ceil(share * len(finest))) - 1, 0)])


def choose_resolution(extent_km: float, *, cells_across: float = 200.0) -> int:
    """The resolution whose hexagon edge is closest to ``extent_km / cells_across``.

    Clamped to 2..9: coarser cells are too big to target, finer ones too sparse to test.

    >>> choose_resolution(4500.0)
    4
    >>> choose_resolution(50.0)
    9
    """
    target = max(extent_km, 1.0) / cells_across
    res = int(np.argmin(np.abs(np.log(EDGE_KM) - np.log(target))))
    return int(min(max(res, 2), 9))


def cells_of(lat: np.ndarray, lon: np.ndarray, resolution: int) -> np.ndarray:
    """H3 cell of each point, vectorised (no Python object per point)."""
    if len(lat) == 0:
        return np.zeros(0, np.uint64)
    arr = h3v.coordinates_to_cells(
        np.ascontiguousarray(lat, np.float64), np.ascontiguousarray(lon, np.float64), resolution
    )
    return np.asarray(pa.array(arr).to_numpy(zero_copy_only=False), dtype=np.uint64)


def disks(cells: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k``-disk (cell included) of each cell as (row index, neighbour cell) pairs."""
    if len(cells) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    lists = pa.array(h3ronpy.grid_disk(np.asarray(cells, np.uint64), k, flatten=False))
    offsets = lists.offsets.to_numpy()
    flat = np.asarray(lists.flatten().to_numpy(zero_copy_only=False), dtype=np.uint64)
    rows = np.repeat(np.arange(len(cells)), np.diff(offsets))
    return rows, flat


def centres(cells: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of each cell's centre."""
    if len(cells) == 0:
        return np.zeros(0), np.zeros(0)
    batch = pa.record_batch(h3v.cells_to_coordinates(np.asarray(cells, np.uint64)))
    return batch.column("lat").to_numpy(), batch.column("lng").to_numpy()


def to_str(cells: np.ndarray) -> list[str]:
    return [h3.int_to_str(int(c)) for c in cells]


def from_str(cells: list[str]) -> np.ndarray:
    return np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64)


def boundary(cell: str) -> list[tuple[float, float]]:
    """The hexagon of a cell as (lat, lon) vertices."""
    return [(float(a), float(b)) for a, b in h3.cell_to_boundary(cell)]
