"""Closing the loop: feedback files come in, actionable tips become reports, outcomes come out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from intel.settings import Settings


def feedback(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    metrics_path: Path | None = None,
    tips_path: Path | None = None,
    analyst: str = "analyst",
) -> dict[str, Any]:
    """Load metrics and tips files that carry tracking codes; actionable tips become reports."""
    from campaigns.feedback.files import load_feedback

    if metrics_path is None and tips_path is None:
        return {"campaign_id": campaign_id, "simulated": False, "skipped": "no feedback files given yet"}
    summary = load_feedback(
        session,
        campaign_id=campaign_id,
        settings=settings,
        metrics_path=metrics_path,
        tips_path=tips_path,
        triage_as=analyst,
    )
    return summary.as_dict()


def outcomes(session: Session, *, campaign_id: int, settings: Settings) -> dict[str, Any]:
    """Outcome metrics for directors (see :func:`campaigns.feedback.outcomes.campaign_outcomes`)."""
    from campaigns.crud import get_campaign
    from campaigns.feedback.outcomes import campaign_outcomes
    from intel.models import Metric

    campaign = get_campaign(session, campaign_id=campaign_id)
    simulated = session.exec(
        select(Metric.id).where(Metric.campaign_id == campaign_id, Metric.simulated)
    ).first()
    # a simulated campaign has "run" to its end already; a real one is read as of today
    today = campaign.ends_on + dt.timedelta(days=1) if simulated is not None and campaign.ends_on else None
    return campaign_outcomes(session, campaign_id=campaign_id, today=today).to_dict()
