"""Schedules in each target's local time: dayparting, DST, never in the past, calendar and ICS."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from campaigns.delivery.schedule import (
    as_utc,
    calendar_frame,
    calendar_ics,
    calendar_rows,
    recheck_slots,
    schedule_campaign,
)
from intel.errors import CounterflowError
from intel.models import AuditEvent, Delivery, ScheduledPost
from tests.factories import make_draft_campaign

ROME = [
    {
        "name": "Rome Termini",
        "lat": 41.901,
        "lon": 12.501,
        "radius_km": 5.0,
        "country": "IT",
        "timezone": "Europe/Rome",
        "languages": "it",
        "is_eu": True,
    }
]


@pytest.mark.parametrize(
    "start, offsets",
    [
        # last Sunday of March 2026 is the 29th: CET (+1) before, CEST (+2) from then on
        (dt.date(2026, 3, 28), {dt.date(2026, 3, 28): 1, dt.date(2026, 3, 29): 2, dt.date(2026, 3, 30): 2}),
        # last Sunday of October 2026 is the 25th: back to CET
        (
            dt.date(2026, 10, 24),
            {dt.date(2026, 10, 24): 2, dt.date(2026, 10, 25): 1, dt.date(2026, 10, 26): 1},
        ),
    ],
)
def test_a_local_slot_stays_local_across_dst(engine, start, offsets):
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=start, days=3, targets=ROME)
        now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        posts = schedule_campaign(s, campaign_id=c.id, windows=[(8, 0)], now=now)
        s.commit()
        assert len(posts) == 3
        for p in posts:
            local = as_utc(p.publish_at).astimezone(ZoneInfo("Europe/Rome"))
            assert (local.hour, local.minute) == (8, 0)
            utc_hour = as_utc(p.publish_at).hour
            assert utc_hour == 8 - offsets[local.date()]
            assert p.local_time.startswith(f"{local.date().isoformat()}T08:00:00+0{offsets[local.date()]}:00")
        # stored as UTC and read back the same on both engines
        stored = s.exec(select(ScheduledPost).order_by(ScheduledPost.publish_at)).all()
        assert [as_utc(p.publish_at) for p in stored] == sorted(as_utc(p.publish_at) for p in posts)


def test_windows_spacing_posts_per_day_and_past_slots(engine):
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1), days=2)  # 2 targets x 2 languages
        # 10:00 UTC on day one: Lagos (UTC+1) 08:00 has passed, Rome (UTC+2) 08:00 has passed
        now = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)
        posts = schedule_campaign(
            s,
            campaign_id=c.id,
            windows=[(8, 0), (12, 30), (19, 0)],
            posts_per_day=2,
            spacing=dt.timedelta(minutes=20),
            now=now,
        )
        s.commit()
        assert all(as_utc(p.publish_at) >= now + dt.timedelta(minutes=10) for p in posts)
        rows = calendar_rows(s, campaign_id=c.id)
        lagos = [r for r in rows if r["timezone"] == "Africa/Lagos"]
        # the windows rotate: day 1 uses 08:00 (past) and 12:30, day 2 uses 19:00 and 08:00
        lagos_local = sorted({(r["local_time"][:10], r["local_time"][11:16], r["locale"]) for r in lagos})
        assert lagos_local == [
            ("2026-06-01", "12:30", "en"),
            ("2026-06-01", "12:50", "pcm"),
            ("2026-06-02", "08:00", "en"),
            ("2026-06-02", "08:20", "pcm"),
            ("2026-06-02", "19:00", "en"),
            ("2026-06-02", "19:20", "pcm"),
        ]
        frame = calendar_frame(s, campaign_id=c.id)
        assert len(frame) == len(posts) == 12
        assert list(frame["publish_at_utc"]) == sorted(frame["publish_at_utc"])


def test_rescheduling_replaces_unpublished_slots(engine):
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1), days=1)
        now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        schedule_campaign(s, campaign_id=c.id, now=now)
        s.commit()
        schedule_campaign(s, campaign_id=c.id, windows=[(9, 0)], now=now)
        s.commit()
        assert len(s.exec(select(ScheduledPost)).all()) == 4


def test_a_schedule_that_started_going_out_is_not_laid_out_again(engine):
    """New slots beside posts already sent would post the same copy twice."""
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1), days=1)
        now = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        posts = schedule_campaign(s, campaign_id=c.id, now=now)
        s.add(
            Delivery(
                campaign_id=c.id, channel="outbox", key=f"post:{posts[0].id}", kind="post", status="pending"
            )
        )
        s.commit()
        with pytest.raises(CounterflowError) as err:
            schedule_campaign(s, campaign_id=c.id, windows=[(9, 0)], now=now)
        assert "went out" in err.value.problem and "publish again" in err.value.fix
        s.rollback()
        assert len(s.exec(select(ScheduledPost)).all()) == len(posts)


def test_a_slot_that_became_past_moves_to_the_next_window_and_is_recorded(engine):
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1), days=1, targets=ROME)
        schedule_campaign(s, campaign_id=c.id, now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC))
        s.commit()
        # publishing at 08:05 Rome time (06:05 UTC): the 08:00 slot is past
        moved = recheck_slots(s, campaign_id=c.id, now=dt.datetime(2026, 6, 1, 6, 5, tzinfo=dt.UTC))
        s.commit()
        assert len(moved) == 1
        assert moved[0].local_time.startswith("2026-06-01T12:30:00+02:00")
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "post.rescheduled")).all()
        assert len(events) == 1 and events[0].detail["from"].startswith("2026-06-01T06:00:00")
        # nothing else moves, and a second check moves nothing
        assert recheck_slots(s, campaign_id=c.id, now=dt.datetime(2026, 6, 1, 6, 5, tzinfo=dt.UTC)) == []
        # a post whose delivery is pending (maybe created before a crash) stays where it is
        s.add(Delivery(campaign_id=c.id, channel="facebook", key=f"post:{moved[0].id}", kind="post"))
        s.commit()
        assert recheck_slots(s, campaign_id=c.id, now=dt.datetime(2026, 6, 1, 11, 0, tzinfo=dt.UTC)) == []


def test_ics_export_is_rfc5545(engine):
    from icalendar import Calendar

    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1), days=1, targets=ROME)
        posts = schedule_campaign(
            s, campaign_id=c.id, posts_per_day=3, now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
        )
        s.commit()
        raw = calendar_ics(s, campaign_id=c.id)
    assert raw.startswith(b"BEGIN:VCALENDAR\r\n")
    cal = Calendar.from_ical(raw)
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(posts) == 3
    starts = sorted(e.decoded("dtstart") for e in events)
    assert starts[0] == dt.datetime(2026, 6, 1, 6, 0, tzinfo=dt.UTC)
    assert len({str(e["uid"]) for e in events}) == 3


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"windows": [(25, 0)]}, "25:00"),
        ({"windows": []}, "no dayparting windows"),
        ({"posts_per_day": 4}, "posts_per_day was 4"),
        ({"campaign_id": 999}, "campaign 999"),
    ],
)
def test_bad_schedule_input_names_the_value(sqlite_engine, kwargs, needle):
    with Session(sqlite_engine) as s:
        c = make_draft_campaign(s)
        args = {"campaign_id": c.id, **kwargs}
        with pytest.raises(CounterflowError, match=needle):
            schedule_campaign(s, **args)


def test_unknown_timezone_is_refused(sqlite_engine):
    bad = [dict(ROME[0], timezone="Europe/Atlantis")]
    with Session(sqlite_engine) as s:
        c = make_draft_campaign(s, targets=bad)
        with pytest.raises(CounterflowError, match="Europe/Atlantis"):
            schedule_campaign(s, campaign_id=c.id)


def test_an_ad_sets_message_families_take_turns(sqlite_engine):
    from intel.models import Asset

    with Session(sqlite_engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1), days=4, targets=ROME)
        first = s.exec(select(Asset)).one()
        s.add(
            Asset(
                campaign_id=c.id,
                target_id=first.target_id,
                adset_id=first.adset_id,
                locale="it",
                family="where_to_get_help",
                tracking_code="help-it",
                headline="h",
                body="b",
                cta="c",
                link="http://127.0.0.1:8000/t/help-it",
            )
        )
        s.commit()
        posts = schedule_campaign(
            s, campaign_id=c.id, now=dt.datetime(2026, 5, 1, tzinfo=dt.UTC), preflight=False
        )
        # one post a day for the ad set, families alternating, windows rotating
        assert [p.asset_id for p in posts] == [first.id, first.id + 1, first.id, first.id + 1]
        assert [p.local_time[11:16] for p in posts] == ["08:00", "12:30", "19:00", "08:00"]


def test_a_campaign_dated_in_the_past_is_refused_with_its_reason(engine):
    """The campaign of the issue: dated 2020, it used to be 'scheduled' with 0 posts and no reason."""
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2020, 3, 1), days=5, targets=ROME)
        now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
        with pytest.raises(
            CounterflowError, match=r"ended on 2020-03-05, before today \(2026-12-06 in Europe/Rome\)"
        ) as err:
            schedule_campaign(s, campaign_id=c.id, now=now)
        assert str(err.value.hint) == f"counterflow campaign edit {c.id} --start YYYY-MM-DD --end YYYY-MM-DD"
        assert s.exec(select(ScheduledPost)).all() == []


def test_a_draft_that_starts_before_today_is_refused(engine):
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 12, 5), days=5, targets=ROME)
        now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
        with pytest.raises(
            CounterflowError, match=r"starts on 2026-12-05, before today \(2026-12-06 in Europe/Rome\)"
        ):
            schedule_campaign(s, campaign_id=c.id, now=now)


def test_a_schedule_without_posts_is_an_error_that_says_why(engine):
    # one day, today; its only window (08:00 in Rome, 07:00 UTC) passed at 10:00 UTC
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 12, 6), days=1, targets=ROME)
        now = dt.datetime(2026, 12, 6, 10, 0, tzinfo=dt.UTC)
        with pytest.raises(
            CounterflowError,
            match=r"would have no posts: all 1 slots from 2026-12-06 to 2026-12-06 are past at 2026-12-06 10:00 UTC",
        ):
            schedule_campaign(s, campaign_id=c.id, windows=[(8, 0)], now=now)
        # with a window still ahead it schedules
        assert len(schedule_campaign(s, campaign_id=c.id, windows=[(19, 0)], now=now)) == 1
