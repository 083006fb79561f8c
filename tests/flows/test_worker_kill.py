"""A Prefect worker killed mid-run under a real server: a `prefect worker` runs an import of two
files through the ``ingest-files-on-demand`` deployment into a PostgreSQL store; once the first
file is committed and the second one's progress bar has moved, the worker and its flow-run
process (in a session of its own) are SIGKILLed. The store then holds the first file and nothing
of the second; the dead run is marked Crashed, as an operator would, a new worker is started and
a new run of the deployment with the same parameters stores the second file once.

Started and skipped (or, with ``COUNTERFLOW_REQUIRE_PREFECT_SERVER``, failed) as in
``tests/flows/test_prefect_server.py``, whose helpers it uses.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from tests.flows import test_prefect_server as server_test
from tests.flows.test_prefect_server import Team, _flow_run, _server_up, _team_env, _wait_state, readme_block

pytestmark = pytest.mark.slow
prefect_database = server_test.prefect_database  # the fixture: Prefect's own database, dropped after

ROWS = 120_000  # three batches of 50,000: the bar moves after the first, the file commits after the third
DEPLOYMENT = "ingest files/ingest-files-on-demand"


def _write_files(folder: Path) -> list[str]:
    """A small file (2 reports) imported first, then a large one (``ROWS`` reports)."""
    folder.mkdir()
    header = "date,place,country,exploitation,source_kind,source\n"
    small, big = folder / "a-small.csv", folder / "b-big.csv"
    small.write_text(
        header + "2023-03-01,Sabha,LY,sexual,news,Libya Observer\n"
        "2023-03-02,Agadez,NE,sexual,law_enforcement,Police\n",
        encoding="utf-8",
    )
    with big.open("w", encoding="utf-8") as fh:
        fh.write(header)
        for i in range(ROWS):
            fh.write(f"2023-{1 + i % 12:02d}-{1 + i % 28:02d},Agadez,NE,sexual,news,S{i % 97}\n")
    return [str(small), str(big)]


def _descendants(pid: int) -> list[int]:
    """Every process started by ``pid`` (and by those), from Linux's ``/proc``."""
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                kids = [int(k) for k in (task / "children").read_text().split()]
            except OSError:  # the process or thread has just ended
                continue
            found.extend(kids)
            todo.extend(kids)
    return found


def _kill_worker(proc: subprocess.Popen[bytes]) -> set[int]:
    """SIGKILL the worker's process group and the group of each process it started (Prefect
    starts the flow-run process in a session of its own); wait until none of them is left.
    Returns the groups killed."""
    pids = _descendants(proc.pid)
    groups = {proc.pid}
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):  # it has just ended
            groups.add(os.getpgid(pid))
    for group in groups:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)
    proc.wait(30)
    deadline = time.monotonic() + 60
    while any(Path(f"/proc/{pid}").exists() and not _zombie(pid) for pid in pids):
        assert time.monotonic() < deadline, f"still running after SIGKILL: {pids}"
        time.sleep(0.2)
    return groups


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def _scalar(url: str, sql: str) -> int:
    from intel.db import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


def test_a_worker_killed_mid_import_leaves_the_store_consistent_and_the_rerun_stores_each_report_once(
    prefect_database: str, postgres_url: str, tmp_path: Path
) -> None:
    from intel.db import make_engine, migrate
    from tests.conftest import _truncate_all

    engine = make_engine(postgres_url)
    migrate(engine)
    _truncate_all(engine)
    engine.dispose()

    api, env = _team_env(tmp_path, prefect_database)
    env["COUNTERFLOW_DATABASE_URL"] = postgres_url  # the team's store: PostgreSQL
    env["COUNTERFLOW_DASK"] = "off"  # the files are prepared in the flow-run process: one process to kill
    server, pool, upgrade, deploy, worker = readme_block("team commands")
    paths = _write_files(tmp_path / "incoming")
    params = json.dumps({"paths": paths, "progress": True})
    run_import = f"prefect deployment run '{DEPLOYMENT}' --params '{params}'"
    team = Team(env, tmp_path)
    try:
        _server_up(team, server, api, "server")
        team.run(pool)
        team.run(upgrade)
        team.run(deploy)
        first = team.start(worker, "worker-1")

        killed = _flow_run(api, team.run(run_import))
        _wait_state(api, killed, "Running", team, seconds=600)
        # part of the work done: the small file committed, the big file's bar moved (a batch of
        # it written, not committed)
        log = tmp_path / "worker-1.log"
        moving = re.compile(rb"ingest b-big\.csv:\s+[1-9]\d?%")
        deadline = time.monotonic() + 600
        while not (
            _scalar(postgres_url, "SELECT count(*) FROM importbatch WHERE file_name = 'a-small.csv'") == 1
            and moving.search(log.read_bytes())
        ):
            assert first.poll() is None and time.monotonic() < deadline, team.tails()
            time.sleep(0.1)
        groups = _kill_worker(first)
        assert first.returncode == -signal.SIGKILL
        assert len(groups) > 1, "the flow run's process was not in a group of its own"

        # the store: the small file, and nothing of the big one (no report, no import row)
        assert _scalar(postgres_url, "SELECT count(*) FROM report") == 2
        assert _scalar(postgres_url, "SELECT count(*) FROM importbatch WHERE file_name = 'b-big.csv'") == 0
        assert _scalar(postgres_url, "SELECT count(*) FROM importbatch WHERE status <> 'done'") == 0

        # nobody is left to report the run's end: the operator marks it crashed
        state = httpx.get(f"{api}/flow_runs/{killed}", timeout=10).json()["state"]
        assert state["type"] == "RUNNING", state
        marked = httpx.post(
            f"{api}/flow_runs/{killed}/set_state",
            json={"state": {"type": "CRASHED", "name": "Crashed", "message": "worker killed"}, "force": True},
            timeout=30,
        )
        assert marked.status_code in (200, 201) and marked.json()["status"] == "ACCEPT", marked.text

        # a new worker, and a new run of the same deployment with the same parameters
        team.start(worker, "worker-2")
        rerun = _flow_run(api, team.run(run_import))
        assert rerun != killed
        _wait_state(api, rerun, "Completed", team, seconds=900)
        assert httpx.get(f"{api}/flow_runs/{killed}", timeout=10).json()["state"]["type"] == "CRASHED"
    finally:
        team.stop()
    assert all(proc.poll() is not None for proc, _ in team.long)

    # each line of each file is one report, once; one import row per file, both finished
    assert _scalar(postgres_url, "SELECT count(*) FROM report") == ROWS + 2
    assert (
        _scalar(
            postgres_url,
            "SELECT count(*) FROM (SELECT import_id, line FROM report GROUP BY import_id, line "
            "HAVING count(*) > 1) AS twice",
        )
        == 0
    )
    assert _scalar(postgres_url, "SELECT count(DISTINCT import_id) FROM report") == 2
    assert _scalar(postgres_url, "SELECT count(*) FROM importbatch") == 2
    assert _scalar(postgres_url, "SELECT count(*) FROM importbatch WHERE status <> 'done'") == 0
