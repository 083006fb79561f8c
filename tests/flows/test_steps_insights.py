"""Platform insights come in by one path: ``steps.insights`` (the Prefect task's step) and
``counterflow insights`` store the same rows, read through the real SDK from the fake Graph API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlmodel import Session, col, select

from cli.main import main
from flows import steps
from intel.db import get_engine
from intel.models import Delivery, Metric
from intel.settings import Settings, get_settings
from sandbox.fakegraph import FakeGraph, insight_row
from tests.factories import Sleeps, ready_campaign

FIELDS = ("tracking_code", "day", "adset_id", "reach", "impressions", "clicks", "spend", "video_p100")


@pytest.fixture
def fb_settings(
    sqlite_settings: Settings, fake_graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings, and the environment of the command line, pointed at the fake Graph API."""
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    for k, v in fake_graph.settings_env().items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    yield sqlite_settings.model_copy(update=fake_graph.settings_update())
    get_settings.cache_clear()


def _stored(settings: Settings, campaign_id: int) -> list[tuple]:
    with Session(get_engine(settings)) as s:
        rows = s.exec(
            select(Metric)
            .where(Metric.campaign_id == campaign_id, Metric.source == "platform")
            .order_by(col(Metric.tracking_code), col(Metric.day))
        ).all()
        return [tuple(getattr(m, f) for f in FIELDS) for m in rows]


def test_the_step_and_the_command_store_the_same_platform_rows(
    fb_settings: Settings, fake_graph: FakeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    fast = {"base_delay": 0.001, "sleep": Sleeps()}
    with Session(get_engine(fb_settings)) as s:
        c = ready_campaign(s)
        assert c.id is not None and c.starts_on is not None
        cid, start = c.id, c.starts_on
        published = steps.publish(s, campaign_id=cid, channel="facebook", settings=fb_settings, **fast)
        assert published["sent"] > 0 and published["failed"] == []
        assert len(published["sent_objects"]) == published["sent"]
        assert {k.split(":")[0] for k, _ in published["sent_objects"]} >= {"adset", "ad"}

        # a campaign that has not started fetches nothing (and asks the platform nothing)
        asked = len(fake_graph.requests)
        early = steps.insights(
            s, campaign_id=cid, settings=fb_settings, channel="facebook", today=start - dt.timedelta(days=1)
        )
        assert early["not_started"] and early["rows_read"] == 0 and len(fake_graph.requests) == asked

        # defaults: from the campaign's start to today (three days in)
        got = steps.insights(
            s, campaign_id=cid, settings=fb_settings, channel="facebook", today=start + dt.timedelta(days=2),
            **fast,
        )  # fmt: skip
        s.commit()
        adset = s.exec(select(Delivery).where(Delivery.kind == "adset")).first()
        assert adset is not None and adset.external_id is not None
        expected = insight_row(fake_graph.objects[adset.external_id], start)
    assert got["channel"] == "facebook" and not got["not_started"]
    assert (got["first_day"], got["last_day"]) == (
        start.isoformat(),
        (start + dt.timedelta(days=2)).isoformat(),
    )
    assert (got["rows_read"], got["inserted"], got["updated"], got["unattributed"]) == (6, 6, 0, 0)
    by_step = _stored(fb_settings, cid)
    assert len(by_step) == 6 and int(expected["reach"]) in {r[3] for r in by_step if r[1] == start}

    since, until = start.isoformat(), (start + dt.timedelta(days=2)).isoformat()
    assert main(["insights", str(cid), "--channel", "facebook", "--since", since, "--until", until]) == 0
    out = capsys.readouterr().out
    assert f"{since}..{until} via facebook: 6 rows read, 0 new, 6 updated, 0 not this campaign's" in out
    assert _stored(fb_settings, cid) == by_step
