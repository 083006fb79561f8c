"""Fixtures of the publishing tests (imported by the test modules that use them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import Session

from campaigns.delivery.approval import approve_campaign
from campaigns.delivery.channels.base import SendingChannel
from campaigns.delivery.channels.facebook import FacebookChannel
from campaigns.delivery.channels.outbox import OutboxChannel
from campaigns.delivery.schedule import schedule_campaign
from intel.models import Campaign
from intel.settings import Settings
from intel.users import add_user
from sandbox.fakegraph import FakeGraph, start_fake_graph
from tests.campaigns.factories_publish import ENGLISH_ONLY, make_campaign


@dataclass
class Sleeps:
    """Records the pauses a channel asks for, without sleeping."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    fake = start_fake_graph()
    yield fake
    fake.stop()


def facebook_channel(settings: Settings, fake: FakeGraph, sleeps: Sleeps | None = None) -> FacebookChannel:
    return FacebookChannel(
        settings.model_copy(update=fake.settings_update()), base_delay=0.001, sleep=sleeps or Sleeps()
    )


def ready_campaign(session: Session, **kwargs: Any) -> Campaign:
    """An English-only campaign (reviewed copy: publishable live), scheduled and approved."""
    kwargs.setdefault("targets", ENGLISH_ONLY)
    c = make_campaign(session, **kwargs)
    schedule_campaign(session, campaign_id=c.id, windows=[(8, 0), (19, 0)], now=dt.datetime.now(dt.UTC))
    add_user(session, name="bello", role="campaign_manager")
    approve_campaign(session, campaign_id=c.id, approver="bello")
    session.commit()
    return c


@dataclass
class ChannelCase:
    channel: SendingChannel
    fake: FakeGraph | None
    settings: Settings


@pytest.fixture(params=["outbox", "facebook"])
def channel_case(request: pytest.FixtureRequest, settings: Settings) -> Iterator[ChannelCase]:
    """Each channel in turn: the contract tests run the same functions against both."""
    if request.param == "outbox":
        yield ChannelCase(OutboxChannel(settings), None, settings)
        return
    fake = start_fake_graph()
    try:
        yield ChannelCase(facebook_channel(settings, fake), fake, settings)
    finally:
        fake.stop()
