"""Delivery insights into the ``Metric`` table: from the platform, from an ads export, or simulated.

Every source ends in :func:`upsert_metrics`, keyed by (campaign, tracking code, day, source), so
fetching or importing the same days again updates rows instead of adding them. Metrics are per
ad set and day; an ad set's tracking code is its asset's (one asset per ad set x language).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from intel.errors import CommandHint, CounterflowError, NotFound
from intel.models import Asset, Campaign, Delivery, ImportBatch, Metric, Reject, utcnow

log = logging.getLogger(__name__)

SOURCES = ("platform", "export", "simulated")
INT_FIELDS = ("reach", "impressions", "clicks", "video_p25", "video_p50", "video_p75", "video_p100")
FLOAT_FIELDS = ("frequency", "ctr", "unique_ctr", "spend", "video_avg_time_s")
TAG_RE = re.compile(r"\[cf adset:(\d+) ")


@dataclass
class InsightsResult:
    """What a fetch or an import did."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unattributed: int = 0  # rows whose ad set is not one of this campaign's
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def upsert_metrics(
    session: Session, *, campaign_id: int, rows: list[dict[str, Any]], source: str
) -> tuple[int, int]:
    """Insert or update daily metric rows; returns ``(inserted, updated)``.

    Each row needs ``tracking_code`` and ``day`` (date or ISO text) and may carry ``adset_id``
    (ours) and any of the ``Metric`` fields (reach, impressions, frequency, clicks, ctr,
    unique_ctr, spend, video_p25 .. video_p100, video_avg_time_s). Rows with the same key in one
    call: the last wins. ``source="simulated"`` also sets ``Metric.simulated``. Flushes; the
    caller commits.
    """
    if source not in SOURCES:
        raise CounterflowError(f"metric source was {source!r}", f"use one of {', '.join(SOURCES)}")
    if session.get(Campaign, campaign_id) is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    clean: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for i, row in enumerate(rows):
        code = row.get("tracking_code")
        if not code:
            raise CounterflowError(
                f"metric row {i} has no tracking_code", "attribute each row to an asset's code"
            )
        try:
            day = _day(row.get("day"))
        except (TypeError, ValueError):
            raise CounterflowError(
                f"metric row {i} has day {row.get('day')!r}", "give the day as a date or YYYY-MM-DD"
            ) from None
        values: dict[str, Any] = {"adset_id": row.get("adset_id")}
        for name in INT_FIELDS:
            values[name] = int(round(float(row.get(name) or 0)))
        for name in FLOAT_FIELDS:
            values[name] = float(row.get(name) or 0.0)
        clean[(str(code), day)] = values
    if not clean:
        return 0, 0
    days = sorted({d for _, d in clean})
    existing = {
        (m.tracking_code, m.day): m
        for m in session.exec(
            select(Metric).where(
                Metric.campaign_id == campaign_id,
                Metric.source == source,
                col(Metric.day) >= days[0],
                col(Metric.day) <= days[-1],
            )
        ).all()
    }
    inserted = updated = 0
    for (code, day), values in clean.items():
        metric = existing.get((code, day))
        if metric is None:
            metric = Metric(
                campaign_id=campaign_id,
                tracking_code=code,
                day=day,
                source=source,
                simulated=source == "simulated",
            )
            inserted += 1
        else:
            updated += 1
        for name, value in values.items():
            setattr(metric, name, value)
        session.add(metric)
    session.flush()
    return inserted, updated


def codes_by_adset(session: Session, campaign_id: int) -> dict[int, str]:
    codes: dict[int, str] = {}
    for asset in session.exec(
        select(Asset).where(Asset.campaign_id == campaign_id).order_by(col(Asset.id))
    ).all():
        if asset.adset_id is None:
            continue
        if asset.adset_id in codes:
            log.warning(
                "ad set %s has several assets; its metrics go to %s", asset.adset_id, codes[asset.adset_id]
            )
            continue
        codes[asset.adset_id] = asset.tracking_code
    return codes


def _action_total(value: Any) -> float:
    """The platform's ``[{"action_type": "video_view", "value": "12"}]`` as a number."""
    if isinstance(value, list):
        return sum(float(a.get("value") or 0) for a in value if isinstance(a, dict))
    return float(value or 0)


def normalise_platform_row(row: dict[str, Any], codes: dict[int, str]) -> dict[str, Any] | None:
    """One platform insights row as ``upsert_metrics`` input; None if the ad set is not ours."""
    adset_id = row.get("adset_id")
    if adset_id is None or int(adset_id) not in codes:
        return None
    return {
        "tracking_code": codes[int(adset_id)],
        "adset_id": int(adset_id),
        "day": row["date_start"],
        "reach": row.get("reach"),
        "impressions": row.get("impressions"),
        "frequency": row.get("frequency"),
        "clicks": row.get("clicks"),
        "ctr": row.get("ctr"),
        "unique_ctr": row.get("unique_ctr"),
        "spend": row.get("spend"),
        "video_p25": _action_total(row.get("video_p25_watched_actions")),
        "video_p50": _action_total(row.get("video_p50_watched_actions")),
        "video_p75": _action_total(row.get("video_p75_watched_actions")),
        "video_p100": _action_total(row.get("video_p100_watched_actions")),
        "video_avg_time_s": _action_total(row.get("video_avg_time_watched_actions")),
    }


def fetch_insights(
    session: Session,
    *,
    campaign_id: int,
    channel: Any,
    since: dt.date,
    until: dt.date,
) -> InsightsResult:
    """Read daily per-ad-set insights from ``channel`` (a channel object) and upsert them.

    A channel's ``insights`` returns rows ready for :func:`upsert_metrics` (tracking code, day,
    ad set and metric fields); rows of ad sets that are not this campaign's are counted as
    ``unattributed`` and left out.

    The facebook channel pages through the account's insights (``level=adset``,
    ``time_increment=1``), backing off and shrinking the page on rate limits; the dry-run outbox
    returns nothing. Commits nothing: the caller owns the session.
    """
    if until < since:
        raise CounterflowError(f"the last day {until} is before the first day {since}", "swap them")
    rows = channel.insights(session, campaign_id=campaign_id, since=since, until=until)
    unattributed = int(getattr(channel, "last_unattributed", 0))
    result = InsightsResult(rows_read=len(rows) + unattributed, unattributed=unattributed)
    clean = rows
    result.inserted, result.updated = upsert_metrics(
        session, campaign_id=campaign_id, rows=clean, source="platform"
    )
    return result


# --- ads results export (CSV) ---------------------------------------------------------------------

ALIASES: dict[str, tuple[str, ...]] = {
    "day": ("day", "date", "reporting starts", "date_start"),
    "adset_ext": ("adset_id", "ad set id", "fb_campaign_id"),
    "adset_name": ("ad set name", "adset_name"),
    "tracking_code": ("tracking_code", "tracking code"),
    "reach": ("reach",),
    "impressions": ("impressions",),
    "clicks": ("clicks", "link clicks", "clicks (all)"),
    "spend": ("spent", "spend", "amount spent", "amount spent (usd)", "amount spent (eur)"),
}


def _columns(header: list[str]) -> dict[str, str]:
    lower = {h.strip().lower(): h for h in header}
    found = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if alias in lower:
                found[name] = lower[alias]
                break
    return found


def import_ads_export(
    session: Session, *, path: Path | str, campaign_id: int, day: dt.date | None = None
) -> InsightsResult:
    """Import an ads results export (CSV) as ``source="export"`` metrics.

    Rows are attributed to this campaign's ad sets by, in order: a ``tracking_code`` column; the
    ``[cf adset:N ...]`` tag in the ad set name; the platform ad set id (``adset_id`` or, in the
    classic export, ``fb_campaign_id``) recorded when we published. Rows of other ad sets are
    kept under ``fb-adset-<id>``. Breakdown rows (age, gender) of one ad set and day are summed.
    Without a date column every row counts for ``day`` (default: the campaign's first day). Bad
    rows are stored as ``Reject`` rows with their line and reason.
    """
    path = Path(path)
    if not path.exists():
        raise CounterflowError(f"export file {path.name} does not exist", "check the path")
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig")
    reader = csv.DictReader(text.splitlines())
    cols = _columns(list(reader.fieldnames or []))
    for needed in ("impressions",):
        if needed not in cols:
            raise CounterflowError(
                f"{path.name} has no {needed} column (columns: {', '.join(reader.fieldnames or [])})",
                "export the ads results with at least Impressions, Clicks and Amount spent",
            )
    if "day" not in cols and day is None:
        day = campaign.starts_on
        if day is None:
            raise CounterflowError(
                f"{path.name} has no date column and campaign {campaign_id} has no start day",
                "give the day the export covers (YYYY-MM-DD)",
                hint=CommandHint("insights-import", f"FILE --campaign {campaign_id} --day YYYY-MM-DD"),
            )
    codes = codes_by_adset(session, campaign_id)
    by_ext = {
        d.external_id: int(d.key.split(":", 1)[1])
        for d in session.exec(
            select(Delivery).where(Delivery.campaign_id == campaign_id, Delivery.kind == "adset")
        ).all()
        if d.external_id
    }
    batch = ImportBatch(file_name=path.name, sha256=hashlib.sha256(raw).hexdigest(), spec="ads_export")
    session.add(batch)
    session.flush()
    result = InsightsResult()
    sums: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for line, row in enumerate(reader, start=2):
        result.rows_read += 1
        try:
            row_day = _day(row[cols["day"]]) if "day" in cols else day
            assert row_day is not None
            code, adset_id = None, None
            if "tracking_code" in cols and row[cols["tracking_code"]].strip():
                code = row[cols["tracking_code"]].strip()
            if code is None and "adset_name" in cols:
                m = TAG_RE.search(row[cols["adset_name"]] or "")
                if m and int(m.group(1)) in codes:
                    adset_id = int(m.group(1))
            ext = row[cols["adset_ext"]].strip() if "adset_ext" in cols else ""
            if code is None and adset_id is None and ext in by_ext:
                adset_id = by_ext[ext]
            if code is None and adset_id is not None:
                code = codes.get(adset_id)
            if code is None:
                if not ext:
                    raise ValueError("no tracking code, tagged ad set name or ad set id")
                code = f"fb-adset-{ext}"
                result.unattributed += 1
            impressions = int(float(row[cols["impressions"]] or 0))
            clicks = int(float(row[cols["clicks"]] or 0)) if "clicks" in cols else 0
            spend = float(row[cols["spend"]] or 0) if "spend" in cols else 0.0
            reach = int(float(row[cols["reach"]] or 0)) if "reach" in cols else 0
            if min(impressions, clicks, reach) < 0 or spend < 0:
                raise ValueError("negative count or spend")
        except (ValueError, KeyError, AssertionError) as exc:
            reason = f"line {line}: {exc}"
            result.rejected.append((line, reason))
            session.add(
                Reject(
                    import_id=batch.id,
                    file_name=path.name,
                    line=line,
                    reason=reason,
                    raw=str(dict(row))[:2000],
                )
            )
            continue
        acc = sums.setdefault(
            (code, row_day), {"adset_id": adset_id, "impressions": 0, "clicks": 0, "spend": 0.0, "reach": 0}
        )
        acc["impressions"] += impressions
        acc["clicks"] += clicks
        acc["spend"] += spend
        acc["reach"] += reach  # breakdowns by age and gender are disjoint audiences
    rows = []
    for (code, row_day), acc in sums.items():
        imp, reach = acc["impressions"], acc["reach"]
        rows.append(
            {
                "tracking_code": code,
                "day": row_day,
                "adset_id": acc["adset_id"],
                "impressions": imp,
                "clicks": acc["clicks"],
                "spend": round(acc["spend"], 2),
                "reach": reach,
                "frequency": imp / reach if reach else 0.0,
                "ctr": 100.0 * acc["clicks"] / imp if imp else 0.0,
            }
        )
    result.inserted, result.updated = upsert_metrics(
        session, campaign_id=campaign_id, rows=rows, source="export"
    )
    batch.rows_read = result.rows_read
    batch.rows_stored = result.rows_read - len(result.rejected)
    batch.rows_rejected = len(result.rejected)
    batch.status = "done"
    batch.finished_at = utcnow()
    session.add(batch)
    session.flush()
    return result


def metric_count(session: Session, *, campaign_id: int, source: str | None = None) -> int:
    stmt = select(func.count()).select_from(Metric).where(Metric.campaign_id == campaign_id)
    if source:
        stmt = stmt.where(Metric.source == source)
    return int(session.exec(stmt).one())
