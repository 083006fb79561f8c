"""The web room's commands end to end: web (a real uvicorn process), tips, triage, tips-export, outcomes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from cli.main import main
from intel.db import get_engine
from intel.models import Metric, Report, Tip
from intel.settings import Settings, get_settings
from tests.factories import PASSWORD, Seeded, seed, typed

SECRET = "They promised work in Rome and took our phones"


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Settings, Seeded]]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    seeded = seed(get_engine(sqlite_settings))
    yield sqlite_settings, seeded
    get_settings.cache_clear()


def _tip(settings: Settings, seeded: Seeded) -> int:
    from campaigns.feedback.tips import submit_tip

    code = seeded.rows.assets[(seeded.rows.targets[0].id, "pcm")].tracking_code
    with Session(get_engine(settings), expire_on_commit=False) as s:
        tip = submit_tip(s, text=SECRET, tracking_code=code, settings=settings)
        s.commit()
    assert tip.id is not None
    return tip.id


def test_tips_list_hides_text_unless_an_analyst_asks(
    store: tuple[Settings, Seeded], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, seeded = store
    tip_id = _tip(settings, seeded)
    assert main(["tips"]) == 0
    out = capsys.readouterr().out
    assert f"{tip_id}  " in out and "pcm" in out and SECRET not in out
    assert main(["tips", "--show-text"]) == 2
    assert "add --as" in capsys.readouterr().err
    typed(monkeypatch, PASSWORD)
    assert main(["tips", "--show-text", "--as", "cam"]) == 2
    assert "role 'campaign_manager'" in capsys.readouterr().err
    typed(monkeypatch, "not ana's password")  # her name without her password reads nothing
    assert main(["tips", "--show-text", "--as", "ana"]) == 2
    assert SECRET not in capsys.readouterr().out
    typed(monkeypatch)  # no password at all
    assert main(["tips", "--show-text", "--as", "ana"]) == 2
    assert "no password was given" in capsys.readouterr().err
    typed(monkeypatch, PASSWORD)
    assert main(["tips", "--show-text", "--as", "ana"]) == 0
    assert SECRET in capsys.readouterr().out
    assert main(["tips", "--status", "odd"]) == 2
    assert "--status was 'odd'" in capsys.readouterr().err


def test_triage_makes_a_report_and_export_and_outcomes_print(
    store: tuple[Settings, Seeded],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings, seeded = store
    tip_id = _tip(settings, seeded)
    assert main(["triage", str(tip_id), "--as", "ana"]) == 2
    assert "add --actionable or --not-actionable" in capsys.readouterr().err
    typed(monkeypatch, "WRONG-PASSWORD")
    assert main(["triage", str(tip_id), "--actionable", "--as", "ana", "--exploitation", "labour"]) == 2
    assert "the user name or the password is wrong" in capsys.readouterr().err
    # the tip came with no place: it is refused, never put at the target's centre unasked
    typed(monkeypatch, PASSWORD)
    assert main(["triage", str(tip_id), "--actionable", "--as", "ana", "--exploitation", "labour"]) == 2
    assert "no place for its report" in capsys.readouterr().err
    argv = ["triage", str(tip_id), "--actionable", "--as", "ana", "--exploitation", "labour", "--target-area"]
    typed(monkeypatch, PASSWORD)
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "actionable; report" in out and "the area of the campaign target Benin City (25 km)" in out
    with Session(get_engine(settings)) as s:
        tip = s.get(Tip, tip_id)
        assert tip is not None and tip.report_id is not None
        assert s.exec(select(Report)).one().exploitation == "forced_labour"  # the taxonomy's code
    typed(monkeypatch, PASSWORD)
    assert main(["triage", "999", "--actionable", "--as", "ana"]) == 2
    assert "tip 999 does not exist" in capsys.readouterr().err
    cid = seeded.rows.campaign.id
    assert main(["tips-export", str(cid), "--out", str(tmp_path / "agg.csv")]) == 0
    csv = (tmp_path / "agg.csv").read_text()
    assert csv.splitlines()[1] == (
        "#activity+id,#loc+target+id,#meta+lang,#status,#date+week,#affected+tips,#meta+simulated"
    )
    assert "<11" in csv and SECRET not in csv
    assert main(["outcomes", str(cid)]) == 0
    out = capsys.readouterr().out
    assert "[SIMULATED DATA]" in out and "Benin City" in out and "TOTAL" in out
    assert "difference in differences" in out
    assert main(["outcomes", "77"]) == 2
    assert "campaign 77 does not exist" in capsys.readouterr().err


def test_outcomes_print_conversions_and_keep_unattributed_spend_apart(
    store: tuple[Settings, Seeded], capsys: pytest.CaptureFixture[str]
) -> None:
    """Seeded spend is 3 days x (10 + 20 + 30) = 180; an ad set that is not the campaign's adds
    99.5 in an export, which is named apart and left out of the TOTAL."""
    settings, seeded = store
    cid = seeded.rows.campaign.id
    with Session(get_engine(settings)) as s:
        s.add(
            Metric(
                campaign_id=cid,
                tracking_code="fb-adset-777",
                day=seeded.rows.campaign.starts_on,
                source="export",
                spend=99.5,
                conversions=3,
            )
        )
        s.commit()
    assert main(["outcomes", str(cid)]) == 0
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.startswith("TOTAL"))
    assert "180.00" in total and "279.50" not in total
    assert "conversions" in out and "cost/conv." in out
    assert "unattributed: 99.50 USD spend in 1 daily rows of 1 ad sets" in out
    assert "not counted in the totals" in out


def test_triage_refuses_a_place_that_does_not_resolve_and_lists_the_candidates(
    store: tuple[Settings, Seeded], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, seeded = store
    tip_id = _tip(settings, seeded)  # attributed to the Benin City target, in Nigeria
    typed(monkeypatch, PASSWORD, PASSWORD, PASSWORD)  # the analyst's password, once per command
    assert main(["triage", str(tip_id), "--actionable", "--as", "ana", "--place", "Tripoli"]) == 2
    err = capsys.readouterr().err
    assert "place 'Tripoli' is ambiguous" in err
    for label in ("Tripoli, Tripoli, Libya", "Tripoli, Liban-Nord, Lebanon", "Trípoli, Peloponnese, Greece"):
        assert f"'{label}'" in err
    assert f"run: counterflow triage {tip_id} --actionable --as NAME --place 'Tripoli, Tripoli, Libya'" in err
    assert main(["triage", str(tip_id), "--actionable", "--as", "ana", "--place", "Nowhereville"]) == 2
    assert "'Nowhereville' is not in the gazetteer" in capsys.readouterr().err
    with Session(get_engine(settings)) as s:
        tip = s.get(Tip, tip_id)
        assert tip is not None and (tip.status, tip.report_id) == ("new", None)
        assert s.exec(select(Report)).all() == []
    assert main(["triage", str(tip_id), "--actionable", "--as", "ana", "--place", "Uselu, Benin City"]) == 0
    out = capsys.readouterr().out
    assert "Uselu (Edo State, Nigeria), found within 25 km of Benin City" in out
    with Session(get_engine(settings)) as s:
        report = s.exec(select(Report)).one()
        assert (report.place, report.country, report.place_precision) == ("Uselu", "NG", "district")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_web_command_serves_without_an_access_log(store: tuple[Settings, Seeded], tmp_path: Path) -> None:
    settings, _ = store
    port = _free_port()
    env = dict(os.environ, COUNTERFLOW_HOME=str(settings.home), COUNTERFLOW_DATABASE_URL=settings.db_url)
    log = (tmp_path / "web.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-c", "from cli.main import run; run()", "web", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/tip?lang=fr", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    pytest.fail("counterflow web did not start: " + (tmp_path / "web.log").read_text())
                time.sleep(0.2)
        # the French tip-form catalog is an unreviewed draft: the public sees English until review
        assert r.status_code == 200 and "What happened?" in unescape(r.text) and 'lang="en"' in r.text
        httpx.post(f"http://127.0.0.1:{port}/tip", data={"text": SECRET, "lang": "fr"}, timeout=5)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
    output = (tmp_path / "web.log").read_text()
    assert f"counterflow web on http://127.0.0.1:{port}/" in output
    assert "GET /tip" not in output and "POST /tip" not in output  # no access log, so no client address
    assert SECRET not in output
    assert main(["web", "--port", "0"]) == 2


def test_web_refuses_to_listen_beyond_loopback_without_sign_in(
    store: tuple[Settings, Seeded], tmp_path: Path
) -> None:
    settings, _ = store
    env = dict(
        os.environ,
        COUNTERFLOW_HOME=str(settings.home),
        COUNTERFLOW_DATABASE_URL=settings.db_url,
        COUNTERFLOW_SIGN_IN="false",
    )
    try:  # a server that starts is a failure: it would keep running, so it gets a time limit
        done = subprocess.run(
            [
                sys.executable,
                "-c",
                "from cli.main import run; run()",
                "web",
                "--host",
                "0.0.0.0",
                "--port",
                str(_free_port()),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("counterflow web listened on 0.0.0.0 with sign-in off")
    assert done.returncode == 2
    assert "sign-in is off, and --host 0.0.0.0 would open the staff pages" in done.stderr
