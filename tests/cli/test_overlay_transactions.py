"""`counterflow overlay FILE --kind transactions`, kept for a partner, and `counterflow overlay
purge`, against a real SQLite store with hand-made flows and the demo route's hotspots."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlmodel import func, select

from cli.main import main
from intel.db import get_engine, session_scope
from intel.models import PartnerRecord, PartnerUpload, Report
from intel.settings import Settings, get_settings
from tests.factories import make_demo_run, make_route, make_users, reports, store_reports

# Benin City (the demo route's first hotspot) -> Rome (its last): both on the route
TX = """\
id,date,amount,currency,sender_place,sender_country,receiver_place,receiver_country
A,2025-03-01,250,EUR,Benin City,NG,Rome,IT
B,2025-03-02,90,EUR,,NG,,FR
C,2025-03-03,10,EURO,,NG,,IT
"""


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    engine = get_engine(sqlite_settings)
    # NG -> IT: 40 reports in the year up to 2025-06-30, 10 in the year before: 50, rising
    days = ["2025-06-30"] * 40 + ["2024-01-15"] * 10
    store_reports(engine, reports([{"observed_on": d, "origin": "NG", "destination": "Italy"} for d in days]))
    with session_scope(engine) as s:
        make_users(s)
        make_demo_run(s, route=make_route(s))
    yield sqlite_settings
    get_settings.cache_clear()


def test_transactions_are_scored_kept_for_the_partner_and_purged(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(TX, encoding="utf-8")
    args = ["overlay", str(path), "--kind", "transactions", "--partner", "pia"]
    outs = [
        "--xlsx",
        str(tmp_path / "tx.xlsx"),
        "--map",
        str(tmp_path / "tx.html"),
        "--png",
        str(tmp_path / "tx.png"),
    ]
    assert main([*args, *outs]) == 0
    out = capsys.readouterr().out
    assert "report corridors and saved routes: 2 transactions scored, 1 row(s) rejected" in out
    assert "rejected line 4 (id C): currency 'EURO' is not an ISO 4217 code" in out
    assert "kept for pia until the purge (30 days): /overlay/" in out
    with (tmp_path / "tx-ranked.csv").open(encoding="utf-8") as fh:
        ranked = list(csv.DictReader(fh))
    # A: 30 known flow + 25 on the route + 25 * 50 / 100 volume + 20 rising = 87.5; B: no flow, 0
    assert [(r["id"], r["score"], r["corridor"]) for r in ranked] == [
        ("A", "87.5", "NG -> IT"),
        ("B", "0.0", "NG -> FR"),
    ]
    assert ranked[0]["route"] == "Benin City > Agadez > Tripoli > Lampedusa > Rome"
    summary = pd.read_csv(tmp_path / "tx-summary.csv", keep_default_na=False)
    assert summary[
        ["corridor", "transactions", "corridor_reports", "corridor_trend", "amounts"]
    ].values.tolist()[0] == ["NG -> IT", 1, "50", "rising", "EUR 250.00"]
    book = load_workbook(tmp_path / "tx.xlsx", read_only=True)
    assert book.sheetnames == ["ranked", "summary", "rejects", "about"]
    assert (tmp_path / "tx.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    html = (tmp_path / "tx.html").read_text(encoding="utf-8")
    assert "NG -&gt; IT: 50 reports" in html and "score 75-100" in html
    engine = get_engine(store)
    with session_scope(engine) as s:
        upload = s.exec(select(PartnerUpload)).one()
        assert (upload.kind, upload.n_records, len(upload.rejects)) == ("transactions", 2, 1)
        assert s.exec(select(func.count()).select_from(PartnerRecord)).one() == 2
        assert s.exec(select(func.count()).select_from(Report)).one() == 50  # nothing of the file
    # --no-keep keeps nothing
    assert main([*args, "--no-keep"]) == 0
    assert "not kept" in capsys.readouterr().out
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(PartnerUpload)).one() == 1
        upload = s.exec(select(PartnerUpload)).one()
        upload.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=29)
        s.add(upload)
    assert main(["overlay", "purge"]) == 0  # 29 days old: kept
    assert "deleted 0 partner overlay(s) and 0 record(s) older than 30 days" in capsys.readouterr().out
    with session_scope(engine) as s:
        upload = s.exec(select(PartnerUpload)).one()
        upload.created_at = dt.datetime.now(dt.UTC) - dt.timedelta(days=31)
        s.add(upload)
    assert main(["overlay", "purge"]) == 0
    assert "deleted 1 partner overlay(s) and 2 record(s) older than 30 days" in capsys.readouterr().out
    with session_scope(engine) as s:
        assert s.exec(select(func.count()).select_from(PartnerRecord)).one() == 0


def test_a_result_is_kept_for_partner_accounts_only(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "tx.csv"
    path.write_text(TX, encoding="utf-8")
    assert main(["overlay", str(path), "--kind", "transactions", "--partner", "ana"]) == 2
    assert "account 'ana' has the role analyst, not partner" in capsys.readouterr().err
    assert main(["overlay", str(path), "--kind", "transactions", "--partner", "nobody"]) == 2
    assert "counterflow users add nobody --role partner" in capsys.readouterr().err
