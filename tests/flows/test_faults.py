"""Faults survived, with real processes on a PostgreSQL store: an import of a folder killed
(SIGKILL) while it writes a large file, and a publish to the dry-run outbox killed between posts,
each run again; the store stays consistent and nothing is stored or sent twice."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from intel.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from cli.main import run; run()"]

pytestmark = pytest.mark.slow


@pytest.fixture
def pg_settings(postgres_url: str, tmp_path: Path) -> Settings:
    """An empty, migrated PostgreSQL store (the team's store) and a home folder."""
    from intel.db import make_engine, migrate
    from tests.conftest import _truncate_all

    engine = make_engine(postgres_url)
    migrate(engine)
    _truncate_all(engine)
    engine.dispose()
    return Settings(environment="test", home=tmp_path / "home", database_url=postgres_url)


def _env(settings: Settings) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COUNTERFLOW_")}
    env.update(
        COUNTERFLOW_ENVIRONMENT="test",
        COUNTERFLOW_HOME=str(settings.home),
        COUNTERFLOW_DATABASE_URL=settings.db_url,
        COUNTERFLOW_DASK="off",  # the writes are the same either way: one writer, file by file
    )
    return env


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the process and whatever it started (its own process group): no cleanup runs."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)


def _scalar(settings: Settings, sql: str) -> int:
    from intel.db import get_engine

    with get_engine(settings).connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_an_import_killed_mid_file_leaves_no_part_of_it_and_the_rerun_stores_it_once(
    pg_settings: Settings, tmp_path: Path
) -> None:
    rows = 120_000  # three batches of 50,000: the bar moves after the first, the file commits after the third
    folder = tmp_path / "incoming"
    folder.mkdir()
    (folder / "a-small.csv").write_text(
        "date,place,country,exploitation,source_kind,source\n"
        "2023-03-01,Sabha,LY,sexual,news,Libya Observer\n"
        "2023-03-02,Agadez,NE,sexual,law_enforcement,Police\n",
        encoding="utf-8",
    )
    with open(folder / "b-big.csv", "w", encoding="utf-8") as fh:
        fh.write("date,place,country,exploitation,source_kind,source\n")
        for i in range(rows):
            fh.write(f"2023-{1 + i % 12:02d}-{1 + i % 28:02d},Agadez,NE,sexual,news,S{i % 97}\n")
    env = _env(pg_settings)
    err = tmp_path / "import.err"
    with err.open("wb") as log:
        proc = subprocess.Popen(
            [*CLI, "ingest", str(folder)], cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        # the progress bar of the big file has moved (a batch of it is written, not committed)
        moving = re.compile(rb"ingest b-big\.csv:\s+[1-9]\d?%")
        deadline = time.monotonic() + 240
        while not moving.search(err.read_bytes()):
            assert proc.poll() is None, err.read_text(errors="replace")
            assert time.monotonic() < deadline, err.read_text(errors="replace")
            time.sleep(0.05)
    finally:
        _kill(proc)
    assert proc.returncode == -signal.SIGKILL
    # the small file was committed on its own; of the big one, nothing: no report, no import row
    assert _scalar(pg_settings, "SELECT count(*) FROM report") == 2
    assert _scalar(pg_settings, "SELECT count(*) FROM importbatch WHERE file_name = 'b-big.csv'") == 0
    assert _scalar(pg_settings, "SELECT count(*) FROM importbatch WHERE status <> 'done'") == 0

    rerun = subprocess.run([*CLI, "ingest", str(folder)], cwd=ROOT, env=env, capture_output=True, timeout=600)
    out = rerun.stdout.decode()
    assert rerun.returncode == 0, out + rerun.stderr.decode()
    assert "a-small.csv was already imported" in out and f"stored:                 {rows}" in out
    assert _scalar(pg_settings, "SELECT count(*) FROM report") == rows + 2
    # each line of each file is one report, once
    assert (
        _scalar(
            pg_settings,
            "SELECT count(*) FROM (SELECT import_id, line FROM report GROUP BY import_id, line "
            "HAVING count(*) > 1) AS twice",
        )
        == 0
    )
    assert _scalar(pg_settings, "SELECT count(DISTINCT import_id) FROM report") == 2


HOLD = """
import pathlib, sys, time
from campaigns.delivery.channels.outbox import OutboxChannel

marker, kill_at, after = pathlib.Path(sys.argv.pop(1)), int(sys.argv.pop(1)), sys.argv.pop(1) == "after"
real = OutboxChannel.create
count = 0


def create(self, spec, params, campaign_id):
    # the test kills this process while it waits here: before the Nth post is written to the
    # outbox, or after it is written but before the store records it as sent
    global count
    count += 1
    if count == kill_at and not after:
        marker.write_text(spec.key)
        time.sleep(300)
    out = real(self, spec, params, campaign_id)
    if count == kill_at and after:
        marker.write_text(spec.key)
        time.sleep(300)
    return out


OutboxChannel.create = create
from cli.main import run

run()
"""


@pytest.mark.parametrize("kill_at, when", [(3, "after"), (5, "before")], ids=["sent-unrecorded", "not-sent"])
def test_a_publish_killed_between_posts_sends_none_twice_on_the_rerun(
    pg_settings: Settings, tmp_path: Path, kill_at: int, when: str
) -> None:
    from campaigns.delivery.channels.outbox import read_outbox
    from intel.db import get_engine
    from intel.models import Delivery, ScheduledPost
    from tests.factories import ready_campaign

    engine = get_engine(pg_settings)
    with Session(engine) as s:
        cid = ready_campaign(s).id
    assert cid is not None
    env = _env(pg_settings)
    marker = tmp_path / "holding"
    args = ["publish", str(cid), "--channel", "outbox"]
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(marker), str(kill_at), when, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()[0].decode()
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        _kill(proc)
    assert proc.returncode == -signal.SIGKILL
    written = read_outbox(pg_settings, cid)
    assert len(written) == (kill_at if when == "after" else kill_at - 1)

    rerun = subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    if when == "after":  # the post written just before the kill is found in the outbox, not sent again
        assert "1 recovered after an interrupted run" in rerun.stdout
    lines = read_outbox(pg_settings, cid)
    assert lines[: len(written)] == written  # what went out before the kill is still there, once
    assert Counter(line["key"] for line in lines).most_common(1)[0][1] == 1  # no post twice
    with Session(engine) as s:
        deliveries = s.exec(select(Delivery).where(Delivery.campaign_id == cid)).all()
        posts = s.exec(select(ScheduledPost).where(ScheduledPost.campaign_id == cid)).all()
    assert len(lines) > kill_at and sorted(d.key for d in deliveries) == sorted(line["key"] for line in lines)
    assert all(d.status == "sent" for d in deliveries)
    assert sorted(d.external_id or "" for d in deliveries) == sorted(line["external_id"] for line in lines)
    assert posts and all(p.status == "published" for p in posts)
    # a third run sends nothing
    third = subprocess.run([*CLI, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert third.returncode == 0 and " 0 sent," in third.stdout, third.stdout + third.stderr
    assert read_outbox(pg_settings, cid) == lines
    engine.dispose()
