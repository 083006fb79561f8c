"""The intel room's commands: ingest (files, articles), specs, rejects, grade; errors as error/fix."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, func, select

from cli.main import main
from intel.db import get_engine
from intel.models import ImportBatch, Report
from intel.settings import Settings, get_settings

DATA = Path(__file__).parent.parent / "intel" / "data"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def test_ingest_each_real_format_and_list_rejects(env, tmp_path, capsys):
    assert main(["ingest", str(DATA / "ctdc_k_anon_sample.csv"), "--spec", "ctdc"]) == 0
    out = capsys.readouterr().out
    assert "rows read:              64" in out and "stored:                 64" in out
    for name, spec in [("unodc_glotip_sample.csv", "unodc"), ("iom_missing_migrants_sample.csv", "iom")]:
        assert main(["ingest", str(DATA / name), "--spec", spec]) == 0
    bad = tmp_path / "bad.csv"
    bad.write_text("date,place,exploitation\n2023-01-01,Tripoli,sexual\n2023-01-02,Agadez,sexual\n")
    assert main(["ingest", str(bad), "--source-kind", "news", "--source", "RFI"]) == 0
    out = capsys.readouterr().out
    assert "rejected:               1" in out and "rejects written to" in out
    assert main(["rejects"]) == 0
    out = capsys.readouterr().out
    assert "bad.csv:2: place 'Tripoli' is ambiguous" in out
    assert main(["specs"]) == 0
    assert "ctdc" in capsys.readouterr().out
    with Session(get_engine(env)) as s:
        rid = s.exec(select(Report.id).where(Report.place == "Agadez")).one()
    assert main(["grade", str(rid), "--reliability", "B", "--credibility", "2"]) == 0
    assert "reliability B, credibility 2" in capsys.readouterr().out


def test_errors_are_error_and_fix(env, tmp_path, capsys):
    assert main(["ingest", str(DATA / "ctdc_k_anon_sample.csv")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "fix: this looks like a 'ctdc' file: import it with the spec 'ctdc'" in err
    assert "run: counterflow ingest FILE --spec ctdc" in err
    assert main(["ingest", str(tmp_path / "none.csv")]) == 2
    assert main(["ingest", str(DATA / "ctdc_k_anon_sample.csv"), "--spec", "nope"]) == 2
    assert main(["grade", "1", "--reliability", "Z"]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_article_ingest(env, tmp_path, capsys):
    art = tmp_path / "article.txt"
    art.write_text(
        "Traffickers held women in Sabha, Libya, on 4 April 2024 and forced them into prostitution.\n"
    )
    assert main(["ingest", str(art), "--kind", "news", "--source", "Libya Observer"]) == 0
    assert "stored:                 1" in capsys.readouterr().out


def test_killed_import_leaves_nothing_and_rerun_imports_once(env, tmp_path):
    """A real process killed mid-file: the store holds nothing of it; the rerun imports it once."""
    rows = 25_000
    path = tmp_path / "big.csv"
    with open(path, "w") as fh:
        fh.write("date,place,country,exploitation,source_kind,source\n")
        for i in range(rows):
            fh.write(f"2023-{1 + i % 12:02d}-{1 + i % 28:02d},Agadez,NE,sexual,news,S{i % 97}\n")
    marker = tmp_path / "batch-written"
    code = (
        "import sys, pathlib\n"
        "from intel.db import get_engine, session_scope\n"
        "from intel.ingest import ingest_file\n"
        "from intel.settings import get_settings\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "def hold(summary):\n"
        "    marker.write_text(str(summary.rows_stored))\n"
        "    import time; time.sleep(60)\n"
        "with session_scope(get_engine()) as s:\n"
        f"    ingest_file(s, path={str(path)!r}, batch_size=10_000, on_batch=hold)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=os.environ.copy())
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
        assert marker.exists() and int(marker.read_text()) > 0  # a batch is written, uncommitted
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    engine = get_engine(env)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Report)).one() == 0
        assert s.exec(select(func.count()).select_from(ImportBatch)).one() == 0
    assert main(["ingest", str(path)]) == 0
    assert main(["ingest", str(path)]) == 0
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Report)).one() == rows


def test_reports_export_writes_hxl_and_suppresses_small_counts(env, tmp_path, capsys):
    rows = ["date,place,exploitation,source_kind,source,summary"]
    rows += [f"2023-01-{9 + i % 5:02d},Benin City,sexual,news,Wire,Benin {i}" for i in range(4)]
    src = tmp_path / "reports.csv"
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["ingest", str(src), "--no-dedup"]) == 0
    out = tmp_path / "partners.csv"
    assert main(["reports-export", "--out", str(out)]) == 0
    assert out.read_text().splitlines() == [
        "country,admin1,week,exploitation,incidents",
        "#country+code,#adm1+name,#date+week,#indicator+exploitation,#affected+incidents",
        "NG,Edo State,2023-W02,sexual,<11",
    ]
    capsys.readouterr()
    assert main(["reports-export", "--k", "3"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "NG,Edo State,2023-W02,sexual,4"
