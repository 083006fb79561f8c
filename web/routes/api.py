"""The JSON API under ``/api``: hotspots, campaigns, tips (``POST /api/tips`` is public), outcomes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import SQLModel

from campaigns.feedback.tips import TipInvalid, export_tips_aggregated, list_tips, submit_tip
from intel.errors import CounterflowError
from web.deps import RowId, SessionDep, SettingsDep, UserDep
from web.routes.campaigns import campaign_detail
from web.routes.hotspots import get_run, list_runs
from web.routes.public import PRIVATE_HEADERS, client_address, limiter

router = APIRouter(prefix="/api")


def _dump(row: SQLModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    return row.model_dump(mode="json", exclude=exclude)


class TipIn(BaseModel):
    """A tip sent by an app or a partner's form."""

    text: str
    tracking_code: str | None = Field(default=None, max_length=64)
    locale: str | None = Field(default=None, max_length=8)
    place: str | None = Field(default=None, max_length=200)
    lat: float | None = None
    lon: float | None = None


@router.get("/hotspots")
def api_runs(session: SessionDep, user: UserDep) -> list[dict[str, Any]]:
    """Hotspot runs, newest first."""
    return [dict(_dump(run), route=route.name if route else None) for run, route in list_runs(session)]


@router.get("/hotspots/{run_id}")
def api_run(session: SessionDep, user: UserDep, run_id: RowId) -> dict[str, Any]:
    """One run and its cells in route order."""
    run, route, ranked = get_run(session, run_id)
    return {
        "run": _dump(run),
        "route": _dump(route) if route else None,
        "hotspots": [_dump(h) for h in ranked],
    }


@router.get("/campaigns")
def api_campaigns(session: SessionDep, user: UserDep) -> list[dict[str, Any]]:
    """All campaigns."""
    from sqlmodel import col, select

    from intel.models import Campaign

    return [_dump(c) for c in session.exec(select(Campaign).order_by(col(Campaign.id)))]


@router.get("/campaigns/{campaign_id}")
def api_campaign(
    session: SessionDep,
    user: UserDep,
    campaign_id: RowId,
    page: int = 1,
    per_page: int = 200,
    kind: str | None = None,
) -> dict[str, Any]:
    """One campaign with targets, ad sets, assets, and a page of its schedule and outbox."""
    detail = campaign_detail(session, campaign_id, page=page, per_page=per_page, kind=kind)
    return {
        "campaign": _dump(detail["campaign"]),
        "page": page,
        "per_page": per_page,
        "posts_total": detail["posts_total"],
        "outbox_total": detail["outbox_total"],
        **{
            key: [_dump(r) for r in detail[key]]
            for key in ("targets", "adsets", "assets", "posts", "deliveries")
        },
    }


@router.post("/tips", status_code=201)
def api_submit_tip(request: Request, session: SessionDep, settings: SettingsDep, tip: TipIn) -> JSONResponse:
    """Submit a tip anonymously (no user needed). Returns only whether it was attributed."""
    address = client_address(request)
    busy = CounterflowError(
        "too many tips are arriving right now", "wait a minute and send it again", status=429
    )
    if not limiter(request).admit(address):
        raise busy
    try:
        row = submit_tip(
            session,
            text=tip.text,
            tracking_code=tip.tracking_code,
            locale=tip.locale,
            place=tip.place,
            lat=tip.lat,
            lon=tip.lon,
            settings=settings,
        )
    except TipInvalid:
        limiter(request).invalid(address)
        raise
    if not limiter(request).spend(address):
        session.rollback()
        raise busy
    session.commit()
    body = {"status": "received", "attributed": row.campaign_id is not None}
    return JSONResponse(body, status_code=201, headers=PRIVATE_HEADERS)


@router.get("/tips")
def api_tips(session: SessionDep, user: UserDep, status: str | None = None) -> list[dict[str, Any]]:
    """Tips for triage, without their text."""
    return [_dump(t, exclude={"text_encrypted"}) for t in list_tips(session, status=status)]


@router.get("/outcomes/{campaign_id}")
def api_outcomes(session: SessionDep, user: UserDep, campaign_id: RowId) -> dict[str, Any]:
    """A campaign's outcome metrics (``simulated`` says whether demo data is behind them)."""
    from campaigns.feedback.portfolio import CACHE

    return CACHE.outcomes(session, campaign_id=campaign_id).to_dict()


@router.get("/campaigns/{campaign_id}/tips")
def api_tips_aggregated(
    session: SessionDep,
    user: UserDep,
    campaign_id: RowId,
) -> list[dict[str, Any]]:
    """Tip counts per target, locale, status and week, for partners: no text, small counts as "<3"."""
    campaign_detail(session, campaign_id)  # 404 for an unknown campaign
    frame = export_tips_aggregated(session, campaign_id=campaign_id)
    return [
        {str(k): (v.item() if hasattr(v, "item") else v) for k, v in r.items()}
        for r in frame.to_dict("records")
    ]
