"""The publishing commands end to end: approve, schedule (with ICS), publish, outbox, insights,
insights-import; bad input gets an error naming the value and the fix (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from cli.main import main
from intel.db import get_engine
from intel.models import Campaign, Delivery, Metric
from intel.settings import Settings, get_settings
from sandbox.fakegraph import FakeGraph, start_fake_graph
from tests.factories import (
    ADS_EXPORT_SAMPLE,
    ENGLISH_ONLY,
    PASSWORD,
    make_draft_campaign,
    typed,
    user_with_password,
)


@pytest.fixture
def cli_env(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    for name in ("TOKEN", "ID"):
        monkeypatch.delenv(f"COUNTERFLOW_FACEBOOK_ACCESS_{name}", raising=False)
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def _campaign(settings: Settings, **kw) -> int:
    with Session(get_engine(settings)) as s:
        return make_draft_campaign(s, **kw).id


def test_approve_schedule_publish_outbox(cli_env, capsys, tmp_path, monkeypatch):
    cid = _campaign(cli_env, author="amara")
    with Session(get_engine(cli_env)) as s:
        user_with_password(s, "amara", "campaign_manager")
        s.commit()
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "amara"]) == 2
    err = capsys.readouterr().err
    assert "error: amara is the author" in err.lower() and "fix:" in err

    assert main(["publish", str(cid)]) == 2
    assert f"run: counterflow approve {cid} --as NAME" in capsys.readouterr().err

    # an unknown name is refused as a wrong password is: names are not confirmed
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "bello"]) == 2
    err = capsys.readouterr().err
    assert "the user name or the password is wrong" in err and "run: counterflow users set-password" in err
    # the store's first users: no admin yet, so no one to ask; bello sets a password himself
    assert main(["users", "add", "bello", "--role", "campaign_manager"]) == 0
    out = capsys.readouterr().out
    assert "one-time set-password link for bello" in out and "/set-password/" in out
    typed(monkeypatch, "bello's own passphrase", "bello's own passphrase")
    assert main(["users", "set-password", "bello"]) == 2
    assert "contains the user name" in capsys.readouterr().err
    typed(monkeypatch, "a passphrase of the second pair of eyes", "a passphrase of the second pair of eyes")
    assert main(["users", "set-password", "bello"]) == 0
    typed(monkeypatch, "a passphrase of the second pair of eyes")
    assert main(["approve", str(cid), "--as", "bello"]) == 0
    assert "approved by bello" in capsys.readouterr().out

    ics = tmp_path / "cal" / "campaign.ics"
    assert main(["schedule", str(cid), "--window", "08:00", "--window", "19:00", "--ics", str(ics)]) == 0
    out = capsys.readouterr().out
    assert "posts scheduled" in out and "Africa/Lagos" in out
    assert ics.read_bytes().startswith(b"BEGIN:VCALENDAR")

    assert main(["publish", str(cid)]) == 0
    out = capsys.readouterr().out
    assert "via outbox" in out and "0 failed" in out and "dry run: payloads recorded" in out
    lines = [
        json.loads(x) for x in (cli_env.home / "outbox" / f"campaign-{cid}.jsonl").read_text().splitlines()
    ]
    assert lines[0]["kind"] == "campaign" and lines[0]["params"]["status"] == "PAUSED"
    assert lines[0]["form"]["special_ad_categories"] == '["ISSUES_ELECTIONS_POLITICS"]'

    assert main(["publish", str(cid)]) == 0
    assert f"0 sent, {len(lines)} already sent" in capsys.readouterr().out

    assert main(["outbox", str(cid)]) == 0
    out = capsys.readouterr().out
    assert f"{len(lines)} requests (dry run" in out and "POST /v24.0/act_0/adsets" in out

    assert main(["insights", str(cid), "--channel", "outbox"]) == 0
    assert "no insights yet" in capsys.readouterr().out  # it starts tomorrow
    assert (
        main(["insights", str(cid), "--channel", "outbox", "--since", "2026-01-01", "--until", "2026-01-02"])
        == 0
    )
    assert "has no insights" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["schedule", "{cid}", "--window", "8h"], "--window was '8h'"),
        (["schedule", "{cid}", "--posts-per-day", "9"], "posts_per_day was 9"),
        (["publish", "{cid}", "--channel", "pigeon"], "channel was 'pigeon'"),
        (["publish", "{cid}", "--channel", "facebook"], "COUNTERFLOW_FACEBOOK_ACCESS_TOKEN"),
        (["insights", "{cid}", "--since", "yesterday"], "--since was 'yesterday'"),
        (["outbox", "{cid}"], "outbox of campaign"),
        (["insights-import", "missing.csv", "--campaign", "{cid}"], "missing.csv does not exist"),
    ],
)
def test_bad_input_names_the_value_and_the_fix(cli_env, capsys, argv, needle):
    cid = _campaign(cli_env)
    assert main([a.replace("{cid}", str(cid)) for a in argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and "fix:" in err and "Traceback" not in err


def test_insights_import_command(cli_env, capsys):
    cid = _campaign(cli_env)
    # without a date column the rows need the day they cover
    assert main(["insights-import", str(ADS_EXPORT_SAMPLE), "--campaign", str(cid)]) == 2
    err = capsys.readouterr().err
    assert "no date column" in err and "--day YYYY-MM-DD" in err
    argv = ["insights-import", str(ADS_EXPORT_SAMPLE), "--campaign", str(cid), "--day", "2026-06-01"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "40 rows" in out and "0 rejected" in out
    assert "conversions from 'Total_Conversion'" in out
    assert "not in the export, so unknown (not 0): reach" in out
    assert "columns not stored: ad_id, xyz_campaign_id, age, gender, interest, Approved_Conversion" in out
    # none of the sample's ad sets was published by counterflow: all 40 rows are kept apart
    assert "unattributed: 40 rows" in out and "not counted in the campaign's totals" in out
    with Session(get_engine(cli_env)) as s:
        stored = s.exec(select(Metric).where(Metric.source == "export")).all()
        assert len(stored) > 0 and all(m.reach is None for m in stored)
        assert sum(m.conversions for m in stored) == 43  # the sample's Total_Conversion column


@pytest.fixture
def fake() -> Iterator[FakeGraph]:
    fake = start_fake_graph()
    yield fake
    fake.stop()


def test_publish_and_insights_through_the_sdk(cli_env, capsys, monkeypatch, fake):
    """The demo-like flow: a factory campaign, approved, scheduled, published to the fake Graph
    API through the real SDK, and its insights in the Metric table."""
    for k, v in fake.settings_env().items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    cid = _campaign(cli_env, targets=ENGLISH_ONLY)
    with Session(get_engine(cli_env)) as s:
        user_with_password(s, "bello", "campaign_manager")
        s.commit()
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "bello"]) == 0
    assert main(["schedule", str(cid)]) == 0
    assert main(["publish", str(cid), "--channel", "facebook"]) == 0
    out = capsys.readouterr().out
    assert "via facebook" in out and "0 failed" in out and fake.token not in out
    with Session(get_engine(cli_env)) as s:
        c = s.get(Campaign, cid)
        since, until = c.starts_on.isoformat(), c.ends_on.isoformat()
    assert main(["insights", str(cid), "--channel", "facebook", "--since", since, "--until", until]) == 0
    assert "6 rows read, 6 new" in capsys.readouterr().out
    with Session(get_engine(cli_env)) as s:
        sent = s.exec(select(Delivery).where(Delivery.channel == "facebook")).all()
        metrics = s.exec(select(Metric).where(Metric.campaign_id == cid, Metric.source == "platform")).all()
    assert len(sent) == len(fake.objects) and fake.duplicates() == {}
    assert len(metrics) == 2 * 3  # two ad sets, three days


def test_approve_on_the_command_line_is_refused_while_preflight_refuses(cli_env, capsys, monkeypatch):
    cid = _campaign(cli_env, author="amara")
    with Session(get_engine(cli_env)) as s:
        user_with_password(s, "bello", "campaign_manager")
        campaign = s.get(Campaign, cid)
        campaign.paid_for_by = ""
        s.add(campaign)
        s.commit()
    typed(monkeypatch, PASSWORD)
    assert main(["approve", str(cid), "--as", "bello"]) == 2
    err = capsys.readouterr().err
    assert f"campaign {cid} cannot be approved while 1 preflight refusal stands: [paid_for_by]" in err
    assert f"run: counterflow preflight {cid}" in err
    with Session(get_engine(cli_env)) as s:
        assert s.get(Campaign, cid).approved_by is None
