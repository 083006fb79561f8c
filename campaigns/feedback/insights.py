"""Delivery insights into the ``Metric`` table: from the platform, from an ads export, or simulated.

Every source ends in :func:`upsert_metrics`, keyed by (campaign, tracking code, day, source), so
fetching or importing the same days again updates rows instead of adding them. Metrics are per
ad set and day; an ad set's tracking code is its asset's (one asset per ad set x language).

A measure a source does not give (a column the export lacks, a blank cell) is stored as unknown
(NULL), never as 0. Rows of ad sets that are not this campaign's are kept under
``fb-adset-<platform id>`` and counted as unattributed: outcomes show them apart and never add
them to the campaign's totals.
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

from sqlalchemy import func
from sqlmodel import Session, col, select

from intel.errors import CommandHint, CounterflowError, NotFound
from intel.models import Asset, Campaign, Delivery, ImportBatch, Metric, Reject, utcnow

log = logging.getLogger(__name__)

SOURCES = ("platform", "export", "simulated")
INT_FIELDS = (
    "reach",
    "impressions",
    "clicks",
    "conversions",
    "video_p25",
    "video_p50",
    "video_p75",
    "video_p100",
)
FLOAT_FIELDS = ("frequency", "ctr", "unique_ctr", "spend", "video_avg_time_s")
MEASURES = INT_FIELDS + FLOAT_FIELDS
TAG_RE = re.compile(r"\[cf adset:(\d+) ")
UNATTRIBUTED_PREFIX = "fb-adset-"


def unattributed_code(external_id: str) -> str:
    """The tracking code under which a platform ad set that is not ours is kept apart."""
    return f"{UNATTRIBUTED_PREFIX}{external_id}"


@dataclass
class InsightsResult:
    """What a fetch or an import did."""

    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unattributed: int = 0  # rows whose ad set is not one of this campaign's (kept apart)
    unattributed_spend: float = 0.0  # their known spend: never in the campaign's totals
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    columns: dict[str, str] = field(default_factory=dict)  # measure -> the export's column
    columns_not_stored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _day(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def measure_value(name: str, value: Any) -> int | float | None:
    """One measure as stored: None when unknown (missing, blank, NaN), else a number >= 0.

    Raises ``ValueError`` naming the measure and the value when it is not a number, not
    finite or negative.
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    if math.isnan(number):
        return None
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{name} was {value!r}; it must be a finite number, 0 or more")
    return int(round(number)) if name in INT_FIELDS else number


def upsert_metrics(
    session: Session, *, campaign_id: int, rows: list[dict[str, Any]], source: str
) -> tuple[int, int]:
    """Insert or update daily metric rows; returns ``(inserted, updated)``.

    Each row needs ``tracking_code`` and ``day`` (date or ISO text) and may carry ``adset_id``
    (ours) and any of the ``Metric`` measures (reach, impressions, frequency, clicks, ctr,
    unique_ctr, spend, conversions, video_p25 .. video_p100, video_avg_time_s). A measure that
    is missing, None, blank or NaN is stored as unknown (NULL), never 0. An update replaces the
    whole row: its values are those of the last fetch or import. Rows with the same key in one
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
        for name in MEASURES:
            try:
                values[name] = measure_value(name, row.get(name))
            except ValueError as exc:
                raise CounterflowError(
                    f"metric row {i}: {exc}", "give each measure as a number, or leave it out when unknown"
                ) from None
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
    """The platform's ``[{"action_type": "video_view", "value": "12"}]`` as a number.

    The platform leaves an action list out of a row when nothing happened, so a requested
    list that is absent is 0."""
    if isinstance(value, list):
        return sum(float(a.get("value") or 0) for a in value if isinstance(a, dict))
    return float(value or 0)


def conversions_total(value: Any) -> float:
    """The platform's ``conversions`` list as one number, each conversion event counted once.

    The list holds, per event, a roll-up ``<event>_total`` beside its parts
    (``<event>_website``, ``<event>_mobile_app``, ...): a part whose roll-up is in the list is
    left out. Absent (no conversions that day): 0.
    """
    if not isinstance(value, list):
        return _action_total(value)
    items = [a for a in value if isinstance(a, dict)]
    events = {
        str(a.get("action_type", ""))[: -len("_total")]
        for a in items
        if str(a.get("action_type", "")).endswith("_total")
    }
    total = 0.0
    for a in items:
        kind = str(a.get("action_type", ""))
        if not kind.endswith("_total") and any(kind.startswith(e + "_") for e in events):
            continue  # counted in its roll-up
        total += float(a.get("value") or 0)
    return total


def normalise_platform_row(
    row: dict[str, Any], *, adset_id: int | None, codes: dict[int, str]
) -> dict[str, Any]:
    """One platform insights row as ``upsert_metrics`` input.

    ``row["adset_id"]`` is the platform's id; ``adset_id`` is ours (None when we did not publish
    it). A row of an ad set that is not this campaign's keeps the platform's id in its tracking
    code (``fb-adset-<id>``) so it is stored apart. A measure the row lacks stays unknown.
    """
    ours = adset_id is not None and adset_id in codes
    return {
        "tracking_code": codes[adset_id]
        if ours and adset_id is not None
        else unattributed_code(str(row.get("adset_id"))),
        "adset_id": adset_id if ours else None,
        "day": row["date_start"],
        "reach": row.get("reach"),
        "impressions": row.get("impressions"),
        "frequency": row.get("frequency"),
        "clicks": row.get("clicks"),
        "ctr": row.get("ctr"),
        "unique_ctr": row.get("unique_ctr"),
        "spend": row.get("spend"),
        "conversions": conversions_total(row.get("conversions")),
        "video_p25": _action_total(row.get("video_p25_watched_actions")),
        "video_p50": _action_total(row.get("video_p50_watched_actions")),
        "video_p75": _action_total(row.get("video_p75_watched_actions")),
        "video_p100": _action_total(row.get("video_p100_watched_actions")),
        "video_avg_time_s": _action_total(row.get("video_avg_time_watched_actions")),
    }


def _campaign_codes(session: Session, campaign_id: int) -> set[str]:
    return set(session.exec(select(Asset.tracking_code).where(Asset.campaign_id == campaign_id)).all())


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
    ad set and metric fields); rows whose tracking code is not one of this campaign's assets'
    (ad sets someone added on the platform) are stored apart and counted as ``unattributed``.

    The facebook channel pages through the account's insights (``level=adset``,
    ``time_increment=1``), backing off and shrinking the page on rate limits; the dry-run outbox
    returns nothing. Commits nothing: the caller owns the session.
    """
    if until < since:
        raise CounterflowError(f"the last day {until} is before the first day {since}", "swap them")
    rows = channel.insights(session, campaign_id=campaign_id, since=since, until=until)
    ours = _campaign_codes(session, campaign_id)
    result = InsightsResult(rows_read=len(rows))
    for row in rows:
        if row.get("tracking_code") not in ours:
            result.unattributed += 1
            result.unattributed_spend += float(measure_value("spend", row.get("spend")) or 0.0)
    result.unattributed_spend = round(result.unattributed_spend, 2)
    result.inserted, result.updated = upsert_metrics(
        session, campaign_id=campaign_id, rows=rows, source="platform"
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
    # the classic export's Total_Conversion; Ads Manager's Results, Conversions, Website conversions
    "conversions": (
        "results",
        "conversions",
        "total_conversion",
        "total conversions",
        "website conversions",
    ),
}
EXPORT_MEASURES = ("impressions", "clicks", "spend", "reach", "conversions")


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
    kept apart under ``fb-adset-<id>`` (``unattributed``): outcomes never count them in the
    campaign's totals. Breakdown rows (age, gender) of one ad set and day are summed.

    Measures: impressions, clicks, spend, reach and conversions (Results, Conversions,
    Website conversions, Total_Conversion). A column the export lacks, or a blank cell, is
    unknown, never 0; when some breakdown rows of an ad set and day lack a measure, that
    day's measure is unknown (a sum of the others would pass for the whole) and a note says so.
    Columns that are not stored are listed in the result.

    Dates: each row needs a day. ``day`` is the day of rows without one (a file without a date
    column, or a blank date cell); without it such rows are refused. Bad rows are stored as
    ``Reject`` rows with their line and reason.
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
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CounterflowError(
            f"{path.name} is not UTF-8 text ({exc.reason})", "save the export as UTF-8 CSV"
        ) from None
    reader = csv.DictReader(text.splitlines())
    header = list(reader.fieldnames or [])
    cols = _columns(header)
    measures = [m for m in EXPORT_MEASURES if m in cols]
    if not measures:
        raise CounterflowError(
            f"{path.name} has no measure column (columns: {', '.join(header)})",
            "export the ads results with Impressions, Clicks, Amount spent, Reach and Results",
        )
    if "day" not in cols and day is None:
        raise CounterflowError(
            f"{path.name} has no date column, so none of its rows has a day",
            "give the day the export covers (YYYY-MM-DD), or export it with a day breakdown",
            hint=CommandHint("insights-import", f"FILE --campaign {campaign_id} --day YYYY-MM-DD"),
        )
    codes = codes_by_adset(session, campaign_id)
    ours = set(codes.values()) | _campaign_codes(session, campaign_id)
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
    result = InsightsResult(
        columns={m: cols[m] for m in measures},
        columns_not_stored=[h for h in header if h not in cols.values()],
    )
    # per (code, day): the ad set, the number of rows, and per measure the known sum and count
    groups: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for line, row in enumerate(reader, start=2):
        result.rows_read += 1
        try:
            row_day = _row_day(row, cols, day)
            code, adset_id = _attribute(row, cols, codes, by_ext)
            values = {m: measure_value(m, row.get(cols[m])) for m in measures}
        except (ValueError, KeyError) as exc:
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
        if code not in ours:
            result.unattributed += 1
            result.unattributed_spend += float(values.get("spend") or 0.0)
        acc = groups.setdefault((code, row_day), {"adset_id": adset_id, "rows": 0, "sum": {}, "known": {}})
        acc["rows"] += 1
        for m, v in values.items():
            if v is not None:
                # breakdowns by age and gender are disjoint audiences: their reach adds up
                acc["sum"][m] = acc["sum"].get(m, 0) + v
                acc["known"][m] = acc["known"].get(m, 0) + 1
    result.unattributed_spend = round(result.unattributed_spend, 2)
    rows = []
    for (code, row_day), acc in groups.items():
        out: dict[str, Any] = {"tracking_code": code, "day": row_day, "adset_id": acc["adset_id"]}
        for m in measures:
            known = acc["known"].get(m, 0)
            if known == acc["rows"]:
                out[m] = round(acc["sum"][m], 2) if m == "spend" else acc["sum"][m]
            elif known:
                result.notes.append(
                    f"{m} of {code} on {row_day} is unknown: {known} of its {acc['rows']} rows give it"
                )
        imp, clicks, reach = out.get("impressions"), out.get("clicks"), out.get("reach")
        if imp and reach:
            out["frequency"] = imp / reach
        if imp and clicks is not None:
            out["ctr"] = 100.0 * clicks / imp
        rows.append(out)
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


def _row_day(row: dict[str, str], cols: dict[str, str], day: dt.date | None) -> dt.date:
    value = (row.get(cols["day"]) or "").strip() if "day" in cols else ""
    if not value:
        if day is None:
            raise ValueError("no date; give the day the export covers, or fill in the date")
        return day
    try:
        return _day(value)
    except ValueError:
        raise ValueError(f"date {value!r} is not a date; use YYYY-MM-DD") from None


def _attribute(
    row: dict[str, str], cols: dict[str, str], codes: dict[int, str], by_ext: dict[str, int]
) -> tuple[str, int | None]:
    """(tracking code, our ad set id) of an export row; other ad sets' rows get ``fb-adset-<id>``."""
    if "tracking_code" in cols and (row.get(cols["tracking_code"]) or "").strip():
        return (row.get(cols["tracking_code"]) or "").strip(), None
    adset_id = None
    if "adset_name" in cols:
        m = TAG_RE.search(row.get(cols["adset_name"]) or "")
        if m and int(m.group(1)) in codes:
            adset_id = int(m.group(1))
    ext = (row.get(cols["adset_ext"]) or "").strip() if "adset_ext" in cols else ""
    if adset_id is None and ext in by_ext:
        adset_id = by_ext[ext]
    if adset_id is not None and adset_id in codes:
        return codes[adset_id], adset_id
    if not ext:
        raise ValueError("no tracking code, tagged ad set name or ad set id")
    return unattributed_code(ext), None


def metric_count(session: Session, *, campaign_id: int, source: str | None = None) -> int:
    stmt = select(func.count()).select_from(Metric).where(Metric.campaign_id == campaign_id)
    if source:
        stmt = stmt.where(Metric.source == source)
    return int(session.exec(stmt).one())
