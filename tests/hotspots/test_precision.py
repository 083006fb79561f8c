"""A report feeds a cell only when its place is as precise as the cell; a year-only date is
spread over its year's months, never piled into January."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots import h3cells
from hotspots.emerging import spread_months
from hotspots.histograms import counts, heat_matrix
from hotspots.params import HotspotParams
from hotspots.pipeline import analyse
from tests.factories import reports

ZAWIYA = (32.7571, 12.7276)
#: one report each in five other Libyan towns (Tripoli, Misrata, Sabha, Benghazi, Ghat)
BACKGROUND = [((32.89, 13.19), 1, "point"), ((32.37, 15.09), 1, "point"), ((27.04, 14.43), 1, "point"),
              ((32.12, 20.07), 1, "point"), ((24.96, 10.18), 1, "point")]  # fmt: skip
LIBYA_POINT = (26.3351, 17.228331)  # what a common geocoder answers for "Libya"


def _frame(*groups: tuple[tuple[float, float], int, str]) -> pd.DataFrame:
    rows = []
    for (lat, lon), n, precision in groups:
        for i in range(n):
            rows.append(
                {"lat": lat + 0.001 * (i % 3), "lon": lon, "place_precision": precision, "country": "LY",
                 "observed_on": f"2024-{1 + i % 12:02d}-15"}
            )  # fmt: skip
    return reports(rows)


def test_a_country_placeholder_never_becomes_a_hotspot() -> None:
    df = _frame((LIBYA_POINT, 30, "country"), (ZAWIYA, 5, "point"), *BACKGROUND)
    res = analyse(df, params=HotspotParams(resolution=5, trends=False))
    centroid_cell = h3cells.to_str(
        h3cells.cells_of(np.array([LIBYA_POINT[0]]), np.array([LIBYA_POINT[1]]), 5)
    )[0]
    zawiya_cell = h3cells.to_str(h3cells.cells_of(np.array([ZAWIYA[0]]), np.array([ZAWIYA[1]]), 5))[0]
    assert centroid_cell not in set(res.cells["cell"])
    assert res.ranked["cell"].iloc[0] == zawiya_cell and int(res.ranked["count"].iloc[0]) == 5
    assert res.n_reports == 10 and int(res.cells["count"].sum()) == 10
    apart = res.set_apart.to_dict(orient="records")
    assert [(r["level"], r["country"], r["count"]) for r in apart] == [("country", "LY", 30)]
    assert any("30 report(s) set apart" in n and "30 country" in n for n in res.notes)
    assert res.stored_params()["set_apart"][0]["count"] == 30


@pytest.mark.parametrize(
    ("precision", "resolution", "fed"),
    [
        ("point", 9, True),
        ("town", 6, True),
        ("town", 7, False),
        ("district", 4, True),
        ("district", 5, False),
        ("region", 2, True),
        ("region", 3, False),
        ("country", 2, False),
        ("unspecified", 2, False),
    ],
)
def test_each_precision_feeds_cells_no_finer_than_it(precision: str, resolution: int, fed: bool) -> None:
    df = _frame(((33.5, 13.5), 4, precision), (ZAWIYA, 3, "point"))
    res = analyse(df, params=HotspotParams(resolution=resolution, trends=False))
    assert res.n_reports == (7 if fed else 3)
    assert int(res.set_apart["count"].sum()) == (0 if fed else 4)


def test_town_names_in_a_small_area_are_analysed_at_town_scale() -> None:
    """Three towns 30 km apart: the extent alone would ask for 200 m cells, which a town's
    centre cannot support; the resolution is the finest the places support, and says why."""
    df = _frame(((32.75, 12.72), 6, "town"), ((32.90, 13.00), 6, "town"), ((32.60, 12.95), 6, "town"))
    res = analyse(df, params=HotspotParams(trends=False))
    assert res.params.resolution == 6 and res.n_reports == 18 and res.set_apart.empty
    assert any("resolution 6 rather than" in n for n in res.notes)


def test_only_country_level_reports_say_so() -> None:
    from intel.errors import CounterflowError

    with pytest.raises(CounterflowError, match="no report has a place finer than a country"):
        analyse(_frame((LIBYA_POINT, 5, "country")), params=HotspotParams(trends=False))


def test_year_only_dates_spread_evenly_over_their_months() -> None:
    df = reports(
        [{"observed_on": "2019-01-01", "date_precision": "year", "place": "Zawiya", "country": "LY"}] * 12
    )
    month = counts(df, by="month")
    assert month.to_dict() == {f"2019-{m:02d}": 1 for m in range(1, 13)}
    heat = heat_matrix(df, rows="town", cols="month")
    assert heat.loc["Zawiya, LY"].tolist() == [1] * 12
    one = counts(df.head(1), by="month")
    assert len(one) == 12 and float(one.sum()) == pytest.approx(1.0)


def test_spreading_stops_at_the_end_of_the_data() -> None:
    dates = np.array(["2019-01-01", "2019-03-05"], dtype="datetime64[D]")
    rows, months, share = spread_months(
        dates, np.array(["year", "day"], dtype=object), until=np.datetime64("2019-03")
    )
    assert rows.tolist() == [0, 0, 0, 1] and share[:3].tolist() == pytest.approx([1 / 3] * 3)
    assert (months.astype("datetime64[M]").astype(str)).tolist() == [
        "2019-01",
        "2019-02",
        "2019-03",
        "2019-03",
    ]


def test_the_town_histogram_shows_coarse_places_as_such() -> None:
    df = reports(
        [
            {"place": "Zawiya", "country": "LY", "place_precision": "point"},
            {"place": "Qaryat", "country": "LY", "place_precision": "country"},  # a stand-in's nearest town
            {"place": None, "admin1": "Arizona", "country": "US", "place_precision": "region"},
        ]
    )
    assert set(counts(df, by="town").index) == {"Zawiya, LY", "(country only), LY", "(region: Arizona), US"}
