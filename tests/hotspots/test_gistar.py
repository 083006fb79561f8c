"""Gi*, FDR and bins: hand-computed answers and esda on the same data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from hotspots import h3cells
from hotspots.core import neighbourhood, score_cells
from hotspots.gistar import bh_threshold, binary_weights, fdr_bins, gi_star


def _line(n: int) -> sp.csr_matrix:
    """n units on a line, each with itself and its two neighbours."""
    rows = [i for i in range(n) for j in (i - 1, i, i + 1) if 0 <= j < n]
    cols = [j for i in range(n) for j in (i - 1, i, i + 1) if 0 <= j < n]
    return binary_weights(np.array(rows), np.array(cols), n)


def test_gi_star_by_hand_on_a_line_of_five() -> None:
    # y = 0 0 10 0 0: mean 2, var 16; unit 1 has 3 neighbours summing to 10:
    # (10 - 2*3) / sqrt(16 * (5*3 - 9) / 4) = 4 / sqrt(24)
    z, p = gi_star(np.array([0.0, 0, 10, 0, 0]), _line(5))
    expected = np.array([-4, 4, 4, 4, -4]) / math.sqrt(24)
    np.testing.assert_allclose(z, expected)
    np.testing.assert_allclose(
        p, 2 * (1 - 0.5 * (1 + np.vectorize(math.erf)(np.abs(expected) / math.sqrt(2))))
    )


def test_gi_star_flat_values_are_not_hot() -> None:
    z, p = gi_star(np.full(6, 3.0), _line(6))
    assert (z == 0).all() and (p == 1).all()


def test_benjamini_hochberg_by_hand() -> None:
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.001])
    # sorted: .001 .01 .03 .04 .2 vs .05*k/5 = .01 .02 .03 .04 .05 -> k=4, threshold .04
    assert bh_threshold(p, 0.05) == pytest.approx(0.04)
    assert bh_threshold(np.array([0.2, 0.5]), 0.05) == 0.0


def test_fdr_bins_levels_and_signs() -> None:
    z = np.array([5.0, -3.0, 2.0, 0.1])
    p = np.array([1e-6, 0.004, 0.03, 0.9])
    # BH thresholds: 0.01 -> k=2 (0.004 <= 0.005); 0.05 -> k=3 (0.03 <= 0.0375); 0.10 -> 3
    assert fdr_bins(z, p).tolist() == [3, -3, 2, 0]


def _esda_gistar(y: np.ndarray, w: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    import warnings

    from esda.getisord import G_Local
    from libpysal.graph import Graph

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = Graph.from_sparse(w.tocsr())
        lg = G_Local(y, g, transform="B", star=True, permutations=0)
    return np.asarray(lg.Zs), np.asarray(lg.p_norm)


def test_matches_esda_on_h3_cells() -> None:
    rng = np.random.default_rng(7)
    centres = np.array([[6.34, 5.62], [9.06, 7.49], [13.5, 2.1]])
    which = rng.integers(0, 3, 3000)
    lat = centres[which, 0] + rng.normal(0, 0.4, 3000)
    lon = centres[which, 1] + rng.normal(0, 0.4, 3000)
    sc = score_cells(lat, lon, rng.uniform(0.2, 1.0, 3000), resolution=5, k=1)
    assert sc.n_observed > 50 and len(sc.cells) > sc.n_observed
    z, p1 = _esda_gistar(sc.weight, sc.w)
    np.testing.assert_allclose(sc.z, z, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(sc.p, 2 * p1, rtol=1e-10, atol=1e-12)
    # the same cells survive the FDR as with esda's own fdr()
    from esda import fdr

    t = fdr(sc.p, 0.05)
    assert ((sc.p <= t) & (sc.z > 0)).sum() == (sc.bin >= 2).sum()


def test_neighbourhood_is_the_cell_and_its_ring() -> None:
    cell = h3cells.cells_of(np.array([6.34]), np.array([5.62]), 6)
    units, w = neighbourhood(cell, 1)
    assert len(units) == 7  # a hexagon and its six neighbours
    assert w[0].sum() == 7  # the observed cell sees all seven
    assert (
        np.asarray(w.sum(axis=1)).ravel()[1:] >= 3
    ).all()  # each neighbour: itself + 2 ring-mates + centre
    assert (w.diagonal() == 1).all()


def test_a_hexagon_with_a_hot_centre_by_hand() -> None:
    # seven units: a cell (value 7) and its ring (0). The centre sees all seven units, so its
    # neighbourhood sum equals the expectation and the variance term vanishes: z = 0. Each ring
    # cell sees itself, the centre and two ring-mates (4 units): mean 1, var 6,
    # (7 - 4) / sqrt(6 * (7*4 - 16) / 6) = 3 / sqrt(12).
    cell = h3cells.cells_of(np.array([6.34]), np.array([5.62]), 6)
    units, w = neighbourhood(cell, 1)
    y = np.zeros(7)
    y[0] = 7.0
    z, p = gi_star(y, w)
    assert z[0] == 0 and p[0] == 1
    np.testing.assert_allclose(z[1:], 3 / math.sqrt(12))
