"""Campaign pages: list, one campaign (targets, ad sets, assets, schedule, outbox), approval."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, func, select

from intel.errors import CounterflowError, NotFound
from intel.models import AdSet, Asset, Campaign, Delivery, ScheduledPost, Target, User
from intel.roles import APPROVING_ROLES, role_names
from web.deps import RowId, SessionDep, UserDep
from web.templating import render

router = APIRouter()


PAGE = 50
MAX_PAGE = 1_000_000


def campaign_detail(
    session: Session,
    campaign_id: int,
    *,
    page: int = 1,
    per_page: int = PAGE,
    kind: str | None = None,
) -> dict[str, Any]:
    """A campaign with its targets, ad sets and assets, and one page of its schedule and outbox.

    A campaign may schedule thousands of posts: the schedule and the outbox come a page at a
    time (``page``, ``per_page``; the outbox filtered by ``kind``), with their totals.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist", "pick a campaign from /campaigns")
    # The offset must stay a database integer (PostgreSQL's bigint): a page far beyond the last
    # failed the query instead of coming back empty.
    if not 1 <= page <= MAX_PAGE or not 1 <= per_page <= 1000:
        raise CounterflowError(
            f"page was {page} and per_page {per_page}",
            f"use page between 1 and {MAX_PAGE:,} and per_page between 1 and 1000",
        )
    offset = (page - 1) * per_page
    targets = session.exec(
        select(Target).where(Target.campaign_id == campaign_id).order_by(col(Target.id))
    ).all()
    assets = session.exec(
        select(Asset)
        .where(Asset.campaign_id == campaign_id)
        .order_by(col(Asset.target_id), col(Asset.locale))
    ).all()
    deliveries = select(Delivery).where(Delivery.campaign_id == campaign_id)
    if kind:
        deliveries = deliveries.where(Delivery.kind == kind)
    outbox_counts = session.exec(
        select(Delivery.kind, Delivery.status, func.count())
        .where(Delivery.campaign_id == campaign_id)
        .group_by(col(Delivery.kind), col(Delivery.status))
        .order_by(col(Delivery.kind), col(Delivery.status))
    ).all()
    posts_total = session.exec(
        select(func.count()).select_from(ScheduledPost).where(ScheduledPost.campaign_id == campaign_id)
    ).one()
    outbox_total = session.exec(select(func.count()).select_from(deliveries.subquery())).one()
    return {
        "campaign": campaign,
        "targets": targets,
        "adsets": session.exec(
            select(AdSet).where(AdSet.campaign_id == campaign_id).order_by(col(AdSet.id))
        ).all(),
        "assets": assets,
        "posts": session.exec(
            select(ScheduledPost)
            .where(ScheduledPost.campaign_id == campaign_id)
            .order_by(col(ScheduledPost.publish_at), col(ScheduledPost.id))
            .offset(offset)
            .limit(per_page)
        ).all(),
        "posts_total": posts_total,
        "deliveries": session.exec(
            deliveries.order_by(col(Delivery.id)).offset(offset).limit(per_page)
        ).all(),
        "outbox_total": outbox_total,
        "outbox_counts": [(k, st, n) for k, st, n in outbox_counts],
        "page": page,
        "per_page": per_page,
        "pages": max(1, -(-max(posts_total, outbox_total) // per_page)),
        "kind": kind,
        "target_names": {t.id: t.name for t in targets},
        "asset_codes": {a.id: f"{a.tracking_code} ({a.locale})" for a in assets},
    }


def approval_state(campaign: Campaign, user: User) -> tuple[bool, str | None]:
    """Whether ``user`` may press Approve, and why not."""
    if campaign.approved_by:
        return False, None
    if user.role not in APPROVING_ROLES:
        return False, f"Your role ({user.role}) cannot approve: ask a {role_names(APPROVING_ROLES)}."
    if user.name.strip().casefold() == campaign.author.strip().casefold():
        return False, f"You wrote this campaign: another {role_names(APPROVING_ROLES)} must approve it."
    return True, None


@router.get("/campaigns", response_class=HTMLResponse)
def campaigns(request: Request, session: SessionDep, user: UserDep) -> HTMLResponse:
    """All campaigns."""
    rows = session.exec(select(Campaign).order_by(col(Campaign.id).desc())).all()
    return render(request, "campaigns.html", user=user, campaigns=rows)


@router.get("/campaigns/{campaign_id}", response_class=HTMLResponse)
def campaign(
    request: Request,
    session: SessionDep,
    user: UserDep,
    campaign_id: RowId,
    page: int = 1,
    kind: str | None = None,
) -> HTMLResponse:
    """One campaign with its assets per language, and a page of its schedule and outbox."""
    detail = campaign_detail(session, campaign_id, page=page, kind=kind or None)
    can_approve, reason = approval_state(detail["campaign"], user)
    return render(
        request, "campaign.html", user=user, can_approve=can_approve, approve_reason=reason, **detail
    )


@router.get("/campaigns/{campaign_id}/map", response_class=HTMLResponse)
def campaign_map(session: SessionDep, user: UserDep, campaign_id: RowId) -> HTMLResponse:
    """The targets on the route, as a full page (embedded by the campaign page); nothing remote."""
    from campaigns.plan.maps import map_rows, targets_map

    targets, route = map_rows(session, campaign_id=campaign_id)
    return HTMLResponse(targets_map(targets, route=route).get_root().render())


@router.post("/campaigns/{campaign_id}/approve")
def approve(session: SessionDep, user: UserDep, campaign_id: RowId) -> RedirectResponse:
    """Approve a campaign (someone other than its author)."""
    from flows import steps

    steps.approve(session, campaign_id=campaign_id, approver=user.name)
    session.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
