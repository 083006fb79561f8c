"""Time-zone aware posting calendars: dayparting windows in each target's local time.

Slots are computed in the target's IANA time zone (``Target.timezone``, from the gazetteer) and
stored in UTC, so an 08:00 slot stays 08:00 local on both sides of a daylight-saving change. A
local time that does not exist (the hour skipped in spring) moves forward by the gap; an ambiguous
one (the hour repeated in autumn) takes its first occurrence.

Slots are never in the past: scheduling skips them, and :func:`recheck_slots`, run just before
publishing, moves a slot that has become past (or too close: the platform wants scheduled posts at
least ten minutes ahead) to the next window and records the move as an ``AuditEvent``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, col, select

from intel.errors import CommandHint, CounterflowError, NotFound
from intel.models import Asset, AuditEvent, Campaign, Delivery, ScheduledPost, Target

DEFAULT_WINDOWS: tuple[tuple[int, int], ...] = ((8, 0), (12, 30), (19, 0))
MIN_LEAD = dt.timedelta(minutes=10)  # the platform refuses scheduled posts closer than this
DEFAULT_DAYS = 7  # when the campaign has no dates

Window = tuple[int, int]


def as_utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime (SQLite hands stored UTC times back naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise CounterflowError(
            f"time zone {name!r} is not a known IANA zone",
            "set Target.timezone to a zone such as 'Africa/Lagos' (the gazetteer's timezone_at gives it)",
        ) from exc


def _check_windows(windows: Sequence[Window]) -> list[Window]:
    out: list[Window] = []
    for w in windows:
        h, m = w
        if not (0 <= h <= 23 and 0 <= m <= 59):
            raise CounterflowError(
                f"window {h:02d}:{m:02d} is not a time of day", "use (hour 0-23, minute 0-59)"
            )
        out.append((h, m))
    if not out:
        raise CounterflowError("no dayparting windows were given", "pass at least one (hour, minute) window")
    return sorted(set(out))


def local_slot(day: dt.date, window: Window, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant of ``window`` (local hour, minute) on ``day`` in ``zone``.

    >>> local_slot(dt.date(2026, 3, 29), (8, 0), ZoneInfo("Europe/Rome")).isoformat()
    '2026-03-29T06:00:00+00:00'
    """
    local = dt.datetime.combine(day, dt.time(*window), tzinfo=zone)
    utc = local.astimezone(dt.UTC)
    return utc


def next_window(after: dt.datetime, windows: Sequence[Window], zone: ZoneInfo) -> dt.datetime:
    """The first window instant (UTC) strictly after ``after`` (aware), in ``zone``'s local time."""
    wins = _check_windows(windows)
    day = after.astimezone(zone).date()
    for offset in range(0, 3):
        for w in wins:
            slot = local_slot(day + dt.timedelta(days=offset), w, zone)
            if slot > after:
                return slot
    raise AssertionError("unreachable: a window exists every day")  # pragma: no cover


def _days(campaign: Campaign, now: dt.datetime, zone: ZoneInfo) -> list[dt.date]:
    first = campaign.starts_on or now.astimezone(zone).date()
    last = campaign.ends_on or first + dt.timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise CounterflowError(
            f"campaign {campaign.id} ends on {last} before it starts on {first}",
            "fix the campaign's starts_on / ends_on",
        )
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def schedule_campaign(
    session: Session,
    *,
    campaign_id: int,
    windows: Sequence[Window] = DEFAULT_WINDOWS,
    spacing: dt.timedelta = dt.timedelta(minutes=20),
    posts_per_day: int = 1,
    now: dt.datetime | None = None,
    preflight: bool = True,
) -> list[ScheduledPost]:
    """Lay out the campaign's posts in each target's local time; replace unpublished slots.

    Parameters
    ----------
    session
        Borrowed session; the new rows are flushed, the caller commits.
    campaign_id
        The campaign whose assets are scheduled.
    windows
        Local dayparting windows as ``(hour, minute)``; default 08:00, 12:30 and 19:00.
    spacing
        Gap between the posts of one target's ad sets (languages, age groups) in one window,
        so that they do not all appear at the same minute.
    posts_per_day
        Posts per ad set and day (default 1), each in its own window; the windows rotate from
        day to day so that every daypart is covered, and an ad set's assets (message families)
        take turns.
    now
        The current time (aware); slots earlier than ``now`` plus ten minutes are skipped.
    preflight
        Run the platform-policy preflight first and refuse on any refusal (default).

    Returns
    -------
    list of ScheduledPost
        The new slots, ordered by UTC time.
    """
    now = now or dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        raise CounterflowError(f"now={now.isoformat()} has no time zone", "pass an aware datetime (UTC)")
    wins = _check_windows(windows)
    per_day = posts_per_day
    if not 1 <= per_day <= len(wins):
        raise CounterflowError(
            f"posts_per_day was {posts_per_day}",
            f"it must be between 1 and the number of windows ({len(wins)})",
        )
    if spacing < dt.timedelta(0):
        raise CounterflowError(f"spacing was {spacing}", "it must be zero or positive")
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    if campaign.status == "published":
        raise CounterflowError(
            f"campaign {campaign_id} is already published", "plan a new campaign to post again"
        )
    sent = session.exec(
        select(Delivery.key).where(Delivery.campaign_id == campaign_id, Delivery.kind == "post")
    ).first()
    if sent is not None:
        # Posts are keyed by their slot's row; new slots beside posts already sent (or pending)
        # would post the same copy again, so a schedule that has started going out is kept.
        raise CounterflowError(
            f"campaign {campaign_id} has posts that went out (or were being sent) already",
            "publish again to finish the schedule it has; plan a new campaign for another schedule",
        )
    assets = session.exec(
        select(Asset).where(Asset.campaign_id == campaign_id).order_by(col(Asset.target_id), col(Asset.id))
    ).all()
    if not assets:
        raise CounterflowError(f"campaign {campaign_id} has no assets", "render its assets before scheduling")
    targets = {t.id: t for t in session.exec(select(Target).where(Target.campaign_id == campaign_id)).all()}
    if preflight:
        from campaigns.policy import run_preflight

        run_preflight(session, campaign, now=now)

    # replace the slots that have not gone out yet; keep published history
    for old in session.exec(
        select(ScheduledPost).where(
            ScheduledPost.campaign_id == campaign_id, col(ScheduledPost.status).in_(["scheduled", "failed"])
        )
    ).all():
        session.delete(old)
    session.flush()

    posts: list[ScheduledPost] = []
    past = 0  # slots skipped because they are past (or closer than MIN_LEAD)
    # target -> its ad sets (one per language and age group) -> their assets (message families)
    by_target: dict[int, dict[Any, list[Asset]]] = {}
    for a in assets:
        by_target.setdefault(a.target_id, {}).setdefault(a.adset_id or a.locale, []).append(a)
    for target_id, groups in by_target.items():
        target = targets[target_id]
        zone = _zone(target.timezone)
        for d_index, day in enumerate(_days(campaign, now, zone)):
            chosen = sorted(wins[(d_index * per_day + k) % len(wins)] for k in range(per_day))
            for k, w in enumerate(chosen):
                base = local_slot(day, w, zone)
                n = d_index * per_day + k  # the slot's number: families take turns
                for i, group in enumerate(groups.values()):
                    asset = group[n % len(group)]
                    at = base + i * spacing
                    if at < now + MIN_LEAD:
                        past += 1
                        continue
                    assert asset.id is not None
                    posts.append(
                        ScheduledPost(
                            campaign_id=campaign_id,
                            asset_id=asset.id,
                            publish_at=at,
                            local_time=at.astimezone(zone).isoformat(),
                            timezone=target.timezone,
                        )
                    )
    if not posts:
        raise CounterflowError(
            *_why_no_posts(campaign, targets, assets, past, now), hint=_dates_hint(campaign_id)
        )
    posts.sort(key=lambda p: (p.publish_at, p.asset_id))
    session.add_all(posts)
    if campaign.approved_by and campaign.status == "approved":
        campaign.status = "scheduled"
        session.add(campaign)
    session.add(
        AuditEvent(
            actor=campaign.author,
            action="campaign.scheduled",
            object_type="campaign",
            object_id=campaign_id,
            detail={
                "windows": [list(w) for w in wins],
                "spacing_min": spacing.total_seconds() / 60,
                "posts_per_day": per_day,
                "posts": len(posts),
            },
        )
    )
    session.flush()
    return posts


def _dates_hint(campaign_id: int) -> CommandHint:
    return CommandHint("campaign edit", f"{campaign_id} --start YYYY-MM-DD --end YYYY-MM-DD")


def _why_no_posts(
    campaign: Campaign, targets: dict[Any, Target], assets: Sequence[Asset], past: int, now: dt.datetime
) -> tuple[str, str]:
    """(problem, fix) of a schedule that would lay out no post."""
    cid = campaign.id
    if past:
        return (
            f"campaign {cid} would have no posts: all {past} slots from {campaign.starts_on} to "
            f"{campaign.ends_on} are past at {now:%Y-%m-%d %H:%M} UTC (or less than ten minutes ahead)",
            "give the campaign dates from today on",
        )
    if not targets:
        return f"campaign {cid} would have no posts: it has no targets", "plan it again on a hotspot run"
    return (
        f"campaign {cid} would have no posts: none of its {len(assets)} assets belongs to one of its targets",
        "re-render its assets from its ad sets",
    )


def schedule_windows(session: Session, *, campaign_id: int) -> list[Window] | None:
    """The dayparting windows of the campaign's latest schedule, or None if it has none."""
    event = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "campaign",
            AuditEvent.object_id == campaign_id,
            AuditEvent.action == "campaign.scheduled",
        )
        .order_by(col(AuditEvent.id).desc())
    ).first()
    if event is None:
        return None
    return [(int(h), int(m)) for h, m in event.detail.get("windows", DEFAULT_WINDOWS)]


def recheck_slots(
    session: Session, *, campaign_id: int, now: dt.datetime | None = None, actor: str = "publisher"
) -> list[ScheduledPost]:
    """Move each still-scheduled slot that is now past (or < 10 min ahead) to its next window.

    Each move is recorded as an ``AuditEvent`` ("post.rescheduled", with the old and new times).
    A post whose delivery is pending (an interrupted run may have created it on the platform) is
    left at its time, so that the next publish can find it there. Returns the moved posts.
    """
    now = now or dt.datetime.now(dt.UTC)
    in_flight = {
        d.key
        for d in session.exec(
            select(Delivery).where(
                Delivery.campaign_id == campaign_id, Delivery.kind == "post", Delivery.status == "pending"
            )
        ).all()
    }
    wins = schedule_windows(session, campaign_id=campaign_id) or list(DEFAULT_WINDOWS)
    moved: list[ScheduledPost] = []
    posts = session.exec(
        select(ScheduledPost).where(
            ScheduledPost.campaign_id == campaign_id, ScheduledPost.status == "scheduled"
        )
    ).all()
    for post in posts:
        at = as_utc(post.publish_at)
        if at >= now + MIN_LEAD or f"post:{post.id}" in in_flight:
            continue
        zone = _zone(post.timezone)
        # keep the minute offset within the window (the per-language spacing)
        local = at.astimezone(zone)
        offset = dt.timedelta(0)
        for w in reversed(wins):
            start = dt.datetime.combine(local.date(), dt.time(*w), tzinfo=zone)
            if start <= local:
                offset = local - start
                break
        new = next_window(now + MIN_LEAD - offset, wins, zone) + offset
        old_iso = at.isoformat()
        post.publish_at = new
        post.local_time = new.astimezone(zone).isoformat()
        session.add(post)
        session.add(
            AuditEvent(
                actor=actor,
                action="post.rescheduled",
                object_type="scheduledpost",
                object_id=post.id,
                detail={"from": old_iso, "to": new.isoformat(), "reason": "slot was past at publish time"},
            )
        )
        moved.append(post)
    session.flush()
    return moved


def calendar_rows(session: Session, *, campaign_id: int) -> list[dict[str, Any]]:
    """The calendar as plain rows for the web app: one dict per post, ordered by UTC time."""
    stmt = (
        select(ScheduledPost, Asset, Target)
        .join(Asset, col(Asset.id) == col(ScheduledPost.asset_id))
        .join(Target, col(Target.id) == col(Asset.target_id))
        .where(ScheduledPost.campaign_id == campaign_id)
        .order_by(col(ScheduledPost.publish_at), col(ScheduledPost.id))
    )
    rows = []
    for post, asset, target in session.exec(stmt).all():
        at = as_utc(post.publish_at)
        rows.append(
            {
                "post_id": post.id,
                "asset_id": asset.id,
                "target": target.name,
                "country": target.country,
                "locale": asset.locale,
                "tracking_code": asset.tracking_code,
                "headline": asset.headline,
                "publish_at_utc": at.isoformat(),
                "local_time": post.local_time,
                "timezone": post.timezone,
                "status": post.status,
            }
        )
    return rows


def calendar_frame(session: Session, *, campaign_id: int) -> Any:
    """The calendar as a pandas DataFrame (columns of :func:`calendar_rows`)."""
    import pandas as pd

    return pd.DataFrame(calendar_rows(session, campaign_id=campaign_id))


def calendar_ics(session: Session, *, campaign_id: int) -> bytes:
    """The calendar as an RFC 5545 iCalendar file (one VEVENT per post, times in UTC)."""
    from icalendar import Calendar, Event

    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    cal = Calendar()
    cal.add("prodid", "-//counterflow//campaign calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{campaign.name} (campaign {campaign_id})")
    for row in calendar_rows(session, campaign_id=campaign_id):
        start = dt.datetime.fromisoformat(row["publish_at_utc"])
        ev = Event()
        ev.add("uid", f"post-{row['post_id']}-campaign-{campaign_id}@counterflow")
        ev.add("dtstamp", start)
        ev.add("dtstart", start)
        ev.add("dtend", start + dt.timedelta(minutes=15))
        ev.add("summary", f"{row['target']} [{row['locale']}] {row['headline']}")
        ev.add(
            "description",
            f"local time {row['local_time']} ({row['timezone']}); tracking code {row['tracking_code']}; "
            f"status {row['status']}",
        )
        ev.add("location", f"{row['target']}, {row['country']}")
        cal.add_component(ev)
    return bytes(cal.to_ical())
