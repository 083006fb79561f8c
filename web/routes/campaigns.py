"""Campaign pages: list, one campaign (targets, ad sets, assets, schedule, outbox), approval."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import Session, col, func, select

from campaigns.policy import Finding, campaign_findings, refusals
from flows.steps.approval import waiting_run
from intel.errors import CounterflowError, NotFound
from intel.models import AdSet, Asset, Campaign, Delivery, ScheduledPost, Target, User
from intel.roles import APPROVING_ROLES, role_names
from web.deps import RowId, SessionDep, UserDep
from web.templating import render

router = APIRouter()


PAGE = 50
MAX_PAGE = 1_000_000
#: Rows of the schedule and the outbox per page of the campaign page (the API pages on its own).
PAGE_SHOWN = 20
#: Targets and ad sets listed before the rest are folded into a "show all" list.
SHOWN = 10


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


@dataclass(frozen=True)
class ApprovalState:
    """What the approve form shows ``user``: the button (enabled or not) and why not."""

    show: bool  # the button is on the page: this user may approve this campaign but for preflight
    enabled: bool
    reason: str | None


def approval_state(campaign: Campaign, user: User, findings: Sequence[Finding] = ()) -> ApprovalState:
    """Whether ``user`` may press Approve, and why not (the approval step itself refuses the same)."""
    if campaign.approved_by:
        return ApprovalState(False, False, None)
    if user.role not in APPROVING_ROLES:
        return ApprovalState(
            False, False, f"Your role ({user.role}) cannot approve: ask a {role_names(APPROVING_ROLES)}."
        )
    if user.name.strip().casefold() == campaign.author.strip().casefold():
        return ApprovalState(
            False, False, f"You wrote this campaign: another {role_names(APPROVING_ROLES)} must approve it."
        )
    refused = refusals(findings)
    if refused:
        n = len(refused)
        return ApprovalState(
            True,
            False,
            f"Approval is closed while {n} preflight refusal{'s' if n != 1 else ''} "
            f"stand{'' if n != 1 else 's'}: fix each (see Preflight above), then approve.",
        )
    return ApprovalState(True, True, None)


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
    """One campaign: its preflight findings and the approval beside them, its targets, ad sets
    and assets (the largest reach first, the rest folded away), and a page of its schedule and
    outbox."""
    detail = campaign_detail(session, campaign_id, page=page, per_page=PAGE_SHOWN, kind=kind or None)
    findings = campaign_findings(session, detail["campaign"])
    approval = approval_state(detail["campaign"], user, findings)
    waiting = waiting_run(session, campaign_id=campaign_id)
    targets = sorted(detail["targets"], key=lambda t: (-(t.reach_estimate or 0), t.id or 0))
    order = {t.id: i for i, t in enumerate(targets)}
    by_target: dict[int | None, list[Any]] = {}
    for asset in detail["assets"]:
        by_target.setdefault(asset.target_id, []).append(asset)
    adsets = sorted(detail["adsets"], key=lambda a: (order.get(a.target_id, len(order)), a.id or 0))
    return render(
        request,
        "campaign.html",
        user=user,
        approval=approval,
        waiting=waiting,
        findings=findings,
        refused=refusals(findings),
        shown=SHOWN,
        **{
            **detail,
            "targets": targets,
            "adsets": adsets,
            "asset_groups": [(t, by_target.get(t.id, [])) for t in targets if by_target.get(t.id)],
        },
    )


@router.get("/campaigns/{campaign_id}/map", response_class=HTMLResponse)
def campaign_map(session: SessionDep, user: UserDep, campaign_id: RowId) -> HTMLResponse:
    """The targets on the route, as a full page (embedded by the campaign page); nothing remote."""
    from campaigns.plan.maps import map_rows, targets_map_html

    targets, route = map_rows(session, campaign_id=campaign_id)
    return HTMLResponse(targets_map_html(targets, route=route))


@router.post("/campaigns/{campaign_id}/approve")
def approve(session: SessionDep, user: UserDep, campaign_id: RowId) -> RedirectResponse:
    """Approve a campaign (someone other than its author). When a publish run waits paused in
    Prefect for this approval, the decision goes to that run as a one-use grant (the run approves
    under the same rules), as ``counterflow approve`` does."""
    from flows import steps

    if waiting_run(session, campaign_id=campaign_id) is not None:
        from flows.prefect_env import prepare_prefect

        prepare_prefect()
        from flows.approval import hand_over

        if hand_over(session, campaign_id=campaign_id, user=user, decision="approve") is not None:
            session.commit()
            return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
    steps.approve(session, campaign_id=campaign_id, approver=user.name)
    session.commit()
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)
