"""`counterflow overlay` against a real SQLite store holding a hand-made hotspot run."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlmodel import func, select

from cli.main import main
from hotspots import h3cells
from intel import hotspot_store
from intel.db import get_engine, session_scope
from intel.models import Hotspot, HotspotRun, Report
from intel.settings import Settings, get_settings

RES = 5


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def _save_run(settings: Settings, *, resolution: int | None = RES) -> int:
    cell = h3cells.to_str(h3cells.cells_of(np.array([6.30]), np.array([5.60]), RES))[0]
    frame = pd.DataFrame(
        {
            "cell": [cell],
            "lat": [6.30],
            "lon": [5.60],
            "bin": [3],
            "trend": ["new hot spot"],
            "reasons": [{"forecast": 2.5}],
            "count": [12],
        }  # fmt: skip
    )
    with session_scope(get_engine(settings)) as s:
        run = hotspot_store.save_run(s, cells=frame, params={}, n_reports=12, resolution=resolution)
        assert run.id is not None
        return run.id


SITES = """\
id,lat,lon,country,good
"=HYPERLINK(""http://x"")",6.30,5.60,NG,Cocoa
far,7.20,5.60,NG,Textiles
bad,,,Narnia,Cocoa
"""


def test_overlay_ranks_the_sites_writes_safe_files_and_stores_nothing(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_id = _save_run(store)
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    with session_scope(get_engine(store)) as s:
        before = (
            s.exec(select(func.count()).select_from(Hotspot)).one(),
            s.exec(select(func.count()).select_from(HotspotRun)).one(),
        )
    assert main(["overlay", str(path), "--kind", "sites"]) == 0  # the latest run by default
    out = capsys.readouterr().out
    assert f"hotspot run {run_id}: 2 sites scored, 1 row(s) rejected" in out
    assert "rejected line 4 (id bad): country 'Narnia' is not a known country" in out
    assert "never an accusation" in out
    with (tmp_path / "sites-ranked.csv").open(encoding="utf-8") as fh:
        ranked = list(csv.DictReader(fh))
    # the first: 30 + 20 (NG cocoa) + 25 inside + 15 at 0 km + 10 new hot spot = 100;
    # far: 15 * 0.5 ** (100.08 / 50) = 3.7 (NG textiles are not listed)
    assert [(r["id"], r["score"]) for r in ranked] == [('\'=HYPERLINK("http://x")', "100.0"), ("far", "3.7")]
    assert ranked[0]["forecast"] == "2.5" and ranked[0]["read_as"].startswith(
        "risk indicator for due diligence"
    )
    summary = pd.read_csv(tmp_path / "sites-summary.csv", keep_default_na=False)
    assert summary[["country", "good", "sites", "mean_score"]].values.tolist() == [
        ["NG", "Cocoa", 1, 100.0],
        ["NG", "Textiles", 1, 3.7],
    ]
    rejects = pd.read_csv(tmp_path / "sites-rejects.csv")
    assert rejects["line"].tolist() == [4]
    with session_scope(get_engine(store)) as s:  # partner rows never enter the store
        assert s.exec(select(func.count()).select_from(Report)).one() == 0
        after = (
            s.exec(select(func.count()).select_from(Hotspot)).one(),
            s.exec(select(func.count()).select_from(HotspotRun)).one(),
        )
    assert after == before == (1, 1)


def test_overlay_errors_say_what_to_do(
    store: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sites.csv"
    path.write_text(SITES, encoding="utf-8")
    get_engine(store)
    assert main(["overlay", str(path)]) == 2
    err = capsys.readouterr().err
    assert "there is no hotspot run" in err and "run: counterflow hotspots" in err
    run_id = _save_run(store, resolution=None)
    assert main(["overlay", str(path), "--run", str(run_id)]) == 2
    assert "ranks places, not H3 cells" in capsys.readouterr().err
    assert main(["overlay", str(path), "--run", "999"]) == 2
    assert "hotspot run 999 does not exist" in capsys.readouterr().err
    assert main(["overlay", str(path), "--kind", "transactions"]) == 2
    assert "sites.csv has no column 'date', 'amount', 'currency'" in capsys.readouterr().err
    assert main(["overlay", str(path), "--kind", "ships"]) == 2
    assert "overlay kind 'ships' is not one this reads" in capsys.readouterr().err
    assert main(["overlay", str(tmp_path / "nope.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
