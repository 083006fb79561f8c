"""Counts for reading the data: by country, town, exploitation type, month and year; heat matrices.

Multi-valued exploitation codes (``"sexual|forced_labour"``) count once per code, so the type
histogram can sum to more than the number of reports. A report dated only by its year counts
1/12 in each month of its year (up to the current month), never all in January; a report placed
only to a region, a country or nowhere is shown as such in the town view ("(country only), LY"),
never under the town nearest its stand-in point. ``figures`` adds up the records of one
measure (``hotspots.measures``), with the least and the most each can mean.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hotspots.emerging import spread_months
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
        return _town(reports) + ", " + reports["country"].fillna("?")
    if by == "month":
        return pd.to_datetime(reports["observed_on"]).dt.strftime("%Y-%m")
    if by == "year":
        return pd.to_datetime(reports["observed_on"]).dt.strftime("%Y")
    if by == "type":
        return reports["exploitation"].fillna("").astype(str)
    raise CounterflowError(f"histogram dimension {by!r} is not known", "use one of: " + ", ".join(BY))


def _town(reports: pd.DataFrame) -> pd.Series:
    """The town of each report, or what its place is known to when that is coarser than a town."""
    town = reports["place"].fillna("?").astype(str)
    if "place_precision" not in reports:
        return town
    level = reports["place_precision"].fillna("point")
    admin1 = reports["admin1"].fillna("?").astype(str) if "admin1" in reports else "?"
    town = town.where(~level.isin(["district", "region"]), "(" + level + ": " + admin1 + ")")
    return town.where(~level.isin(["country", "unspecified"]), "(" + level + " only)")


def year_only(reports: pd.DataFrame) -> int:
    """How many reports are dated only by their year."""
    if "date_precision" not in reports:
        return 0
    return int((reports["date_precision"] == "year").sum())


def _months(reports: pd.DataFrame, values: pd.Series) -> pd.DataFrame:
    """One row per report and month (``k``), a year-only report spread over its year's months."""
    prec = reports["date_precision"].to_numpy(dtype=object) if "date_precision" in reports else None
    now = np.datetime64(dt.date.today(), "M")
    rows, months, share = spread_months(pd.to_datetime(reports["observed_on"]).to_numpy(), prec, until=now)
    keys = pd.Series(months.astype("datetime64[M]")).dt.strftime("%Y-%m").to_numpy(dtype=object)
    return pd.DataFrame({"k": keys, "v": values.to_numpy(dtype=float)[rows] * share, "row": rows})


def counts(reports: pd.DataFrame, *, by: str, victims: bool = False) -> pd.Series:
    """Reports (or victims) per country, town, exploitation type or month.

    Months come in calendar order (empty months shown as 0); the others largest first. A report
    dated only by its year counts 1/12 in each month of its year (see ``spread_months``), so a
    month's count may be fractional (the series is then float).

    >>> df = pd.DataFrame({"exploitation": ["sexual|forced_labour", "sexual"], "victim_count": [1, 1]})
    >>> counts(df, by="type").to_dict()
    {'sexual': 2, 'forced_labour': 1}
    """
    values = reports["victim_count"] if victims else pd.Series(1, index=reports.index)
    df = _months(reports, values) if by == "month" else pd.DataFrame({"k": _key(reports, by), "v": values})
    if by == "type":
        # a report without a type is counted as "unspecified", never dropped
        df = df.assign(k=df["k"].fillna("").replace("", "unspecified").str.split("|")).explode("k")
        df = df[df["k"].astype(str) != ""]
    s = df.groupby("k")["v"].sum()
    whole = np.isclose(s.to_numpy(dtype=float), np.round(s.to_numpy(dtype=float)))
    s = s.round().astype("int64") if whole.all() else s.astype("float64")
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
    if by == "month":  # a record dated only by its year spread over its year's months
        low = _months(records, records["low"])
        high = _months(records, records["high"])
        df = pd.DataFrame({"k": low["k"], "low": low["v"], "high": high["v"].to_numpy()})
    else:
        df = pd.DataFrame({"k": _key(records, by), "low": records["low"], "high": records["high"]})
    if by == "type":
        df = df.assign(k=df["k"].fillna("").replace("", "unspecified").str.split("|")).explode("k")
        df = df[df["k"].astype(str) != ""]
    g = df.groupby("k").agg(low=("low", "sum"), high=("high", "sum"), records=("low", "size"))
    if np.isclose(g.to_numpy(dtype=float), np.round(g.to_numpy(dtype=float))).all():
        g = g.round().astype("int64")
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
    weight = (
        pd.to_numeric(reports[values], errors="coerce").fillna(0.0).astype("float64")
        if values
        else pd.Series(1.0, index=reports.index)
    )
    if "month" in (rows, cols):  # a year-only report spread over its year's months
        other = cols if rows == "month" else rows
        spread = _months(reports, weight)
        keyed = _key(reports, other).to_numpy(dtype=object)[spread["row"].to_numpy()]
        month_side, other_side = ("r", "c") if rows == "month" else ("c", "r")
        df = pd.DataFrame(
            {month_side: spread["k"].to_numpy(), other_side: keyed, "w": spread["v"].to_numpy()}
        )
    else:
        df = pd.DataFrame({"r": _key(reports, rows), "c": _key(reports, cols), "w": weight.to_numpy()})
    for side, dim in (("r", rows), ("c", cols)):
        if dim == "type":
            df = df.assign(**{side: df[side].fillna("").replace("", "unspecified").str.split("|")}).explode(
                side
            )
            df = df[df[side].astype(str) != ""]
    m = pd.crosstab(df["r"], df["c"], values=df["w"], aggfunc="sum").fillna(0.0)
    if np.isclose(m.to_numpy(), np.round(m.to_numpy())).all():
        m = m.round().astype("int64")
    keep = m.sum(axis=1).sort_values(ascending=False).head(top).index
    m = m.loc[keep]
    m.index.name, m.columns.name = rows, cols
    if cols in ("month", "year") and len(m.columns):
        m = m.reindex(columns=_calendar(m.columns, cols), fill_value=0)
        m.columns.name = cols
    return m
