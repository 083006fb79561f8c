"""Publish an approved campaign through a channel, exactly once.

Order of checks: the campaign exists and is approved by someone other than its author; the
platform-policy preflight (``campaigns.policy.preflight``, for the channel being used) refuses
nothing; slots that became past since scheduling are moved to their next window (and
recorded); then the channel sends what was not sent yet.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlmodel import Session, select

from campaigns.approval import require_approved
from campaigns.channels.base import PublishReport, SendingChannel
from campaigns.schedule import recheck_slots
from intel.errors import NotFound
from intel.models import AdSet, Asset, Campaign, Target

log = logging.getLogger(__name__)


def run_preflight(session: Session, campaign: Campaign) -> list[Any]:
    """The platform-policy findings (``campaigns.policy.preflight``) for the campaign's rows;
    raises the first refusal as a ``CounterflowError``. Returns every finding (warns included)."""
    from campaigns.policy import assert_schedulable, preflight

    cid = campaign.id
    targets = session.exec(select(Target).where(Target.campaign_id == cid)).all()
    adsets = session.exec(select(AdSet).where(AdSet.campaign_id == cid)).all()
    assets = session.exec(select(Asset).where(Asset.campaign_id == cid)).all()
    findings = preflight(campaign, targets, adsets, assets)
    assert_schedulable(findings)
    warns = [f for f in findings if f.level == "warn"]
    if warns:
        # the planner's commands show every finding; here one line is enough
        log.info("campaign %s preflight: %d warnings, no refusal", cid, len(warns))
    return list(findings)


def publish_campaign(
    session: Session,
    *,
    campaign_id: int,
    channel: SendingChannel,
    now: dt.datetime | None = None,
    actor: str = "publisher",
) -> PublishReport:
    """Publish ``campaign_id`` through ``channel``; returns what was sent, skipped and failed.

    Commits the session after each object (the exactly-once protocol needs that).
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist", "list campaigns with `counterflow campaigns`"
        )
    require_approved(campaign)
    if campaign.channel != channel.name:
        # the policy depends on the channel (drafted copy and unverified helplines: outbox only)
        campaign.channel = channel.name
        session.add(campaign)
        session.flush()
    run_preflight(session, campaign)
    moved = recheck_slots(session, campaign_id=campaign_id, now=now, actor=actor)
    session.commit()
    report = channel.publish(session, campaign_id=campaign_id)
    report.moved = [p.id for p in moved if p.id is not None]
    log.info(
        "campaign %s via %s: %d sent, %d skipped, %d reconciled, %d failed",
        campaign_id,
        channel.name,
        len(report.sent),
        len(report.skipped),
        len(report.reconciled),
        len(report.failed),
    )
    return report
