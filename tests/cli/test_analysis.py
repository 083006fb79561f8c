"""The hotspot room's commands against a real SQLite store: output, stored runs, files, errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import select

from cli.main import main
from intel.db import get_engine, session_scope
from intel.models import Hotspot, HotspotRun, Route
from intel.settings import Settings, get_settings
from tests.factories import clusters, store_reports

ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"


@pytest.fixture
def store(sqlite_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("COUNTERFLOW_HOME", str(sqlite_settings.home))
    monkeypatch.setenv("COUNTERFLOW_DATABASE_URL", sqlite_settings.db_url)
    monkeypatch.setenv("COUNTERFLOW_ENVIRONMENT", "test")
    get_settings.cache_clear()
    yield sqlite_settings
    get_settings.cache_clear()


def _scenario() -> pd.DataFrame:
    parts = [
        clusters([(6.34, 5.62, 80)], spread_deg=0.2, place="Benin City", country="NG", exploitation="sexual",
                 origin="Benin City", transit="Agadez|Sabha", destination="Rome"),
        clusters([(16.97, 7.99, 40)], spread_deg=0.2, seed=1, place="Agadez", country="NE",
                 exploitation="forced_labour", origin="Kano", transit="Agadez", destination="Tripoli, Libya"),
        clusters([(32.89, 13.19, 40)], spread_deg=0.2, seed=2, place="Tripoli", country="LY",
                 exploitation="forced_labour|sexual", origin="NG", destination="LY"),
        clusters([(9.0, 3.0, 30)], spread_deg=3.0, seed=3, place="Somewhere", country="NG", exploitation="domestic"),
    ]  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def test_empty_store_says_what_to_do(store: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    get_engine(store)
    assert main(["hotspots", "--route", ROUTE]) == 2
    err = capsys.readouterr().err
    assert "no reports in the store" in err and "run: counterflow ingest FILE" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["hotspots", "--resolution", "22"], "resolution was 22"),
        (["hotspots", "--route", "Benin City > Atlantisville"], "Atlantisville"),
        (["hotspots", "--route", "Rome"], "at least two waypoints"),
        (["hotspots", "--since", "last week"], "--since was 'last week'"),
        (["hotspots", "--corridor-km", "0"], "corridor was 0"),
        (["histogram", "--by", "planet"], "planet"),
        (["histogram", "--min-grade", "Z"], "--min-grade was 'Z'"),
        (["evaluate", "nowhere.csv"], "neither a file nor 'store'"),
    ],
)
def test_bad_input_is_named(
    store: Settings, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    store_reports(get_engine(store), _scenario().head(5))
    assert main(args) == 2
    assert message in capsys.readouterr().err


def test_hotspots_route_run_is_stored_and_drawn(
    store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    engine = get_engine(store)
    store_reports(engine, _scenario())
    png = tmp_path / "h.png"
    gj = tmp_path / "h.geojson"
    assert (
        main(
            [
                "hotspots",
                "--route",
                ROUTE,
                "--top",
                "4",
                "--resolution",
                "5",
                "--png",
                str(png),
                "--geojson",
                str(gj),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "chose Tripoli (Libya)" in out
    assert "rank  place" in out and "km along" in out
    map_path = store.home / "maps" / "hotspots-run1.html"
    assert f"map: {map_path}" in out and map_path.stat().st_size > 50_000
    assert png.stat().st_size > 10_000 and gj.stat().st_size > 100
    with session_scope(engine) as s:
        run = s.exec(select(HotspotRun)).one()
        ranked = s.exec(select(Hotspot).where(Hotspot.rank.is_not(None)).order_by(Hotspot.rank)).all()  # type: ignore[union-attr]
        route = s.exec(select(Route)).one()
        assert run.route_id == route.id and run.map_path == str(map_path) and run.resolution == 5
        # the default ranking is Gi* (the backtests do not favour the forecast), and it is recorded
        assert run.method == "gistar-h3" and "hotspot run 1 (gistar-h3)" in out
        assert route.name == ROUTE and [w["country"] for w in route.waypoints] == [
            "NG",
            "NE",
            "LY",
            "IT",
            "IT",
        ]
        assert (
            1 <= len(ranked) <= 4
            and ranked[0].bin > 0
            and ranked[0].extent_km
            and ranked[0].reasons["count"] > 0
        )
        first_place = ranked[0].place
    assert first_place in out
    # a second run after new reports says what changed
    store_reports(engine, clusters([(11.99, 8.52, 60)], spread_deg=0.1, seed=9, place="Kano", country="NG"))
    assert main(["hotspots", "--route", ROUTE, "--top", "4", "--resolution", "5"]) == 0
    assert "since run 1:" in capsys.readouterr().out
    assert main(["hotspots", "--route", ROUTE, "--top", "4", "--resolution", "5", "--method", "forecast"]) == 0
    out = capsys.readouterr().out
    assert "hotspot run 3 (forecast-h3)" in out and "forecast (80 %)" in out
    with session_scope(engine) as s:
        methods = [r.method for r in s.exec(select(HotspotRun).order_by(HotspotRun.id)).all()]  # type: ignore[arg-type]
    assert methods == ["gistar-h3", "gistar-h3", "forecast-h3"]


def test_flows_histogram_and_evaluate(
    store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store_reports(get_engine(store), _scenario())
    assert main(["flows"]) == 0
    out = capsys.readouterr().out
    od = [line.split() for line in out.splitlines() if line.startswith("Benin City  ")]
    assert od and od[0][-4:] == ["Rome", "80", "80", "transregional"]  # the origin -> destination row
    assert "transregional" in out and "Benin City > Agadez > Sabha > Rome" in out and "Agadez" in out
    assert main(["histogram", "--by", "type"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("sexual") and "120" in out.splitlines()[0]
    assert main(["histogram", "--by", "town", "--heat", "type", "--png", str(tmp_path / "heat.png")]) == 0
    assert (tmp_path / "heat.png").exists()
    assert main(["histogram", "--by", "country", "--type", "domestic"]) == 0
    out = capsys.readouterr().out
    assert "NG" in out and "30 reports" in out
    assert main(["evaluate", "store", "--resolution", "4", "--splits", "2", "--png", str(tmp_path / "c.png")]) == 0
    out = capsys.readouterr().out
    for method in ("forecast", "previous period", "decayed counts", "kernel density", "gi* z", "recall-area"):
        assert method in out
    assert (tmp_path / "c.png").stat().st_size > 1000
    csv = tmp_path / "r.csv"
    _scenario().rename(columns={"observed_on": "date"}).to_csv(csv, index=False)
    assert main(["evaluate", str(csv), "--resolution", "4"]) == 0
    assert "PAI" in capsys.readouterr().out
