"""``counterflow demo``: the whole loop on a generated scenario, in a fresh folder.

It generates a realistic scenario (reports along two routes, one of them Nigeria -> Niger ->
Libya -> Italy, with background noise, several source kinds and years of dates), then runs the
loop flow under Prefect on an SQLite store in the folder: ingest, hotspots along the route with a
map, a campaign plan with localised assets, approval by a second person, schedule, dry-run
publishing to the outbox and, through the real facebook-business SDK, to a local fake Graph API,
simulated feedback (metrics and tips, labelled simulated), a second hotspot run and what changed,
and the outcomes. It prints where its outputs are.

Importing this module imports Prefect: call :func:`flows.prefect_env.prepare_prefect` first.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NONE

from flows.loop import close_loop
from flows.session import flow_session, settings_for
from intel.roles import Role
from sandbox.feedback import simulated_feedback

DEMO_ROUTE = "Benin City > Agadez > Sabha > Tripoli > Lampedusa > Rome"

DEMO_USERS = {
    "amara": Role.CAMPAIGN_MANAGER,  # plans the campaign
    "bola": Role.CAMPAIGN_MANAGER,  # approves it (not the author)
    "chidi": Role.ANALYST,  # triages the tips
    "dayo": Role.DIRECTOR,  # reads the outcomes
}
#: What each demo user did in the demo, and where they start in the web app.
DEMO_DOINGS = {
    "amara": ("planned the campaign", "/campaigns/{campaign}"),
    "bola": ("approved it (not its author)", "/campaigns/{campaign}"),
    "chidi": ("triaged the tips", "/tips"),
    "dayo": ("reads the outcomes", "/outcomes/{campaign}"),
}


REPLAY_DAYS = 24


def demo_password() -> str:
    """A fresh random password for a demo user (four groups, easy to type from the screen)."""
    return "-".join(secrets.token_hex(3) for _ in range(4))


@dataclass
class DemoResult:
    folder: Path
    summary: dict[str, Any]
    outputs: dict[str, Path] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)


@task(name="feedback (simulated)", cache_policy=NONE)
def simulated_feedback_task(
    campaign_id: int, home: str, analyst: str, database_url: str | None = None
) -> dict[str, Any]:
    """Simulate what the campaign brought back (labelled simulated)."""
    with flow_session(home, database_url) as (s, settings):
        return simulated_feedback(s, campaign_id=campaign_id, settings=settings, analyst=analyst)


@flow(name="demo")
def demo_flow(
    reports_file: str,
    plan: dict[str, Any],
    approval_grant: int,
    analyst: str,
    route: str = DEMO_ROUTE,
    home: str = "counterflow-demo",
    database_url: str | None = None,
    corridor_km: float = 150.0,
    top: int = 8,
    channel: str = "outbox",
    extra_channels: dict[str, dict[str, Any]] | None = None,
    as_of: dt.datetime | None = None,
) -> dict[str, Any]:
    """The loop flow's tasks on a generated scenario, with simulated feedback."""
    return close_loop(
        reports_file=reports_file,
        plan=plan,
        approval_grant=approval_grant,
        route=route,
        home=home,
        database_url=database_url,
        corridor_km=corridor_km,
        top=top,
        channel=channel,
        extra_channels=extra_channels,
        as_of=as_of,
        feedback=lambda cid: simulated_feedback_task(cid, home, analyst, database_url),
    )


def new_folder(base: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = base / f"run-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = base / f"run-{stamp}-{n}"
    folder.mkdir(parents=True)
    return folder


def run_demo(
    *,
    base: Path = Path("counterflow-demo"),
    reports: int = 3000,
    seed: int = 7,
    through_sdk: bool = True,
    echo: Callable[[str], None] = lambda s: None,
) -> DemoResult:
    """Run the demo loop; see the module docstring."""
    from intel.accounts import issue_grant, set_password, verify_password
    from intel.db import get_engine, session_scope
    from intel.users import add_user
    from sandbox.fakegraph import start_fake_graph
    from sandbox.scenario import write_scenario_csv

    folder = new_folder(base).resolve()  # absolute: printed for the user to open from anywhere
    home = str(folder)
    echo(f"demo folder: {folder}")
    # The demo replays a campaign that ran over the past three weeks: intelligence up to
    # REPLAY_DAYS ago, the campaign planned and published then, its (simulated) results since.
    as_of = dt.datetime.now(dt.UTC).replace(hour=6, minute=0, second=0, microsecond=0) - dt.timedelta(
        days=REPLAY_DAYS
    )
    csv_path = write_scenario_csv(folder / "scenario-reports.csv", n=reports, seed=seed, end=as_of.date())
    echo(f"generated {reports} simulated reports (plus duplicates) -> {csv_path.name}")
    settings = settings_for(home)
    with session_scope(get_engine(settings)) as s:
        # Demo-only passwords, made here and printed once: the demo's people sign in with them.
        passwords = {name: demo_password() for name in DEMO_USERS}
        for name, role in DEMO_USERS.items():
            set_password(s, user=add_user(s, name=name, role=role), password=passwords[name], actor="demo")
        # bola approves as anyone must: his password proves it is him, and the flow spends the grant
        approval_grant = issue_grant(
            s, user=verify_password(s, name="bola", password=passwords["bola"]), purpose="approve"
        )
    echo(f"demo users: {', '.join(DEMO_USERS)} (demo-only passwords, printed at the end)")

    fake = None
    extra: dict[str, dict[str, Any]] = {}
    if through_sdk:
        fake = start_fake_graph(now=lambda: as_of)
        os.environ.update(
            {
                "COUNTERFLOW_FACEBOOK_GRAPH_URL": fake.url,
                "COUNTERFLOW_FACEBOOK_ACCESS_TOKEN": fake.token,
                "COUNTERFLOW_FACEBOOK_AD_ACCOUNT_ID": fake.account_id,
                "COUNTERFLOW_FACEBOOK_PAGE_ID": fake.page_id,
                "COUNTERFLOW_FACEBOOK_APP_ID": "demo-app",
            }
        )
        extra["facebook-sandbox"] = {}
        echo(f"local fake Graph API (simulated platform) at {fake.url}")

    starts = as_of.date() + dt.timedelta(days=1)
    plan = {
        "name": "Safe journeys: Nigeria - Libya - Italy (demo)",
        "author": "amara",
        "ages": "13-28",
        "genders": "women",
        "languages": "local",
        "budget": 24000.0,
        "currency": "USD",
        "starts_on": starts,
        "ends_on": starts + dt.timedelta(days=REPLAY_DAYS - 3),
        "top": 8,
        "paid_for_by": "Safe Passage NGO (demo)",
        "allow_fuzzy": True,
    }
    try:
        summary = demo_flow(
            reports_file=str(csv_path),
            plan=plan,
            approval_grant=approval_grant,
            analyst="chidi",
            route=DEMO_ROUTE,
            home=home,
            database_url=None,
            corridor_km=150.0,
            top=8,
            channel="outbox",
            extra_channels=extra,
            as_of=as_of,
        )
    finally:
        if fake is not None:
            (folder / "fake-graph-requests.json").write_text(
                json.dumps(fake.requests, indent=2, default=str), encoding="utf-8"
            )
            fake.stop()
    (folder / "loop-summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    outputs = {
        "store": settings.home / "counterflow.db",
        "scenario": csv_path,
        "map before": Path(summary["hotspots_before"]["map"]),
        "map after": Path(summary["hotspots_after"]["map"]),
        "outbox": Path(summary["publish"]["outbox"]),
        "summary": folder / "loop-summary.json",
    }
    if fake is not None:
        outputs["fake Graph requests"] = folder / "fake-graph-requests.json"
    return DemoResult(folder=folder, summary=summary, outputs=outputs, passwords=passwords)
