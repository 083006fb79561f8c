"""Campaigns: plan, approve, schedule, publish and read back the platform's insights."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from intel.errors import CommandHint, CounterflowError
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
    origins: str = "",
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
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Plan a draft campaign on the route's hotspot run, make its assets and run preflight.

    ``now`` (default: the clock) decides which dates are past; a flow that replays an earlier
    moment passes it. The summary carries the targets (with why each was picked), the budget
    per target and per day (:func:`plan_summary`) and the preflight findings."""
    from campaigns import crud
    from campaigns.copy.assets import generate_assets
    from campaigns.plan.planner import Audience, plan_campaign

    audience = Audience.parse(ages=ages, genders=genders, languages=languages, origins=origins)
    found = crud.find_route(session, name=route)
    route_id = found.id if found is not None else None
    if run_id is None:
        run_id = crud.latest_run_id(session, route_id=route_id) if found is not None else None
    if run_id is None:
        raise CounterflowError(
            f"route {route!r} has no hotspot run",
            "run the hotspot analysis for the route first, or plan on an existing hotspot run",
            hint=CommandHint("hotspots", f'--route "{route}"'),
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
        now=now,
    )
    assert campaign.id is not None
    generate_assets(session, campaign_id=campaign.id, settings=settings)
    return {**plan_summary(session, campaign_id=campaign.id, now=now), "run_id": run_id}


def plan_summary(session: Session, *, campaign_id: int, now: dt.datetime | None = None) -> dict[str, Any]:
    """A campaign's plan as the faces show it: targets (with why each was picked), the budget
    per target and per day, and every preflight finding (at ``now``)."""
    from campaigns import crud
    from campaigns.plan.budget import budget_rows, min_daily_budget, run_days
    from campaigns.policy import preflight

    campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=campaign_id)
    findings = preflight(campaign, targets, adsets, assets, now=now)
    try:
        minimum: float | None = min_daily_budget(campaign.currency, campaign.objective)
    except CounterflowError:
        minimum = None
    return {
        "campaign_id": campaign.id,
        "status": campaign.status,
        "currency": campaign.currency,
        "days": run_days(campaign.starts_on, campaign.ends_on),
        "min_daily_budget": minimum,
        "targets": [
            {
                "id": t.id,
                "name": t.name,
                "country": t.country,
                "radius_km": t.radius_km,
                "languages": t.languages,
                "population": t.population,
                "reach_estimate": t.reach_estimate,
                "is_eu": t.is_eu,
                "adsets": sum(a.target_id == t.id for a in adsets),
                "teen_adsets": sum(a.target_id == t.id and a.teen for a in adsets),
                "pick": next((n for n in t.notes or [] if n.get("rule") == "pick"), None),
            }
            for t in targets
        ],
        "budget": budget_rows(campaign, targets, adsets),
        "adsets": len(adsets),
        "assets": len(assets),
        "locales": sorted({a.locale for a in assets}),
        "findings": [f.as_dict() for f in findings],
        "allow_fuzzy": campaign.allow_fuzzy,
    }


def edit(
    session: Session,
    *,
    campaign_id: int,
    editor: str,
    settings: Settings,
    now: dt.datetime | None = None,
    paid_for_by: str | None = None,
    dsa_beneficiary: str | None = None,
    dsa_payor: str | None = None,
    budget: float | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    languages: str | None = None,
    ages: str | None = None,
    genders: str | None = None,
    drop_targets: list[int] | None = None,
    add_targets: list[tuple[str, float]] | None = None,
    merge_targets: list[tuple[int, int]] | None = None,
    target_languages: dict[int, list[str]] | None = None,
) -> dict[str, Any]:
    """Edit a campaign that has not gone out, as ``editor`` (its author or a campaign manager,
    who proved who they are); see :mod:`campaigns.plan.edit`. An approved campaign goes back to
    draft (the withdrawal is audited). Returns what changed, whether an approval was withdrawn,
    and the plan's summary with the preflight run again."""
    from campaigns.plan.edit import Edit, edit_campaign
    from campaigns.plan.targets import NewTarget

    was_approved = _approved_by(session, campaign_id)
    campaign, changes, _ = edit_campaign(
        session,
        campaign_id=campaign_id,
        editor=editor,
        settings=settings,
        now=now,
        edit=Edit(
            paid_for_by=paid_for_by,
            dsa_beneficiary=dsa_beneficiary,
            dsa_payor=dsa_payor,
            budget=budget,
            starts_on=starts_on,
            ends_on=ends_on,
            languages=languages,
            ages=ages,
            genders=genders,
            drop_targets=list(drop_targets or []),
            add_targets=[NewTarget(place, radius) for place, radius in add_targets or []],
            merge_targets=list(merge_targets or []),
            target_languages=dict(target_languages or {}),
        ),
    )
    assert campaign.id is not None
    return {
        **plan_summary(session, campaign_id=campaign.id, now=now),
        "changes": changes,
        "approval_withdrawn": was_approved,
    }


def _approved_by(session: Session, campaign_id: int) -> str | None:
    from campaigns.crud import get_campaign

    return get_campaign(session, campaign_id=campaign_id).approved_by


def approve(
    session: Session, *, campaign_id: int, approver: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Record a second person's approval (see :func:`campaigns.delivery.approval.approve_campaign`)."""
    from campaigns.delivery.approval import approve_campaign

    c = approve_campaign(session, campaign_id=campaign_id, approver=approver, now=now)
    return {"campaign_id": c.id, "approved_by": c.approved_by, "approved_at": str(c.approved_at)}


def submit(session: Session, *, campaign_id: int, by: str, now: dt.datetime | None = None) -> dict[str, Any]:
    """Hand a draft to the approvers (see :func:`campaigns.delivery.approval.submit_campaign`):
    refused while a preflight refusal stands, as an approval is."""
    from campaigns.delivery.approval import submit_campaign

    c = submit_campaign(session, campaign_id=campaign_id, by=by, now=now)
    return {"campaign_id": c.id, "status": c.status, "submitted_by": by}


def review_copy(
    session: Session, *, campaign_id: int, locale: str, reviewer: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Record ``reviewer``'s check of one locale's copy of the campaign (see
    :mod:`campaigns.copy.review`); the catalog's own review (``locales review``) is unchanged."""
    from campaigns.copy.review import record_review

    event = record_review(session, campaign_id=campaign_id, locale=locale, reviewer=reviewer, now=now)
    return {
        "campaign_id": campaign_id,
        "locale": locale,
        "reviewed_by": event.actor,
        "reviewed_at": str(event.at),
    }


CALENDAR_SHOWN = 20
"""How many calendar rows a schedule's summary carries (the first ones, by UTC time)."""


def schedule(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    now: dt.datetime | None = None,
    windows: list[tuple[int, int]] | None = None,
    spacing_minutes: int = 20,
    posts_per_day: int = 1,
    replan: bool = False,
    ics_path: Path | None = None,
) -> dict[str, Any]:
    """Lay out the posts in each target's local time (after preflight passes).

    Without ``replan``, a campaign that is already scheduled or published keeps its schedule:
    a flow that is run again (after a crash, or by a retry) must not lay out new slots beside
    the ones that went out. ``counterflow schedule`` re-plans on purpose (``replan=True``;
    published slots stay, see :func:`campaigns.delivery.schedule.schedule_campaign`).

    ``windows`` are local ``(hour, minute)`` dayparting windows (default 08:00, 12:30, 19:00);
    ``ics_path`` also writes the calendar as an iCalendar file. The summary carries the first
    ``CALENDAR_SHOWN`` calendar rows and the calendar's total.
    """
    from campaigns.crud import get_campaign
    from campaigns.delivery.schedule import (
        DEFAULT_WINDOWS,
        calendar_ics,
        calendar_rows,
        schedule_campaign,
    )
    from intel.models import ScheduledPost

    campaign = get_campaign(session, campaign_id=campaign_id)
    kept = not replan and campaign.status in ("scheduled", "published")
    if kept:
        posts = list(
            session.exec(select(ScheduledPost).where(ScheduledPost.campaign_id == campaign_id)).all()
        )
    else:
        posts = schedule_campaign(
            session,
            campaign_id=campaign_id,
            windows=DEFAULT_WINDOWS if windows is None else windows,
            spacing=dt.timedelta(minutes=spacing_minutes),
            posts_per_day=posts_per_day,
            now=now,
        )
        session.flush()
    rows = calendar_rows(session, campaign_id=campaign_id)
    first = min((p.publish_at for p in posts), default=None)
    last = max((p.publish_at for p in posts), default=None)
    out: dict[str, Any] = {
        "campaign_id": campaign_id,
        "posts": len(posts),
        "kept_existing": kept,
        "first_utc": str(first) if first else None,
        "last_utc": str(last) if last else None,
        "timezones": sorted({p.timezone for p in posts}),
        "calendar": rows[:CALENDAR_SHOWN],
        "calendar_total": len(rows),
        "ics": None,
    }
    if ics_path is not None:
        ics_path = Path(ics_path)
        ics_path.parent.mkdir(parents=True, exist_ok=True)
        ics_path.write_bytes(calendar_ics(session, campaign_id=campaign_id))
        out["ics"] = str(ics_path)
    return out


def publish(
    session: Session,
    *,
    campaign_id: int,
    channel: str | None,
    settings: Settings,
    now: dt.datetime | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Send an approved campaign to a channel (default: ``settings.channel``), exactly once per
    object; ``options`` go to the channel (see :func:`campaigns.delivery.channels.get_channel`).

    The summary counts what was sent, already sent (skipped), recovered after an interrupted run
    (reconciled) and moved off a past slot, and lists the keys with their external ids
    (``sent_objects``, ``reconciled_objects``) and the failures with their reasons (``failed``).
    """
    from campaigns.delivery.channels import get_channel
    from campaigns.delivery.publish import publish_campaign

    chosen = get_channel(channel or settings.channel, settings, **options)
    report = publish_campaign(session, campaign_id=campaign_id, channel=chosen, now=now)
    out: dict[str, Any] = {
        "campaign_id": campaign_id,
        "channel": report.channel,
        "sent": len(report.sent),
        "skipped": len(report.skipped),
        "reconciled": len(report.reconciled),
        "moved": len(report.moved),
        "failed": [list(f) for f in report.failed],
        "sent_objects": [list(s) for s in report.sent],
        "reconciled_objects": [list(r) for r in report.reconciled],
    }
    if report.channel == "outbox":
        from campaigns.delivery.channels.outbox import outbox_path

        out["outbox"] = str(outbox_path(settings, campaign_id))
    return out


def insights(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    channel: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    today: dt.date | None = None,
    **options: Any,
) -> dict[str, Any]:
    """Fetch daily per-ad-set insights from a channel into the store (an idempotent upsert, see
    :func:`campaigns.feedback.insights.fetch_insights`).

    Defaults: the channel of ``settings``, from the campaign's start (or a week ago) to its end
    or ``today``, whichever comes first. Without ``since`` and ``until``, a campaign that has
    not started yet fetches nothing and says so (``not_started``).
    """
    from campaigns.delivery.channels import get_channel
    from campaigns.feedback.insights import fetch_insights
    from intel.errors import NotFound
    from intel.models import Campaign

    chosen = get_channel(channel or settings.channel, settings, **options)
    c = session.get(Campaign, campaign_id)
    if c is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    today = today or dt.datetime.now(dt.UTC).date()
    first = since or c.starts_on or today - dt.timedelta(days=7)
    last = until or min(c.ends_on or today, today)
    out: dict[str, Any] = {
        "campaign_id": campaign_id,
        "channel": chosen.name,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "not_started": since is None and until is None and first > today,
        "rows_read": 0,
        "inserted": 0,
        "updated": 0,
        "unattributed": 0,
        "unattributed_spend": 0.0,
    }
    if out["not_started"]:
        return out
    result = fetch_insights(session, campaign_id=campaign_id, channel=chosen, since=first, until=last)
    out.update(
        rows_read=result.rows_read,
        inserted=result.inserted,
        updated=result.updated,
        unattributed=result.unattributed,
        unattributed_spend=result.unattributed_spend,
    )
    return out
