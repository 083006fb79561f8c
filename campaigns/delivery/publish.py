"""Publish an approved campaign through a channel, exactly once.

Order of checks: the campaign exists and is approved by someone other than its author; the
platform-policy preflight (``campaigns.policy.preflight``, for the channel being used) refuses
nothing; slots that became past since scheduling are moved to their next window (and
recorded); then the channel sends what was not sent yet.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlmodel import Session

from campaigns.delivery.approval import require_approved
from campaigns.delivery.channels.base import PublishReport, SendingChannel
from campaigns.delivery.schedule import recheck_slots
from campaigns.policy import run_preflight
from intel.errors import CommandHint, NotFound
from intel.models import Campaign

log = logging.getLogger(__name__)


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
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    require_approved(campaign)
    if campaign.channel != channel.name:
        # the policy depends on the channel (drafted copy and unverified helplines: outbox only)
        campaign.channel = channel.name
        session.add(campaign)
        session.flush()
    run_preflight(session, campaign, now=now)
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
