"""Campaigns: plan, approve, schedule, publish and read back the platform's insights."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, select

from intel.errors import CounterflowError
from intel.settings import Settings


def plan(
    session: Session,
    *,
    settings: Settings,
    route: str,
    name: str,
    author: str,
    ages: str = "18-35",
    genders: str = "all",
    languages: str = "local",
    budget: float,
    currency: str = "USD",
    starts_on: dt.date,
    ends_on: dt.date,
    top: int = 8,
    run_id: int | None = None,
    paid_for_by: str | None = None,
    dsa_beneficiary: str | None = None,
    dsa_payor: str | None = None,
    allow_fuzzy: bool = False,
) -> dict[str, Any]:
    """Plan a draft campaign on the route's hotspot run, make its assets and run preflight."""
    from campaigns import crud
    from campaigns.copy.assets import generate_assets
    from campaigns.plan.planner import Audience, plan_campaign
    from campaigns.policy import preflight

    audience = Audience.parse(ages=ages, genders=genders, languages=languages)
    found = crud.find_route(session, name=route)
    route_id = found.id if found is not None else None
    if run_id is None:
        run_id = crud.latest_run_id(session, route_id=route_id) if found is not None else None
    if run_id is None:
        raise CounterflowError(
            f"route {route!r} has no hotspot run",
            f'run `counterflow hotspots --route "{route}"` first, or pass --run RUN_ID',
        )
    campaign = plan_campaign(
        session,
        name=name,
        route_id=route_id,
        hotspot_run_id=run_id,
        author=author,
        audience=audience,
        budget=budget,
        currency=currency,
        starts_on=starts_on,
        ends_on=ends_on,
        top_n=top,
        settings=settings,
        paid_for_by=paid_for_by,
        dsa_beneficiary=dsa_beneficiary,
        dsa_payor=dsa_payor,
        allow_fuzzy=allow_fuzzy,
    )
    assert campaign.id is not None
    generate_assets(session, campaign_id=campaign.id, settings=settings)
    campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=campaign.id)
    findings = preflight(campaign, targets, adsets, assets)
    return {
        "campaign_id": campaign.id,
        "run_id": run_id,
        "targets": [
            {
                "id": t.id,
                "name": t.name,
                "country": t.country,
                "radius_km": t.radius_km,
                "languages": t.languages,
                "population": t.population,
                "reach_estimate": t.reach_estimate,
            }
            for t in targets
        ],
        "adsets": len(adsets),
        "assets": len(assets),
        "locales": sorted({a.locale for a in assets}),
        "findings": [f.as_dict() for f in findings],
        "allow_fuzzy": campaign.allow_fuzzy,
    }


def approve(
    session: Session, *, campaign_id: int, approver: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Record a second person's approval."""
    from campaigns.delivery.approval import approve_campaign

    c = approve_campaign(session, campaign_id=campaign_id, approver=approver, now=now)
    return {"campaign_id": c.id, "approved_by": c.approved_by, "approved_at": str(c.approved_at)}


def schedule(
    session: Session, *, campaign_id: int, settings: Settings, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Lay out the posts in each target's local time (after preflight passes).

    A campaign that is already scheduled or published keeps its schedule: a flow that is run
    again (after a crash, or by a retry) must not lay out new slots beside the ones that went
    out. ``counterflow schedule`` re-plans a schedule on purpose.
    """
    from campaigns.crud import get_campaign
    from campaigns.delivery.schedule import schedule_campaign
    from intel.models import ScheduledPost

    campaign = get_campaign(session, campaign_id=campaign_id)
    kept = campaign.status in ("scheduled", "published")
    if kept:
        posts = list(
            session.exec(select(ScheduledPost).where(ScheduledPost.campaign_id == campaign_id)).all()
        )
    else:
        posts = schedule_campaign(session, campaign_id=campaign_id, now=now)
    first = min((p.publish_at for p in posts), default=None)
    last = max((p.publish_at for p in posts), default=None)
    return {
        "campaign_id": campaign_id,
        "posts": len(posts),
        "kept_existing": kept,
        "first_utc": str(first) if first else None,
        "last_utc": str(last) if last else None,
        "timezones": sorted({p.timezone for p in posts}),
    }


def publish(
    session: Session,
    *,
    campaign_id: int,
    channel: str,
    settings: Settings,
    now: dt.datetime | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Send an approved campaign to a channel, exactly once per object."""
    from campaigns.delivery.channels import get_channel
    from campaigns.delivery.publish import publish_campaign

    report = publish_campaign(
        session, campaign_id=campaign_id, channel=get_channel(channel, settings, **options), now=now
    )
    out: dict[str, Any] = {
        "channel": report.channel,
        "sent": len(report.sent),
        "skipped": len(report.skipped),
        "reconciled": len(report.reconciled),
        "failed": [list(f) for f in report.failed],
    }
    if channel == "outbox":
        from campaigns.delivery.channels.outbox import outbox_path

        out["outbox"] = str(outbox_path(settings, campaign_id))
    return out


def insights(
    session: Session,
    *,
    campaign_id: int,
    channel: str,
    settings: Settings,
    since: dt.date,
    until: dt.date,
    **options: Any,
) -> dict[str, Any]:
    """Fetch daily insights from a channel into the store."""
    from campaigns.delivery.channels import get_channel
    from campaigns.feedback.insights import upsert_metrics

    ch = get_channel(channel, settings, **options)
    rows = ch.insights(session, campaign_id=campaign_id, since=since, until=until)
    if rows:
        upsert_metrics(session, campaign_id=campaign_id, rows=rows, source="platform")
    return {"campaign_id": campaign_id, "channel": channel, "rows": len(rows)}
