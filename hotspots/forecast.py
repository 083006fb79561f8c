"""Where will the next reports come? A per-cell forecast of the expected count in the next period.

The model is gradient boosting with a Poisson loss (scikit-learn's
``HistGradientBoostingRegressor(loss="poisson")``) on features of each H3 cell built from the
reports before a cutoff day:

- counts in the last 90, 180, 365 and 730 days and in all, and in the 90 days a year earlier;
- counts decayed with half-lives of 90 and 365 days;
- the decayed counts of the first ring around the cell, the second ring, and rings 3-4 (uniform
  kernels at three widths: a cheap, exact stand-in for kernel densities at three bandwidths);
- days since the cell's last report and since the last report within two rings;
- the Gi* z of the decayed counts (the cell and its first ring) and the mean source grade weight.

It is fitted on the reports before ``as_of`` only: rows are (cell, cutoff) pairs at cutoffs
``as_of - horizon - j * step`` whose target window ``[cutoff, cutoff + horizon)`` ends before
``as_of``; the number of boosting iterations is chosen on the most recent such window, with the
model fitted on the older ones (a temporal validation inside the training period, stopped once
60 iterations bring no better loss on that window), then refitted on all of them. The features
are cut into weighted quantile bins by :func:`bin_edges` (scikit-learn's own bins, found faster). Beyond ``max_rows`` rows, every row with a report in its target window is kept
and the rows without are sampled, weighted by the inverse of their sampling rate (negative
down-sampling: the Poisson fit stays unbiased). With too little history for one window the
forecast falls back to recency-decayed counts, and says so.

The forecast is then a **blend** of the model's expected counts and a Gaussian kernel density of
the past reports (cell counts at cell centres), both as shares of the model's total:
``expected = total x ((1 - w) x model share + w x density share)``. The bandwidth (0.5 to 4
cell edges) and the weight ``w`` (0, 1/4, 1/2, 3/4, 1) are chosen on the same validation window
inside the training period, by the hit rate at 1 and 5 % of the area, as the baselines' settings
in ``counterflow evaluate``. Why: on sparse data (a region with a few hundred reports) the model
alone scatters its top cells, and kernel density is the best simple baseline at 5-10 % of the
area; the blend lets the validation window decide how much of each, without looking at the test
period.

Why boosting over a self-exciting point process or a single baseline: in the rolling-origin
backtest (``counterflow evaluate``) it is the method that combines persistence (long counts),
recency and spill-over from neighbours without hand-set weights, it fits and scores a million
reports in under 10 CPU seconds (``bench/forecast_bench.py``), and its Poisson loss predicts counts, which is what a campaign is aimed at. See the
README for where it wins and where it does not.

Cells are ``uint64`` H3 indexes; coordinates EPSG:4326 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from hotspots import h3cells
from hotspots.gistar import gi_star
from hotspots.routes import unit_xyz
from intel.gazetteer import EARTH_RADIUS_KM

#: Feature names, in the order of the columns of :func:`cell_features`.
FEATURES = (
    "n90", "n180", "n365", "n730", "n_all", "n90_year_before", "dec90", "dec365",
    "ring1_dec365", "ring2_dec365", "ring34_dec365", "ring1_n_all", "days_since_last",
    "days_since_last_near", "gi_z", "grade",
)  # fmt: skip

#: Feature groups whose joint effect explains a forecast (see :func:`contributions`).
GROUPS: dict[str, tuple[str, ...]] = {
    "recent": ("n90", "n180", "dec90", "days_since_last"),
    "history": ("n365", "n730", "n_all", "n90_year_before", "dec365"),
    "neighbours": (
        "ring1_dec365",
        "ring2_dec365",
        "ring34_dec365",
        "ring1_n_all",
        "days_since_last_near",
        "gi_z",
    ),
    "grade": ("grade",),
}

#: Kernel density bandwidths tried, in cell edges (chosen on the validation window).
DENSITY_EDGES = (0.5, 1.0, 2.0, 4.0)
#: Weights of the kernel density in the blend tried on the validation window.
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: The counts the kernel density spreads (reports decayed with a one-year half-life).
DENSITY_OF = "dec365"

NEVER = 10_000.0  # days since last for a cell that never had a report
MAX_ITER = 400  # boosting iterations at most (the number is chosen on the validation window)
LEARNING_RATE = 0.05
#: The validation fit stops after this many iterations without a better validation loss.
PATIENCE = 60


def area_index(area: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Position of each cell in the sorted ``area`` (``-1`` when outside it)."""
    if len(area) == 0:
        return np.full(len(cells), -1, np.int64)
    pos = np.minimum(np.searchsorted(area, cells), len(area) - 1)
    return np.where(area[pos] == cells, pos, -1).astype(np.int64)


def disk_matrix(area: np.ndarray, k: int) -> sp.csr_matrix:
    """Binary ``n x n`` matrix over the sorted ``area``: 1 where a cell is within ``k`` rings."""
    n = len(area)
    rows, nbrs = h3cells.disks(area, k)
    cols = area_index(area, nbrs)
    ok = cols >= 0
    # the disks come row by row and hold each cell once: the CSR arrays directly (through COO it
    # took 20 times longer)
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[ok], minlength=n))))
    m = sp.csr_matrix((np.ones(int(ok.sum())), cols[ok], indptr), shape=(n, n))
    m.sort_indices()
    return m


@dataclass
class Grid:
    """The study area and its neighbourhood matrices (built once, used at every cutoff)."""

    area: np.ndarray  # sorted uint64 cells
    d1: sp.csr_matrix
    d2: sp.csr_matrix
    d4: sp.csr_matrix

    @classmethod
    def of(cls, area: np.ndarray) -> Grid:
        area = np.unique(np.asarray(area, np.uint64))
        return cls(area, disk_matrix(area, 1), disk_matrix(area, 2), disk_matrix(area, 4))


def cell_features(
    grid: Grid, unit: np.ndarray, day: np.ndarray, grade: np.ndarray, cutoff: float
) -> np.ndarray:
    """Features of every cell of the grid from the reports before ``cutoff`` (a day number).

    Parameters
    ----------
    grid
        The study area.
    unit
        Each report's position in ``grid.area`` (``-1``: outside, ignored).
    day
        Each report's day (any integer day count, e.g. days since 1970-01-01).
    grade
        Each report's source weight (reliability x credibility, 0..1).
    cutoff
        Only reports with ``day < cutoff`` are used.

    Returns
    -------
    ndarray
        ``(len(grid.area), len(FEATURES))`` floats.
    """
    n = len(grid.area)
    keep = (day < cutoff) & (unit >= 0)
    u, d, g = unit[keep], day[keep], grade[keep]
    age = cutoff - d

    def count(lo: float, hi: float = 0.0) -> np.ndarray:
        sel = (age <= lo) & (age > hi)
        return np.bincount(u[sel], minlength=n).astype(float)

    n_all = np.bincount(u, minlength=n).astype(float)
    dec90 = np.bincount(u, weights=np.power(0.5, age / 90.0), minlength=n)
    dec365 = np.bincount(u, weights=np.power(0.5, age / 365.0), minlength=n)
    last = np.full(n, -np.inf)
    np.maximum.at(last, u, d.astype(float))
    since = np.where(np.isfinite(last), cutoff - last, NEVER)
    # newest report within two rings: the row-wise max of (last day + shift) over the disk
    shift = np.where(np.isfinite(last), last - (cutoff - NEVER) + 1.0, 0.0)
    near = grid.d2.multiply(shift[None, :]).tocsr().max(axis=1).toarray().ravel()
    since_near = np.where(near > 0, NEVER + 1.0 - near, NEVER)
    r1 = grid.d1 @ dec365
    r2 = grid.d2 @ dec365
    r4 = grid.d4 @ dec365
    z, _ = gi_star(dec365, grid.d1) if n > 1 else (np.zeros(n), None)
    gsum = np.bincount(u, weights=g, minlength=n)
    mean_grade = np.divide(gsum, n_all, out=np.zeros(n), where=n_all > 0)
    cols = [
        count(90), count(180), count(365), count(730), n_all, count(455, 365), dec90, dec365,
        r1 - dec365, r2 - r1, r4 - r2, grid.d1 @ n_all - n_all, since, since_near, z, mean_grade,
    ]  # fmt: skip
    return np.column_stack(cols)


@dataclass
class Forecast:
    """What :func:`forecast` returns.

    Attributes
    ----------
    area
        The cells scored (sorted ``uint64``).
    expected
        Expected number of reports in each cell over the next ``horizon_days``.
    features
        The features of each cell at ``as_of`` (columns :data:`FEATURES`).
    dispersion
        Variance-to-mean ratio of the counts around the forecast, measured on the validation
        window inside the training period (1 = Poisson); used for the intervals.
    method
        ``"boosting"`` or ``"decayed counts"`` (the fallback with too little history).
    n_iter
        Boosting iterations chosen on the validation window.
    density_weight
        Weight ``w`` of the kernel density in the blend (0 = the model alone).
    bandwidth_km
        Bandwidth of the kernel density (0 when there is none).
    density
        The kernel density's part of ``expected`` in each cell (``w x total x density share``).
    notes
        What an analyst should know about the fit.
    """

    area: np.ndarray
    expected: np.ndarray
    features: np.ndarray
    horizon_days: int
    dispersion: float = 1.0
    method: str = "boosting"
    n_iter: int = 0
    model: object | None = None
    density_weight: float = 0.0
    bandwidth_km: float = 0.0
    density: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def interval(self, idx: np.ndarray, q: tuple[float, float] = (0.1, 0.9)) -> tuple[np.ndarray, np.ndarray]:
        """An 80 % interval (by default) of the count next period in the cells ``idx``."""
        return count_interval(self.expected[idx], self.dispersion, q)

    def contributions(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """How much each feature group adds to the forecast of the cells ``idx``."""
        return contributions(self, idx)


def count_interval(
    mu: np.ndarray, dispersion: float = 1.0, q: tuple[float, float] = (0.1, 0.9)
) -> tuple[np.ndarray, np.ndarray]:
    """Quantiles ``q`` of a count with mean ``mu`` and variance ``dispersion * mu``.

    Poisson when ``dispersion <= 1``, otherwise the negative binomial (gamma-Poisson) with that
    variance. Model error in ``mu`` itself is what the dispersion absorbs, measured on held-out
    data.

    >>> lo, hi = count_interval(np.array([0.0, 4.0]))
    >>> lo.tolist(), hi.tolist()
    ([0, 2], [0, 7])
    """
    from scipy.special import betainc, pdtr

    mu = np.asarray(mu, float)
    kmax = (
        int(np.ceil(mu.max() + 10 * np.sqrt(max(mu.max(), 1.0) * max(dispersion, 1.0)) + 10))
        if len(mu)
        else 1
    )
    ks = np.arange(kmax + 1, dtype=float)
    if dispersion <= 1.0 + 1e-9:
        cdf = pdtr(ks[None, :], mu[:, None])
    else:
        r = np.maximum(mu, 1e-12) / (dispersion - 1.0)
        p = r / (r + mu)
        cdf = betainc(r[:, None], ks[None, :] + 1.0, p[:, None])
    cdf = np.where(mu[:, None] <= 0, 1.0, cdf)
    lo = (cdf < q[0]).sum(axis=1)
    hi = (cdf < q[1]).sum(axis=1)
    return lo.astype(int), hi.astype(int)


def _design(
    grid: Grid, unit: np.ndarray, day: np.ndarray, grade: np.ndarray, cutoffs: list[float], horizon: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stacked rows (features, target, cutoff number) of the cells that were in the area at each
    cutoff (a report within two rings before it), and the features and target of every cell at
    the newest cutoff (the validation window)."""
    xs, ys, js = [], [], []
    n = len(grid.area)
    x0, y0 = np.zeros((n, len(FEATURES))), np.zeros(n)
    for j, t in enumerate(cutoffs):
        x = cell_features(grid, unit, day, grade, t)
        seen = grid.d2 @ x[:, FEATURES.index("n_all")] > 0
        sel = (day >= t) & (day < t + horizon) & (unit >= 0)
        y = np.bincount(unit[sel], minlength=n).astype(float)
        if j == 0:
            x0, y0 = x, y
        xs.append(x[seen])
        ys.append(y[seen])
        js.append(np.full(int(seen.sum()), j))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(js), x0, y0


def negative_sample(y: np.ndarray, max_rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows to fit and their weights: every row with ``y > 0``, and the rows with ``y == 0``
    sampled to fill ``max_rows``, each weighted by the inverse of its sampling rate.

    >>> keep, w = negative_sample(np.array([0.0, 2, 0, 0, 1, 0]), 4, 0)
    >>> keep[w == 1].tolist(), sorted(set(w.tolist()))
    ([1, 4], [1.0, 2.0])
    """
    if len(y) <= max_rows:
        return np.arange(len(y)), np.ones(len(y))
    pos = np.flatnonzero(y > 0)
    neg = np.flatnonzero(y <= 0)
    room = max(max_rows - len(pos), 0)
    if room >= len(neg) or len(neg) == 0:
        return np.arange(len(y)), np.ones(len(y))
    if room == 0:  # more positive rows than the cap: a uniform sample of them alone (weights 1)
        keep = np.sort(np.random.default_rng(seed).choice(pos, size=max_rows, replace=False))
        return keep, np.ones(len(keep))
    picked = np.random.default_rng(seed).choice(neg, size=room, replace=False)
    keep = np.sort(np.concatenate((pos, picked)))
    w = np.where(y[keep] > 0, 1.0, len(neg) / room)
    return keep, w


class KernelDensity:
    """Gaussian kernel densities of cell counts at the cell centres, at several bandwidths from
    one neighbour search: the pairs of cells within ``cut x max_bw_km`` of each other (one of
    them a source) are found once, each pair once, and each bandwidth weights them (kernels cut
    at ``cut`` bandwidths).

    Parameters
    ----------
    xyz
        Cell centres as unit vectors (``n x 3``).
    sources
        The cells that may hold counts (bool mask or indexes); counts elsewhere are refused.
    max_bw_km
        The widest bandwidth that will be asked for.
    bandwidths_km
        Bandwidths that will be asked for (optional): the pairs are ordered by the narrowest of
        them whose kernel reaches them, so that each of these takes a prefix of the pairs.

    >>> xyz = unit_xyz(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.09, 5.0]))
    >>> kd = KernelDensity(xyz, np.array([0]), 20.0)
    >>> [np.round(kd(np.array([2.0, 0, 0]), b), 3).tolist() for b in (10.0, 20.0)]
    [[2.0, 1.212, 0.0], [2.0, 1.765, 0.0]]
    """

    def __init__(
        self, xyz: np.ndarray, sources: np.ndarray, max_bw_km: float, cut: float = 3.0,
        bandwidths_km: tuple[float, ...] = (),
    ) -> None:  # fmt: skip
        from scipy.spatial import cKDTree

        src = np.asarray(sources)
        src = np.flatnonzero(src) if src.dtype == bool else np.unique(src.astype(np.int64))
        self.n, self.cut, self.max_bw_km = len(xyz), cut, max_bw_km
        self.is_source = np.zeros(self.n, bool)
        self.is_source[src] = True
        self.radii, self.ends = np.zeros(0), np.zeros(1, np.int64)
        idx = np.int32 if self.n < 2**31 else np.int64  # compact: a million reports give 9M pairs
        self.a: npt.NDArray[np.signedinteger] = np.zeros(0, idx)
        self.b: npt.NDArray[np.signedinteger] = np.zeros(0, idx)
        self.d_km = np.zeros(0)
        if len(src) == 0 or max_bw_km <= 0:
            return
        chord = 2 * np.sin(cut * max_bw_km / (2 * EARTH_RADIUS_KM))
        # each unordered pair once (a self-join of one tree: 3 times faster than cells x sources)
        pairs = cKDTree(xyz).query_pairs(chord, output_type="ndarray")
        a, b = pairs[:, 0].astype(idx), pairs[:, 1].astype(idx)
        del pairs
        keep = self.is_source[a] | self.is_source[b]
        a, b = a[keep], b[keep]
        sq = np.zeros(len(a))
        for c in range(3):  # np.take: 3 times faster than fancy indexing here
            col = np.ascontiguousarray(xyz[:, c])
            sq += (np.take(col, a) - np.take(col, b)) ** 2
        d_km = 2 * np.arcsin(np.clip(np.sqrt(sq) / 2, 0, 1)) * EARTH_RADIUS_KM
        self.radii = np.unique([cut * w for w in bandwidths_km if 0 < w <= max_bw_km])
        if len(self.radii):
            shell = np.zeros(len(d_km), np.int8)  # the narrowest kernel reaching each pair
            for r in self.radii:
                shell += d_km > r
            order = np.argsort(shell, kind="stable")  # a radix sort of small integers
            a, b, d_km = np.take(a, order), np.take(b, order), np.take(d_km, order)
            self.ends = np.cumsum(np.bincount(shell, minlength=len(self.radii) + 1))
        self.a, self.b, self.d_km = a, b, d_km

    def __call__(self, counts: np.ndarray, bw_km: float) -> np.ndarray:
        """The density of ``counts`` (one per cell, zero off the sources) at bandwidth ``bw_km``."""
        counts = np.asarray(counts, float)
        if bw_km <= 0:
            return counts.copy()
        if bw_km > self.max_bw_km * (1 + 1e-9):
            raise ValueError(f"bandwidth {bw_km} km is wider than the {self.max_bw_km} km searched")
        if (counts[~self.is_source] != 0).any():
            raise ValueError("counts outside the source cells given to KernelDensity")
        r = self.cut * bw_km
        k = int(np.searchsorted(self.radii, r, side="left"))
        if k < len(self.radii) and self.radii[k] == r:  # a prefix of the pairs, no mask
            end = int(self.ends[k])
            a, b, d = self.a[:end], self.b[:end], self.d_km[:end]
        else:
            near = self.d_km <= r
            a, b, d = self.a[near], self.b[near], self.d_km[near]
        kern = np.exp(-0.5 * (d / bw_km) ** 2)
        # each cell's own counts (distance 0, weight 1), then each pair both ways
        to_a: np.ndarray = np.bincount(a, weights=kern * np.take(counts, b), minlength=self.n)
        to_b: np.ndarray = np.bincount(b, weights=kern * np.take(counts, a), minlength=self.n)
        return counts + to_a + to_b


def cell_density(xyz: np.ndarray, counts: np.ndarray, bw_km: float, cut: float = 3.0) -> np.ndarray:
    """Gaussian kernel density of the cell ``counts`` at the cell centres ``xyz`` (unit vectors),
    kernels cut at ``cut`` bandwidths. A cell with one report and nothing near scores 1.

    >>> xyz = unit_xyz(np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.09, 5.0]))
    >>> np.round(cell_density(xyz, np.array([2.0, 0, 0]), 10.0), 3).tolist()
    [2.0, 1.212, 0.0]
    """
    counts = np.asarray(counts, float)
    if bw_km <= 0 or not (counts > 0).any():
        return counts.copy()
    return KernelDensity(xyz, counts != 0, bw_km, cut)(counts, bw_km)


def top_hits(score: np.ndarray, counts: np.ndarray, shares: tuple[float, ...] = (0.01, 0.05)) -> float:
    """Reports of ``counts`` caught by the top ``shares`` of cells by ``score``, summed over the
    shares, ties shared out evenly (the expected hits over random tie orders).

    >>> top_hits(np.array([3.0, 1, 1, 0]), np.array([2, 1, 0, 5]), (0.25, 0.5))
    4.5
    """
    score = np.asarray(score, float)
    n = len(score)
    total = 0.0
    desc = np.sort(score)[::-1]
    for a in shares:
        k = max(int(round(a * n)), 1)
        thr = desc[k - 1]
        above, tied = score > thr, score == thr
        total += float(counts[above].sum() + counts[tied].sum() * (k - above.sum()) / tied.sum())
    return total


def _one_thread() -> Any:
    """Boosting on one thread: on a shared machine OpenMP threads wait on each other, and a fit
    of 40,000 rows took 4.7 s on two busy cores against 0.6 s on one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def bin_edges(x: np.ndarray, w: np.ndarray, max_bins: int = 255) -> list[np.ndarray]:
    """Per column, the thresholds that cut ``x`` into at most ``max_bins`` bins of about equal
    weight ``w`` (the weighted quantiles), or the midpoints between its values when it has no
    more than ``max_bins`` of them; a value ``v`` falls in bin ``i`` when
    ``edges[i - 1] < v <= edges[i]`` (scikit-learn's rule).

    Why our own: scikit-learn (1.6 and later) finds weighted bins with one Python call per
    quantile, which took 6 of the 27 seconds of a forecast over a million reports; this is one
    sort per column.

    >>> [e.tolist() for e in bin_edges(np.array([[1.0], [2], [2], [5]]), np.ones(4))]
    [[1.5, 3.5]]
    >>> bin_edges(np.array([[0.0], [1], [2], [3]]), np.array([1.0, 1, 1, 5]), 2)[0].tolist()
    [3.0]
    """
    out = []
    for c in range(x.shape[1]):
        order = np.argsort(x[:, c], kind="stable")
        v, cw = x[order, c], np.cumsum(np.asarray(w, float)[order])
        distinct = np.unique(v)
        if len(distinct) <= max_bins:
            out.append((distinct[:-1] + distinct[1:]) / 2.0)
            continue
        # the inverted weighted CDF at each inner quantile, averaged with the next value where a
        # quantile falls exactly on a step (numpy's "averaged_inverted_cdf")
        ranks = np.linspace(0.0, 1.0, max_bins + 1)[1:-1] * cw[-1]
        i = np.minimum(np.searchsorted(cw, ranks, side="left"), len(v) - 1)
        on_step = np.isclose(cw[i], ranks, rtol=1e-12, atol=0.0)
        thr = np.where(on_step, (v[i] + v[np.minimum(i + 1, len(v) - 1)]) / 2.0, v[i])
        out.append(np.unique(thr))
    return out


def bin_codes(edges: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """The bin of each value of ``x`` by the ``edges`` of its column (see :func:`bin_edges`).

    >>> bin_codes([np.array([1.5, 3.5])], np.array([[0.0], [1.5], [2], [9]])).ravel().tolist()
    [0.0, 0.0, 1.0, 2.0]
    """
    out = np.empty(x.shape, float)
    for c, e in enumerate(edges):
        out[:, c] = np.searchsorted(e, x[:, c], side="left")
    return out


@dataclass
class BinnedModel:
    """A boosting model fitted on bin codes (:func:`bin_codes`), predicting from raw features."""

    edges: list[np.ndarray]
    model: Any

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(bin_codes(self.edges, x)), float)


def _model(max_iter: int, seed: int, patience: int = 0) -> Any:
    """Poisson boosting; with ``patience``, it stops when the loss on the validation rows given to
    ``fit`` has not improved for that many iterations."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="poisson", learning_rate=LEARNING_RATE, max_iter=max_iter, max_leaf_nodes=15,
        min_samples_leaf=40, l2_regularization=1.0, early_stopping=patience > 0,
        n_iter_no_change=max(patience, 1), tol=0.0, random_state=seed,
    )  # fmt: skip


def forecast(
    grid: Grid,
    unit: np.ndarray,
    day: np.ndarray,
    grade: np.ndarray,
    *,
    as_of: float,
    horizon_days: int = 365,
    max_windows: int = 6,
    max_rows: int = 40_000,
    seed: int = 0,
    blend: bool = True,
) -> Forecast:
    """Fit on the reports before ``as_of`` and forecast each cell's count in the next period.

    Parameters
    ----------
    grid
        The cells to score (:class:`Grid`); it must hold every cell that has a report.
    unit, day, grade
        Per report: position in ``grid.area``, day number and source weight (see
        :func:`cell_features`). Reports on or after ``as_of`` are ignored.
    as_of
        The day the forecast is made (the first day of the period forecast).
    horizon_days
        Length of the period forecast.
    max_windows
        Training cutoffs at most (every half horizon back from ``as_of - horizon_days``).
    max_rows
        (cell, cutoff) rows fitted at most: beyond it, the rows without a report in their
        target window are sampled and weighted (:func:`negative_sample`).
    seed
        Random state of the sampling and the boosting (deterministic for a given seed).
    blend
        Blend the model with a kernel density, weight and bandwidth chosen on the validation
        window (the default); ``False`` gives the model alone.

    Returns
    -------
    Forecast
    """
    h = float(horizon_days)
    past = day < as_of
    x_now = cell_features(grid, unit, day, grade, as_of)
    first = float(day[past & (unit >= 0)].min()) if (past & (unit >= 0)).any() else as_of
    step = max(h / 2.0, 30.0)
    # a cutoff needs some history before it (a quarter of a horizon) and its window before as_of
    cutoffs = [as_of - h - j * step for j in range(max_windows)]
    cutoffs = [t for t in cutoffs if t - first >= h / 4]
    if len(cutoffs) >= 2:
        x, y, j, x0, y0 = _design(grid, unit, day, grade, cutoffs, h)
    if len(cutoffs) < 2 or y.sum() <= 0:
        fallback = x_now[:, FEATURES.index("dec365")] * h / 365.0
        return Forecast(
            grid.area, fallback, x_now, horizon_days, method="decayed counts",
            notes=[f"too little history for the model (needs about {int(h * 1.75)} days with "
                   "reports in them): forecast = recency-decayed counts"],
        )  # fmt: skip
    keep, w = negative_sample(y, max_rows, seed)
    x, y, j = x[keep], y[keep], j[keep]
    # choose the number of iterations on the newest window, fitted on the windows that end
    # before it starts (no overlap: their targets are all older than its cutoff); the fit stops
    # once the validation loss has not improved for PATIENCE iterations
    val = j == 0
    older = np.array([t + h <= cutoffs[0] for t in cutoffs])[j]
    n_iter, dispersion, mu0 = 80, 1.0, None
    if older.sum() >= 50 and y[older].sum() > 0 and y[val].sum() > 0:
        m = _model(MAX_ITER, seed, PATIENCE)
        e_old = bin_edges(x[older], w[older])  # the bins of the older windows alone
        with _one_thread():
            m.fit(
                bin_codes(e_old, x[older]), y[older], sample_weight=w[older], X_val=bin_codes(e_old, x[val]),
                y_val=y[val],
            )  # fmt: skip
            # validation_score_[i] is minus the loss after i iterations; the best of every tenth
            score = np.asarray(m.validation_score_)[10::10]
            n_iter = 10 * (int(np.argmax(score)) + 1) if len(score) else 10
            for i, mu in enumerate(m.staged_predict(bin_codes(e_old, x0))):
                if i == min(n_iter, m.n_iter_) - 1:
                    mu0 = np.asarray(mu, float)
                    break
        assert mu0 is not None
        seen = grid.d2 @ x0[:, FEATURES.index("n_all")] > 0
        dispersion = float(max(np.sum((y0[seen] - mu0[seen]) ** 2) / max(np.sum(mu0[seen]), 1e-9), 1.0))
    final, edges = _model(n_iter, seed), bin_edges(x, w)
    with _one_thread():
        final.fit(bin_codes(edges, x), y, sample_weight=w)
        model = BinnedModel(edges, final)
        expected = model.predict(x_now)
    fc = Forecast(
        grid.area, expected, x_now, horizon_days, dispersion=dispersion, method="boosting",
        n_iter=n_iter, model=model,
    )  # fmt: skip
    if blend:
        _blend(fc, grid, x0, y0, mu0, x_now)
    return fc


def _share(v: np.ndarray) -> np.ndarray:
    total = float(v.sum())
    return v / total if total > 0 else np.zeros(len(v))


def _blend(
    fc: Forecast, grid: Grid, x0: np.ndarray, y0: np.ndarray, mu0: np.ndarray | None, x_now: np.ndarray
) -> None:
    """Blend the model with a kernel density of the past reports, the bandwidth and the weight
    chosen on the validation window (its counts ``y0``; ``x0`` and ``mu0`` the features and the
    validation model's forecast at its cutoff)."""
    if len(grid.area) < 2:
        return
    res = int((int(grid.area[0]) >> 52) & 0xF)
    edge = float(h3cells.EDGE_KM[res])
    xyz = unit_xyz(*h3cells.centres(grid.area))
    c0, c1 = x0[:, FEATURES.index(DENSITY_OF)], x_now[:, FEATURES.index(DENSITY_OF)]
    # one neighbour search for every bandwidth, at the validation cutoff and at as_of
    kd = KernelDensity(
        xyz,
        (c0 != 0) | (c1 != 0),
        max(DENSITY_EDGES) * edge,
        bandwidths_km=tuple(b * edge for b in DENSITY_EDGES),
    )
    dens0 = {b: kd(c0, b * edge) for b in DENSITY_EDGES}
    # the bandwidth that best predicts the validation window alone (the smaller one on a tie),
    # then the weight that best predicts it blended (the nearer to half on a tie)
    if mu0 is None or y0.sum() <= 0:
        # no validation window to choose on (too few reports): half and half, 2 cell edges
        bw, wt = 2.0, 0.5
    else:
        bw = max(DENSITY_EDGES, key=lambda b: (top_hits(dens0[b], y0), -b))
        m0, d0 = _share(mu0), _share(dens0[bw])
        wt = max(BLEND_WEIGHTS, key=lambda v: (top_hits((1 - v) * m0 + v * d0, y0), -abs(v - 0.5)))
    total = float(fc.expected.sum())
    dens = kd(c1, bw * edge)
    fc.density = wt * total * _share(dens)
    fc.expected = (1 - wt) * fc.expected + fc.density
    fc.density_weight, fc.bandwidth_km = wt, bw * edge
    fc.method = "boosting + kernel density" if wt > 0 else "boosting"
    fc.notes.append(
        f"forecast = {1 - wt:.0%} model + {wt:.0%} kernel density (bandwidth {bw * edge:.0f} km), "
        "both chosen on the newest window inside the training period"
    )


def contributions(fc: Forecast, idx: np.ndarray) -> dict[str, np.ndarray]:
    """What each feature group adds to the forecast of cells ``idx``: the forecast minus the
    forecast with that group's features set as if the cell had no such reports (counts 0, the
    days since last report at "never")."""
    idx = np.asarray(idx, np.int64)
    dens = fc.density[idx] if fc.density is not None else np.zeros(len(idx))
    scale = 1.0 - fc.density_weight
    base = fc.expected[idx] - dens
    out: dict[str, np.ndarray] = {}
    x = fc.features[idx]
    for group, names in GROUPS.items():
        xz = x.copy()
        for nm in names:
            c = FEATURES.index(nm)
            xz[:, c] = NEVER if nm.startswith("days_since") else 0.0
        if fc.model is None:
            alt = xz[:, FEATURES.index("dec365")] * fc.horizon_days / 365.0
        else:
            with _one_thread():
                alt = fc.model.predict(xz) if len(xz) else np.zeros(0)  # type: ignore[attr-defined]
        out[group] = base - scale * np.asarray(alt, float)
    if fc.density is not None:
        out["density"] = dens
    return out
