"""Figures by measure: individual reports and statistical aggregates read as records of one
measure, so that a histogram or a flow adds up one thing and never counts a figure twice.

A record frame (``RECORD_COLUMNS``) holds, for one measure of :mod:`intel.measures`, the things
that measure counts, each with the least and the most it adds (``low``, ``high``): an incident
adds 1; the victims of a report add its ``victim_count``; an aggregate adds its figure, 1 to 4
for a suppressed "<5". Sums keep both ends, so "120 + <5" reads as 121-124, never as 121.

Aggregates come broken down: a UNODC country figure for a year is given as a total, by
citizenship, by form of exploitation, by sex and by age, each breakdown adding up to the same
people. ``parts`` keeps, for each source, measure, country and year, one breakdown only: the
coarsest one that has the detail a view needs (the total for a histogram by country, the
citizenship breakdown for flows, the form of exploitation for a histogram by type).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from intel.errors import CounterflowError
from intel.measures import Measure, measure

#: The columns of a record frame, with their dtypes.
RECORD_COLUMNS: dict[str, str] = {
    "observed_on": "datetime64[ns]",
    "country": "object",
    "place": "object",
    "origin": "object",
    "transit": "object",
    "destination": "object",
    "exploitation": "object",
    "reliability": "object",
    "credibility": "int64",
    "source": "object",
    "source_kind": "object",
    "place_precision": "object",
    "date_precision": "object",
    "measure": "object",
    "low": "int64",
    "high": "int64",
}
#: The fields an aggregate may be broken down by.
BREAKDOWNS = ("origin", "exploitation", "gender", "age_band")


def _blank(s: pd.Series) -> np.ndarray:
    return (s.isna() | (s.astype(str).str.strip() == "")).to_numpy()


def parts(aggregates: pd.DataFrame, *, need: Iterable[str] = ()) -> pd.DataFrame:
    """The rows of ``aggregates`` that add up without counting anyone twice.

    For each source, measure, country and year, the rows of one breakdown: among the breakdowns
    that give every field of ``need`` (e.g. ``("origin",)`` for flows), the one with the fewest
    fields (the total itself when ``need`` is empty and the source gives it), then the one whose
    figures add up to the most (a breakdown may leave some people out). A breakdown is the set of
    ``BREAKDOWNS`` fields a row fills: the rows of a UNODC "by citizenship" table fill ``origin``,
    its rows by form and sex fill ``exploitation`` and ``gender``.

    Parameters
    ----------
    aggregates
        Frame with ``AGGREGATE_COLUMNS`` of ``intel.store`` (at least ``source``, ``measure``,
        ``country``, ``observed_on``, ``figure`` and the ``BREAKDOWNS`` fields it has).
    need
        Fields of ``BREAKDOWNS`` a kept row must fill.

    Returns
    -------
    pandas.DataFrame
        The kept rows of ``aggregates``, in their order.

    Examples
    --------
    A total of 120 victims for Italy in 2020, and the same people by citizenship (100 Nigerian,
    20 Libyan): a histogram by country keeps the total, flows keep the citizenship rows.

    >>> agg = pd.DataFrame({"source": "UNODC", "measure": "victims_detected", "country": "IT",
    ...     "observed_on": pd.Timestamp("2020-01-01"), "origin": [None, "NG", "LY"],
    ...     "figure": [120, 100, 20]})
    >>> parts(agg)["figure"].tolist(), parts(agg, need=["origin"])["figure"].tolist()
    ([120], [100, 20])
    """
    need = tuple(need)
    unknown = [f for f in need if f not in BREAKDOWNS]
    if unknown:
        raise ValueError(f"not a breakdown field: {unknown}")
    if aggregates.empty:
        return aggregates
    filled = {
        f: ~_blank(aggregates[f]) if f in aggregates else np.zeros(len(aggregates), bool) for f in BREAKDOWNS
    }
    ok = np.ones(len(aggregates), dtype=bool)
    for f in need:
        ok &= filled[f]
    keyset = ["+".join(f for f in BREAKDOWNS if filled[f][i]) for i in range(len(aggregates))]
    df = pd.DataFrame(
        {
            "source": aggregates["source"].fillna("").astype(str).to_numpy(),
            "measure": aggregates["measure"].fillna("").astype(str).to_numpy(),
            "country": aggregates["country"].fillna("").astype(str).to_numpy(),
            "year": pd.to_datetime(aggregates["observed_on"]).dt.year.to_numpy(),
            "keyset": keyset,
            "width": [sum(bool(filled[f][i]) for f in BREAKDOWNS) for i in range(len(aggregates))],
            "figure": pd.to_numeric(aggregates["figure"], errors="coerce").fillna(0).to_numpy(),
            "row": np.arange(len(aggregates)),
        }
    )[ok]
    if df.empty:
        return aggregates.iloc[0:0]
    group = ["source", "measure", "country", "year"]
    sums = df.groupby([*group, "keyset", "width"])["figure"].sum().reset_index()
    best = sums.sort_values([*group, "width", "figure", "keyset"], ascending=[True] * 4 + [True, False, True])
    best = best.drop_duplicates(group)[[*group, "keyset"]]
    kept = df.merge(best, on=[*group, "keyset"])["row"].sort_values().to_numpy()
    return aggregates.iloc[kept]


def records(
    reports: pd.DataFrame, aggregates: pd.DataFrame, of: str | Measure, *, need: Iterable[str] = ()
) -> pd.DataFrame:
    """The records of one measure, with ``RECORD_COLUMNS``.

    ``incidents`` and ``victims`` read ``reports`` (the frame of ``intel.store.load_reports``:
    one row per incident); every other measure reads the rows of ``aggregates`` that carry it,
    one breakdown per source, country and year (``parts`` with ``need``).

    >>> reps = pd.DataFrame({"observed_on": pd.to_datetime(["2024-01-05"]), "victim_count": [3]})
    >>> r = records(reps, pd.DataFrame(), "victims")
    >>> (r["low"].tolist(), r["high"].tolist(), r["measure"].tolist())
    ([3], [3], ['victims'])
    """
    m = of if isinstance(of, Measure) else measure(of)
    if not m.aggregate:
        df = reports
        n = len(df)
        if m.name == "victims":
            value = pd.to_numeric(
                df.get("victim_count", pd.Series(1, index=df.index)), errors="coerce"
            ).fillna(1)
        else:
            value = pd.Series(1, index=df.index)
        out: dict[str, Any] = {
            c: _column(df, c, n) for c in RECORD_COLUMNS if c not in ("measure", "low", "high")
        }
        out.update(measure=[m.name] * n, low=value.to_numpy(), high=value.to_numpy())
    else:
        if aggregates.empty or "measure" not in aggregates:
            return empty_records()
        df = parts(aggregates[aggregates["measure"] == m.name], need=need)
        n = len(df)
        out = {c: _column(df, c, n) for c in RECORD_COLUMNS if c not in ("place", "low", "high")}
        out.update(
            place=[None] * n,
            low=df["figure"].to_numpy(),
            high=df["figure_high"].fillna(df["figure"]).to_numpy(),
        )
    frame = pd.DataFrame(out, index=range(n))
    for c, t in RECORD_COLUMNS.items():
        if t == "object":
            continue
        if t == "int64":
            frame[c] = pd.to_numeric(frame[c], errors="coerce").fillna(0 if c != "credibility" else 6)
        frame[c] = frame[c].astype(t)  # type: ignore[call-overload]
    return frame


def _column(df: pd.DataFrame, c: str, n: int) -> np.ndarray:
    if c in df:
        return df[c].to_numpy()
    defaults = {"transit": "", "exploitation": "", "credibility": 6, "source": "unknown source",
                "source_kind": "unknown"}  # fmt: skip
    return np.full(n, defaults.get(c), dtype=object)


def empty_records() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in RECORD_COLUMNS.items()})


def figure_text(low: float, high: float) -> str:
    """A figure as people read it: the number, or its range when a source gave only a bound.

    >>> figure_text(120, 120), figure_text(121, 124), figure_text(1, 4)
    ('120', '121-124', '1-4')
    """
    lo, hi = int(low), int(high)
    return f"{lo:,}" if lo == hi else f"{lo:,}-{hi:,}"


def by_source(recs: pd.DataFrame) -> pd.DataFrame:
    """Records and their figures per source: ``source``, ``source_kind``, ``records``, ``low``,
    ``high``, largest first."""
    if recs.empty:
        return pd.DataFrame({"source": [], "source_kind": [], "records": [], "low": [], "high": []})
    g = recs.groupby(["source", "source_kind"], as_index=False).agg(
        records=("low", "size"), low=("low", "sum"), high=("high", "sum")
    )
    return g.sort_values(["records", "source"], ascending=[False, True]).reset_index(drop=True)


def describe(m: Measure, recs: pd.DataFrame) -> str:
    """One line saying what is counted and from which sources.

    >>> recs = pd.DataFrame({"source": ["UNODC"], "source_kind": ["un_report"], "low": [120], "high": [120]})
    >>> describe(measure("victims_detected"), recs)
    'counted: victims detected, 120 in 1 record from UNODC (un_report)'
    """
    src = by_source(recs)
    total = figure_text(recs["low"].sum(), recs["high"].sum()) if len(recs) else "0"
    n = len(recs)
    head = f"counted: {m.label}" + (f", {total} in" if m.name != "incidents" else ":")
    names = "; ".join(f"{r.source} ({r.source_kind})" + (f" {r.records:,}" if len(src) > 1 else "")
                      for r in src.itertuples())  # fmt: skip
    return f"{head} {n:,} record{'s' if n != 1 else ''} from {names or 'no source'}"


def check_view(m: Measure, by: str) -> None:
    """Refuse a histogram view the measure's records cannot give (aggregates have no town and,
    being yearly, no month)."""
    if m.aggregate and by in ("town", "month"):
        where = "per country and year" if by == "month" else "per country"
        raise CounterflowError(
            f"{m.label} are counted {where}, not by {by}",
            "count them by country, type or year",
        )
