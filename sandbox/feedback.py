"""Simulated feedback written into a store: what a dry-run campaign "brought back".

A dry run reaches nobody, so the demo pretends: daily platform metrics per ad set, tips that
carry the tracking codes (triaged as the simulator decided) and intelligence from the campaign
period at the run's hotspots. Everything stored here is labelled simulated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from campaigns.feedback.files import FeedbackSummary, _finish_tip
from intel.errors import Conflict, CounterflowError
from intel.models import AdSet, Asset, Metric, Target
from intel.settings import Settings


def simulate_feedback(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    analyst: str,
    start: dt.date | None = None,
    days: int | None = None,
    seed: int = 11,
) -> FeedbackSummary:
    """Simulate what a real campaign brings back (dry runs reach nobody), labelled simulated.

    Daily metrics per ad set go in with ``source="simulated"``; tips carry the tracking codes
    and are triaged by ``analyst`` as the simulator decided; actionable ones become reports.
    """
    from campaigns.crud import get_campaign
    from campaigns.feedback.insights import upsert_metrics
    from campaigns.feedback.tips import submit_tip, triage_tip
    from sandbox.platform import simulate_metrics, simulate_tips

    campaign = get_campaign(session, campaign_id=campaign_id)
    start = start or campaign.starts_on or dt.date.today()
    if days is None:
        days = max(((campaign.ends_on or start + dt.timedelta(days=14)) - start).days, 1)
    # only the days that have happened: simulated results are never dated in the future
    days = min(days, (dt.date.today() - start).days)
    if days < 1:
        raise CounterflowError(
            f"campaign {campaign_id} starts on {start}, so it has no results to simulate yet",
            "simulate after the first day of the campaign, or replay it in the past as the demo does",
        )
    views = _adset_views(session, campaign_id=campaign_id)
    if not views:
        raise CounterflowError(
            f"campaign {campaign_id} has no assets to simulate",
            "plan the campaign and generate its assets first",
        )
    if session.exec(
        select(Metric.id).where(Metric.campaign_id == campaign_id, col(Metric.simulated))
    ).first():
        raise Conflict(
            f"campaign {campaign_id} already has simulated results",
            "simulate once per campaign; plan a new campaign for another run",
        )
    summary = FeedbackSummary(campaign_id=campaign_id, simulated=True)
    metrics = simulate_metrics(views, start=start, days=days, seed=seed)
    upsert_metrics(session, campaign_id=campaign_id, rows=metrics, source="simulated")
    summary.metrics_read = summary.metrics_stored = len(metrics)
    clicks: dict[str, int] = {}
    for m in metrics:
        clicks[m["tracking_code"]] = clicks.get(m["tracking_code"], 0) + int(m["clicks"])
    for t in simulate_tips(views, clicks, start=start, days=days, seed=seed + 2):
        summary.tips_read += 1
        tip = submit_tip(
            session,
            text=t["text"],
            settings=settings,
            tracking_code=t["tracking_code"],
            locale=t["locale"],
            lat=t["lat"],
            lon=t["lon"],
            simulated=True,
        )
        _finish_tip(session, tip, received=t["received_on"], summary=summary, campaign_id=campaign_id)
        triage_tip(
            session,
            tip_id=int(tip.id or 0),
            actor=analyst,
            actionable=t["actionable"],
            exploitation=t["exploitation"],
            settings=settings,
        )
        if t["actionable"]:
            summary.tips_actionable += 1
            summary.reports_created += 1
    return summary


def _adset_views(session: Session, *, campaign_id: int) -> list[Any]:
    from sandbox.platform import AdSetView

    rows = session.exec(
        select(Asset, AdSet, Target)
        .join(AdSet, col(AdSet.id) == col(Asset.adset_id))
        .join(Target, col(Target.id) == col(Asset.target_id))
        .where(Asset.campaign_id == campaign_id)
    ).all()
    # an ad set's budget and a target's people are shared by their assets (tracking codes)
    per_target: dict[int, int] = {}
    per_adset: dict[int, int] = {}
    for _, adset, target in rows:
        per_target[int(target.id or 0)] = per_target.get(int(target.id or 0), 0) + 1
        per_adset[int(adset.id or 0)] = per_adset.get(int(adset.id or 0), 0) + 1
    return [
        AdSetView(
            tracking_code=asset.tracking_code,
            locale=asset.locale,
            population=int(target.population / max(per_target[int(target.id or 0)], 1)),
            budget=adset.budget / max(per_adset[int(adset.id or 0)], 1),
            lat=target.lat,
            lon=target.lon,
            radius_km=target.radius_km,
            country=target.country,
            teen=adset.teen,
        )
        for asset, adset, target in rows
    ]


def simulate_followup(
    session: Session, *, campaign_id: int, settings: Settings, effect: float = 0.3, seed: int = 17
) -> int:
    """Simulated intelligence from the campaign period at the run's hotspots; returns how many
    reports were stored. Targeted hotspots see ``effect`` less activity (what the demo pretends
    the campaign achieved); the outcome's difference in differences measures it back."""
    from sqlmodel import func

    from campaigns.crud import get_campaign
    from intel.ingest import add_reports
    from intel.models import Hotspot, Report
    from sandbox.platform import HotspotView, simulate_followup_reports

    campaign = get_campaign(session, campaign_id=campaign_id)
    if campaign.hotspot_run_id is None or campaign.starts_on is None:
        raise CounterflowError(
            f"campaign {campaign_id} has no hotspot run or start date", "plan it on a hotspot run first"
        )
    targeted = {
        t.hotspot_id
        for t in session.exec(select(Target).where(Target.campaign_id == campaign_id)).all()
        if t.hotspot_id is not None
    }
    lo, hi = session.exec(select(func.min(Report.observed_on), func.max(Report.observed_on))).one()
    span = max(((hi - lo).days if lo and hi else 365), 30)
    hotspots = session.exec(select(Hotspot).where(Hotspot.run_id == campaign.hotspot_run_id)).all()
    views = [
        HotspotView(
            lat=h.lat,
            lon=h.lon,
            country=h.country or "",
            place=h.place or "",
            daily_rate=h.count / span,
            targeted=h.id in targeted,
        )
        for h in hotspots
        if h.id in targeted or h.bin >= 1
    ]
    end = min(campaign.ends_on or campaign.starts_on, dt.date.today() - dt.timedelta(days=1))
    days = (end - campaign.starts_on).days
    if days < 1:
        return 0  # the campaign period has not happened yet
    rows = simulate_followup_reports(views, start=campaign.starts_on, days=days, seed=seed, effect=effect)
    if not rows:
        return 0
    records = [
        {
            "observed_on": r["date"],
            "lat": r["lat"],
            "lon": r["lon"],
            "country": r["country"],
            "exploitation": r["exploitation"],
            "summary": r["summary"],
            "reliability": r["reliability"],
            "credibility": r["credibility"],
            "simulated": True,
        }
        for r in rows
    ]
    ids = add_reports(
        session,
        rows=records,
        source_kind="ngo_report",
        source_name="Safe Passage NGO (simulated)",
        settings=settings,
    )
    return len(set(ids))


def simulated_feedback(
    session: Session, *, campaign_id: int, settings: Settings, analyst: str
) -> dict[str, Any]:
    """The demo's stand-in for a campaign's real results, as a plain dict: simulated metrics and
    tips (the tips triaged by ``analyst``) and simulated intelligence from the campaign period."""
    out = simulate_feedback(session, campaign_id=campaign_id, settings=settings, analyst=analyst).as_dict()
    out["followup_reports"] = simulate_followup(session, campaign_id=campaign_id, settings=settings)
    return out
