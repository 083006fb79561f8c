"""Approval inside a flow, the store's side (no Prefect): a run that waits for a campaign's
approval is noted in the store, and the approver's answer is applied under today's rules.

The Prefect side (the paused run, its typed input, resuming it) is :mod:`flows.approval`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from intel.errors import CommandHint, Conflict, Forbidden, NotFound
from intel.models import AuditEvent, Campaign, User

WAITING = "campaign.awaiting_approval"
REFUSED = "campaign.refused"
HANDED_OVER = "campaign.approval_handed_over"
DECIDED = ("campaign.approved", REFUSED, HANDED_OVER)


def check_may_decide(session: Session, *, campaign_id: int, user: User) -> Campaign:
    """The campaign, if ``user`` may approve or refuse it: today's rules, checked before a grant
    is made (the flow checks them again when it spends the grant)."""
    from intel.roles import APPROVING_ROLES, role_names

    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    if user.name.strip().casefold() == campaign.author.strip().casefold():
        raise Forbidden(
            f"{user.name} is the author of campaign {campaign_id} and cannot approve or refuse it",
            "ask another user with an approving role",
        )
    if user.role not in APPROVING_ROLES:
        raise Forbidden(
            f"{user.name} has the role {user.role!r}, which cannot approve or refuse campaigns",
            f"ask a {role_names(APPROVING_ROLES)} other than the author",
        )
    return campaign


def record_waiting(session: Session, *, campaign_id: int, flow_run_id: str) -> None:
    """Note in the store that flow run ``flow_run_id`` waits for the campaign's approval."""
    session.add(
        AuditEvent(
            actor="flow",
            action=WAITING,
            object_type="campaign",
            object_id=campaign_id,
            detail={"flow_run_id": flow_run_id},
        )
    )
    session.flush()


def waiting_run(session: Session, *, campaign_id: int) -> str | None:
    """The id of the flow run that last started waiting for this campaign's approval, unless a
    decision was recorded after it (what Prefect says about that run is asked separately)."""
    events = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "campaign",
            AuditEvent.object_id == campaign_id,
            col(AuditEvent.action).in_((WAITING, *DECIDED)),
        )
        .order_by(col(AuditEvent.id).desc())
    ).first()
    if events is None or events.action != WAITING:
        return None
    return str(events.detail.get("flow_run_id") or "") or None


def decide(
    session: Session,
    *,
    campaign_id: int,
    grant: int,
    decision: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Spend the approver's grant and apply their decision: ``approve`` (as
    :func:`flows.steps.approve`, which refuses the author and a role that may not approve) or
    ``refuse`` (recorded with its reason, by the same rules)."""
    from flows.steps.campaigns import approve
    from intel.accounts import spend_grant

    user = spend_grant(session, grant_id=grant, purpose="approve")
    check_may_decide(session, campaign_id=campaign_id, user=user)
    if decision == "approve":
        done = approve(session, campaign_id=campaign_id, approver=user.name, now=now)
        return {"decision": "approve", "by": user.name, "reason": reason, **done}
    campaign = session.get(Campaign, campaign_id)
    assert campaign is not None
    if campaign.approved_by:
        raise Conflict(
            f"campaign {campaign_id} was already approved by {campaign.approved_by}",
            "nothing to refuse; the approval stands",
        )
    if decision != "refuse":
        raise Conflict(f"the decision was {decision!r}", "answer approve or refuse")
    session.add(
        AuditEvent(
            actor=user.name,
            action=REFUSED,
            object_type="campaign",
            object_id=campaign_id,
            detail={"reason": reason, "author": campaign.author},
        )
    )
    session.flush()
    return {"decision": "refuse", "by": user.name, "reason": reason, "campaign_id": campaign_id}
