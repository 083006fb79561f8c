"""What the browser tests share: the real app served by uvicorn on a free loopback port, people of
every role with passwords (made by the same account code as ``counterflow users add`` and
``users set-password``), Chromium's launch flags, a guard that refuses every request that leaves
the server, and ``sign_in``, which fills the real sign-in form.

The fixtures over these (one live server per store, on SQLite and on PostgreSQL, and one browser
per module) are in ``tests/web/conftest.py``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Page
from sqlalchemy import Engine

from intel.settings import Settings

#: Debian's Chromium as root, headless, and quiet: no call home, no updates, no sync.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Every journey's password (it passes the password rules: long, and no one's name).
JOURNEY_PASSWORD = "journey only: seven tired ferries at dawn"

#: One person per role: (name, role). The campaign manager plans, the director approves (never
#: the author), the analyst imports, runs hotspots and triages, the admin and partner look on.
PEOPLE = (
    ("ana", "analyst"),
    ("cam", "campaign_manager"),
    ("dina", "director"),
    ("root", "admin"),
    ("pia", "partner"),
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def add_people(engine: Engine, people: tuple[tuple[str, str], ...] = PEOPLE) -> None:
    """Add ``people`` with ``JOURNEY_PASSWORD``, as ``users add`` and ``users set-password`` do."""
    from intel.accounts import set_password
    from intel.db import session_scope
    from intel.users import add_user

    with session_scope(engine) as s:
        for name, role in people:
            set_password(s, user=add_user(s, name=name, role=role), password=JOURNEY_PASSWORD, actor=name)


@dataclass(frozen=True)
class Live:
    """A running server: its base URL, and the settings and engine of its store."""

    base: str
    settings: Settings
    engine: Engine

    def url(self, path: str) -> str:
        return f"{self.base}{path}"


def no_outside_requests(page: Page, base: str) -> list[str]:
    """Abort every request of ``page`` to anywhere but ``base``; the list collects their URLs."""
    outside: list[str] = []

    def check(route: Any, request: Any) -> None:
        if request.url.startswith(base) or request.url.startswith(("data:", "about:", "blob:")):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    page.route("**/*", check)
    return outside


def sign_in(page: Page, base: str, name: str, password: str = JOURNEY_PASSWORD) -> None:
    """Sign in as ``name`` through the real form (``/signin``) and land on the home page."""
    page.goto(f"{base}/signin")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#signin-submit")
    page.wait_for_url(f"{base}/")
