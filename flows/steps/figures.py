"""Reading the store by measure: histograms and movement over individual reports and aggregates.

Each step counts one measure (``intel.measures``) and says what it counted and from which
sources; the other measures the store holds are named, never added in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from intel.errors import CommandHint, CounterflowError

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

    from intel.measures import Measure

#: Measures shown side by side by default in the origins of a destination (and the reverse):
#: who is moved and who names the movement; offenders only when asked for.
PARTNER_COUNTS = ("victims", "mentions", "incidents")
#: Individual reports' sources shown in their own column; the rest share one.
MAX_REPORT_SOURCES = 4


@dataclass
class Counted:
    """The records of one measure, what they are, and what else the store holds."""

    measure: Measure
    records: pd.DataFrame
    counted: str
    others: list[str] = field(default_factory=list)


def _listing(inv: pd.DataFrame, skip: Sequence[str | None]) -> list[str]:
    """The measures of an inventory (``intel.store.inventory``) other than ``skip``, each with
    its sources and records."""
    from intel.measures import MEASURES

    out = []
    order = {n: i for i, n in enumerate(MEASURES)}  # victims first, offenders after, as the table lists them
    groups = sorted(
        inv.groupby(inv["measure"].fillna(""), sort=False), key=lambda g: order.get(str(g[0]), 99)
    )
    for name, rows in groups:
        if name in skip or (name == "" and None in skip):
            continue
        sources = ", ".join(f"{r.source} {r.records:,}" for r in rows.itertuples())
        label = MEASURES[name].label if name in MEASURES else "aggregates without a measure (counted nowhere)"
        out.append(f"{name or 'none'}: {label} ({sources})")
    return out


def _inventory(session: Session) -> pd.DataFrame:
    from flows.steps.analysis import EMPTY_STORE
    from intel.store import inventory

    inv = inventory(session)
    if inv.empty:
        raise EMPTY_STORE
    return inv


def count(
    session: Session,
    *,
    measure: str | None,
    since: dt.date | None,
    until: dt.date | None,
    types: Sequence[str] = (),
    min_reliability: str | None = None,
    need: Sequence[str] = (),
    command: str = "histogram",
) -> Counted:
    """The records of ``measure`` (default: incidents) in the store, filtered; aggregates one
    breakdown per source, country and year, with the ``need`` fields (``hotspots.measures.parts``).

    Refuses, naming the measures the store does hold, when none of this one is stored.
    """
    from hotspots.histograms import filter_reports
    from hotspots.measures import describe, records
    from intel import store
    from intel.measures import measure as read_measure

    m = read_measure(measure or "incidents")
    inv = _inventory(session)
    if m.aggregate:
        wanted = tuple(dict.fromkeys([*need, *(["exploitation"] if types else [])]))
        aggs = store.load_aggregates(
            session, since=since, until=until, measures=[m.name], min_reliability=min_reliability
        )
        recs = records(store.empty_report_frame(), aggs, m, need=wanted)
        if types:
            recs = filter_reports(recs, types=types).reset_index(drop=True)
    else:
        reps = store.load_reports(
            session, since=since, until=until, types=list(types) or None, min_reliability=min_reliability
        )
        recs = records(reps, store.empty_aggregate_frame(), m)
    held = "incidents" if not m.aggregate else m.name
    skip: list[str | None] = [held, "victims" if held == "incidents" else held]
    if recs.empty:
        filtered = bool(since or until or types or min_reliability)
        others = _listing(inv, [held, None])
        if held in set(inv["measure"].dropna()):
            if filtered:
                raise CounterflowError(
                    f"no {m.label} match these filters",
                    "widen the dates, the exploitation types or the lowest source grade",
                )
            # stored, but no record has the detail asked for (``need``): the caller says so
            return Counted(measure=m, records=recs, counted=describe(m, recs), others=_listing(inv, skip))
        first = next((o.split(":")[0] for o in others), None)
        hint = CommandHint("ingest", "FILE")
        if first and command == "flows":
            hint = CommandHint("flows", f"--measure {first}")
        elif first:
            hint = CommandHint("histogram", f"--measure {first}")
        raise CounterflowError(
            f"the store holds no {m.label}",
            ("count a measure it holds: " + "; ".join(others)) if others else "import a file first",
            hint=hint,
        )
    return Counted(measure=m, records=recs, counted=describe(m, recs), others=_listing(inv, skip))


def histogram(
    session: Session,
    *,
    by: str = "country",
    heat: str | None = None,
    measure: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    types: Sequence[str] = (),
    min_reliability: str | None = None,
    top: int = 25,
) -> dict[str, Any]:
    """Figures of one measure by country, town, type, month or year (or a heat matrix of two),
    with what was counted, from which sources, and the other measures the store holds."""
    from hotspots.histograms import BY, figures, heat_matrix, year_only
    from hotspots.measures import check_view
    from intel.measures import measure as read_measure

    for dim in (by, heat):
        if dim is not None and dim not in BY:
            raise CounterflowError(
                f"histogram dimension {dim!r} is not known", "use one of: " + ", ".join(BY)
            )
    m = read_measure(measure or "incidents")
    for dim in (by, heat):
        if dim is not None:
            check_view(m, dim)
    need = ["exploitation"] if "type" in (by, heat) else []
    c = count(session, measure=m.name, since=since, until=until, types=types, min_reliability=min_reliability,
              need=need)  # fmt: skip
    if c.records.empty:  # stored, but none broken down by type
        raise CounterflowError(
            f"no record of {m.label} gives a type of exploitation", "count them by country or year"
        )
    ranged = bool((c.records["high"] != c.records["low"]).any())
    prec = c.records.get("place_precision")
    out: dict[str, Any] = {"measure": m, "counted": c.counted, "others": c.others, "ranged": ranged,
                           "n_records": len(c.records), "heat": None, "figures": None,
                           "year_only": year_only(c.records),
                           "coarse_places": 0 if prec is None or m.aggregate else int(
                               prec.isin(["district", "region", "country", "unspecified"]).sum())}  # fmt: skip
    if heat is not None:
        out["heat"] = heat_matrix(c.records, rows=by, cols=heat, top=top, values="low")
    else:
        out["figures"] = figures(c.records, by=by)
    return out


def _partner_columns(c: Counted) -> pd.DataFrame:
    """The records of ``c`` labelled with their column: one per aggregate source, one per
    individual reports' source (the largest ``MAX_REPORT_SOURCES``; the rest in one)."""
    recs = c.records.copy()
    if c.measure.aggregate:
        recs["column"] = c.measure.unit + ": " + recs["source"].astype(str)
        return recs
    ranked = recs["source"].value_counts().index.tolist()
    keep = set(ranked[:MAX_REPORT_SOURCES]) if len(ranked) > MAX_REPORT_SOURCES else set(ranked)
    named = recs["source"].where(recs["source"].isin(keep), "other sources")
    recs["column"] = c.measure.unit + ": " + named.astype(str)
    return recs


def movement(
    session: Session,
    *,
    measure: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    top: int = 15,
    to: str | None = None,
    from_: str | None = None,
) -> dict[str, Any]:
    """Origin -> destination figures of one measure with their reach, frequent chains and
    transit chokepoints; or, with ``to`` (``from_``), the top origins of a destination (the
    destinations of an origin) with each source's figure side by side."""
    import pandas as pd

    from hotspots.movement import (
        chokepoints,
        flow_figures,
        frequent_chains,
        has_transit,
        partners,
        reach_figures,
    )
    from intel.countries import country_code, country_name
    from intel.measures import MEASURES
    from intel.measures import measure as read_measure

    if to and from_:
        raise CounterflowError(
            f"both a destination ({to}) and an origin ({from_}) were given",
            "ask for the origins of one destination, or the destinations of one origin",
            hint=CommandHint("flows", f"--to {to}"),
        )
    if to or from_:
        code = country_code(str(to or from_))
        direction = "to" if to else "from"
        if measure:
            wanted = [read_measure(measure).name]
        else:
            held = set(_inventory(session)["measure"].dropna())
            wanted = [
                n for n, m in MEASURES.items() if m.counts in PARTNER_COUNTS and m.aggregate and n in held
            ]
            wanted += ["incidents"] if "incidents" in held else []
        parts: list[pd.DataFrame] = []
        legend: list[tuple[str, str]] = []
        for name in wanted:
            try:
                c = count(session, measure=name, since=since, until=until, need=["origin"], command="flows")
            except CounterflowError:
                if measure:
                    raise
                continue  # a measure with no record in these dates: nothing to show
            labelled = _partner_columns(c)
            parts.append(labelled)
            for col_name, rows in labelled.groupby("column", sort=False):
                legend.append((str(col_name), f"{c.measure.label}, from {rows['source'].iloc[0]} "
                               f"({rows['source_kind'].iloc[0]})" if rows["source"].nunique() == 1
                               else f"{c.measure.label}, from {rows['source'].nunique()} sources"))  # fmt: skip
        recs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        table = partners(recs, country=code, direction=direction, column="column") if len(recs) else None
        if table is None or table.empty:
            raise CounterflowError(
                f"no record names a flow {'into' if to else 'out of'} {country_name(code)} ({code})",
                "try another country, or import records that name origins and destinations",
            )
        order = list(dict.fromkeys(table["partner"]))[:top]
        shown = table[table["partner"].isin(order)]
        columns = [c for c, _ in legend if c in set(shown["column"])]
        return {
            "country": code, "country_name": country_name(code), "direction": direction, "partners": order,
            "table": shown, "columns": columns, "legend": [(c, t) for c, t in legend if c in columns],
            "n_partners": table["partner"].nunique(),
        }  # fmt: skip
    c = count(session, measure=measure, since=since, until=until, need=["origin"], command="flows")
    flows = flow_figures(c.records)
    if flows.empty:
        who = "individual report" if not c.measure.aggregate else f"record of {c.measure.label}"
        with_ends = [o for o in c.others if _has_flows(session, o.split(":")[0], since, until)]
        raise CounterflowError(
            f"no {who} names both an origin and a destination",
            ("count a measure whose records do: " + "; ".join(with_ends))
            if with_ends
            else "import records that name where people were moved from and to",
            hint=CommandHint("flows", f"--measure {with_ends[0].split(':')[0]}") if with_ends else None,
        )
    n_transit = int(has_transit(c.records).sum())
    return {
        "measure": c.measure, "counted": c.counted, "others": c.others, "flows": flows.head(top),
        "n_flows": len(flows), "reach": reach_figures(c.records), "chains": frequent_chains(c.records, top=top),
        "n_transit": n_transit, "chokepoints": chokepoints(c.records, top=top),
    }  # fmt: skip


def _has_flows(session: Session, name: str, since: dt.date | None, until: dt.date | None) -> bool:
    from hotspots.movement import flow_figures
    from intel.measures import MEASURES

    if name not in MEASURES:
        return False
    try:
        c = count(session, measure=name, since=since, until=until, need=["origin"], command="flows")
    except CounterflowError:
        return False
    return not flow_figures(c.records).empty
