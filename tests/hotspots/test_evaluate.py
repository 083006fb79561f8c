"""The backtest on hand-built splits whose hit rates are worked out by hand, ties included."""

from __future__ import annotations

import datetime as dt

import h3
import numpy as np
import pandas as pd
import pytest

from hotspots.evaluate import backtest, expected_hits, is_placeholder, read_reports_csv
from hotspots.forecast import Grid, area_index, count_interval, forecast
from intel.errors import CounterflowError

KANO, ABUJA, LAGOS = (12.0, 8.52), (9.06, 7.49), (6.45, 3.39)
SPLIT = dt.date(2024, 1, 1)


def _rows(lat: float, lon: float, n: int, day: str, **extra: object) -> list[dict]:
    return [{"lat": lat, "lon": lon, "observed_on": pd.Timestamp(day), **extra} for _ in range(n)]


def _hand_case(extra: list[dict] | None = None) -> pd.DataFrame:
    # training (the year before the split): 3 reports in Kano's cell, 1 in Abuja's
    # test: 2 in Kano's cell, 1 in Abuja's, 1 in Lagos (no training report near: outside the
    # study area), 1 in an empty cell next to Kano's (inside the area, tied at zero)
    beside = h3.cell_to_latlng(h3.grid_ring(h3.latlng_to_cell(*KANO, 6), 1)[0])
    rows = (
        _rows(*KANO, 3, "2023-06-01") + _rows(*ABUJA, 1, "2023-06-01")
        + _rows(*KANO, 2, "2024-06-01") + _rows(*ABUJA, 1, "2024-06-01") + _rows(*LAGOS, 1, "2024-06-01")
        + _rows(*beside, 1, "2024-06-01")
    )  # fmt: skip
    # padding far in the past so that there are 20 reports; at Kano's cell (it changes nothing
    # below: "previous period" looks at the last year only)
    rows += _rows(*KANO, 20 - len(rows), "2015-01-01") + (extra or [])
    return pd.DataFrame(rows)


def test_hit_rates_and_pai_worked_by_hand() -> None:
    bt = backtest(
        _hand_case(), splits=[SPLIT], resolution=6, seeds=400, methods=("previous period",), n_boot=50
    )
    o = bt.origins.iloc[0]
    # the area: Kano's and Abuja's cells and their two rings, 19 cells each, apart
    assert (o.n_cells, o.n_test, o.in_area) == (38, 5, 4)
    t = bt.table.set_index("area")
    # 1 %: round(0.38) -> at least 1 cell: Kano's, 2 of 5 test reports; PAI 0.4 / (1/38)
    assert t.loc[0.01, "cells"] == 1 and t.loc[0.01, "hit_rate"] == pytest.approx(0.4)
    assert t.loc[0.01, "pai"] == pytest.approx(0.4 * 38)
    # 5 %: round(1.9) = 2 cells: Kano and Abuja, 3 of 5, no tie involved
    assert t.loc[0.05, "cells"] == 2 and t.loc[0.05, "hit_rate"] == pytest.approx(0.6)
    assert t.loc[0.05, "tie_min"] == t.loc[0.05, "tie_max"] == pytest.approx(0.6)
    # 10 %: round(3.8) = 4 cells: Kano, Abuja and 2 of the 36 tied empty cells; the cell next to
    # Kano (1 test report) is among them with probability 2/36: 3 or 4 hits, mean 3 + 2/36
    assert t.loc[0.10, "cells"] == 4
    assert (t.loc[0.10, "tie_min"], t.loc[0.10, "tie_max"]) == (pytest.approx(0.6), pytest.approx(0.8))
    assert t.loc[0.10, "hit_rate"] == pytest.approx((3 + 2 / 36) / 5, abs=0.015)
    assert expected_hits(np.array([3.0, 1] + [0.0] * 36), np.array([2, 1, 1] + [0] * 35), 4) == pytest.approx(
        3 + 2 / 36
    )


def test_the_study_area_comes_from_the_training_period_and_placeholders_are_left_out() -> None:
    far = _rows(-33.9, 18.4, 1, "2024-06-01")  # a test report at Cape Town widens no area
    ph = _rows(10.5, 7.4, 1, "2023-06-01", location="Unspecified location in Kaduna State, Nigeria")
    bt = backtest(_hand_case(far + ph), splits=[SPLIT], resolution=6, methods=("previous period",), n_boot=20)
    assert bt.origins.iloc[0].n_cells == 38 and "1 report(s) at a placeholder location left out" in bt.notes
    kept = backtest(
        _hand_case(far + ph), splits=[SPLIT], resolution=6, methods=("previous period",), n_boot=20,
        placeholders="keep",
    )  # fmt: skip
    assert kept.origins.iloc[0].n_cells == 57  # the placeholder's cell and its rings join
    assert is_placeholder(pd.DataFrame({"summary": ["Drowning - Unspecified location, Texas", "Kano"]})).tolist() == [
        True, False,
    ]  # fmt: skip


def test_rings_change_the_area() -> None:
    bt = backtest(_hand_case(), splits=[SPLIT], resolution=6, rings=1, methods=("all counts",), n_boot=20)
    assert bt.origins.iloc[0].n_cells == 14  # 7 + 7


def test_bad_inputs() -> None:
    few = pd.DataFrame(_rows(*KANO, 5, "2023-01-01"))
    with pytest.raises(CounterflowError, match="at least 20"):
        backtest(few)
    with pytest.raises(CounterflowError) as err:
        backtest(_hand_case(), splits=[dt.date(1990, 1, 1)], resolution=6)
    assert "split" in err.value.fix


def test_read_csv_formats(tmp_path) -> None:
    p = tmp_path / "r.csv"
    p.write_text('date,coordinates,reliability\n2024-01-01,"6.3, 5.6",B\n2024-02-01,"7.1, 3.9",C\n')
    df = read_reports_csv(str(p))
    assert (
        df["lat"].tolist() == [6.3, 7.1]
        and df["lon"].tolist() == [5.6, 3.9]
        and df["credibility"].tolist() == [6, 6]
    )
    bad = tmp_path / "b.csv"
    bad.write_text("when,lat,lon\n2024-01-01,1,2\n")
    with pytest.raises(CounterflowError, match="no date column"):
        read_reports_csv(str(bad))


def test_the_iom_export_reads_as_it_is(tmp_path) -> None:
    p = tmp_path / "iom.csv"
    p.write_text(
        '"Web ID","Region of Incident","Reported Date","Total Dead and Missing","Location Description",'
        '"Location Coordinates","Source Quality"\n'
        '"1","Europe","October 23, 2019","39","Grays, Essex, UK","51.4783, 0.2683","5"\n'
        '"2","US-Mexico Border","October 22, 2019","1","Unspecified location in Pima County","32.0, -111.9","1"\n'
    )
    df = read_reports_csv(str(p))
    assert df["observed_on"].dt.strftime("%Y-%m-%d").tolist() == ["2019-10-23", "2019-10-22"]
    assert df["lat"].tolist() == [51.4783, 32.0] and df["credibility"].tolist() == [1, 5]
    assert df["region"].tolist() == ["Europe", "US-Mexico Border"]
    assert is_placeholder(df).tolist() == [False, True]


def test_a_file_that_is_not_a_csv_is_refused_with_the_fix(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'a\x00\xff\xfe,"b\n"x')
    with pytest.raises(CounterflowError) as err:
        read_reports_csv(bad)
    assert "bad.csv" in err.value.problem and "UTF-8 CSV" in err.value.fix


def test_the_forecast_follows_persistence_not_a_cluster_that_stopped() -> None:
    # Kano: 2 reports a month for 6 years; Abuja: 5 a month for the first 3 years, then none
    rng = np.random.default_rng(0)
    days, lats, lons = [], [], []
    for m in range(72):
        for _ in range(2):
            days.append(m * 30 + int(rng.integers(0, 30)))
            lats.append(KANO[0])
            lons.append(KANO[1])
        if m < 36:
            for _ in range(5):
                days.append(m * 30 + int(rng.integers(0, 30)))
                lats.append(ABUJA[0])
                lons.append(ABUJA[1])
    from hotspots import h3cells

    cells = h3cells.cells_of(np.array(lats), np.array(lons), 6)
    grid = Grid.of(np.unique(h3cells.disks(np.unique(cells), 2)[1]))
    unit = area_index(grid.area, cells)
    fc = forecast(grid, unit, np.array(days), np.ones(len(days)), as_of=72 * 30, horizon_days=365)
    k, a = (int(np.flatnonzero(grid.area == c)[0]) for c in (cells[0], cells[2]))
    assert fc.method.startswith("boosting")
    assert fc.expected[k] > 10 and fc.expected[k] > 5 * fc.expected[a]  # about 24 expected at Kano
    lo, hi = fc.interval(np.array([k]))
    assert lo[0] < fc.expected[k] < hi[0]
    short = forecast(grid, unit, np.array(days), np.ones(len(days)), as_of=200, horizon_days=365)
    assert short.method == "decayed counts" and "too little history" in short.notes[0]


def test_count_interval_by_hand() -> None:
    # Poisson(1): P(0) = 0.368, P(<=1) = 0.736, P(<=2) = 0.920: the 10 % quantile is 0, the 90 % is 2
    lo, hi = count_interval(np.array([1.0]))
    assert (lo[0], hi[0]) == (0, 2)
    # overdispersed: a wider interval for the same mean
    lo2, hi2 = count_interval(np.array([1.0]), dispersion=3.0)
    assert hi2[0] > 2
