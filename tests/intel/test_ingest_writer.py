"""The bulk report writer: values a batch shares are written as literals and read back intact."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from sqlmodel import select

from intel.db import session_scope
from intel.ingest import ingest_frame
from intel.models import Report

SUMMARY = (
    "Girls' shelter in \"Agadez\"; it's ''quoted'' -- é, ü, \u0639\u0631\u0628\u064a; DROP TABLE report;"
)


def _rows(n: int, **over: object) -> pd.DataFrame:
    base = {
        "date": "2023-03-04",
        "lat": "16.97333",
        "lon": "7.99111",
        "exploitation": "sexual",
        "source_kind": "news",
        "source": "O'Reilly Times",
        "summary": SUMMARY,
        "victim_count": "2",
        "language": "fr",
    }
    base.update({k: str(v) for k, v in over.items()})
    return pd.DataFrame([base] * n)


def test_batch_of_one_value_per_column_round_trips(engine, settings):
    with session_scope(engine) as s:
        summary = ingest_frame(s, frame=_rows(3), file_name="same.csv", settings=settings)
    assert summary.rows_stored == 3
    with session_scope(engine) as s:
        got = s.exec(select(Report).order_by(Report.id)).all()
    assert len(got) == 3 and len({r.fingerprint for r in got}) == 3
    for r in got:
        assert r.summary == SUMMARY
        assert (r.lat, r.lon) == (16.97333, 7.99111)
        assert r.observed_on == dt.date(2023, 3, 4)
        assert (r.victim_count, r.language, r.exploitation) == (2, "fr", "sexual")
        assert r.country == "NE" and r.duplicate_of is None and r.is_aggregate is False
        assert r.extra == {} or r.extra == "{}"


def test_batch_mixing_shared_and_varying_values(engine, settings):
    frame = pd.concat(
        [_rows(2), _rows(1, summary="", victim_count="", lat="16.9", lon="8.0", date="2023-03-05")],
        ignore_index=True,
    )
    with session_scope(engine) as s:
        assert ingest_frame(s, frame=frame, file_name="mixed.csv", settings=settings).rows_stored == 3
    with session_scope(engine) as s:
        got = s.exec(select(Report).order_by(Report.id)).all()
    assert [r.summary for r in got] == [SUMMARY, SUMMARY, None]
    assert [r.victim_count for r in got] == [2, 2, 1]
    assert [r.lat for r in got] == [16.97333, 16.97333, 16.9]
    assert [r.observed_on.day for r in got] == [4, 4, 5]
