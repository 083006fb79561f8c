"""Closing the loop: delivery metrics and tips that carry tracking codes come back in.

Metrics files (one row per tracking code and day) and tip files (one row per tip) are
attributed to the campaign, target and language of the tracking code's asset. Rows that cannot
be used are kept with their line and reason (``Reject`` table and a rejects CSV), never dropped.
Tips marked actionable at triage become new reports, so the next hotspot run sees them; an
actionable tip whose place the gazetteer cannot settle (and that came with no lat and lon) is
stored untriaged and its line listed in ``left_for_triage``, for an analyst to place: its report
never falls back to the campaign target's centre.

Metrics file columns: ``tracking_code, day`` and any of the measures ``reach, impressions,
clicks, spend, conversions, frequency, ctr, unique_ctr, video_p25, video_p50, video_p75,
video_p100, video_avg_time_s`` (at least one). A measure column the file lacks, or a blank
cell, is unknown (stored as NULL), never 0. Tips file columns: ``text`` and optionally ``tracking_code, received_on,
locale, place, lat, lon, actionable, exploitation``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from intel.csvsafe import csv_writer
from intel.errors import CommandHint, Conflict, CounterflowError
from intel.models import Asset, ImportBatch, Reject, Tip
from intel.settings import Settings

log = logging.getLogger(__name__)

METRIC_REQUIRED = ("tracking_code", "day")
METRIC_INTS = (
    "reach",
    "impressions",
    "clicks",
    "conversions",
    "video_p25",
    "video_p50",
    "video_p75",
    "video_p100",
)
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
    #: Lines of actionable tips stored untriaged: their place names no place or several.
    left_for_triage: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The counts as a plain dict (the rejected rows stay out: they hold the rows' text)."""
        out = asdict(self)
        out.pop("reject_rows")
        out["rejects_path"] = str(self.rejects_path) if self.rejects_path else None
        return out


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
    clicks, impressions = out.get("clicks"), out.get("impressions")
    if clicks is not None and impressions is not None:  # unknown is not 0: compare only knowns
        if clicks > impressions:
            raise ValueError(f"clicks ({clicks}) exceed impressions ({impressions})")
        if "ctr" not in out and impressions:
            out["ctr"] = round(100.0 * clicks / impressions, 4)
    return out


def load_metrics(
    session: Session, *, campaign_id: int, path: Path, summary: FeedbackSummary, source: str = "export"
) -> None:
    """Load a metrics file into ``Metric`` (idempotent: a re-load updates the same rows)."""
    from campaigns.feedback.insights import upsert_metrics

    codes = campaign_codes(session, campaign_id=campaign_id)
    header, rows = _read_csv(path, METRIC_REQUIRED)
    if not any(c in header for c in METRIC_INTS + METRIC_FLOATS):
        raise CounterflowError(
            f"{path.name} has no measure column (columns: {', '.join(header)})",
            f"add at least one of the columns {', '.join(METRIC_INTS + METRIC_FLOATS)}",
        )
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
    from campaigns.feedback.tips import NoReportPlace, TipInvalid, exploitation_codes, submit_tip, triage_tip

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
        if received is not None and received > dt.date.today() + dt.timedelta(days=1):
            _reject_tip(summary, path, line, f"received_on {received} is in the future; check the date", row)
            continue
        triaged = bool(triage_as and "actionable" in row and decision != "")
        try:
            # the taxonomy checks the exploitation types before the tip is stored
            codes = exploitation_codes(row.get("exploitation") or None) if triaged else ""
        except CounterflowError as exc:
            reason = f"exploitation was {shown(row.get('exploitation'))}; {exc.fix}"
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
        if triaged:
            assert triage_as is not None
            actionable = decision in TRUE
            try:
                triage_tip(
                    session,
                    tip_id=int(tip.id or 0),
                    actor=triage_as,
                    actionable=actionable,
                    exploitation=codes or None,
                    settings=settings,
                )
            except NoReportPlace:
                # the tip is kept (a tip is never lost), untriaged, for an analyst to place
                summary.left_for_triage.append(line)
                continue
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
        writer = csv_writer(fh)
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
            "load only files with new tips; the earlier ones are in the list of tips",
            hint=CommandHint("tips"),
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
            "no feedback file given",
            "give a metrics file, a tips file or both",
            hint=CommandHint("feedback", f"--campaign {campaign_id} --metrics FILE --tips FILE"),
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
