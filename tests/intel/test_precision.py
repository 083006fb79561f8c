"""Place and date precision, detected at import: placeholder words, sea crossings, admin-only
places, rounded coordinates, a country's stand-in point, year-only dates."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from sqlmodel import select

from intel.db import get_engine, session_scope
from intel.ingest.service import ingest_file
from intel.models import Report
from intel.precision import PlacePrecision, coordinate_precision, describe_place
from intel.settings import Settings

HERE = Path(__file__).parent
REPO = HERE.parents[1]
DEV_SET = REPO.parent / "shared" / "data" / "iom_missing_migrants_dev.csv"
ROWS = HERE / "data" / "iom_precision_rows.csv"  # real rows of the development set, for CI
POINTS = REPO / "intel" / "data" / "country_points.csv"


@pytest.mark.parametrize(
    ("text", "precision", "country"),
    [
        ("Unspecified location, Libya", "country", "LY"),
        ("Lieu non précisé, Libye", "country", "LY"),
        ("Località sconosciuta, Libia", "country", "LY"),
        ("مكان غير محدد، ليبيا", "country", "LY"),
        ("somewhere in Niger", "country", "NE"),
        ("between Libya and Italy", "unspecified", None),
        ("Central Mediterranean", "unspecified", None),
        ("en mer", "unspecified", None),
        ("in mare", "unspecified", None),
        ("off the coast of Libya", "country", "LY"),
        ("off the coast of Zuwara, Libya", "district", "LY"),
        ("Pima County, Arizona, USA", "district", "US"),
        ("Kerman province, Iran", "region", "IR"),
        ("Syria-Turkey border, Idlib Governorate, Syria", "region", "SY"),
        ("Unspecified location in Mexico City, Mexico", "town", "MX"),
        ("Zawiya, Libya", "town", "LY"),
    ],
)
def test_words_of_a_place_say_how_precise_it_is(text, precision, country):
    found = describe_place(text)
    assert found is not None and (found.precision.value, found.country) == (precision, country)


@pytest.mark.parametrize(
    "text",
    [
        "Río Bravo, near Ejido El Saucito, Guerrero, Coahuila, Mexico",  # a river at a named village
        "Found dead after falling off a train, Calais",
        "Moyale, Ethiopia, on border with Kenya",  # a town we do not know, at a border
    ],
)
def test_words_naming_something_finer_leave_the_place_to_its_coordinates(text):
    assert describe_place(text) is None


@pytest.mark.parametrize(
    ("lat", "lon", "precision"),
    [
        ("33", "13", "region"),  # whole degrees: up to 55 km off each way
        ("32.8", "13.20", "district"),  # one decimal (trailing zeros do not count)
        ("32.76", "12.73", "town"),
        ("32.757", "12.73", "point"),  # the finer coordinate decides
        ("2.500000000000", "42.329444000000", "point"),
        ("1e-3", "12", "point"),  # not plain decimals: no evidence of rounding
    ],
)
def test_rounded_coordinates_are_as_coarse_as_their_digits(lat, lon, precision):
    assert coordinate_precision(lat, lon).value == precision


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def _stored(settings: Settings) -> list[Report]:
    with session_scope(get_engine(settings)) as s:
        return sorted(s.exec(select(Report)).all(), key=lambda r: r.line or 0)


def test_a_generic_file_records_place_and_date_precision(sqlite_settings: Settings, tmp_path: Path):
    path = _write(
        tmp_path / "reports.csv",
        ["date", "place", "lat", "lon", "country"],
        [
            ["2019", "Zawiya, Libya", "", "", ""],  # 2: a town, a year
            ["2019-03", "", "32.7571", "12.7276", ""],  # 3: a point, a month
            ["March 2019", "", "32.8", "12.7", ""],  # 4: one decimal
            ["2019-03-04", "Unspecified location, Libya", "", "", ""],  # 5: the country only
            ["2019-03-04", "", "", "", "LY"],  # 6: a country alone: this spec requires a place
            ["2019-03-04", "", "26.3351", "17.228331", ""],  # 7: a geocoder's point for Libya
            ["2019-03-04", "Unspecified location, Libya", "", "", "IT"],  # 8: two countries
            ["2019-03-04", "between Libya and Italy", "", "", ""],  # 9: no country, no point
            ["2019-03-04", "Arizona", "", "", ""],  # 10: a region
        ],
    )
    with session_scope(get_engine(sqlite_settings)) as s:
        summary = ingest_file(s, path=path, settings=sqlite_settings)
    reports = {r.line: r for r in _stored(sqlite_settings)}
    got = {line: (r.place_precision, r.date_precision) for line, r in reports.items()}
    assert got == {
        2: ("town", "year"),
        3: ("point", "month"),
        4: ("district", "month"),
        5: ("country", "day"),
        7: ("country", "day"),
        10: ("region", "day"),
    }
    assert reports[5].country == "LY" and reports[5].lat is None and reports[5].place is None
    assert reports[5].extra["place_precision_reason"] == "placeholder 'unspecified location'"
    assert reports[7].country == "LY" and reports[7].place is None  # no town named after a stand-in point
    assert "stand-in point of LY" in reports[7].extra["place_precision_reason"]
    assert reports[10].country == "US" and reports[10].admin1 == "Arizona" and reports[10].lat is None
    assert str(reports[2].observed_on) == "2019-01-01"  # stored as 1 January, read as the year
    assert summary.rows_rejected == 3
    with session_scope(get_engine(sqlite_settings)) as s:
        from intel.ingest.service import list_rejects

        reasons = dict(zip(list_rejects(s)["line"], list_rejects(s)["reason"], strict=True))
    assert "names the country LY, but the country column says IT" in reasons[8]
    assert "names no town, region or country" in reasons[9]
    assert "no place and no lat/lon" in reasons[6]


def _decimals(text: str) -> int:
    frac = text.strip().partition(".")[2].rstrip("0")
    return len(frac)


def test_the_iom_development_set_imports_with_its_placeholders_recorded(
    sqlite_settings: Settings,
) -> None:
    """Every row imports; the precision of each is what the CSV itself shows, computed here
    with the csv module: "Unspecified location" rows are never points, Pima County without a
    finer place is a district, coordinates on a geocoder's country point are the country, and
    rounded pairs are not points. On a clean clone without the shared folder, the same checks
    run on real rows copied from it."""
    path = DEV_SET if DEV_SET.is_file() else ROWS
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    with POINTS.open(encoding="utf-8", newline="") as fh:
        geocoder = {
            (round(float(p["lat"]), 6), round(float(p["lon"]), 6)): p["code"]
            for p in csv.DictReader(fh)
            if p["kind"] == "geocoder"
        }
    placeholder: set[str] = set()
    pima: set[str] = set()
    rounded: set[str] = set()
    on_point: dict[str, str] = {}
    for r in rows:
        line = r["Web ID"]
        text = r["Location Description"].lower()
        lat_s, lon_s = (x.strip() for x in r["Location Coordinates"].split(","))
        if "unspecified location" in text:
            placeholder.add(line)
        parts = {p.strip() for p in re.sub(r"\([^)]*\)", "", text).split(",")}
        pima_parts = {"pima county", "pima county jurisdiction", "pima couny jurisdiction"}
        if parts & pima_parts and parts <= pima_parts | {"arizona", "usa"}:
            pima.add(line)
        key = (round(float(lat_s), 6), round(float(lon_s), 6))
        if key in geocoder:
            on_point[line] = geocoder[key]
        if max(_decimals(lat_s), _decimals(lon_s)) <= 2:
            rounded.add(line)
    with session_scope(get_engine(sqlite_settings)) as s:
        summary = ingest_file(s, path=path, spec="iom", settings=sqlite_settings)
    assert summary.rows_stored == len(rows) and summary.rows_rejected == 0
    reports = {r.extra["web_id"]: r for r in _stored(sqlite_settings)}
    assert placeholder and pima and on_point  # the copied rows hold each kind too
    assert all(reports[i].place_precision != "point" for i in placeholder | rounded)
    assert {reports[i].place_precision for i in pima} == {"district"}
    assert {(reports[i].place_precision, reports[i].country) for i in on_point} == {
        ("country", c) for c in on_point.values()
    }
    assert {r.date_precision for r in reports.values()} == {"day"}  # "November 28, 2015"
    by = {p.value: sum(r.place_precision == p for r in reports.values()) for p in PlacePrecision}
    assert sum(by.values()) == len(rows)
    assert by["district"] >= len(pima) and by["country"] >= len(on_point)
    if path == DEV_SET:  # measured on the 3,009 rows of the development set
        assert (len(placeholder), len(pima), len(on_point), len(rounded)) == (51, 738, 4, 0)
        assert by == {
            "point": 1587,
            "town": 287,
            "district": 833,
            "region": 177,
            "country": 43,
            "unspecified": 82,
        }


def test_a_namesake_in_another_country_never_gives_its_country():
    """IOM incident 39207, "near Douglas, Arizona" at 31.34, -109.55: Douglas is also an area of
    the Isle of Man; the text's last part (Arizona, US) rules, never the namesake's country."""
    from intel.precision import describe_place

    found = describe_place("near Douglas, Arizona")
    assert found is not None and (found.country, found.admin1) == ("US", "Arizona")
    assert describe_place("Douglas, Isle of Man").country == "IM"  # type: ignore[union-attr]


def test_a_point_in_a_border_town_takes_the_towns_country(sqlite_settings, tmp_path):
    """IOM incidents at 25.8812, -97.4797 lie in Heroica Matamoros, Mexico, which the 1:110m
    country shapes put in the United States; the town's country wins within 10 km. Words that
    name a country choose between the town's and the shape's ("..., Nuevo Laredo, Mexico" on the
    Rio Grande beside Laredo, US)."""
    import numpy as np
    from sqlmodel import select

    from intel.db import get_engine, session_scope
    from intel.gazetteer import countries_at
    from intel.ingest import ingest_file
    from intel.models import Report

    assert countries_at(np.array([25.881211791344]), np.array([-97.479659873636]))[0] == "US"  # the shapes' error
    path = tmp_path / "border.csv"
    path.write_text(
        "date,lat,lon,summary\n2019-05-01,25.881211791344,-97.479659873636,Matamoros\n", encoding="utf-8"
    )
    with session_scope(get_engine(sqlite_settings)) as s:
        ingest_file(s, path=path, settings=sqlite_settings)
        report = s.exec(select(Report)).one()
    assert (report.place, report.country) == ("Heroica Matamoros", "MX")


def test_a_point_across_the_border_from_the_nearest_town_is_not_named_after_it():
    """A real IOM row: a canal in El Paso, Texas (31.7536, -106.4173), its country given as the
    US. The nearest town of the gazetteer is Ciudad Juárez, Mexico, across the river: the report
    stays in the US and carries no Mexican town or state as its place."""
    import numpy as np
    import pandas as pd

    from intel.ingest.geocode import geocode

    rows = pd.DataFrame(
        {"lat": [31.753616299345, 31.753616299345], "lon": [-106.41725898467, -106.41725898467],
         "place": [None, None], "country": ["US", "MX"], "admin1": [None, None]}
    )  # fmt: skip
    out = geocode(rows, np.array([None, None], dtype=object), require_location=True)
    assert out["country"].tolist() == ["US", "MX"]
    assert out["place"].tolist() == [None, "Ciudad Juárez"]  # the town labels its own country only
    assert out["admin1"].tolist() == [None, "Chihuahua"]


def test_the_country_a_place_names_decides_at_the_border_when_the_location_column_is_empty(
    sqlite_settings, tmp_path
):
    """The same El Paso canal through a plain file: the point lies within 10 km of Ciudad Juárez,
    whose country the town rule would give; the place's last words name the USA and the country
    shapes put the point there too, so it is in the US (the spec's empty ``location`` column
    once hid the place's words and the report landed in Mexico)."""
    from sqlmodel import select

    from intel.db import get_engine, session_scope
    from intel.ingest import ingest_file
    from intel.models import Report

    path = tmp_path / "el-paso.csv"
    path.write_text(
        "date,lat,lon,place\n"
        '2019-05-01,31.753616299345,-106.41725898467,"Canal next to the César Chávez Border Highway by '
        'Fonseca Drive, El Paso, El Paso County, Texas, USA"\n',
        encoding="utf-8",
    )
    with session_scope(get_engine(sqlite_settings)) as s:
        ingest_file(s, path=path, settings=sqlite_settings)
        report = s.exec(select(Report)).one()
    assert report.country == "US"
