"""``steps.schedule``: a flow that runs again keeps the schedule; ``replan`` (the CLI's
``counterflow schedule``) lays it out anew, with the calendar to print and an ICS file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import Session, col, select

from flows import steps
from intel.models import ScheduledPost
from intel.settings import Settings
from tests.factories import ready_campaign


def _slots(s: Session, campaign_id: int) -> list[tuple[int | None, str]]:
    posts = s.exec(
        select(ScheduledPost).where(ScheduledPost.campaign_id == campaign_id).order_by(col(ScheduledPost.id))
    ).all()
    return [(p.id, p.local_time[11:16]) for p in posts]


def test_a_rerun_keeps_the_schedule_and_replan_lays_it_out_anew(
    sqlite_engine, sqlite_settings: Settings, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    with Session(sqlite_engine) as s:
        c = ready_campaign(s)
        assert c.id is not None
        first = steps.schedule(s, campaign_id=c.id, settings=sqlite_settings, now=now)
        s.commit()
        assert not first["kept_existing"] and first["posts"] > 0
        before = _slots(s, c.id)

        again = steps.schedule(s, campaign_id=c.id, settings=sqlite_settings, now=now)
        assert again["kept_existing"] and again["posts"] == len(before) and _slots(s, c.id) == before

        ics = tmp_path / "cal" / "campaign.ics"
        replanned = steps.schedule(
            s,
            campaign_id=c.id,
            settings=sqlite_settings,
            now=now,
            windows=[(10, 0)],
            replan=True,
            ics_path=ics,
        )
        s.commit()
        after = _slots(s, c.id)
    assert not replanned["kept_existing"] and replanned["posts"] == len(after)
    assert "10:00" not in {t for _, t in before} and {t for _, t in after} == {"10:00"}
    assert replanned["calendar_total"] == len(after) and 0 < len(replanned["calendar"]) <= 20
    assert {r["local_time"][11:16] for r in replanned["calendar"]} == {"10:00"}
    assert replanned["ics"] == str(ics) and ics.read_bytes().startswith(b"BEGIN:VCALENDAR")
