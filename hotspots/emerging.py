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
    months = {"month": 1, "quarter": 3, "year": 12}
    if step not in months:
        raise ValueError(f"unknown time step {step!r}")
    d = np.asarray(dates, dtype="datetime64[M]").astype(np.int64)  # months since 1970
    if not len(d):
        return d
    back = (d.max() - d) // months[step]
    return back.max() - back


def choose_step(dates: np.ndarray) -> str:
    """The coarsest of year, quarter, month giving at least 10 steps (ArcGIS's minimum), else month."""
    if len(dates) == 0:
        return "month"
    for step in ("year", "quarter", "month"):
        if step_labels(dates, step).max() + 1 >= 10:
            return step
    return "month"
