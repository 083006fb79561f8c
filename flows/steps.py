"""The steps of the loop, each a short call into the packages, shared by the CLI and the flows.

Every step borrows a session (the CLI command or the Prefect task owns it) and returns a plain
dict that a flow can pass on and a person can read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from intel.errors import CounterflowError
from intel.settings import Settings


def ingest(session: Session, *, path: Path, spec: str, settings: Settings) -> dict[str, Any]:
    """Import one file (see :func:`intel.ingest.ingest_file`)."""
    from intel.ingest import ingest_file

    summary = ingest_file(session, path=path, spec=spec, settings=settings)
    out = dataclasses.asdict(summary)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in out.items()}


def _plain(v: Any) -> Any:
    import math

    import numpy as np
    import pandas as pd

    if isinstance(v, np.generic):
        v = v.item()
    if v is pd.NA or v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v


def hotspots(
    session: Session,
    *,
    settings: Settings,
    route: str | None,
    corridor_km: float = 150.0,
    top: int = 8,
    until: dt.date | None = None,
    label: str = "",
) -> dict[str, Any]:
    """Score and rank the hotspots along a route, store the run and write its map."""
    from flows.cli_hotspots import run_hotspots
    from hotspots.compare import summarise
    from hotspots.params import HotspotParams

    stored = run_hotspots(
        session,
        settings=settings,
        route_text=route,
        params=HotspotParams(corridor_km=corridor_km, top=top),
        until=until,
    )
    ranked = stored.result.ranked
    cols = ["rank", "cell", "place", "country", "count", "weight", "z", "p", "bin", "trend", "distance_km"]
    rows = [
        {c: _plain(r.get(c)) for c in cols} for r in ranked.reindex(columns=cols).to_dict(orient="records")
    ]
    return {
        "run_id": stored.run.id,
        "label": label,
        "n_reports": stored.result.n_reports,
        "n_cells": len(stored.result.cells),
        "n_significant": stored.result.n_significant,
        "ranked": rows,
        "map": str(stored.map_path) if stored.map_path else None,
        "notes": list(stored.result.notes),
        "previous_run_id": stored.previous_run_id,
        "changes": summarise(stored.changes) if stored.changes is not None else None,
    }


def compare(session: Session, *, before_run: int, after_run: int) -> dict[str, Any]:
    """What changed between two stored hotspot runs: a summary line and the ranked cells' moves."""
    from hotspots.compare import compare_runs, summarise
    from intel.hotspot_store import load_run

    _, before = load_run(session, run_id=before_run)
    _, after = load_run(session, run_id=after_run)
    diff = compare_runs(before, after)
    lines = [summarise(diff)]
    for r in diff.to_dict(orient="records"):
        rb, ra = (None if _plain(v) is None else int(v) for v in (r["rank_before"], r["rank_after"]))
        if rb is None and ra is None:
            continue  # one line per ranked hotspot
        cb, ca = int(_plain(r["count_before"]) or 0), int(_plain(r["count_after"]) or 0)
        if r["change"] == "same" and rb == ra and cb == ca:
            continue
        where = r["place"] or r["cell"]
        z = f"z {_plain(r['z_before']) or 0:.2f} -> {_plain(r['z_after']) or 0:.2f}"
        lines.append(
            f"{where} ({r['country'] or ''}): {r['change']}, rank {rb or '-'} -> {ra or '-'}, "
            f"reports {cb} -> {ca}, {z}"
        )
    return {"before_run": before_run, "after_run": after_run, "lines": lines}


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
    from campaigns.assets import generate_assets
    from campaigns.planner import Audience, plan_campaign
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
    from campaigns.approval import approve_campaign

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
    from campaigns.schedule import schedule_campaign
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
    from campaigns.channels import get_channel
    from campaigns.publish import publish_campaign

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
        from campaigns.channels.outbox import outbox_path

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
    from campaigns.channels import get_channel
    from campaigns.insights import upsert_metrics

    ch = get_channel(channel, settings, **options)
    rows = ch.insights(session, campaign_id=campaign_id, since=since, until=until)
    if rows:
        upsert_metrics(session, campaign_id=campaign_id, rows=rows, source="platform")
    return {"campaign_id": campaign_id, "channel": channel, "rows": len(rows)}


def feedback(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    metrics_path: Path | None = None,
    tips_path: Path | None = None,
    simulate: bool = False,
    analyst: str = "analyst",
) -> dict[str, Any]:
    """Load metrics and tips files, or simulate them; actionable tips become reports."""
    from campaigns.feedback import load_feedback, simulate_feedback, simulate_followup

    if not simulate and metrics_path is None and tips_path is None:
        return {"campaign_id": campaign_id, "simulated": False, "skipped": "no feedback files given yet"}
    followup = 0
    if simulate:
        summary = simulate_feedback(session, campaign_id=campaign_id, settings=settings, analyst=analyst)
        followup = simulate_followup(session, campaign_id=campaign_id, settings=settings)
    else:
        summary = load_feedback(
            session,
            campaign_id=campaign_id,
            settings=settings,
            metrics_path=metrics_path,
            tips_path=tips_path,
            triage_as=analyst,
        )
    out = dataclasses.asdict(summary)
    out.pop("reject_rows")
    out["rejects_path"] = str(summary.rejects_path) if summary.rejects_path else None
    out["followup_reports"] = followup
    return out


def outcomes(session: Session, *, campaign_id: int, settings: Settings) -> dict[str, Any]:
    """Outcome metrics for directors (see :func:`campaigns.outcomes.campaign_outcomes`)."""
    from campaigns.crud import get_campaign
    from campaigns.outcomes import campaign_outcomes
    from intel.models import Metric

    campaign = get_campaign(session, campaign_id=campaign_id)
    simulated = session.exec(
        select(Metric.id).where(Metric.campaign_id == campaign_id, Metric.simulated)
    ).first()
    # a simulated campaign has "run" to its end already; a real one is read as of today
    today = campaign.ends_on + dt.timedelta(days=1) if simulated is not None and campaign.ends_on else None
    return campaign_outcomes(session, campaign_id=campaign_id, today=today).to_dict()
