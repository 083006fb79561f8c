"""No flow parameter or result holds a password: `counterflow loop` on a PostgreSQL URL with one."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import func, select

from cli.main import main
from flows.demo import DEMO_ROUTE
from flows.session import settings_for
from intel.db import get_engine, session_scope
from intel.errors import CounterflowError
from intel.models import Report
from intel.settings import Settings, get_settings
from sandbox.scenario import write_scenario_csv
from tests.conftest import _truncate_all
from tests.factories import PASSWORD, seed, typed


async def _stored_runs() -> list[str]:
    from prefect.client.orchestration import get_client

    async with get_client() as client:
        flow_runs = await client.read_flow_runs()
        task_runs = await client.read_task_runs()
    return [r.model_dump_json() for r in flow_runs] + [r.model_dump_json() for r in task_runs]


def test_loop_keeps_the_database_password_out_of_prefect(
    prefect_harness: None, postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = f"Pw-{uuid.uuid4().hex}"  # trust auth on the test server: any password connects
    url = make_url(postgres_url).set(password=password).render_as_string(hide_password=False)
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", url)
    monkeypatch.setenv("COUNTERFLOW_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    settings = Settings()
    engine = get_engine(settings)
    _truncate_all(engine)
    seed(engine)
    before = set(asyncio.run(_stored_runs()))
    end = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).date()
    csv_path = write_scenario_csv(tmp_path / "reports.csv", n=300, seed=3, end=end)
    starts = dt.date.today() + dt.timedelta(days=2)
    typed(monkeypatch, PASSWORD, PASSWORD, PASSWORD)  # cam, cleo and ana prove who they are
    try:
        main(
            [
                "loop", str(csv_path), "--route", DEMO_ROUTE, "--author", "cam", "--approver", "cleo",
                "--analyst", "ana", "--budget", "1000", "--starts", starts.isoformat(),
                "--ends", (starts + dt.timedelta(days=10)).isoformat(), "--paid-for-by", "Test NGO",
            ]
        )  # fmt: skip
    finally:
        get_settings.cache_clear()
    with session_scope(engine) as s:  # the flow ran on the PostgreSQL store, found in the settings
        assert s.exec(select(func.count()).select_from(Report)).one() > 0
    runs = [r for r in asyncio.run(_stored_runs()) if r not in before]
    assert sum('"flow_id"' in r for r in runs) >= 1 and len(runs) > 1  # a flow run and its tasks
    leaked = [r[:200] for r in runs if password in r]
    assert leaked == []


def test_a_flow_refuses_a_url_with_a_password_as_a_parameter(tmp_path: Path) -> None:
    with pytest.raises(CounterflowError, match="COUNTERFLOW_DATABASE_URL"):
        settings_for(str(tmp_path), "postgresql+psycopg://counterflow:hunter2@db.example.org/cf")
    assert settings_for(str(tmp_path), "sqlite:///x.db").database_url == "sqlite:///x.db"


def test_an_approval_answered_on_the_command_line_leaves_no_secret_in_prefect(
    prefect_harness: None, sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The paused publish run, the answer it was resumed with (Prefect stores a run's inputs and
    shows them) and every task run: a grant id, never the approver's password or its hash."""
    import json
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from sqlmodel import Session

    from flows.loop import publish_flow
    from intel.models import Credential
    from tests.factories import ENGLISH_ONLY, make_draft_campaign, make_users, password_hash
    from tests.flows.test_approval_pause import Background, _paused

    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.database_url)
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    engine = get_engine(sqlite_settings)
    with Session(engine) as s:
        make_users(s)
        cid = make_draft_campaign(s, author="cam", targets=ENGLISH_ONLY).id
        s.commit()
    assert cid is not None
    run = Background(publish_flow, cid, home=str(sqlite_settings.home), poll_seconds=1)
    run_id = _paused(engine, cid)
    typed(monkeypatch, PASSWORD)
    try:
        assert main(["approve", str(cid), "--as", "dina"]) == 0
    finally:
        get_settings.cache_clear()
    assert run.join()["publish"]["sent"] > 0
    with Session(engine) as s:
        (grant,) = s.exec(select(Credential.id).where(Credential.kind == "grant")).all()
    with get_client(sync_client=True) as client:
        inputs = client.filter_flow_run_input(UUID(run_id), key_prefix="", limit=100, exclude_keys=set())
        stored = [i.model_dump_json() for i in inputs]
        stored += [client.read_flow_run(UUID(run_id)).model_dump_json()]
        stored += [t.model_dump_json() for t in client.read_task_runs()]
    values = [json.loads(i.value) for i in inputs]
    # the form the Prefect UI shows (the input's schema) and the answer: a grant id
    assert [v["title"] for v in values if "properties" in v] == ["ApprovalInput"]
    assert [v for v in values if "properties" not in v] == [
        {"grant": grant, "decision": "approve", "reason": ""}
    ]
    for text in stored:
        assert PASSWORD not in text and password_hash() not in text and "$argon2" not in text
