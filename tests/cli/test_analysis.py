"""The hotspot room's commands against a real SQLite store: output, stored runs, files, errors."""

from __future__ import annotations

import re
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
        # the default ranking is the forecast (it wins or ties the baselines in the backtests)
        assert run.method == "forecast-h3" and "hotspot run 1 (forecast-h3)" in out
        assert "forecast (80 %)" in out
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
    assert main(["hotspots", "--route", ROUTE, "--top", "4", "--resolution", "5", "--method", "gi"]) == 0
    out = capsys.readouterr().out
    assert "hotspot run 3 (gistar-h3)" in out
    with session_scope(engine) as s:
        methods = [r.method for r in s.exec(select(HotspotRun).order_by(HotspotRun.id)).all()]  # type: ignore[arg-type]
    assert methods == ["forecast-h3", "forecast-h3", "gistar-h3"]


def test_flows_histogram_and_evaluate(
    store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    store_reports(get_engine(store), _scenario())
    assert main(["flows"]) == 0
    out = capsys.readouterr().out
    od = [line.split() for line in out.splitlines() if line.startswith("Benin City  ")]
    assert od and od[0][-3:] == ["Rome", "80", "transregional"]  # the origin -> destination row: 80 incidents
    assert out.startswith("counted: incidents (individual reports): 190 records from news (test)")
    assert "computed from 120 records with transit" in out  # Benin City (80) and Agadez (40) name one
    assert "transregional" in out and "Benin City > Agadez > Sabha > Rome" in out and "Agadez" in out
    assert main(["histogram", "--by", "type"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[0] == "counted: incidents (individual reports): 190 records from news (test) (news)"
    )
    assert out.splitlines()[1].startswith("sexual") and "120" in out.splitlines()[1]
    assert main(["histogram", "--by", "town", "--heat", "type", "--png", str(tmp_path / "heat.png")]) == 0
    assert (tmp_path / "heat.png").exists()
    assert main(["histogram", "--by", "country", "--type", "domestic"]) == 0
    out = capsys.readouterr().out
    assert "NG" in out and "30 incidents" in out
    assert main(["evaluate", "store", "--resolution", "4", "--splits", "2", "--png", str(tmp_path / "c.png")]) == 0
    out = capsys.readouterr().out
    for method in ("forecast", "previous period", "decayed counts", "kernel density", "gi* z", "recall-area"):
        assert method in out
    assert (tmp_path / "c.png").stat().st_size > 1000
    csv = tmp_path / "r.csv"
    _scenario().rename(columns={"observed_on": "date"}).to_csv(csv, index=False)
    assert main(["evaluate", str(csv), "--resolution", "4"]) == 0
    assert "PAI" in capsys.readouterr().out


IOM_HEADER = ["Web ID", "Reported Date", "Total Dead and Missing", "Cause of Death", "Location Description",
              "Location Coordinates", "Source Quality"]  # fmt: skip


def _iom_file(path: Path) -> Path:
    """An IOM-style export written by hand: 30 incidents "Unspecified location, Libya" at the
    point a geocoder gives for Libya, 20 "between Libya and Italy" at one sea point, 10 at a
    point rounded to one decimal, and 5 real points in Zawiya among single reports in five towns."""
    import csv

    rows: list[list[str]] = []

    def add(n: int, text: str, lat: str, lon: str) -> None:
        for _ in range(n):
            i = len(rows)
            day = f"March {1 + i % 28:02d}, 2019"
            rows.append([str(50000 + i), day, "1", "Drowning", text, f"{lat}, {lon}", "3"])

    add(30, "Unspecified location, Libya", "26.335100000000", "17.228331000000")
    add(20, "Central Mediterranean, between Libya and Italy", "34.512345000000", "13.987654000000")
    add(10, "Desert track, Libya", "31.5", "14.0")
    for k in range(5):
        add(1, "Beach west of the refinery, Zawiya, Libya", f"32.75{k}100000000", "12.727600000000")
    for lat, lon in (("32.8872", "13.1913"), ("32.3754", "15.0925"), ("27.0377", "14.4283"),
                     ("32.1167", "20.0667"), ("24.9640", "10.1759")):  # fmt: skip
        add(1, "Roadside, Libya", f"{lat}00000000", f"{lon}00000000")
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(IOM_HEADER)
        w.writerows(rows)
    return path


def test_placeholder_places_are_counted_apart_never_as_hotspots(
    store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _iom_file(tmp_path / "missing_migrants.csv")
    assert main(["ingest", str(path), "--spec", "iom"]) == 0
    capsys.readouterr()
    assert main(["hotspots", "--resolution", "5", "--top", "3"]) == 0
    out = capsys.readouterr().out
    ranked = out.split("rank  place")[1].split("\n\n")[0]
    assert "Zawiya" in ranked.splitlines()[2] and " 5 " in ranked.splitlines()[2]  # the first rank
    assert "60 report(s) set apart" in out and "(20 unspecified, 30 country, 10 district)" in out
    set_apart = out.split("set apart: places coarser than the cells")[1]
    assert re.search(r"country\s+LY\s+30\s+30", set_apart)
    assert re.search(r"unspecified\s+20\s+20", set_apart)
    assert re.search(r"district\s+LY\s+.*10\s+10", set_apart)
    with session_scope(get_engine(store)) as s:
        run = s.exec(select(HotspotRun)).one()
        cells = s.exec(select(Hotspot)).all()
    # no cell sits at the geocoder's point, the sea point or the rounded point
    for lat, lon in ((26.3351, 17.228331), (34.512345, 13.987654), (31.5, 14.0)):
        assert all(abs(c.lat - lat) > 0.1 or abs(c.lon - lon) > 0.1 for c in cells)
    assert run.n_reports == 10 and sum(r["count"] for r in run.params["set_apart"]) == 60
    page = (store.home / "maps" / "hotspots-run1.html").read_text(encoding="utf-8")
    assert "Set apart: 60 reports" in page
    # at resolution 4 (26 km cells) the district-level reports feed cells, the others never do
    assert main(["hotspots", "--resolution", "4"]) == 0
    assert "50 report(s) set apart" in capsys.readouterr().out
    assert main(["histogram", "--by", "town"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\(country only\), LY\s+30", out) and re.search(r"\(unspecified only\), \?\s+20", out)


def test_histogram_by_month_spreads_year_only_dates(
    store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "yearly.csv"
    path.write_text("date,place\n" + "2019,\"Zawiya, Libya\"\n" * 12 + "2019-03-04,\"Zawiya, Libya\"\n", encoding="utf-8")
    assert main(["ingest", str(path)]) == 0
    capsys.readouterr()
    assert main(["histogram", "--by", "month"]) == 0
    lines = capsys.readouterr().out.splitlines()
    months = {ln.split()[0]: ln.split()[1] for ln in lines if ln.startswith("2019-")}
    assert months == {f"2019-{m:02d}": ("2" if m == 3 else "1") for m in range(1, 13)}
    assert "12 reports dated only by year, spread over their months (1/12 in each)" in lines


def test_hotspots_on_reports_with_only_a_date_and_a_place(
    store: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """No report names an origin or a destination (incident data): the run, its map and the
    movement commands work, and flows says there is no movement instead of crashing."""
    csv = tmp_path / "five.csv"
    csv.write_text(
        "date,place\n2024-01-05,Benin City\n2024-02-11,Agadez\n2024-03-20,Sabha, Libya\n"
        "2024-04-02,Zawiya\n2024-05-17,Kano\n".replace("Sabha, Libya", '"Sabha, Libya"'),
        encoding="utf-8",
    )
    assert main(["ingest", str(csv)]) == 0
    assert "stored:                 5" in capsys.readouterr().out
    assert main(["hotspots", "--resolution", "4"]) == 0
    out = capsys.readouterr().out
    assert "hotspot run 1 (forecast-h3): 5 reports" in out
    map_file = Path(out.split("map: ")[1].split()[0])
    assert map_file.exists()
    assert main(["flows"]) == 2
    err = capsys.readouterr().err
    assert "names both an origin and a destination" in err
