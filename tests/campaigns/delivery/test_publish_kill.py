"""Kill the publisher mid-run (SIGKILL) and run it again: zero duplicates on the platform.

`counterflow publish` runs in a subprocess against the fake Graph API. The fake holds the Nth
request (after creating the object, so the killed run never learns its id; or before, so it never
reaches the platform), the test kills the process, then runs the same command again.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import Session, select

from intel.db import get_engine
from intel.models import Delivery
from intel.settings import Settings
from sandbox.fakegraph import start_fake_graph
from tests.factories import ready_campaign

ROOT = Path(__file__).resolve().parents[3]


def _run(env: dict[str, str], campaign_id: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from cli.main import run; run()",
            "publish",
            str(campaign_id),
            "--channel",
            "facebook",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.parametrize(
    "kill_at, after_processing",
    # requests in order: 1 campaign, 2-3 ad sets, 4-7 creative and ad per asset, 8- page posts
    [(1, True), (5, True), (9, False)],
    ids=["campaign-created", "ad-created", "post-not-received"],
)
def test_killed_publish_then_retry_creates_no_duplicates(tmp_path, kill_at, after_processing):
    settings = Settings(
        environment="test", home=tmp_path / "home", database_url=f"sqlite:///{tmp_path / 'kill.db'}"
    )
    engine = get_engine(settings)
    with Session(engine) as s:
        cid = ready_campaign(s).id
    fake = start_fake_graph()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("COUNTERFLOW_")},
            "COUNTERFLOW_ENVIRONMENT": "test",
            "COUNTERFLOW_HOME": str(settings.home),
            "COUNTERFLOW_DATABASE_URL": settings.db_url,
            **fake.settings_env(),
        }
        held = fake.hold_at(kill_at, after_processing=after_processing)
        proc = _run(env, cid)
        try:
            while not held.wait(0.1):
                if proc.poll() is not None:
                    pytest.fail(f"the publisher ended before request {kill_at}: {proc.communicate()[0]}")
            proc.kill()  # SIGKILL: no cleanup, no finally blocks
            proc.wait(10)
        finally:
            fake.release()
        assert proc.returncode == -9
        created_before = len(fake.objects)
        assert created_before == (kill_at if after_processing else kill_at - 1)

        rerun = _run(env, cid)
        out, _ = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, out
        assert fake.duplicates() == {}
        with Session(engine) as s:
            rows = s.exec(select(Delivery).where(Delivery.campaign_id == cid)).all()
        assert all(d.status == "sent" and d.external_id for d in rows)
        # every object exists exactly once, and the store knows each one's id
        assert sorted(d.external_id for d in rows) == sorted(fake.objects)
        if after_processing:
            assert "recovered" in out  # the object created just before the kill was found again
        assert fake.token not in out
    finally:
        fake.stop()
        engine.dispose()
