"""Counts for reading the data: by country, town, exploitation type and month; heat matrices.

Multi-valued exploitation codes (``"sexual|forced_labour"``) count once per code, so the type
histogram can sum to more than the number of reports. A report dated only by its year counts
1/12 in each month of its year (up to the current month), never all in January; a report placed
only to a region, a country or nowhere is shown as such in the town view ("(country only), LY"),
never under the town nearest its stand-in point.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hotspots.emerging import spread_months
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
        return _town(reports) + ", " + reports["country"].fillna("?")
    if by == "month":
        return pd.to_datetime(reports["observed_on"]).dt.strftime("%Y-%m")
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
    if "month" in (rows, cols):  # a year-only report spread over its year's months
        other = cols if rows == "month" else rows
        spread = _months(reports, pd.Series(1, index=reports.index))
        keyed = _key(reports, other).to_numpy(dtype=object)[spread["row"].to_numpy()]
        month_side, other_side = ("r", "c") if rows == "month" else ("c", "r")
        df = pd.DataFrame(
            {month_side: spread["k"].to_numpy(), other_side: keyed, "w": spread["v"].to_numpy()}
        )
    else:
        df = pd.DataFrame({"r": _key(reports, rows), "c": _key(reports, cols), "w": 1.0})
    for side, dim in (("r", rows), ("c", cols)):
        if dim == "type":
            df = df.assign(**{side: df[side].str.split("|")}).explode(side)
            df = df[df[side].astype(str) != ""]
    m = pd.crosstab(df["r"], df["c"], values=df["w"], aggfunc="sum").fillna(0.0)
    if np.isclose(m.to_numpy(), np.round(m.to_numpy())).all():
        m = m.round().astype("int64")
    keep = m.sum(axis=1).sort_values(ascending=False).head(top).index
    m = m.loc[keep]
    m.index.name, m.columns.name = rows, cols
    if cols == "month" and len(m.columns):
        full = pd.period_range(min(m.columns), max(m.columns), freq="M").strftime("%Y-%m")
        m = m.reindex(columns=full, fill_value=0)
    return m
