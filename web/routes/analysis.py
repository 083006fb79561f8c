"""Running hotspots in the browser, and what changed since a route's previous run.

The form runs the same step as ``counterflow hotspots`` (``flows.steps.hotspots``): on a saved
route, towns typed as ``A > B > C``, or all reports; with the ranking method, the H3 resolution,
the corridor and the dates. The run is stored and its page opened. ``changes_since_previous``
compares a run with the previous comparable run (same route, method, resolution and corridor)
through ``hotspots.compare.compare_runs``, the comparison ``counterflow hotspots`` prints.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, select

from flows import steps
from intel.errors import CounterflowError
from intel.models import HotspotRun, Route
from web.deps import SessionDep, SettingsDep, UserDep
from web.templating import render

router = APIRouter()

#: The ranking methods, as the form offers them (the forecast is the default, as on the CLI).
METHODS = (
    ("forecast", "forecast: reports expected next period"),
    ("gi", "Gi*: significant clusters (FDR)"),
    ("counts", "counts: weighted reports"),
)


def saved_routes(session: Session) -> list[Route]:
    return list(session.exec(select(Route).order_by(col(Route.name))).all())


def route_text(route: Route) -> str:
    """A saved route as the step reads it: its waypoints' names, ``A > B > C`` (the name a route
    made by ``counterflow hotspots --route`` already has)."""
    return " > ".join(str(w.get("name") or f"{w['lat']},{w['lon']}") for w in route.waypoints)


@router.get("/hotspots/new", response_class=HTMLResponse)
def hotspots_form(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The form that runs hotspots for a route."""
    return render(request, "hotspots_new.html", user=user, routes=saved_routes(session), methods=METHODS)


def _day(value: str, name: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise CounterflowError(
            f"{name} {value!r} is not a date", "write it as YYYY-MM-DD", status=400
        ) from None


def _number(value: str, name: str, kind: type[int] | type[float], lo: float, hi: float) -> Any:
    if not value.strip():
        return None
    try:
        n = kind(value.strip())
    except ValueError:
        raise CounterflowError(
            f"{name} {value!r} is not a number", f"give a number from {lo:g} to {hi:g}", status=400
        ) from None
    if not lo <= n <= hi:
        raise CounterflowError(f"{name} was {n}", f"give a number from {lo:g} to {hi:g}", status=400)
    return n


@router.post("/hotspots")
async def run_hotspots(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep
) -> RedirectResponse:
    """Run hotspots with the form's parameters, store the run and open its page."""
    form = await request.form()

    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    towns = text("towns").strip()
    route_id = text("route_id").strip()
    route: str | None = None
    if towns:
        route = towns
    elif route_id:
        saved = session.get(Route, int(route_id)) if route_id.isdigit() else None
        if saved is None:
            raise CounterflowError(
                f"route {route_id!r} does not exist", "choose a saved route from the list", status=400
            )
        route = route_text(saved)
    method = text("method") or "forecast"
    if method not in dict(METHODS):
        raise CounterflowError(
            f"method {method!r} is not known", f"choose one of {', '.join(dict(METHODS))}", status=400
        )
    since, until = _day(text("since"), "since"), _day(text("until"), "until")
    if since and until and since > until:
        raise CounterflowError(f"since ({since}) is after until ({until})", "swap the dates", status=400)
    corridor = _number(text("corridor_km"), "corridor", float, 1, 2000)
    out = steps.hotspots(
        session,
        settings=settings,
        route=route,
        method=method,
        resolution=_number(text("resolution"), "resolution", int, 0, 15),
        corridor_km=corridor if corridor is not None else 150.0,
        since=since,
        until=until,
        label=f"web: {user.name}",
    )
    return RedirectResponse(f"/hotspots/{out['run_id']}", status_code=303)


@dataclass
class Changes:
    """What changed in a run's top list since the previous comparable run."""

    previous: HotspotRun
    new: list[dict[str, Any]] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)
    up: list[dict[str, Any]] = field(default_factory=list)
    down: list[dict[str, Any]] = field(default_factory=list)
    summary: str = ""

    @property
    def none(self) -> bool:
        return not (self.new or self.dropped or self.up or self.down)


def previous_run(session: Session, run: HotspotRun) -> HotspotRun | None:
    """The newest run before ``run`` with the same route, method, resolution and corridor."""
    stmt = select(HotspotRun).where(HotspotRun.method == run.method, col(HotspotRun.id) < run.id)
    stmt = stmt.where(
        HotspotRun.route_id == run.route_id
        if run.route_id is not None
        else col(HotspotRun.route_id).is_(None)
    )
    corridor = (run.params or {}).get("corridor_km")
    for earlier in session.exec(stmt.order_by(col(HotspotRun.id).desc())).all():
        if earlier.resolution == run.resolution and (earlier.params or {}).get("corridor_km") == corridor:
            return earlier
    return None


def changes_since_previous(session: Session, run: HotspotRun) -> Changes | None:
    """Cells new to the top list, dropped from it, and moved up or down, against the previous
    comparable run; None when there is none."""
    from hotspots.compare import compare_runs, summarise
    from intel.hotspot_store import load_run

    before_run = previous_run(session, run)
    if before_run is None or before_run.id is None or run.id is None:
        return None
    _, before = load_run(session, run_id=before_run.id)
    _, after = load_run(session, run_id=run.id)
    diff = compare_runs(before, after)
    out = Changes(previous=before_run, summary=summarise(diff))
    for r in diff.to_dict(orient="records"):
        rb = (
            None
            if r["rank_before"] is None or r["rank_before"] != r["rank_before"]
            else int(r["rank_before"])
        )
        ra = None if r["rank_after"] is None or r["rank_after"] != r["rank_after"] else int(r["rank_after"])
        row = {"where": r["place"] or r["cell"], "country": r["country"] or "", "before": rb, "after": ra}
        if ra is not None and rb is None:
            out.new.append(row)
        elif rb is not None and ra is None:
            out.dropped.append(row)
        elif rb is not None and ra is not None and ra < rb:
            out.up.append(row)
        elif rb is not None and ra is not None and ra > rb:
            out.down.append(row)

    def by(key: str) -> Any:
        return lambda row: row[key]

    for rows, key in ((out.new, "after"), (out.dropped, "before"), (out.up, "after"), (out.down, "after")):
        rows.sort(key=by(key))
    return out
