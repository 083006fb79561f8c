"""Hotspot pages: runs, one run's map and its ranked route list."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from intel.errors import NotFound
from intel.hotspot_store import route_of_run
from intel.models import Hotspot, HotspotRun, Route
from web.deps import RowId, SessionDep, UserDep
from web.readable import Page
from web.routes.analysis import changes_since_previous
from web.templating import render

router = APIRouter()


def list_runs(session: Session) -> list[tuple[HotspotRun, Route | None]]:
    runs = session.exec(select(HotspotRun).order_by(col(HotspotRun.id).desc())).all()
    return [(r, route_of_run(session, r)) for r in runs]


def get_run(session: Session, run_id: int) -> tuple[HotspotRun, Route | None, list[Hotspot]]:
    run = session.get(HotspotRun, run_id)
    if run is None:
        raise NotFound(f"hotspot run {run_id} does not exist", "pick a run from /hotspots")
    route = route_of_run(session, run)
    cells = session.exec(select(Hotspot).where(Hotspot.run_id == run_id)).all()
    ranked = sorted(cells, key=lambda h: (h.rank is None, h.rank or 0, -h.z))
    return run, route, ranked


@router.get("/hotspots", response_class=HTMLResponse)
def hotspot_runs(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """The list of hotspot runs."""
    return render(request, "hotspots.html", user=user, runs=list_runs(session))


#: Cells per page of a run's list (the ranked ones come first).
PER_PAGE = 25


@router.get("/hotspots/{run_id}", response_class=HTMLResponse)
def hotspot_run(
    request: Request, session: SessionDep, user: UserDep, run_id: RowId, page: int = 1
) -> HTMLResponse:
    """One run: the map and the list along the route, the ranked cells first, a page at a time."""
    run, route, ranked = get_run(session, run_id)
    return render(
        request,
        "hotspot_run.html",
        user=user,
        run=run,
        route=route,
        cells=Page.of(ranked, page=page, per_page=PER_PAGE),
        n_ranked=sum(1 for h in ranked if h.rank is not None),
        changes=changes_since_previous(session, run),
    )


@router.get("/hotspots/{run_id}/map", response_class=HTMLResponse)
def hotspot_run_map(session: SessionDep, user: UserDep, run_id: RowId) -> HTMLResponse:
    """The run's folium map as a full page (embedded by the run page), with vendored assets only."""
    from web.maps import offline_html, run_map  # folium: imported when a map is asked for

    run, route, ranked = get_run(session, run_id)
    return HTMLResponse(offline_html(run_map(run, ranked, route)))
