"""The forecast's parts on hand-made cases: the row sampling, the kernel density, the blend."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots import h3cells
from hotspots.forecast import (
    BLEND_WEIGHTS,
    Grid,
    area_index,
    cell_density,
    forecast,
    negative_sample,
    top_hits,
)
from hotspots.routes import unit_xyz

KANO, ABUJA = (12.0, 8.52), (9.06, 7.49)


def test_negative_sampling_keeps_every_report_and_weights_the_zero_rows() -> None:
    # 3 rows with reports, 7 without; a cap of 5 rows: the 3 kept, 2 of the 7 zero rows sampled,
    # each weighing 7 / 2 = 3.5, so that the weighted zero rows still count 7
    y = np.array([0, 0, 4, 0, 0, 1, 0, 0, 2, 0], float)
    keep, w = negative_sample(y, 5, seed=3)
    assert len(keep) == 5 and {2, 5, 8} <= set(keep.tolist())
    assert w[y[keep] > 0].tolist() == [1.0, 1.0, 1.0]
    assert w[y[keep] == 0].tolist() == [3.5, 3.5] and w[y[keep] == 0].sum() == 7
    # under the cap nothing is dropped and nothing is weighted
    keep, w = negative_sample(y, 10, seed=3)
    assert keep.tolist() == list(range(10)) and (w == 1).all()
    # more rows with reports than the cap: a plain sample of them
    keep, w = negative_sample(y, 2, seed=3)
    assert len(keep) == 2 and (y[keep] > 0).all() and (w == 1).all()


def test_cell_density_by_hand() -> None:
    # three points on the equator: 0, 0.09 and 5 degrees of longitude; 2 reports at the first
    xyz = unit_xyz(np.zeros(3), np.array([0.0, 0.09, 5.0]))
    d = cell_density(xyz, np.array([2.0, 0, 0]), 10.0)
    # 0.09 deg = 10.008 km on a 6371 km sphere: 2 x exp(-0.5 x 1.0016^2) = 1.2122; 556 km is cut
    assert d[0] == pytest.approx(2.0) and d[1] == pytest.approx(1.2122, abs=1e-3) and d[2] == 0
    # a wider bandwidth spreads more: exp(-0.5 x (10.008 / 20)^2) x 2 = 1.7650
    assert cell_density(xyz, np.array([2.0, 0, 0]), 20.0)[1] == pytest.approx(1.7650, abs=1e-3)


def test_top_hits_shares_out_ties() -> None:
    # 4 cells; the top 25 % is cell 0 (2 reports); the top 50 % adds one of the two tied cells
    # at 1: (1 + 0) / 2 = 0.5 expected -> 2 + 2.5 = 4.5
    assert top_hits(np.array([3.0, 1, 1, 0]), np.array([2, 1, 0, 5]), (0.25, 0.5)) == pytest.approx(4.5)
    # the order of the scores, not their size, decides
    assert top_hits(np.array([0.0, 1, 1, 3]), np.array([2, 1, 0, 5]), (0.25,)) == 5


def _persistent_case() -> tuple[Grid, np.ndarray, np.ndarray]:
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
    cells = h3cells.cells_of(np.array(lats), np.array(lons), 6)
    grid = Grid.of(np.unique(h3cells.disks(np.unique(cells), 2)[1]))
    return grid, area_index(grid.area, cells), np.array(days)


def test_the_blend_keeps_the_model_total_and_says_what_it_chose() -> None:
    grid, unit, day = _persistent_case()
    alone = forecast(grid, unit, day, np.ones(len(day)), as_of=72 * 30, blend=False)
    mixed = forecast(grid, unit, day, np.ones(len(day)), as_of=72 * 30)
    assert alone.density is None and alone.density_weight == 0 and alone.method == "boosting"
    # the blend moves the forecast between cells, never its total
    assert mixed.expected.sum() == pytest.approx(alone.expected.sum())
    assert mixed.density_weight in BLEND_WEIGHTS and mixed.bandwidth_km > 0
    w = mixed.density_weight
    assert mixed.density is not None and mixed.density.sum() == pytest.approx(w * alone.expected.sum())
    assert np.allclose(mixed.expected, (1 - w) * alone.expected + mixed.density)
    assert any("kernel density" in n for n in mixed.notes)
    # Kano's cell stays first either way: it is where reports go on
    kano = int(area_index(grid.area, h3cells.cells_of(np.array([KANO[0]]), np.array([KANO[1]]), 6))[0])
    assert int(np.argmax(mixed.expected)) == kano
    # what each part adds: the density's share is reported beside the feature groups
    parts = mixed.contributions(np.array([kano]))
    assert parts["density"][0] == pytest.approx(mixed.density[kano])


def test_a_capped_fit_samples_the_rows_without_reports() -> None:
    # 228 (cell, cutoff) rows, 8 with reports; a cap of 100 keeps the 8 and weights 92 of the 220
    # others by 220 / 92 (it failed with an IndexError before): the weighted fit keeps the level
    grid, unit, day = _persistent_case()
    full = forecast(grid, unit, day, np.ones(len(day)), as_of=72 * 30, blend=False)
    capped = forecast(grid, unit, day, np.ones(len(day)), as_of=72 * 30, max_rows=100, blend=False)
    assert capped.method == "boosting"
    assert 0.5 < capped.expected.sum() / full.expected.sum() < 2.0
