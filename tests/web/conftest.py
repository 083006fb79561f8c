"""Fixtures for the web tests: an app on a store with users, a hotspot run and a campaign."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from intel.settings import Settings
from tests.factories import Seeded, seed
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
