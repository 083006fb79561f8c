"""A real Prefect server, a process work pool and two workers, started with the README's "Running
it for a team" commands word for word: a hotspot run of the nightly deployment, then a publish
run that pauses until `counterflow approve` answers it, checked in the outbox and the store.

Prefect's own database is a fresh PostgreSQL database (made and dropped here) when
``COUNTERFLOW_TEST_POSTGRES_URL`` reaches a server, else an SQLite file. The test skips, saying
why, when the Prefect server does not start, unless ``COUNTERFLOW_REQUIRE_PREFECT_SERVER`` is set
(CI sets it: there it fails instead).
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from tests.conftest import POSTGRES_URL, REQUIRE_POSTGRES

README = Path(__file__).resolve().parents[2] / "README.md"
WEST = "Benin City > Agadez > Sabha > Tripoli"

pytestmark = pytest.mark.slow


def readme_block(marker: str) -> list[str]:
    """The command lines of the ```sh block right after ``<!-- MARKER ...-->`` in the README."""
    text = README.read_text(encoding="utf-8")
    found = re.search(rf"<!-- {re.escape(marker)}[^>]*-->\s*```sh\n(.*?)```", text, re.S)
    assert found, f"the README has no block marked {marker!r}"
    return [line.strip() for line in found.group(1).splitlines() if line.strip()]


def test_the_readme_gives_the_team_commands() -> None:
    assert readme_block("team commands") == [
        "prefect server start",
        "prefect work-pool create counterflow --type process",
        "counterflow upgrade",
        "counterflow deploy --pool counterflow",
        "prefect worker start --pool counterflow",
    ]
    assert readme_block("team run commands") == [
        "prefect deployment run hotspots/hotspots-nightly",
        "prefect deployment run publish/publish-on-demand --param campaign_id=ID",
        "counterflow approve ID --as NAME",
    ]
    assert readme_block("team dask commands") == [
        "dask scheduler",
        "dask worker tcp://HOST:8786",
        "counterflow ingest FOLDER",
    ]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Team:
    """The processes the README's commands start, in their own process groups (killed by id)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.long: list[tuple[subprocess.Popen[bytes], Path]] = []

    def start(self, line: str, name: str) -> subprocess.Popen[bytes]:
        log = self.logs / f"{name}.log"
        proc = subprocess.Popen(
            shlex.split(line),
            env=self.env,
            cwd=self.logs,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.long.append((proc, log))
        return proc

    def run(self, line: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            shlex.split(line),
            env=self.env,
            cwd=self.logs,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=240,
        )
        assert done.returncode == 0, f"{line}\n{done.stdout}\n{done.stderr}\n{self.tails()}"
        return done.stdout

    def tails(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for _, log in self.long)

    def end(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop one of the processes (its whole group), as an operator stops a service."""
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def stop(self) -> None:
        for proc, _ in reversed(self.long):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.long:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


@pytest.fixture
def prefect_database(tmp_path: Path) -> Iterator[str]:
    """Prefect's own database: a fresh PostgreSQL database (dropped afterwards), else SQLite."""
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES_URL)
    name = f"counterflow_prefect_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        if REQUIRE_POSTGRES:
            pytest.fail(f"PostgreSQL is required (COUNTERFLOW_REQUIRE_POSTGRES) and unreachable: {exc}")
        yield f"sqlite+aiosqlite:///{tmp_path / 'prefect.db'}"
        return
    try:
        yield url.set(drivername="postgresql+asyncpg", database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _flow_run(api: str, line_output: str) -> str:
    found = re.search(r"flow-run/([0-9a-f-]{36})", line_output)
    assert found, line_output
    return found.group(1)


def _wait_state(api: str, run_id: str, want: str, team: Team, seconds: float = 240) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"] or {}
        if state.get("name") == want:
            return state
        if state.get("type") in ("FAILED", "CRASHED", "CANCELLED"):
            break
        time.sleep(1)
    raise AssertionError(f"flow run {run_id} is {state.get('name')}, not {want}\n{team.tails()}")


def _team_env(tmp_path: Path, prefect_database: str) -> tuple[str, dict[str, str]]:
    """The API address, and the environment of every team process: the README's settings."""
    port = _free_port()
    api = f"http://127.0.0.1:{port}/api"
    bin_dir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "COUNTERFLOW_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        # the README's settings table
        PREFECT_API_DATABASE_CONNECTION_URL=prefect_database,
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT_API_URL=api,
        COUNTERFLOW_DATABASE_URL=f"sqlite:///{tmp_path / 'store.db'}",
        COUNTERFLOW_HOME=str(tmp_path / "home"),
        # quicker for a test: no UI, no analytics, workers that look for work every 2 s
        PREFECT_SERVER_UI_ENABLED="false",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_WORKER_QUERY_SECONDS="2",
        PREFECT_LOGGING_LEVEL="INFO",
        COUNTERFLOW_ENVIRONMENT="test",
    )
    return api, env


def _server_up(team: Team, server: str, api: str, name: str) -> subprocess.Popen[bytes]:
    """Start the server and wait for its health check; skip (or, in CI, fail) if it never answers."""
    proc = team.start(server, name)
    deadline = time.monotonic() + 180
    while True:
        try:
            if httpx.get(f"{api}/health", timeout=5).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            why = (
                f"`{server}` did not start ({'exited' if proc.poll() is not None else 'no answer in 180 s'})"
            )
            if os.environ.get("COUNTERFLOW_REQUIRE_PREFECT_SERVER"):
                pytest.fail(f"{why}\n{team.tails()}")
            pytest.skip(f"{why}; its log ends: {team.tails()[-500:]}")
        time.sleep(1)


def test_a_team_server_with_workers_runs_the_deployments_and_waits_for_approval(
    prefect_database: str, tmp_path: Path
) -> None:
    from flows import steps
    from hotspots.routes import parse_route
    from intel.db import make_engine
    from intel.hotspot_store import get_or_create_route
    from intel.models import AuditEvent, Campaign, Credential, HotspotRun, Route, ScheduledPost
    from intel.settings import Settings
    from sandbox.scenario import write_scenario_csv
    from tests.factories import PASSWORD, make_users

    api, env = _team_env(tmp_path, prefect_database)
    home = Path(env["COUNTERFLOW_HOME"])
    store = env["COUNTERFLOW_DATABASE_URL"]
    server, pool, upgrade, deploy, worker = readme_block("team commands")
    run_hotspots, run_publish, approve = readme_block("team run commands")
    team = Team(env, tmp_path)
    try:
        _server_up(team, server, api, "server")
        team.run(pool)
        team.run(upgrade)

        # the team's store: people, reports and one saved route (set up as any operator would)
        settings = Settings(environment="test", home=home, database_url=store)
        engine = make_engine(store)
        with Session(engine) as s:
            make_users(s)
            steps.ingest(s, path=write_scenario_csv(tmp_path / "r.csv", n=400, seed=3), settings=settings)
            spec = parse_route(WEST, corridor_km=150.0)
            get_or_create_route(
                s, name=spec.name, waypoints=[w.to_dict() for w in spec.waypoints], corridor_km=150.0
            )
            s.commit()

        team.run(deploy)
        team.start(worker, "worker-1")
        team.start(worker, "worker-2")  # "a second machine": another worker on the same pool

        nightly = _flow_run(api, team.run(run_hotspots))
        _wait_state(api, nightly, "Completed", team)
        with Session(engine) as s:
            runs = s.exec(select(HotspotRun)).all()
            (route,) = s.exec(select(Route)).all()
            assert [r.route_id for r in runs] == [route.id] and runs[0].n_reports > 0
            planned = steps.plan(
                s, settings=settings, route=spec.name, name="team test", author="cam", budget=900.0,
                languages="en", top=3, starts_on=dt_today(2), ends_on=dt_today(6), paid_for_by="Test NGO",
            )  # fmt: skip
            s.commit()
        cid = str(planned["campaign_id"])

        publishing = _flow_run(api, team.run(run_publish.replace("ID", cid)))
        _wait_state(api, publishing, "Paused", team)
        with Session(engine) as s:
            c = s.get(Campaign, int(cid))
            assert c is not None and c.approved_by is None and c.status == "draft"
            waits = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.awaiting_approval")).all()
            assert [e.detail["flow_run_id"] for e in waits] == [publishing]
        said = team.run(approve.replace("ID", cid).replace("NAME", "cleo"), stdin=f"{PASSWORD}\n")
        assert f"handed to the paused flow run {publishing}" in said
        _wait_state(api, publishing, "Completed", team)

        outbox = home / "outbox" / f"campaign-{cid}.jsonl"
        assert outbox.is_file() and outbox.read_text(encoding="utf-8").strip()
        with Session(engine) as s:
            c = s.get(Campaign, int(cid))
            assert c is not None and (c.approved_by, c.status) == ("cleo", "published")
            posts = s.exec(select(ScheduledPost).where(ScheduledPost.campaign_id == int(cid))).all()
            assert posts and all(p.status == "published" for p in posts)
            (grant,) = s.exec(select(Credential).where(Credential.kind == "grant")).all()
            assert grant.used_at is not None
            approved = s.exec(
                select(AuditEvent)
                .where(AuditEvent.action == "campaign.approved")
                .order_by(col(AuditEvent.id))
            ).all()
            assert [e.actor for e in approved] == ["cleo"]
        engine.dispose()
    finally:
        team.stop()
    assert all(proc.poll() is not None for proc, _ in team.long)


def dt_today(days: int) -> Any:
    import datetime as dt

    return dt.datetime.now(dt.UTC).date() + dt.timedelta(days=days)


def _scheduled(api: str, deployment_id: str) -> dict[str, str]:
    """The deployment's scheduled flow runs on the server: id -> expected start time."""
    found = httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        },
        timeout=30,
    )
    found.raise_for_status()
    return {r["id"]: r["expected_start_time"] for r in found.json()}


def test_a_server_restart_loses_no_scheduled_run(prefect_database: str, tmp_path: Path) -> None:
    """Deploy with schedules, let the server schedule the nightly runs, stop the server and start
    it again on the same database: every scheduled run is still there, once."""
    api, env = _team_env(tmp_path, prefect_database)
    env["PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS"] = "2"  # schedule soon after the deploy
    server, pool, _, deploy, _ = readme_block("team commands")
    team = Team(env, tmp_path)
    try:
        first = _server_up(team, server, api, "server")
        team.run(pool)
        team.run(deploy)
        nightly = httpx.get(f"{api}/deployments/name/hotspots/hotspots-nightly", timeout=10).json()
        before: dict[str, str] = {}
        deadline = time.monotonic() + 120
        while len(before) < 3:  # the scheduler keeps at least three runs ahead
            assert time.monotonic() < deadline, f"no runs scheduled\n{team.tails()}"
            time.sleep(1)
            before = _scheduled(api, nightly["id"])
        # the nightly runs: 02:00 each, on days that follow one another
        assert all(t[11:19] == "02:00:00" for t in before.values()), before
        team.end(first)
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{api}/health", timeout=2)
        _server_up(team, server, api, "server-again")
        after = _scheduled(api, nightly["id"])
        assert {k: after[k] for k in before} == before  # every run, at its time
        assert len(set(after.values())) == len(after)  # and none twice
        assert (
            httpx.get(f"{api}/deployments/name/hotspots/hotspots-nightly", timeout=10).json()["id"]
            == nightly["id"]
        )
    finally:
        team.stop()
    assert all(proc.poll() is not None for proc, _ in team.long)


def test_the_readme_dask_commands_import_a_folder_on_a_dask_worker(
    prefect_database: str, tmp_path: Path
) -> None:
    """A Dask scheduler and a worker (as on a second machine) started with the README's commands;
    `counterflow ingest FOLDER` with COUNTERFLOW_DASK_ADDRESS prepares the files on that worker
    and stores them, reporting to the team's Prefect server."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", 8786)) == 0:
            pytest.skip("port 8786 (the Dask scheduler's) is taken on this machine")
    api, env = _team_env(tmp_path, prefect_database)
    env["COUNTERFLOW_DASK_ADDRESS"] = "tcp://127.0.0.1:8786"
    server, _, upgrade, _, _ = readme_block("team commands")
    scheduler, dask_worker, ingest = readme_block("team dask commands")
    folder = tmp_path / "incoming"
    folder.mkdir()
    header = "date,place,country,exploitation,source_kind,source\n"
    (folder / "a.csv").write_text(header + "2023-03-01,Sabha,LY,sexual,news,Libya Observer\n")
    (folder / "b.csv").write_text(
        header + "2023-03-08,Sabha,LY,sexual,ngo_report,Alarm Phone\n2023-03-02,Agadez,NE,sexual,news,RFI\n"
    )
    team = Team(env, tmp_path)
    try:
        _server_up(team, server, api, "server")
        team.run(upgrade)
        team.start(scheduler, "dask-scheduler")
        worker_log = tmp_path / "dask-worker.log"
        team.start(dask_worker.replace("HOST", "127.0.0.1"), "dask-worker")
        deadline = time.monotonic() + 120
        while b"Registered to" not in worker_log.read_bytes():
            assert time.monotonic() < deadline, team.tails()
            time.sleep(1)
        out = team.run(ingest.replace("FOLDER", str(folder)))
        assert "2 files: 3 reports stored" in out and "merged as duplicates:   1" in out, out
        # the files were prepared on the Dask worker, each task reporting to the Prefect server
        assert worker_log.read_text(errors="replace").count("Finished in state Completed") >= 2, team.tails()
        runs = httpx.post(
            f"{api}/task_runs/filter",
            json={"task_runs": {"name": {"like_": "prepare file"}}},
            timeout=30,
        ).json()
        assert sorted(r["state"]["type"] for r in runs) == ["COMPLETED", "COMPLETED"]
    finally:
        team.stop()
    assert all(proc.poll() is not None for proc, _ in team.long)
