"""`counterflow screenshots`: PNGs of the main pages, per role, at desktop and phone widths.

The app runs on a loopback port against a store: the one of ``COUNTERFLOW_HOME`` (or
``COUNTERFLOW_DATABASE_URL``) when set, else a fresh demo built in a temporary folder. One
temporary user per role signs in through the real sign-in form (a random password, never
printed); those users, their sessions and links are deleted at the end. Headless Chromium is
driven by Playwright (a development dependency): ``COUNTERFLOW_CHROMIUM`` or ``chromium`` on the
path.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from cli.app import app
from intel.errors import CounterflowError

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
#: Who sees which pages (``{run}``, ``{campaign}``, ``{tip}``: the newest of the store).
PAGES: dict[str, list[tuple[str, str]]] = {
    "public": [("home", "/"), ("welcome", "/welcome"), ("signin", "/signin"), ("tip-form", "/tip")],
    "analyst": [
        ("hotspots", "/hotspots"),
        ("hotspot-run", "/hotspots/{run}"),
        ("tips", "/tips"),
        ("tip", "/tips/{tip}"),
        ("imports", "/imports"),
        ("hotspots-new", "/hotspots/new"),
        ("figures", "/figures"),
    ],
    "campaign_manager": [
        ("campaigns", "/campaigns"),
        ("campaign", "/campaigns/{campaign}"),
        ("plan", "/campaigns/new?run={run}"),
        ("copy", "/campaigns/{campaign}/copy"),
        ("schedule", "/campaigns/{campaign}/schedule"),
    ],
    "director": [("portfolio", "/portfolio"), ("outcomes", "/outcomes/{campaign}")],
    "admin": [("admin", "/admin")],
    "partner": [("overlay", "/overlay")],
}
USER_PREFIX = "screenshots-"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chromium() -> str:
    path = (
        os.environ.get("COUNTERFLOW_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        raise CounterflowError(
            "no Chromium was found for the screenshots",
            "install Chromium (e.g. apt-get install chromium) or set COUNTERFLOW_CHROMIUM to its path",
        )
    return path


@dataclass
class Shot:
    role: str
    page: str
    width: str
    path: Path


def _store_settings(echo: Any) -> tuple[Any, tempfile.TemporaryDirectory[str] | None]:
    """The settings of the given store, or of a demo built in a temporary folder."""
    from intel.settings import Settings, get_settings

    if os.environ.get("COUNTERFLOW_HOME") or os.environ.get("COUNTERFLOW_DATABASE_URL"):
        return get_settings(), None
    from flows.prefect_env import prepare_prefect

    prepare_prefect()
    from flows.demo import run_demo

    tmp = tempfile.TemporaryDirectory(prefix="counterflow-shots-")
    echo("no COUNTERFLOW_HOME: building a small demo store in a temporary folder (about a minute)")
    result = run_demo(base=Path(tmp.name), reports=600, through_sdk=False)
    return Settings(home=result.folder), tmp


def _newest(session: Any) -> dict[str, str]:
    from sqlmodel import col, select

    from intel.models import Campaign, HotspotRun, Tip

    def newest(model: Any) -> str:
        found = session.exec(select(col(model.id)).order_by(col(model.id).desc()).limit(1)).first()
        return "" if found is None else str(found)

    return {"run": newest(HotspotRun), "campaign": newest(Campaign), "tip": newest(Tip)}


@contextlib.contextmanager
def _temporary_users(engine: Any) -> Iterator[dict[str, str]]:
    """One user per role, with a random password; removed with their sessions and links after."""
    from sqlmodel import Session, col, delete, select

    from intel.accounts import HASHER
    from intel.models import Credential, StaffSession, User
    from intel.roles import Role

    passwords = {str(role): secrets.token_urlsafe(18) for role in Role}
    names = {str(role): f"{USER_PREFIX}{role}" for role in Role}
    with Session(engine) as s:
        taken = s.exec(select(User.name).where(col(User.name).in_(list(names.values())))).all()
        if taken:
            raise CounterflowError(
                f"the store already has users named {', '.join(taken)}",
                "remove them (a former screenshots run was stopped half way), then run it again",
            )
        for role, name in names.items():
            s.add(User(name=name, role=role, password_hash=HASHER.hash(passwords[role])))
        s.commit()
    try:
        yield {names[r]: p for r, p in passwords.items()}
    finally:
        with Session(engine) as s:
            ids = s.exec(select(User.id).where(col(User.name).in_(list(names.values())))).all()
            s.exec(delete(StaffSession).where(col(StaffSession.user_id).in_(ids)))  # type: ignore[call-overload]
            s.exec(delete(Credential).where(col(Credential.user_id).in_(ids)))  # type: ignore[call-overload]
            s.exec(delete(User).where(col(User.id).in_(ids)))  # type: ignore[call-overload]
            s.commit()


@contextlib.contextmanager
def _serve(application: Any) -> Iterator[str]:
    import uvicorn

    port = _free_port()
    config = uvicorn.Config(application, host="127.0.0.1", port=port, access_log=False, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise CounterflowError(
                "the web app did not start for the screenshots", "run `counterflow web` to see why"
            )
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def take_screenshots(settings: Any, out: Path, *, echo: Any = lambda s: None) -> list[Shot]:
    """Serve the app on ``settings``' store and save every page of ``PAGES`` per role and width."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise CounterflowError(
            "Playwright is not installed (it is a development dependency)",
            "install the development dependencies: uv sync (without --no-dev)",
        ) from None
    from sqlmodel import Session

    from web.app import create_app

    if settings.environment == "production":
        raise CounterflowError(
            "the screenshots add temporary users to the store, and this is a production store",
            "take them on a copy of the store or on the demo (unset COUNTERFLOW_HOME)",
        )
    application = create_app(settings)
    engine = application.state.engine
    with Session(engine) as s:
        ids = _newest(s)
    out.mkdir(parents=True, exist_ok=True)
    shots: list[Shot] = []
    with _temporary_users(engine) as users, _serve(application) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            for role, pages in PAGES.items():
                for width, (w, h) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": w, "height": h})
                    page = context.new_page()
                    if role != "public":
                        name = f"{USER_PREFIX}{role}"
                        page.goto(f"{base}/signin")
                        page.fill("#name", name)
                        page.fill("#password", users[name])
                        page.click("#signin-submit")
                        page.wait_for_load_state("load")
                        if "/signin" in page.url:
                            raise CounterflowError(
                                f"{name} could not sign in for the screenshots", "see the web log"
                            )
                    for label, path in pages:
                        url = path.format(**ids)
                        if url.endswith("/") and url != "/":  # no run, campaign or tip yet
                            echo(f"  skipped {label}: the store has none")
                            continue
                        response = page.goto(f"{base}{url}")
                        page.wait_for_load_state("load")
                        status = response.status if response else 0
                        if role != "public" and "/signin" in page.url:
                            raise CounterflowError(
                                f"{url} sent {role} back to the sign-in page", "check the session settings"
                            )
                        if status >= 400:
                            echo(f"  {url} answered {status}: shot as it is")
                        file = out / f"{role}-{label}-{width}.png"
                        page.screenshot(path=str(file), full_page=True)
                        shots.append(Shot(role, label, width, file))
                        echo(f"  {file.name}  {url} ({status})")
                    context.close()
        finally:
            browser.close()
    return shots


@app.command()
def screenshots(
    out: Path = typer.Option(Path("screenshots"), help="Folder the PNG files are written to."),
) -> None:
    """PNGs of the main pages per role at desktop (1280 px) and phone (390 px) widths.

    Uses the store of COUNTERFLOW_HOME when set, else builds a small demo in a temporary folder;
    signs in through the real form as a temporary user per role (deleted afterwards).
    """
    settings, tmp = _store_settings(typer.echo)
    try:
        shots = take_screenshots(settings, out, echo=typer.echo)
    finally:
        if tmp is not None:
            tmp.cleanup()
    typer.echo(f"{len(shots)} screenshots in {out.resolve()}")
