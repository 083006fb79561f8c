"""Fixtures for the web tests: an app on a store with users, a hotspot run and a campaign; a live
server on a fresh store with one person per role, and one Chromium per module (helpers in
``tests/web/journey.py``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, sync_playwright
from sqlalchemy import Engine

from intel.settings import Settings
from tests.factories import Seeded, seed
from tests.web.journey import CHROMIUM_ARGS, Live, add_people, serve
from web import i18n
from web.app import create_app


@pytest.fixture
def seeded(sqlite_engine: Engine) -> Seeded:
    return seed(sqlite_engine)


@pytest.fixture
def client(sqlite_settings: Settings, sqlite_engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(sqlite_settings)) as c:
        yield c


REVIEWED_HERE = ("pcm", "yo", "ha", "ar", "it", "fr")
"""Catalogs a test copy reviews (the shipped ones are drafts: fuzzy until a native reviewer clears them)."""


@pytest.fixture
def reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the tip-form catalogs where REVIEWED_HERE are reviewed (with the real review step)."""
    from campaigns.copy.i18n import review

    root = tmp_path / "locales"
    for code in i18n.LOCALES:
        (root / code / "LC_MESSAGES").mkdir(parents=True)
        shutil.copy(i18n.po_path(code), root / code / "LC_MESSAGES" / "tipform.po")
    shutil.copy(i18n.pot_path(), root / "tipform.pot")
    for code in REVIEWED_HERE:
        review(code, reviewer="Test Reviewer", root=root, domain="tipform")
    monkeypatch.setattr(i18n, "ROOT", root)
    return root


@pytest.fixture
def live_store(settings: Settings, engine: Engine) -> Iterator[Live]:
    """The real app served by uvicorn on a fresh store (SQLite, then PostgreSQL) where one person
    of each role (``tests.web.journey.PEOPLE``) has a password, and nothing else is stored."""
    add_people(engine)
    with serve(create_app(settings)) as base:
        yield Live(base=base, settings=settings, engine=engine)


@pytest.fixture(scope="module")
def module_browser(chromium_path: str) -> Iterator[Browser]:
    """One headless Chromium for every test of a module (each test opens its own contexts)."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield b
        b.close()
