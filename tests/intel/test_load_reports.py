"""load_reports: the frame the analytics read, with its filters."""

from __future__ import annotations

import datetime as dt

from intel.db import session_scope
from intel.models import Report, Source
from intel.store import REPORT_COLUMNS, load_reports


def _add(session, **kw):
    base = dict(observed_on=dt.date(2022, 1, 1), country="NG", lat=6.3, lon=5.6, fingerprint=str(kw))
    base.update(kw)
    r = Report(**base)
    session.add(r)
    session.flush()
    return r


def test_frame_columns_and_filters(engine):
    with session_scope(engine) as s:
        src = Source(kind="news", name="Vanguard", reliability="C")
        s.add(src)
        s.flush()
        a = _add(s, source_id=src.id, reliability="C", exploitation="sexual")
        _add(s, source_id=src.id, reliability="C", exploitation="sexual", duplicate_of=a.id)
        _add(s, reliability="E", exploitation="forced_labour", observed_on=dt.date(2020, 3, 1))
        _add(s, reliability="A", is_aggregate=True, victim_count=40)
    with session_scope(engine) as s:
        df = load_reports(s)
        assert list(df.columns) == list(REPORT_COLUMNS)
        assert len(df) == 2
        first = df.set_index("id").loc[a.id]
        assert first["corroboration"] == 2 and first["source_kind"] == "news"
        assert len(load_reports(s, min_reliability="C")) == 1
        assert len(load_reports(s, types=["forced_labour"])) == 1
        assert len(load_reports(s, since=dt.date(2021, 1, 1))) == 1
        assert len(load_reports(s, include_duplicates=True, include_aggregates=True)) == 4
        assert str(df["observed_on"].dtype).startswith("datetime64")
