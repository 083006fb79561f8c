"""Fixtures for the web tests: an app on a store with users, a hotspot run and a campaign."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from intel.settings import Settings
from tests.factories import Seeded, seed
from web.app import create_app


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


@pytest.fixture
def client(sqlite_settings: Settings, sqlite_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings)) as c:
        yield c
