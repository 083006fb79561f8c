"""Per-report weights: source reliability x credibility x victims x recency.

Each factor is kept as its own column so that a cell's score can be explained.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from hotspots.params import CREDIBILITY_WEIGHT, RELIABILITY_WEIGHT

FACTORS = ("w_reliability", "w_credibility", "w_victims", "w_recency")


def report_weights(
    reports: pd.DataFrame, *, half_life_days: float, as_of: dt.date | None = None
) -> pd.DataFrame:
    """The weight of each report and its four factors.

    Parameters
    ----------
    reports
        Frame with ``reliability`` (A-F), ``credibility`` (1-6), ``victim_count`` and
        ``observed_on``.
    half_life_days
        A report this many days older than ``as_of`` counts half.
    as_of
        Reference date; default the newest ``observed_on``.

    Returns
    -------
    DataFrame
        ``w_reliability``, ``w_credibility``, ``w_victims`` (``1 + ln(victims)``, so one
        aggregate of 100 counts 5.6, not 100), ``w_recency`` and their product ``weight``,
        indexed like ``reports``.

    Examples
    --------
    >>> df = pd.DataFrame({"reliability": ["A", "F"], "credibility": [1, 6], "victim_count": [1, 1],
    ...                    "observed_on": pd.to_datetime(["2024-01-01", "2023-01-01"])})
    >>> report_weights(df, half_life_days=365)["weight"].round(3).tolist()
    [1.0, 0.125]
    """
    rel = reports["reliability"].map(RELIABILITY_WEIGHT).fillna(RELIABILITY_WEIGHT["F"]).to_numpy(float)
    cred = reports["credibility"].map(CREDIBILITY_WEIGHT).fillna(CREDIBILITY_WEIGHT[6]).to_numpy(float)
    victims = np.maximum(reports["victim_count"].fillna(1).to_numpy(float), 1.0)
    w_victims = 1.0 + np.log(victims)
    observed = pd.to_datetime(reports["observed_on"])
    ref = pd.Timestamp(as_of) if as_of is not None else observed.max()
    if pd.isna(ref):
        age = np.zeros(len(reports))
    else:
        age = np.maximum((ref - observed).dt.days.to_numpy(float), 0.0)
    recency = np.power(0.5, np.nan_to_num(age, nan=0.0) / half_life_days)
    out = pd.DataFrame(
        {"w_reliability": rel, "w_credibility": cred, "w_victims": w_victims, "w_recency": recency},
        index=reports.index,
    )
    out["weight"] = rel * cred * w_victims * recency
    return out
