"""Histograms, heat matrices and flows as charts: the figures of ``counterflow histogram`` and
``counterflow flows``, from the same steps (``flows.steps.histogram`` and ``flows.steps.movement``),
drawn with the app's inline SVG bar chart (``web.charts``) and a shaded table."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from flows import steps
from hotspots.histograms import BY
from intel.errors import CounterflowError
from intel.measures import MEASURES
from web.charts import bar_chart
from web.deps import SessionDep, UserDep
from web.templating import render

router = APIRouter()

#: Bars per chart (the largest first; months and years in calendar order).
TOP = 25


def _day(value: str | None, name: str) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CounterflowError(
            f"{name} {value!r} is not a date", "write it as YYYY-MM-DD", status=400
        ) from None


def _figure(low: Any, high: Any) -> str:
    return f"{int(low):,}" if int(low) == int(high) else f"{int(low):,}–{int(high):,}"


def histogram_view(
    session: Any, *, by: str, heat: str | None, measure: str | None, since: Any, until: Any
) -> dict[str, Any]:
    """The histogram (a bar chart) or the heat matrix (rows of shaded cells) for the page."""
    out = steps.histogram(session, by=by, heat=heat, measure=measure, since=since, until=until, top=TOP)
    m = out["measure"]
    view: dict[str, Any] = {"counted": out["counted"], "ranged": out["ranged"], "chart": None, "heat": None}
    if out["heat"] is not None:
        hm = out["heat"]
        peak = float(hm.to_numpy().max()) if hm.size else 0.0
        view["heat"] = {
            "columns": [str(c) for c in hm.columns],
            "rows": [
                (str(i), [(float(v), (float(v) / peak) if peak else 0.0) for v in row])
                for i, row in zip(hm.index, hm.to_numpy(), strict=True)
            ],
            "title": f"{m.unit}: {by} x {heat}",
        }
        return view
    figs = out["figures"]
    if by not in ("month", "year"):
        figs = figs.head(TOP)
    view["chart"] = bar_chart(
        [str(i) for i in figs.index],
        [float(v) for v in figs["low"]],
        title=f"{m.unit} by {by}" + (" (the least each figure may be)" if out["ranged"] else ""),
        width=640,
    )
    view["rows"] = [
        (str(i), _figure(r.low, r.high), int(r.records))
        for i, r in zip(figs.index, figs.itertuples(), strict=True)
    ]
    return view


def flows_view(session: Any, *, measure: str | None, since: Any, until: Any) -> dict[str, Any]:
    """The largest origin -> destination flows as a bar chart and a table."""
    out = steps.movement(session, measure=measure, since=since, until=until, top=15)
    m, flows = out["measure"], out["flows"]
    labels = [f"{r.origin} → {r.destination}" for r in flows.itertuples()]
    return {
        "counted": out["counted"],
        "chart": bar_chart(
            labels, [float(v) for v in flows["low"]], title=f"{m.unit}: origin → destination", width=640
        ),
        "rows": [
            (r.origin, r.destination, _figure(r.low, r.high), int(r.records), r.reach)
            for r in flows.itertuples()
        ],
        "more": out["n_flows"] - len(flows),
    }


@router.get("/figures", response_class=HTMLResponse)
def figures_page(
    request: Request,
    session: SessionDep,
    user: UserDep,
    by: str = "country",
    heat: str = "",
    measure: str = "",
    since: str = "",
    until: str = "",
) -> HTMLResponse:
    """Histograms (or a heat matrix) and flows of one measure, as charts."""
    when = {"since": _day(since, "since"), "until": _day(until, "until")}
    chosen = {"by": by, "heat": heat, "measure": measure, "since": since, "until": until}
    views: dict[str, Any] = {}
    for name, make in (
        (
            "histogram",
            lambda: histogram_view(session, by=by, heat=heat or None, measure=measure or None, **when),
        ),
        ("flows", lambda: flows_view(session, measure=measure or None, **when)),
    ):
        try:
            views[name] = make()
        except CounterflowError as exc:  # one chart cannot be drawn: say why, draw the other
            views[name] = {"problem": exc.problem, "fix": exc.fix}
    return render(
        request,
        "figures.html",
        user=user,
        by_options=BY,
        measures=[(k, m.label) for k, m in MEASURES.items()],
        chosen=chosen,
        **views,
    )
