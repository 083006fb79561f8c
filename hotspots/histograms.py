"""Counts for reading the data: by country, town, exploitation type, month and year; heat matrices.

Multi-valued exploitation codes (``"sexual|forced_labour"``) count once per code, so the type
histogram can sum to more than the number of reports. ``figures`` adds up the records of one
measure (``hotspots.measures``), with the least and the most each can mean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from intel.errors import CounterflowError

BY = ("country", "town", "type", "month", "year")
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
    if by == "year":
        return pd.to_datetime(reports["observed_on"]).dt.strftime("%Y")
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
    if by in ("month", "year"):
        if len(s):
            s = s.reindex(_calendar(s.index, by), fill_value=0)
            s.index.name = by
        return s
    return s.sort_values(ascending=False, kind="stable")


def _calendar(keys: pd.Index, by: str) -> pd.Index:
    """Every month (or year) from the first key to the last, so empty ones show as 0."""
    freq, fmt = ("M", "%Y-%m") if by == "month" else ("Y", "%Y")
    return pd.Index(pd.period_range(min(keys), max(keys), freq=freq).strftime(fmt))


def figures(records: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """The records of one measure added up by country, town, type, month or year.

    Parameters
    ----------
    records
        A record frame (``hotspots.measures.RECORD_COLUMNS``): ``low`` and ``high`` per record.
    by
        One of ``BY``.

    Returns
    -------
    pandas.DataFrame
        Indexed by the key, with ``low`` and ``high`` (the least and the most the figures add up
        to) and ``records``; months and years in calendar order (empty ones 0), the others
        largest first.

    Examples
    --------
    >>> recs = pd.DataFrame({"country": ["IT", "IT", "LY"], "low": [120, 1, 1], "high": [120, 4, 4]})
    >>> figures(recs, by="country").to_dict(orient="index")
    {'IT': {'low': 121, 'high': 124, 'records': 2}, 'LY': {'low': 1, 'high': 4, 'records': 1}}
    """
    df = pd.DataFrame({"k": _key(records, by), "low": records["low"], "high": records["high"]})
    if by == "type":
        df = df.assign(k=df["k"].fillna("").replace("", "unspecified").str.split("|")).explode("k")
        df = df[df["k"].astype(str) != ""]
    g = df.groupby("k").agg(low=("low", "sum"), high=("high", "sum"), records=("low", "size")).astype("int64")
    g.index.name = by
    if by in ("month", "year"):
        if len(g):
            g = g.reindex(_calendar(g.index, by), fill_value=0)
            g.index.name = by
        return g
    return g.sort_values(["low", "high"], ascending=False, kind="stable")


def heat_matrix(
    reports: pd.DataFrame,
    *,
    rows: str = "town",
    cols: str = "month",
    top: int = 20,
    values: str | None = None,
) -> pd.DataFrame:
    """Counts of ``rows`` x ``cols`` (e.g. town x month, town x type) for the ``top`` rows;
    with ``values`` (e.g. ``"low"`` of a record frame), the sums of that column instead."""
    if rows == cols:
        raise CounterflowError(f"rows and columns are both {rows!r}", "pick two different dimensions")
    r = _key(reports, rows)
    c = _key(reports, cols)
    df = pd.DataFrame({"r": r, "c": c, "v": reports[values] if values else 1})
    for side, dim in (("r", rows), ("c", cols)):
        if dim == "type":
            df = df.assign(**{side: df[side].fillna("").replace("", "unspecified").str.split("|")}).explode(
                side
            )
            df = df[df[side].astype(str) != ""]
    m = pd.crosstab(df["r"], df["c"], values=df["v"], aggfunc="sum").fillna(0).astype("int64")
    keep = m.sum(axis=1).sort_values(ascending=False).head(top).index
    m = m.loc[keep]
    m.index.name, m.columns.name = rows, cols
    if cols in ("month", "year") and len(m.columns):
        m = m.reindex(columns=_calendar(m.columns, cols), fill_value=0)
        m.columns.name = cols
    return m
