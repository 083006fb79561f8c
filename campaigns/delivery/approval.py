"""The human approval step: nothing is published until a user other than the author approves."""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session, select

from campaigns.policy import assert_approvable, campaign_findings
from intel.errors import CommandHint, Conflict, CounterflowError, Forbidden, NotFound
from intel.models import AuditEvent, Campaign, User, utcnow
from intel.roles import APPROVING_ROLES, role_names

log = logging.getLogger(__name__)

#: A draft its manager handed to an approver (``Campaign.status``); an edit makes it a draft again.
SUBMITTED = "submitted"


def _same_person(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


def approve_campaign(
    session: Session, *, campaign_id: int, approver: str, now: dt.datetime | None = None
) -> Campaign:
    """Record ``approver``'s approval of the campaign (``approved_by``/``approved_at`` + audit event).

    Refuses the campaign's own author, an unknown campaign, a name that is not a registered user
    (``counterflow users add``) and a user whose role may not approve. Approving again is a no-op
    when the same user already approved; another approval is refused with who approved and when.
    Nobody approves blind: while the platform-policy preflight (``campaigns.policy``) refuses
    anything, the approval is refused, naming the refusals (409), on every face alike.
    """
    approver = approver.strip()
    if not approver:
        raise CounterflowError(
            "the approver's name is empty",
            "name the user who approves",
            hint=CommandHint("approve", f"{campaign_id} --as NAME"),
        )
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    if _same_person(approver, campaign.author):
        raise Forbidden(
            f"{approver} is the author of campaign {campaign_id} and cannot approve it",
            "ask another user with an approving role to approve it",
            hint=CommandHint("approve", f"{campaign_id} --as THEIR_NAME"),
        )
    user = session.exec(select(User).where(User.name == approver)).first()
    if user is None:
        raise Forbidden(
            f"{approver!r} is not a registered user, so cannot approve campaign {campaign_id}",
            "check the spelling against the list of users, or have an admin add them with an approving role",
            hint=CommandHint("users list"),
        )
    if user.role not in APPROVING_ROLES:
        raise Forbidden(
            f"{approver} has the role {user.role!r}, which cannot approve campaigns",
            f"ask a {role_names(APPROVING_ROLES)} other than the author",
        )
    if campaign.approved_by:
        if _same_person(campaign.approved_by, approver):
            return campaign
        raise Conflict(
            f"campaign {campaign_id} was already approved by {campaign.approved_by} at {campaign.approved_at}",
            "nothing to do; the first approval stands",
        )
    assert_approvable(campaign_findings(session, campaign, now=now), campaign_id)
    campaign.approved_by = approver
    campaign.approved_at = now or utcnow()
    if campaign.status in ("draft", SUBMITTED):
        campaign.status = "approved"
    session.add(campaign)
    session.add(
        AuditEvent(
            actor=approver,
            action="campaign.approved",
            object_type="campaign",
            object_id=campaign_id,
            detail={"author": campaign.author, "status": campaign.status},
        )
    )
    session.flush()
    log.info("campaign %s approved by %s", campaign_id, approver)
    return campaign


def require_approved(campaign: Campaign) -> None:
    """Raise a clear error unless the campaign carries an approval by someone other than its author."""
    if not campaign.approved_by or _same_person(campaign.approved_by, campaign.author):
        raise Forbidden(
            f"campaign {campaign.id} is not approved (status {campaign.status}, author {campaign.author})",
            f"a user other than {campaign.author}, with an approving role, must approve it first",
            hint=CommandHint("approve", f"{campaign.id} --as NAME"),
        )


def submit_campaign(
    session: Session, *, campaign_id: int, by: str, now: dt.datetime | None = None
) -> Campaign:
    """Hand a draft to the approvers (status ``submitted``, audited as "campaign.submitted").

    Refused for a campaign that is not a draft (409) and while any preflight refusal stands,
    with the same rule and words as an approval (:func:`campaigns.policy.assert_approvable`).
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    if campaign.status != "draft":
        raise Conflict(
            f"campaign {campaign_id} is {campaign.status}, not a draft: only a draft is submitted for approval",
            "nothing to submit; edit the campaign to make it a draft again",
        )
    assert_approvable(campaign_findings(session, campaign, now=now), campaign_id)
    campaign.status = SUBMITTED
    session.add(campaign)
    session.add(
        AuditEvent(
            actor=by,
            action="campaign.submitted",
            object_type="campaign",
            object_id=campaign_id,
            detail={"author": campaign.author},
        )
    )
    session.flush()
    log.info("campaign %s submitted for approval by %s", campaign_id, by)
    return campaign
