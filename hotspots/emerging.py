"""Emerging hot spot analysis: Gi* per time step, a Mann-Kendall trend per cell, and the 17
categories of ArcGIS's Emerging Hot Spot Analysis.

The rules (ArcGIS Pro, "How Emerging Hot Spot Analysis works"), with ``hot`` meaning a
significant positive FDR bin (90 % or more) in a step, and ``n`` steps:

- oscillating: hot in the final step, cold in some earlier step, fewer than 90 % hot (checked
  first: a switch from cold to hot says more than "new");
- new: hot in the final step and never before;
- consecutive: a single run of at least two hot steps ending with the final one, never hot
  before the run, and fewer than 90 % of the steps hot;
- intensifying / persistent / diminishing: hot in at least 90 % of the steps including the
  final one, with a significant increasing / no / significant decreasing Mann-Kendall trend of
  the Gi* z-scores;
- sporadic: hot in the final step, on and off before, fewer than 90 % hot, never cold;
- historical: not hot in the final step but hot in at least 90 % of the steps;
- the same seven-plus-one for cold; otherwise "no pattern detected".

Where the published rules overlap, the first matching rule in this list wins.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.special import ndtr

NO_PATTERN = "no pattern detected"
PATTERNS = (
    "new", "consecutive", "intensifying", "persistent", "diminishing", "sporadic",
    "oscillating", "historical",
)  # fmt: skip
CATEGORIES = tuple(f"{p} {side} spot" for side in ("hot", "cold") for p in PATTERNS) + (NO_PATTERN,)


def mann_kendall(x: Sequence[float]) -> tuple[float, float, float]:
    """Mann-Kendall trend test with the tie correction.

    Returns
    -------
    s, z, p
        The statistic S, its continuity-corrected z and the two-sided p-value.

    >>> s, z, p = mann_kendall([1, 2, 3, 4, 5])
    >>> s, round(z, 4), round(p, 4)
    (10.0, 2.2045, 0.0275)
    """
    arr = np.asarray(x, dtype=float)
    n = len(arr)
    if n < 3:
        return 0.0, 0.0, 1.0
    diff = arr[None, :] - arr[:, None]
    s = float(np.sign(diff[np.triu_indices(n, 1)]).sum())
    _, counts = np.unique(arr, return_counts=True)
    ties = counts[counts > 1]
    var = (n * (n - 1) * (2 * n + 5) - float((ties * (ties - 1) * (2 * ties + 5)).sum())) / 18.0
    if var <= 0:
        return s, 0.0, 1.0
    z = (s - 1) / math.sqrt(var) if s > 0 else (s + 1) / math.sqrt(var) if s < 0 else 0.0
    return s, z, float(2 * ndtr(-abs(z)))


def classify(bins: Sequence[int], trend_z: float, trend_p: float, *, alpha: float = 0.05) -> str:
    """The emerging hot spot category of one location.

    Parameters
    ----------
    bins
        The FDR confidence bin (-3..3) of each time step, oldest first.
    trend_z, trend_p
        Mann-Kendall z and p of the location's Gi* z-scores over time.
    alpha
        Significance of the trend.

    >>> classify([0, 0, 0, 0, 2], 1.0, 0.3)
    'new hot spot'
    >>> classify([0, 0, 0, 2, 3], 2.0, 0.04)
    'consecutive hot spot'
    >>> classify([0, 0, 0, -1, -2], -1.0, 0.3)
    'consecutive cold spot'
    """
    b = np.sign(np.asarray(bins, dtype=int))
    n = len(b)
    if n == 0:
        return NO_PATTERN
    last = int(b[-1])
    for side, sign in (("hot", 1), ("cold", -1)):
        is_side = b == sign
        is_other = b == -sign
        share = is_side.sum() / n
        mostly = share >= 0.9
        if last == sign:
            if is_other[:-1].any() and not mostly:
                return f"oscillating {side} spot"
            before = is_side[:-1]
            if not before.any():
                return f"new {side} spot"
            run = 0
            for v in is_side[::-1]:
                if not v:
                    break
                run += 1
            if run >= 2 and not is_side[: n - run].any() and not mostly:
                return f"consecutive {side} spot"
            if mostly:
                trending = trend_p < alpha
                # "intensifying" is about clustering getting stronger on this side
                if trending and trend_z * sign > 0:
                    return f"intensifying {side} spot"
                if trending and trend_z * sign < 0:
                    return f"diminishing {side} spot"
                return f"persistent {side} spot"
            return f"sporadic {side} spot"
        if last != sign and mostly:
            return f"historical {side} spot"
    return NO_PATTERN


def step_labels(dates: np.ndarray, step: str) -> np.ndarray:
    """Integer time-step index of each date (``month``, ``quarter`` or ``year``), 0 = first.

    Steps are counted back from the month of the latest date, so the final step is a whole
    quarter or year ending with the newest data: calendar quarters would leave a final step
    with a few weeks in it, too thin to be hot, and every trend would end "historical".
    """
    return month_steps(np.asarray(dates, dtype="datetime64[M]").astype(np.int64), step)


def month_steps(months: np.ndarray, step: str) -> np.ndarray:
    """``step_labels`` for months given as months since 1970-01 (as ``spread_months`` gives)."""
    per = {"month": 1, "quarter": 3, "year": 12}
    if step not in per:
        raise ValueError(f"unknown time step {step!r}")
    d = np.asarray(months, dtype=np.int64)
    if not len(d):
        return d
    back = (d.max() - d) // per[step]
    return back.max() - back


def spread_months(
    dates: np.ndarray, precision: np.ndarray | None = None, *, until: np.datetime64 | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each report's month, with a year-only date spread evenly over the months of its year.

    A date known only to the year (``precision == "year"``, stored as 1 January) counts
    ``1/12`` in each month of its year, never all in January; months after ``until`` (a month)
    are left out and the report's share spread over the others, so that a year is not spread
    into the future or past the end of the data.

    Returns
    -------
    rows, months, weights
        Row of ``dates`` of each entry, its month (months since 1970-01) and its share of the
        report (1 for a day or month date).

    >>> d = np.array(["2019-01-01", "2019-03-05"], dtype="datetime64[D]")
    >>> rows, months, w = spread_months(d, np.array(["year", "day"], dtype=object))
    >>> len(rows), float(w[:12].sum()), int(months[-1] - months[0])
    (13, 1.0, 2)
    """
    m = np.asarray(dates, dtype="datetime64[M]").astype(np.int64)
    n = len(m)
    if precision is None or n == 0:
        return np.arange(n), m, np.ones(n)
    year = np.asarray([p == "year" for p in precision], dtype=bool)
    if not year.any():
        return np.arange(n), m, np.ones(n)
    first = m[year] - m[year] % 12  # January of each year-only date
    months = first[:, None] + np.arange(12)[None, :]
    keep = np.ones(months.shape, dtype=bool)
    if until is not None:
        keep = months <= np.asarray(until, dtype="datetime64[M]").astype(np.int64)
        keep[:, 0] |= ~keep.any(axis=1)  # a year wholly after `until` stays in its January
    share = 1.0 / keep.sum(axis=1)
    yr_rows = np.repeat(np.flatnonzero(year), keep.sum(axis=1))
    rows = np.concatenate((np.flatnonzero(~year), yr_rows))
    out_m = np.concatenate((m[~year], months[keep]))
    w = np.concatenate((np.ones(int((~year).sum())), np.repeat(share, keep.sum(axis=1))))
    order = np.argsort(rows, kind="stable")
    return rows[order], out_m[order], w[order]


def choose_step(dates: np.ndarray) -> str:
    """The coarsest of year, quarter, month giving at least 10 steps (ArcGIS's minimum), else month."""
    if len(dates) == 0:
        return "month"
    for step in ("year", "quarter", "month"):
        if step_labels(dates, step).max() + 1 >= 10:
            return step
    return "month"
