"""Exports for partners: counts only, k-anonymised, places coarsened, with HXL hashtags.

A partner (a business, a bank, another NGO) sees how many incidents a region had in a week, never
a report, a town or a point. A cell of fewer than ``k`` incidents (11 by default) is shown as
``<k`` and left out of every total, so that no small group of victims or tipsters can be singled
out; places are coarsened to the first administrative level (the region a town is in) and the
country. The second header row carries HXL hashtags (https://hxlstandard.org) so that
humanitarian tools read the columns without a mapping.

>>> suppress(pd.Series([0, 3, 11, 40]), k=11).tolist()
['<11', '<11', '11', '40']
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from sqlmodel import Session

from intel.csvsafe import frame_to_csv
from intel.errors import CounterflowError

#: The smallest count a partner export shows (cells below are shown as ``<K``).
PARTNER_K = 11

#: HXL hashtags of the reports export's columns, in order.
REPORT_HXL: dict[str, str] = {
    "country": "#country+code",
    "admin1": "#adm1+name",
    "week": "#date+week",
    "exploitation": "#indicator+exploitation",
    "incidents": "#affected+incidents",
}


def suppress(counts: pd.Series, *, k: int = PARTNER_K) -> pd.Series:
    """Counts as text, those below ``k`` as ``"<k"``."""
    return counts.map(lambda n: f"<{k}" if int(n) < k else str(int(n))).astype(object)


def check_k(k: int) -> int:
    if k < 2:
        raise CounterflowError(
            f"k was {k}; it must be at least 2 (a cell of one is one person)",
            f"use the default, {PARTNER_K}, or more",
        )
    return k


def _week(dates: pd.Series) -> pd.Series:
    iso = pd.to_datetime(dates).dt.isocalendar()
    return iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)


def reports_for_partners(
    session: Session,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    k: int = PARTNER_K,
) -> pd.DataFrame:
    """Incidents per country, region (admin level 1), ISO week and exploitation type.

    One row per incident (corroborating copies and statistical aggregates are not counted;
    simulated reports are left out). Only reports placed at a town or finer are counted at their
    region; coarser ones count under their country with a blank region. ``incidents`` is text:
    counts below ``k`` are ``"<k"``. No summary, town, point or source leaves this function.
    """
    from intel.store import load_reports

    check_k(k)
    frame = load_reports(session, since=since, until=until)
    frame = frame[~frame["simulated"].astype(bool)]
    columns = list(REPORT_HXL)
    if frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    fine = frame["place_precision"].isin(["point", "town", "district"])
    out = pd.DataFrame(
        {
            "country": frame["country"].fillna("").astype(object),
            "admin1": frame["admin1"].where(fine, "").fillna("").astype(object),
            "week": _week(frame["observed_on"]).astype(object),
            # the first type named: a report is counted once, not once per type
            "exploitation": frame["exploitation"].fillna("").str.split("|").str[0].astype(object),
        }
    )
    grouped = out.groupby(columns[:-1], dropna=False).size().reset_index(name="n")
    grouped["incidents"] = suppress(grouped["n"], k=k)
    return grouped[columns].sort_values(columns[:-1]).reset_index(drop=True)


def hxl_csv(frame: pd.DataFrame, tags: dict[str, str], path: str | Path | None = None) -> str | None:
    """``frame`` as CSV with the HXL hashtags of ``tags`` as the second header row (formula cells
    neutralised); the text when ``path`` is None."""
    hashtags = pd.DataFrame([[tags.get(c, "") for c in frame.columns]], columns=frame.columns)
    return frame_to_csv(pd.concat([hashtags, frame.astype(object)], ignore_index=True), path)


__all__ = ["PARTNER_K", "REPORT_HXL", "check_k", "hxl_csv", "reports_for_partners", "suppress"]
