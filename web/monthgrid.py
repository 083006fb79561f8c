"""A campaign's posts as a month grid (weeks of days) or one week, each day with its posts in
local time.

Each post is placed on the day of its *local* time (the target's time zone), as the people it
reaches see it.

>>> rows = [{"local_time": "2027-03-01T09:00:00+01:00", "timezone": "Africa/Lagos", "target": "Benin City",
...     "locale": "en", "status": "scheduled", "headline": "Beware"}]
>>> g = month_grid(rows, None)
>>> g.month, len(g.weeks), [d.posts[0].time for w in g.weeks for d in w if d.posts]
('2027-03', 5, ['09:00'])
>>> month_grid([], None).weeks
[]
>>> w = week_grid(rows, "2027-03-03")
>>> w.month, [d.date.day for d in w.weeks[0]], w.previous, w.next
('2027-03-01', [1, 2, 3, 4, 5, 6, 7], None, None)
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from intel.errors import CounterflowError

#: Posts listed in one day's cell before the rest are counted ("and 4 more"): month, week.
PER_DAY = 6
PER_DAY_WEEK = 40


@dataclass(frozen=True)
class Post:
    time: str  # HH:MM, local
    timezone: str
    target: str
    locale: str
    status: str
    headline: str


@dataclass
class Day:
    date: dt.date
    in_month: bool
    posts: list[Post] = field(default_factory=list)
    more: int = 0


@dataclass
class Grid:
    month: str  # YYYY-MM shown, or the Monday (YYYY-MM-DD) of the week shown; "" without posts
    title: str
    weeks: list[list[Day]]
    months: list[str]  # every month with posts
    previous: str | None
    next: str | None


def _month(text: str) -> tuple[int, int]:
    try:
        day = dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        raise CounterflowError(
            f"month was {text!r}", "give it as YYYY-MM, e.g. 2027-03", status=422
        ) from None
    return day.year, day.month


def _by_day(rows: list[dict[str, Any]]) -> dict[dt.date, list[Post]]:
    by_day: dict[dt.date, list[Post]] = {}
    for r in rows:
        local = dt.datetime.fromisoformat(r["local_time"])
        by_day.setdefault(local.date(), []).append(
            Post(local.strftime("%H:%M"), r["timezone"], r["target"], r["locale"], r["status"], r["headline"])
        )
    return by_day


def _day(by_day: dict[dt.date, list[Post]], d: dt.date, in_month: bool, cap: int) -> Day:
    posts = sorted(by_day.get(d, []), key=lambda p: p.time)
    return Day(d, in_month, posts[:cap], max(0, len(posts) - cap))


def week_grid(rows: list[dict[str, Any]], day: str | None) -> Grid:
    """The week (Monday to Sunday) holding ``day`` (YYYY-MM-DD; default the first day with posts)."""
    by_day = _by_day(rows)
    if not by_day and day is None:
        return Grid("", "", [], [], None, None)
    try:
        start = dt.date.fromisoformat(day) if day else min(by_day)
    except ValueError:
        raise CounterflowError(
            f"day was {day!r}", "give it as YYYY-MM-DD, e.g. 2027-03-01", status=422
        ) from None
    monday = start - dt.timedelta(days=start.weekday())
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    mondays = sorted({d - dt.timedelta(days=d.weekday()) for d in by_day})
    earlier = [m for m in mondays if m < monday]
    later = [m for m in mondays if m > monday]
    return Grid(
        monday.isoformat(),
        f"{days[0]:%d %B} – {days[-1]:%d %B %Y}",
        [[_day(by_day, d, True, PER_DAY_WEEK) for d in days]],
        [m.isoformat() for m in mondays],
        earlier[-1].isoformat() if earlier else None,
        later[0].isoformat() if later else None,
    )


def month_grid(rows: list[dict[str, Any]], month: str | None) -> Grid:
    """The grid of ``month`` (YYYY-MM; default the first month with posts) of calendar rows."""
    by_day = _by_day(rows)
    months = sorted({d.strftime("%Y-%m") for d in by_day})
    if not months and month is None:
        return Grid("", "", [], [], None, None)
    year, mon = _month(month or months[0])
    shown = f"{year:04d}-{mon:02d}"
    weeks = [
        [_day(by_day, d, d.month == mon, PER_DAY) for d in week]
        for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, mon)
    ]
    earlier = [m for m in months if m < shown]
    later = [m for m in months if m > shown]
    title = dt.date(year, mon, 1).strftime("%B %Y")
    return Grid(shown, title, weeks, months, earlier[-1] if earlier else None, later[0] if later else None)
