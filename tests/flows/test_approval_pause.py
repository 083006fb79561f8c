"""Approval inside the flow: a publish run without a grant pauses in Prefect until another person
answers with `counterflow approve` (their password proves who they are; the run gets a one-use
grant id), and spends the grant itself under today's rules."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlmodel import Session, col, select

from cli.main import main
from flows.steps.approval import HANDED_OVER, REFUSED, WAITING, waiting_run
from intel.db import get_engine
from intel.models import AuditEvent, Campaign, Credential, ScheduledPost
from intel.settings import Settings, get_settings
from tests.factories import ENGLISH_ONLY, PASSWORD, make_draft_campaign, make_users, typed


@pytest.fixture
def cli_store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The command line and the flows on one SQLite store."""
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.database_url)
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


class Background:
    """A flow called in a thread (it blocks while paused), with its result or error."""

    def __init__(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        self.result: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            try:
                self.result = fn(*args, **kwargs)
            except BaseException as exc:  # handed to the test
                self.error = exc

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def join(self, seconds: float = 120) -> Any:
        self.thread.join(seconds)
        assert not self.thread.is_alive(), "the flow run did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def _state(run_id: str) -> str | None:
    from flows.approval import run_state

    return run_state(run_id)


def _paused(engine: Any, campaign_id: int, seconds: float = 90) -> str:
    """Wait until the store says a run waits and Prefect has it paused; its id."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with Session(engine) as s:
            run_id = waiting_run(s, campaign_id=campaign_id)
        if run_id and _state(run_id) == "Paused":
            return run_id
        time.sleep(0.3)
    raise AssertionError(f"no paused run for campaign {campaign_id}")


def _draft(engine: Any, name: str) -> int:
    with Session(engine) as s:
        make_users(s)
        c = make_draft_campaign(s, author="cam", name=name, targets=ENGLISH_ONLY)
        s.commit()
        assert c.id is not None
        return c.id


def test_a_paused_publish_run_is_approved_from_the_command_line(
    prefect_harness: None,
    cli_store: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from prefect.flow_runs import resume_flow_run

    from flows.loop import publish_flow
    from intel.accounts import issue_grant

    settings = cli_store
    engine = get_engine(settings)
    cid = _draft(engine, "paused for approval")
    run = Background(publish_flow, cid, home=str(settings.home), poll_seconds=1)
    run_id = _paused(engine, cid)

    # the author cannot answer: refused before any grant is made, and the run keeps waiting
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "cam"]) == 2
    assert "cam is the author" in capsys.readouterr().err
    with Session(engine) as s:
        assert s.exec(select(Credential).where(Credential.kind == "grant")).all() == []
        author = s.exec(select(Campaign.author).where(Campaign.id == cid)).one()
    assert author == "cam" and _state(run_id) == "Paused"

    # an answer through Prefect with the author's own grant (someone with access to the Prefect
    # API, not the command line): the run refuses it (the step's transaction, the grant's spending
    # with it, is rolled back) and pauses again
    with Session(engine) as s:
        from intel.models import User

        own = issue_grant(s, user=s.exec(select(User).where(User.name == "cam")).one(), purpose="approve")
        s.commit()
    resume_flow_run(UUID(run_id), run_input={"grant": own, "decision": "approve", "reason": ""})
    run_id_again = _paused(engine, cid)
    assert run_id_again == run_id
    with Session(engine) as s:
        assert s.get(Campaign, cid).approved_by is None  # type: ignore[union-attr]

    # cleo approves on the command line: her password, then a grant the run spends
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "cleo"]) == 0
    assert f"handed to the paused flow run {run_id}" in capsys.readouterr().out
    done = run.join()
    assert done["approval"]["decision"] == "approve" and done["approval"]["by"] == "cleo"
    assert done["schedule"]["posts"] > 0 and done["publish"]["sent"] > 0
    assert Path(done["publish"]["outbox"]).is_file()
    assert _state(run_id) == "Completed"
    with Session(engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and (c.approved_by, c.status) == ("cleo", "published")
        grants = s.exec(select(Credential).where(Credential.kind == "grant")).all()
        # the author's grant approved nothing; cleo's was spent by the run
        assert [(g.id == own, g.used_at is not None) for g in grants] == [(True, False), (False, True)]
        actions = [
            e.action
            for e in s.exec(
                select(AuditEvent).where(AuditEvent.object_id == cid).order_by(col(AuditEvent.id))
            )
            if e.object_type == "campaign"
        ]
        assert actions[:4] == [WAITING, WAITING, HANDED_OVER, "campaign.approved"]
        assert waiting_run(s, campaign_id=cid) is None
    # with no run waiting, approving again is today's direct approval (the same person: a no-op)
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "cleo"]) == 0
    assert f"campaign {cid} approved by cleo" in capsys.readouterr().out


def test_a_refusal_ends_the_paused_run(
    prefect_harness: None,
    cli_store: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from flows.loop import publish_flow

    settings = cli_store
    engine = get_engine(settings)
    cid = _draft(engine, "to be refused")
    # nothing waits yet: there is nothing to refuse
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "dina", "--refuse"]) == 2
    assert "nothing to refuse" in capsys.readouterr().err
    run = Background(publish_flow, cid, home=str(settings.home), poll_seconds=1)
    run_id = _paused(engine, cid)
    typed(monkeypatch, PASSWORD)
    assert (
        main(["approve", str(cid), "--as", "dina", "--refuse", "--reason", "the helpline number is wrong"])
        == 0
    )
    done = run.join()
    assert done == {
        "approval": {
            "decision": "refuse",
            "by": "dina",
            "reason": "the helpline number is wrong",
            "campaign_id": cid,
        },
        "schedule": None,
        "publish": None,
    }
    assert _state(run_id) == "Completed"
    with Session(engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and c.approved_by is None and c.status == "draft"
        assert s.exec(select(ScheduledPost).where(ScheduledPost.campaign_id == cid)).all() == []
        refused = s.exec(select(AuditEvent).where(AuditEvent.action == REFUSED)).one()
        assert (refused.actor, refused.detail["reason"]) == ("dina", "the helpline number is wrong")
    assert not (settings.home / "outbox" / f"campaign-{cid}.jsonl").exists()


def test_a_campaign_approved_before_the_run_does_not_pause(
    prefect_harness: None, cli_store: Settings
) -> None:
    from campaigns.delivery.approval import approve_campaign
    from flows.loop import publish_flow

    engine = get_engine(cli_store)
    cid = _draft(engine, "approved already")
    with Session(engine) as s:
        approve_campaign(s, campaign_id=cid, approver="dina", now=dt.datetime.now(dt.UTC))
        s.commit()
    done = publish_flow(cid, home=str(cli_store.home), poll_seconds=1)
    assert done["approval"] == {"decision": "approve", "by": "dina", "already": True}
    assert done["publish"]["sent"] > 0
    with Session(engine) as s:
        assert waiting_run(s, campaign_id=cid) is None


def test_an_answer_carries_a_grant_id_and_no_secret() -> None:
    from flows.approval import ApprovalInput

    assert set(ApprovalInput.model_fields) == {"grant", "decision", "reason"}
    with pytest.raises(ValueError):
        ApprovalInput(grant=1, decision="maybe")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ApprovalInput(grant=1, decision="approve", password="x")  # type: ignore[call-arg]


def test_the_weekly_loop_runs_on_its_deployments_parameters_and_waits_for_approval(
    prefect_harness: None,
    cli_store: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """What the scheduled `loop-weekly-west` run does: hotspots, a plan from the template, a pause
    until cleo approves on the command line, then the schedule and the outbox."""
    from flows import steps
    from flows.deployments import build_deployments
    from flows.loop import weekly_loop_flow
    from sandbox.scenario import write_scenario_csv
    from tests.flows.test_deployments import WEST, _template

    settings = cli_store
    engine = get_engine(settings)
    with Session(engine) as s:
        make_users(s)
        steps.ingest(s, path=write_scenario_csv(tmp_path / "r.csv", n=400, seed=3), settings=settings)
        s.commit()
    _template(settings, "west", WEST)
    (weekly,) = [d for d in build_deployments(settings) if d.name == "loop-weekly-west"]
    params = weekly_loop_flow.validate_parameters({**weekly.parameters, "poll_seconds": 1})
    today = dt.date(2031, 3, 3)
    run = Background(weekly_loop_flow, **{**params, "today": today})
    deadline = time.monotonic() + 120
    cid = None
    while cid is None and time.monotonic() < deadline:
        with Session(engine) as s:
            cid = s.exec(select(Campaign.id)).first()
        time.sleep(0.5)
    assert cid is not None, run.error
    run_id = _paused(engine, cid)
    with Session(engine) as s:
        c = s.get(Campaign, cid)
        assert c is not None and (c.author, c.status, c.approved_by) == ("cam", "draft", None)
        # two days after the run, for five days, as the template says
        assert (c.starts_on, c.ends_on) == (dt.date(2031, 3, 5), dt.date(2031, 3, 9))
        assert c.name == "Safe journeys west (2031-03-05)"
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "cleo"]) == 0
    done = run.join()
    assert _state(run_id) == "Completed"
    assert done["hotspots"]["ranked"] and done["plan"]["campaign_id"] == cid
    assert done["approval"]["by"] == "cleo" and done["publish"]["sent"] > 0
    assert Path(done["publish"]["outbox"]).is_file()
