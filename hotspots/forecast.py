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
model fitted on the older ones (a temporal validation inside the training period), then refitted
on all of them. With too little history for one window the forecast falls back to
recency-decayed counts, and says so.

Why boosting over a self-exciting point process or a single baseline: in the rolling-origin
backtest (``counterflow evaluate``) it is the method that combines persistence (long counts),
recency and spill-over from neighbours without hand-set weights, it fits a million reports in
seconds, and its Poisson loss predicts counts, which is what a campaign is aimed at. See the
README for where it wins and where it does not.

Cells are ``uint64`` H3 indexes; coordinates EPSG:4326 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from hotspots import h3cells
from hotspots.gistar import gi_star

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

NEVER = 10_000.0  # days since last for a cell that never had a report


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
    m = sp.csr_matrix((np.ones(int(ok.sum())), (rows[ok], cols[ok])), shape=(n, n))
    m.data[:] = 1.0
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
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stacked rows (features, target, cutoff number) of the cells that were in the area at each
    cutoff (a report within two rings before it)."""
    xs, ys, js = [], [], []
    n = len(grid.area)
    for j, t in enumerate(cutoffs):
        x = cell_features(grid, unit, day, grade, t)
        seen = grid.d2 @ x[:, FEATURES.index("n_all")] > 0
        sel = (day >= t) & (day < t + horizon) & (unit >= 0)
        y = np.bincount(unit[sel], minlength=n).astype(float)
        xs.append(x[seen])
        ys.append(y[seen])
        js.append(np.full(int(seen.sum()), j))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(js)


def _one_thread() -> Any:
    """Boosting on one thread: on a shared machine OpenMP threads wait on each other, and a fit
    of 40,000 rows took 4.7 s on two busy cores against 0.6 s on one."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1)


def _model(max_iter: int, seed: int) -> object:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        loss="poisson", learning_rate=0.1, max_iter=max_iter, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=False, random_state=seed,
    )  # fmt: skip


def _deviance(y: np.ndarray, mu: np.ndarray) -> float:
    mu = np.maximum(mu, 1e-9)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0)
    return float(2 * np.sum(t - (y - mu)))


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
        (cell, cutoff) rows fitted at most: a uniform sample beyond it keeps the fit fast.
    seed
        Random state of the boosting (it is deterministic for a given seed).

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
    if len(cutoffs) < 2:
        fallback = x_now[:, FEATURES.index("dec365")] * h / 365.0
        return Forecast(
            grid.area, fallback, x_now, horizon_days, method="decayed counts",
            notes=[f"too little history for the model (needs about {int(h * 1.75)} days): "
                   "forecast = recency-decayed counts"],
        )  # fmt: skip
    x, y, j = _design(grid, unit, day, grade, cutoffs, h)
    if len(y) > max_rows:
        # a uniform sample of (cell, cutoff) rows keeps the Poisson fit unbiased and the time bounded
        keep = np.sort(np.random.default_rng(seed).choice(len(y), size=max_rows, replace=False))
        x, y, j = x[keep], y[keep], j[keep]
    # choose the number of iterations on the newest window, fitted on the windows that end
    # before it starts (no overlap: their targets are all older than its cutoff)
    val = j == 0
    older = np.array([t + h <= cutoffs[0] for t in cutoffs])[j]
    n_iter, dispersion = 80, 1.0
    if older.sum() >= 50 and y[older].sum() > 0 and y[val].sum() > 0:
        m = _model(200, seed)
        devs = []
        mus = []
        with _one_thread():
            m.fit(x[older], y[older])  # type: ignore[attr-defined]
            for i, mu in enumerate(m.staged_predict(x[val])):  # type: ignore[attr-defined]
                if i % 10 == 9:
                    devs.append(_deviance(y[val], mu))
                    mus.append(mu)
        best = int(np.argmin(devs))
        n_iter = 10 * (best + 1)
        mu = mus[best]
        dispersion = float(max(np.sum((y[val] - mu) ** 2) / max(np.sum(mu), 1e-9), 1.0))
    model = _model(n_iter, seed)
    with _one_thread():
        model.fit(x, y)  # type: ignore[attr-defined]
        expected = model.predict(x_now)  # type: ignore[attr-defined]
    return Forecast(
        grid.area, np.asarray(expected, float), x_now, horizon_days, dispersion=dispersion,
        method="boosting", n_iter=n_iter, model=model,
    )  # fmt: skip


def contributions(fc: Forecast, idx: np.ndarray) -> dict[str, np.ndarray]:
    """What each feature group adds to the forecast of cells ``idx``: the forecast minus the
    forecast with that group's features set as if the cell had no such reports (counts 0, the
    days since last report at "never")."""
    idx = np.asarray(idx, np.int64)
    base = fc.expected[idx]
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
        out[group] = base - np.asarray(alt, float)
    return out
