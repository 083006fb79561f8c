"""The forecast's parts on hand-made cases: the row sampling, the kernel density, the blend."""

from __future__ import annotations

import numpy as np
import pytest

from hotspots import h3cells
from hotspots.forecast import (
    BLEND_WEIGHTS,
    BinnedModel,
    Grid,
    KernelDensity,
    area_index,
    bin_codes,
    bin_edges,
    cell_density,
    disk_matrix,
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


def test_kernel_density_at_several_bandwidths_from_one_search() -> None:
    # four cells on the equator at 0, 0.09, 0.18 and 5 degrees of longitude (0.09 deg = 10.008 km)
    # with 2 reports in the first and 1 in the third; one search at 20 km x 3 serves 10 and 20 km
    xyz = unit_xyz(np.zeros(4), np.array([0.0, 0.09, 0.18, 5.0]))
    counts = np.array([2.0, 0, 1, 0])
    kd = KernelDensity(xyz, counts > 0, 20.0, bandwidths_km=(10.0, 20.0))
    d10, d20 = kd(counts, 10.0), kd(counts, 20.0)
    # bandwidth 10 km: cell 0 = 2 + 1 x exp(-0.5 x 2.0016^2) = 2 + 0.1349; cell 1 = 2 x 0.6061 +
    # 1 x 0.6061 = 1.8183; cell 2 = 1 + 2 x 0.1349 = 1.2698; 556 km away: 0
    assert d10 == pytest.approx([2.1349, 1.8183, 1.2698, 0.0], abs=1e-3)
    # bandwidth 20 km: exp(-0.5 x (10.008 / 20)^2) = 0.8825, exp(-0.5 x (20.016 / 20)^2) = 0.6061
    assert d20 == pytest.approx([2.6061, 2.6475, 2.2122, 0.0], abs=1e-3)
    # the same as one search per bandwidth, and a bandwidth between the two (masked, not a prefix)
    for bw in (10.0, 15.0, 20.0):
        assert np.allclose(kd(counts, bw), cell_density(xyz, counts, bw))
    with pytest.raises(ValueError, match="wider"):
        kd(counts, 25.0)
    with pytest.raises(ValueError, match="outside the source cells"):
        kd(np.array([0.0, 1, 0, 0]), 10.0)


def test_weighted_bins_by_hand() -> None:
    # 6 values, weights 1 1 1 1 1 5 (total 10): 2 bins of weight 5 each split at the value where
    # the cumulative weight reaches 5, which is exactly 5 (the 5th value, 4.0), so the threshold
    # is averaged with the next: (4 + 9) / 2 = 6.5
    x = np.array([[0.0], [1], [2], [3], [4], [9]])
    assert bin_edges(x, np.array([1.0, 1, 1, 1, 1, 5]), max_bins=2)[0].tolist() == [6.5]
    # unweighted: the cumulative weight passes 3 at the 3rd value, exactly: (2 + 3) / 2
    assert bin_edges(x, np.ones(6), max_bins=2)[0].tolist() == [2.5]
    # few distinct values: the midpoints; a value on a threshold falls in the lower bin
    edges = bin_edges(np.array([[1.0], [1], [3], [7]]), np.ones(4))
    assert edges[0].tolist() == [2.0, 5.0]
    assert bin_codes(edges, np.array([[0.0], [2.0], [2.1], [5.0], [100.0]])).ravel().tolist() == [
        0,
        0,
        1,
        1,
        2,
    ]


def test_a_fit_on_our_bins_equals_scikit_learns_weighted_fit() -> None:
    # scikit-learn bins weighted rows itself (slowly); fitted on our bin codes, the model must be
    # the same one: the same predictions on raw features
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(1)
    x = np.column_stack([rng.exponential(size=3000), rng.integers(0, 9, 3000), rng.normal(size=3000)])
    y = rng.poisson(np.exp(0.3 * x[:, 0] - 0.1 * x[:, 1]))
    w = np.where(y > 0, 1.0, 2.5)

    def model() -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            loss="poisson", max_iter=30, early_stopping=False, random_state=0
        )

    theirs = model().fit(x, y, sample_weight=w)
    edges = bin_edges(x, w)
    ours = BinnedModel(edges, model().fit(bin_codes(edges, x), y, sample_weight=w))
    probe = np.column_stack([rng.exponential(size=500), rng.integers(0, 9, 500), rng.normal(size=500)])
    assert np.allclose(ours.predict(probe), theirs.predict(probe))


def test_disk_matrix_by_hand() -> None:
    # a cell, its 6 neighbours and one cell two rings out: the centre's 1-disk holds the 7 cells
    # of the area within one ring, the far cell's holds itself and the 2 neighbours it touches
    centre = h3cells.cells_of(np.array([KANO[0]]), np.array([KANO[1]]), 6)
    ring1 = np.setdiff1d(h3cells.disks(centre, 1)[1], centre)
    far = np.setdiff1d(h3cells.disks(centre, 2)[1], h3cells.disks(centre, 1)[1])[:1]
    area = np.unique(np.concatenate((centre, ring1, far)))
    d1 = disk_matrix(area, 1)
    i_centre, i_far = int(area_index(area, centre)[0]), int(area_index(area, far)[0])
    assert d1[i_centre].sum() == 7 and d1[i_far, i_centre] == 0
    touching = set(np.flatnonzero(d1[i_far].toarray().ravel()).tolist()) - {i_far}
    assert len(touching) in (1, 2) and touching <= set(area_index(area, ring1).tolist())
    # symmetric, ones only, sorted columns (sums in a fixed order: results repeat bit for bit)
    assert (d1 != d1.T).nnz == 0 and set(d1.data.tolist()) == {1.0} and d1.has_sorted_indices
    assert disk_matrix(area, 2)[i_centre].sum() == 8
