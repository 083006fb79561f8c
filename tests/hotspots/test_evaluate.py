"""Evaluation on a hand-built split where the answer is known."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from hotspots.evaluate import evaluate, read_reports_csv
from intel.errors import CounterflowError
from tests.factories import clusters


def test_a_stable_hotspot_is_predicted() -> None:
    # training: a tight cluster near Kano and a looser one near Abuja; testing: the same places
    train = clusters([(12.0, 8.52, 60), (9.06, 7.49, 20)], spread_deg=0.003, seed=1)
    test = clusters([(12.0, 8.52, 30)], spread_deg=0.003, seed=2)
    train["observed_on"] = pd.Timestamp("2023-06-01")
    test["observed_on"] = pd.Timestamp("2024-06-01")
    ev = evaluate(pd.concat([train, test], ignore_index=True), split=dt.date(2024, 1, 1), resolution=6)
    t = ev.table.set_index(["method", "area"])
    assert ev.n_train == 80 and ev.n_test == 30
    # every method flags the Kano cell(s) within 1 % of the area: all test reports are hits
    for method in ("ours (gi* bin, score)", "gi* z only", "previous counts", "kernel density"):
        assert t.loc[(method, 0.01), "hit_rate"] == pytest.approx(1.0)
        assert t.loc[(method, 0.01), "pai"] == pytest.approx(
            1.0 / (t.loc[(method, 0.01), "cells"] / ev.n_cells)
        )


def test_bad_inputs() -> None:
    few = clusters([(12.0, 8.52, 5)])
    with pytest.raises(CounterflowError, match="at least 20"):
        evaluate(few)
    many = clusters([(12.0, 8.52, 30)])
    with pytest.raises(CounterflowError, match="split"):
        evaluate(many, split=dt.date(1990, 1, 1))


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


def test_a_file_that_is_not_a_csv_is_refused_with_the_fix(tmp_path):
    import pytest

    from hotspots.evaluate import read_reports_csv
    from intel.errors import CounterflowError

    bad = tmp_path / "bad.csv"
    bad.write_bytes(b'a\x00\xff\xfe,"b\n"x')
    with pytest.raises(CounterflowError) as err:
        read_reports_csv(bad)
    assert "bad.csv" in err.value.problem and "UTF-8 CSV" in err.value.fix


def test_a_study_area_too_fine_is_refused_before_its_cells_are_built() -> None:

    import numpy as np

    from hotspots.evaluate import study_cells

    # Benin City to Rome at resolution 8: hundreds of millions of cells
    lat, lon = np.array([6.34, 41.9]), np.array([5.62, 12.5])
    with pytest.raises(CounterflowError, match=r"about [\d,]+ cells at resolution 8") as err:
        study_cells(lat, lon, 8)
    assert "coarser H3 resolution" in err.value.fix
    assert str(err.value.hint) == "counterflow evaluate SOURCE --resolution 6"
    # a box just under the limit is built, and holds about as many cells as estimated
    cells = study_cells(np.array([12.0, 12.3]), np.array([8.5, 8.8]), 6, max_cells=400_000)
    assert 0 < len(cells) < 400_000
