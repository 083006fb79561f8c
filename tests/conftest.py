"""Shared fixtures: real stores (an SQLite file and a fresh PostgreSQL database), settings,
the Prefect test harness, the fake Graph API and each publishing channel in turn. Plain helpers
(factories) are in ``tests/factories.py``.

The PostgreSQL server comes from COUNTERFLOW_TEST_POSTGRES_URL (default: the local server on
127.0.0.1:5432, database ``test``). Each test run creates its own database there and drops it at
the end. Without a server the PostgreSQL half is skipped, unless COUNTERFLOW_REQUIRE_POSTGRES is
set (CI sets it), where that is a failure.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

# Prefect: offline, its own home, a patient temporary server. Set before prefect is imported.
_PREFECT_HOME = tempfile.mkdtemp(prefix="counterflow-prefect-")
os.environ.setdefault("PREFECT_HOME", _PREFECT_HOME)
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
os.environ.setdefault("MPLBACKEND", "Agg")
# PostgreSQL stores' report snapshots (intel.snapshot): this run's own folder, not the user's cache
os.environ.setdefault("COUNTERFLOW_SNAPSHOT_DIR", tempfile.mkdtemp(prefix="counterflow-snapshots-"))

import pytest  # noqa: E402
from sqlalchemy import Engine, create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from intel.db import make_engine, migrate  # noqa: E402
from intel.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from sandbox.fakegraph import FakeGraph
    from tests.factories import ChannelCase

POSTGRES_URL = os.environ.get(
    "COUNTERFLOW_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = bool(os.environ.get("COUNTERFLOW_REQUIRE_POSTGRES"))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this test run, migrated to head."""
    admin_url = make_url(POSTGRES_URL)
    name = f"counterflow_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is not there
        admin.dispose()
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL at {admin_url.render_as_string(hide_password=True)} is required: {exc}")
        pytest.skip(f"no PostgreSQL server at {admin_url.render_as_string(hide_password=True)}")
    url = admin_url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    from sqlmodel import SQLModel

    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store URL, once for an SQLite file and once for PostgreSQL; empty at the start."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = make_engine(url)
    migrate(engine)
    _truncate_all(engine)
    engine.dispose()
    yield url


@pytest.fixture
def settings(tmp_path: Path, db_url: str) -> Settings:
    """Settings for a throw-away home folder and the parametrised store."""
    return Settings(environment="test", home=tmp_path / "home", database_url=db_url)


@pytest.fixture
def sqlite_settings(tmp_path: Path) -> Settings:
    """Settings on an SQLite file only, for tests that are not about the store."""
    return Settings(
        environment="test", home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'one.db'}"
    )


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    from intel.db import get_engine

    eng = get_engine(settings)
    yield eng


@pytest.fixture
def sqlite_engine(sqlite_settings: Settings) -> Engine:
    from intel.db import get_engine

    return get_engine(sqlite_settings)


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One Prefect test harness (temporary API and database) for the whole run."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        yield


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Path of Debian's Chromium for Playwright (Playwright cannot download browsers here)."""
    import shutil

    path = (
        os.environ.get("COUNTERFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail("Chromium is needed for the page tests: run `bash tests/run.sh`, which installs it")
    return path


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    """A fake Graph API on loopback HTTP, stopped after the test."""
    from sandbox.fakegraph import start_fake_graph

    fake = start_fake_graph()
    yield fake
    fake.stop()


@pytest.fixture(params=["outbox", "facebook"])
def channel_case(request: pytest.FixtureRequest, settings: Settings) -> Iterator[ChannelCase]:
    """Each channel in turn: the contract tests run the same functions against both."""
    from campaigns.delivery.channels.outbox import OutboxChannel
    from sandbox.fakegraph import start_fake_graph
    from tests.factories import ChannelCase, facebook_channel

    if request.param == "outbox":
        yield ChannelCase(OutboxChannel(settings), None, settings)
        return
    fake = start_fake_graph()
    try:
        yield ChannelCase(facebook_channel(settings, fake), fake, settings)
    finally:
        fake.stop()
