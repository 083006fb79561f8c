"""Closing the loop: delivery metrics and tips that carry tracking codes come back in.

Metrics files (one row per tracking code and day) and tip files (one row per tip) are
attributed to the campaign, target and language of the tracking code's asset. Rows that cannot
be used are kept with their line and reason (``Reject`` table and a rejects CSV), never dropped.
Tips marked actionable at triage become new reports, so the next hotspot run sees them.

Metrics file columns: ``tracking_code, day, reach, impressions, clicks`` and optionally
``spend, frequency, ctr, unique_ctr, video_p25, video_p50, video_p75, video_p100,
video_avg_time_s``. Tips file columns: ``text`` and optionally ``tracking_code, received_on,
locale, place, lat, lon, actionable, exploitation``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from intel.errors import Conflict, CounterflowError
from intel.models import AdSet, Asset, ImportBatch, Metric, Reject, Target, Tip
from intel.settings import Settings

log = logging.getLogger(__name__)

METRIC_REQUIRED = ("tracking_code", "day", "reach", "impressions", "clicks")
METRIC_INTS = ("reach", "impressions", "clicks", "video_p25", "video_p50", "video_p75", "video_p100")
METRIC_FLOATS = ("spend", "frequency", "ctr", "unique_ctr", "video_avg_time_s")
TRUE = {"1", "true", "yes", "y", "actionable"}
FALSE = {"0", "false", "no", "n", "not_actionable", ""}


@dataclass
class FeedbackSummary:
    """What a feedback load read, stored and rejected."""

    campaign_id: int
    metrics_read: int = 0
    metrics_stored: int = 0
    tips_read: int = 0
    tips_stored: int = 0
    tips_attributed: int = 0
    tips_actionable: int = 0
    reports_created: int = 0
    rejected: int = 0
    rejects_path: Path | None = None
    simulated: bool = False
    reject_rows: list[tuple[str, int, str, str]] = field(default_factory=list)


def campaign_codes(session: Session, *, campaign_id: int) -> dict[str, Asset]:
    """The campaign's assets by tracking code."""
    assets = session.exec(select(Asset).where(Asset.campaign_id == campaign_id)).all()
    return {a.tracking_code: a for a in assets}


def _read_csv(path: Path, required: tuple[str, ...]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    if not path.exists():
        raise CounterflowError(f"file {path.name!r} does not exist", "check the path")
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise CounterflowError(
                    f"{path.name} has no column {', '.join(missing)} (columns: {', '.join(header) or 'none'})",
                    f"the file needs the columns {', '.join(required)}",
                )
            rows = [
                (i + 2, {(k or "").strip(): (v or "").strip() for k, v in row.items() if k is not None})
                for i, row in enumerate(reader)
            ]
    except UnicodeDecodeError as exc:
        raise CounterflowError(
            f"{path.name} is not UTF-8 text ({exc.reason})", "save the file as UTF-8 CSV"
        ) from exc
    return header, rows


def _reject(summary: FeedbackSummary, path: Path, line: int, reason: str, row: dict[str, str]) -> None:
    raw = ",".join(f"{k}={v}" for k, v in row.items())
    summary.reject_rows.append((path.name, line, reason, raw))


_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,32}$")


def shown(value: str | None) -> str:
    """A tip file's cell as it may appear in a reject reason: only short codes, never text.

    A comma missing its quotes shifts a tip's words into the other columns, so any cell of a
    tips file may hold part of a tip."""
    v = (value or "").strip()
    return repr(v) if _SAFE.match(v) else "(a value that is not shown: it may hold tip text)"


def _reject_tip(summary: FeedbackSummary, path: Path, line: int, reason: str, row: dict[str, str]) -> None:
    """Keep a refused tip row's line, reason and columns, and none of its words."""
    code = row.get("tracking_code", "")
    safe = {"columns": "|".join(row), "tracking_code": code if _SAFE.match(code) else "(not shown)"}
    summary.reject_rows.append((path.name, line, reason, ",".join(f"{k}={v}" for k, v in safe.items())))


def _parse_day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise ValueError(f"day {value!r} is not a date; use YYYY-MM-DD") from None


def _finite(value: str, name: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} was {value!r}; give a finite number")
    return number


def _metric_row(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"tracking_code": row["tracking_code"], "day": _parse_day(row["day"])}
    for name in METRIC_INTS:
        if row.get(name, "") == "":
            continue
        value = int(_finite(row[name], name))
        if value < 0:
            raise ValueError(f"{name} was {value}; it must be 0 or more")
        out[name] = value
    for name in METRIC_FLOATS:
        if row.get(name, "") == "":
            continue
        out[name] = _finite(row[name], name)
    if out.get("clicks", 0) > out.get("impressions", 0):
        raise ValueError(f"clicks ({out['clicks']}) exceed impressions ({out['impressions']})")
    if "ctr" not in out and out.get("impressions"):
        out["ctr"] = round(100.0 * out["clicks"] / out["impressions"], 4)
    return out


def load_metrics(
    session: Session, *, campaign_id: int, path: Path, summary: FeedbackSummary, source: str = "export"
) -> None:
    """Load a metrics file into ``Metric`` (idempotent: a re-load updates the same rows)."""
    from campaigns.insights import upsert_metrics

    codes = campaign_codes(session, campaign_id=campaign_id)
    _, rows = _read_csv(path, METRIC_REQUIRED)
    good: list[dict[str, Any]] = []
    for line, row in rows:
        summary.metrics_read += 1
        if row["tracking_code"] not in codes:
            _reject(
                summary,
                path,
                line,
                f"tracking code {row['tracking_code']!r} is not one of campaign {campaign_id}'s",
                row,
            )
            continue
        try:
            good.append(_metric_row(row))
        except ValueError as exc:
            _reject(summary, path, line, str(exc), row)
    if good:
        upsert_metrics(session, campaign_id=campaign_id, rows=good, source=source)
    summary.metrics_stored += len(good)


def load_tips(
    session: Session,
    *,
    campaign_id: int,
    path: Path,
    settings: Settings,
    summary: FeedbackSummary,
    triage_as: str | None = None,
) -> None:
    """Load a tips file; rows with an ``actionable`` column are triaged as ``triage_as``."""
    from campaigns.tips import TipInvalid, submit_tip, triage_tip

    _, rows = _read_csv(path, ("text",))
    for line, row in rows:
        summary.tips_read += 1
        decision = row.get("actionable", "").lower()
        if decision not in TRUE | FALSE:
            reason = f"actionable was {shown(row.get('actionable'))}; write yes or no"
            _reject_tip(summary, path, line, reason, row)
            continue
        try:
            lat = _finite(row["lat"], "lat") if row.get("lat") else None
            lon = _finite(row["lon"], "lon") if row.get("lon") else None
            received = _parse_day(row["received_on"]) if row.get("received_on") else None
        except ValueError:
            reason = "lat, lon or received_on is not valid; give decimal degrees and YYYY-MM-DD"
            _reject_tip(summary, path, line, reason, row)
            continue
        try:
            # submit_tip validates before it writes anything, so a refused tip leaves no trace
            tip = submit_tip(
                session,
                text=row["text"],
                settings=settings,
                tracking_code=row.get("tracking_code") or None,
                locale=row.get("locale") or None,
                place=row.get("place") or None,
                lat=lat,
                lon=lon,
                simulated=summary.simulated,
            )
        except (TipInvalid, CounterflowError) as exc:
            _reject_tip(summary, path, line, exc.problem, row)
            continue
        _finish_tip(session, tip, received=received, summary=summary, campaign_id=campaign_id)
        if triage_as and "actionable" in row and decision != "":
            actionable = decision in TRUE
            triage_tip(
                session,
                tip_id=int(tip.id or 0),
                actor=triage_as,
                actionable=actionable,
                exploitation=row.get("exploitation") or None,
            )
            if actionable:
                summary.tips_actionable += 1
                summary.reports_created += 1


def _finish_tip(
    session: Session, tip: Tip, *, received: dt.date | None, summary: FeedbackSummary, campaign_id: int
) -> None:
    if received is not None:
        tip.received_at = dt.datetime.combine(received, dt.time(12, 0), tzinfo=dt.UTC)
        session.add(tip)
    summary.tips_stored += 1
    if tip.campaign_id == campaign_id:
        summary.tips_attributed += 1


def write_rejects(session: Session, *, summary: FeedbackSummary, settings: Settings) -> None:
    """Keep rejected rows: in the ``Reject`` table and a CSV under ``home/rejects``."""
    if not summary.reject_rows:
        return
    for file_name, line, reason, raw in summary.reject_rows:
        session.add(Reject(file_name=file_name, line=line, reason=reason, raw=raw))
    folder = settings.home / "rejects"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"feedback-campaign{summary.campaign_id}-{stamp}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["file", "line", "reason", "row"])
        writer.writerows(summary.reject_rows)
    summary.rejected = len(summary.reject_rows)
    summary.rejects_path = path


TIPS_SPEC = "feedback-tips"


def _tips_file_once(session: Session, *, path: Path, campaign_id: int) -> str:
    """A tips file is loaded once: loading it again would count every tip twice."""
    if not path.is_file():
        raise CounterflowError(f"file {path.name!r} does not exist", "check the path")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    done = session.exec(
        select(ImportBatch).where(ImportBatch.sha256 == digest, ImportBatch.spec == TIPS_SPEC)
    ).first()
    if done is not None:
        raise Conflict(
            f"the tips in {path.name} were already loaded ({done.rows_stored} tips, "
            f"{done.started_at:%Y-%m-%d %H:%M} UTC)",
            "load only files with new tips; the earlier ones are in `counterflow tips`",
        )
    return digest


def load_feedback(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    metrics_path: Path | None = None,
    tips_path: Path | None = None,
    triage_as: str | None = None,
) -> FeedbackSummary:
    """Load a metrics file and/or a tips file for a campaign; see the module docstring."""
    from campaigns.crud import get_campaign

    get_campaign(session, campaign_id=campaign_id)
    if metrics_path is None and tips_path is None:
        raise CounterflowError(
            "no feedback file given", "pass --metrics FILE and/or --tips FILE, or --simulate"
        )
    summary = FeedbackSummary(campaign_id=campaign_id)
    if metrics_path is not None:
        load_metrics(session, campaign_id=campaign_id, path=metrics_path, summary=summary)
    if tips_path is not None:
        digest = _tips_file_once(session, path=tips_path, campaign_id=campaign_id)
        before = (summary.tips_read, summary.tips_stored)
        load_tips(
            session,
            campaign_id=campaign_id,
            path=tips_path,
            settings=settings,
            summary=summary,
            triage_as=triage_as,
        )
        session.add(
            ImportBatch(
                file_name=tips_path.name,
                sha256=digest,
                spec=TIPS_SPEC,
                source_kind=f"campaign:{campaign_id}",
                status="done",
                finished_at=dt.datetime.now(dt.UTC),
                rows_read=summary.tips_read - before[0],
                rows_stored=summary.tips_stored - before[1],
            )
        )
    write_rejects(session, summary=summary, settings=settings)
    log.info(
        "feedback for campaign %s: %s metric rows, %s tips, %s rejected",
        campaign_id,
        summary.metrics_stored,
        summary.tips_stored,
        summary.rejected,
    )
    return summary


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
    from campaigns.insights import upsert_metrics
    from campaigns.simulate import simulate_metrics, simulate_tips
    from campaigns.tips import submit_tip, triage_tip

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
        )
        if t["actionable"]:
            summary.tips_actionable += 1
            summary.reports_created += 1
    return summary


def _adset_views(session: Session, *, campaign_id: int) -> list[Any]:
    from campaigns.simulate import AdSetView

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
    from campaigns.simulate import HotspotView, simulate_followup_reports
    from intel.ingest import add_reports
    from intel.models import Hotspot, Report

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
