"""Counts for reading the data: by country, town, exploitation type and month; heat matrices.

Multi-valued exploitation codes (``"sexual|forced_labour"``) count once per code, so the type
histogram can sum to more than the number of reports.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from intel.errors import CounterflowError

BY = ("country", "town", "type", "month")
GRADES = "ABCDEF"


def filter_reports(
    reports: pd.DataFrame,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    types: Sequence[str] | None = None,
    min_reliability: str | None = None,
    max_credibility: int | None = None,
) -> pd.DataFrame:
    """Reports between two dates (inclusive), with any of ``types``, graded at least
    ``min_reliability`` (``"C"`` keeps A-C) and ``credibility <= max_credibility``."""
    df = reports
    dates = pd.to_datetime(df["observed_on"])
    if since is not None:
        df = df[dates >= pd.Timestamp(since)]
        dates = dates[df.index]
    if until is not None:
        df = df[dates <= pd.Timestamp(until)]
    if types:
        wanted = set(types)
        df = df[df["exploitation"].fillna("").map(lambda s: bool(wanted.intersection(str(s).split("|"))))]
    if min_reliability is not None:
        grade = min_reliability.upper()
        if grade not in GRADES:
            raise CounterflowError(
                f"source grade {min_reliability!r} is not A-F", "give a letter A (best) to F"
            )
        df = df[df["reliability"].isin(list(GRADES[: GRADES.index(grade) + 1]))]
    if max_credibility is not None:
        df = df[df["credibility"] <= max_credibility]
    return df


def _key(reports: pd.DataFrame, by: str) -> pd.Series:
    if by == "country":
        return reports["country"].fillna("?")
    if by == "town":
        return reports["place"].fillna("?") + ", " + reports["country"].fillna("?")
    if by == "month":
        return pd.to_datetime(reports["observed_on"]).dt.strftime("%Y-%m")
    if by == "type":
        return reports["exploitation"].fillna("").astype(str)
    raise CounterflowError(f"histogram dimension {by!r} is not known", "use one of: " + ", ".join(BY))


def counts(reports: pd.DataFrame, *, by: str, victims: bool = False) -> pd.Series:
    """Reports (or victims) per country, town, exploitation type or month.

    Months come in calendar order (empty months shown as 0); the others largest first.

    >>> df = pd.DataFrame({"exploitation": ["sexual|forced_labour", "sexual"], "victim_count": [1, 1]})
    >>> counts(df, by="type").to_dict()
    {'sexual': 2, 'forced_labour': 1}
    """
    key = _key(reports, by)
    values = reports["victim_count"] if victims else pd.Series(1, index=reports.index)
    df = pd.DataFrame({"k": key, "v": values})
    if by == "type":
        # a report without a type is counted as "unspecified", never dropped
        df = df.assign(k=df["k"].fillna("").replace("", "unspecified").str.split("|")).explode("k")
        df = df[df["k"].astype(str) != ""]
    s = df.groupby("k")["v"].sum().astype("int64")
    s.index.name = by
    s.name = "victims" if victims else "reports"
    if by == "month":
        if len(s):
            full = pd.period_range(min(s.index), max(s.index), freq="M").strftime("%Y-%m")
            s = s.reindex(full, fill_value=0)
            s.index.name = by
        return s
    return s.sort_values(ascending=False, kind="stable")


def heat_matrix(
    reports: pd.DataFrame, *, rows: str = "town", cols: str = "month", top: int = 20
) -> pd.DataFrame:
    """Counts of ``rows`` x ``cols`` (e.g. town x month, town x type) for the ``top`` rows."""
    if rows == cols:
        raise CounterflowError(f"rows and columns are both {rows!r}", "pick two different dimensions")
    r = _key(reports, rows)
    c = _key(reports, cols)
    df = pd.DataFrame({"r": r, "c": c})
    for side, dim in (("r", rows), ("c", cols)):
        if dim == "type":
            df = df.assign(**{side: df[side].str.split("|")}).explode(side)
            df = df[df[side].astype(str) != ""]
    m = pd.crosstab(df["r"], df["c"])
    keep = m.sum(axis=1).sort_values(ascending=False).head(top).index
    m = m.loc[keep]
    m.index.name, m.columns.name = rows, cols
    if cols == "month" and len(m.columns):
        full = pd.period_range(min(m.columns), max(m.columns), freq="M").strftime("%Y-%m")
        m = m.reindex(columns=full, fill_value=0)
    return m
