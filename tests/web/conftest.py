"""Fixtures for the web tests: an app on a store with users, a hotspot run and a campaign."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from intel.models import Hotspot, HotspotRun
from intel.settings import Settings
from tests.web.factories import CampaignRows, make_campaign, make_metrics, make_run, make_users
from web.app import create_app


@dataclass
class Seeded:
    run: HotspotRun
    hotspots: list[Hotspot]
    rows: CampaignRows


def seed(engine: Engine) -> Seeded:
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        run, hotspots = make_run(s, n=4)
        rows = make_campaign(s, run=run, hotspots=hotspots, author="cam")
        make_metrics(s, rows)
        s.commit()
    return Seeded(run=run, hotspots=hotspots, rows=rows)


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


@pytest.fixture
def client(sqlite_settings: Settings, sqlite_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings)) as c:
        yield c


def as_user(name: str) -> dict[str, str]:
    return {"X-Counterflow-User": name}
