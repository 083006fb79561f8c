"""Emerging hot spot categories by ArcGIS's published rules, table-driven; Mann-Kendall by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hotspots.emerging import CATEGORIES, NO_PATTERN, choose_step, classify, mann_kendall, step_labels

H, C, N = 2, -2, 0  # a hot step, a cold step, a not-significant step
UP, FLAT, DOWN = (3.0, 0.001), (0.2, 0.8), (-3.0, 0.001)


@pytest.mark.parametrize(
    ("bins", "trend", "expected"),
    [
        ([N] * 9 + [H], FLAT, "new hot spot"),
        ([C] * 3 + [N] * 6 + [H], FLAT, "oscillating hot spot"),  # cold before: oscillating wins
        ([N] * 7 + [H] * 3, UP, "consecutive hot spot"),
        ([N] * 8 + [H] * 2, FLAT, "consecutive hot spot"),
        ([H] * 10, UP, "intensifying hot spot"),
        ([N] + [H] * 9, UP, "intensifying hot spot"),  # 90 % is enough
        ([H] * 10, FLAT, "persistent hot spot"),
        ([H] * 10, DOWN, "diminishing hot spot"),
        ([H, N, H, N, N, H, N, N, N, H], FLAT, "sporadic hot spot"),
        ([H, N, N, N, N, N, N, H, H, H], FLAT, "sporadic hot spot"),  # hot before the final run
        ([C, N, H, N, N, N, N, N, N, H], FLAT, "oscillating hot spot"),
        ([N, N, C, N, N, N, N, H, H, H], UP, "oscillating hot spot"),
        ([H] * 9 + [N], FLAT, "historical hot spot"),
        ([H] * 9 + [C], FLAT, "historical hot spot"),
        ([N] * 9 + [C], FLAT, "new cold spot"),
        ([N] * 6 + [C] * 4, DOWN, "consecutive cold spot"),
        ([C] * 10, DOWN, "intensifying cold spot"),  # colder over time
        ([C] * 10, FLAT, "persistent cold spot"),
        ([C] * 10, UP, "diminishing cold spot"),
        ([C, N, N, C, N, N, N, N, N, C], FLAT, "sporadic cold spot"),
        ([N, H, N, N, N, N, N, N, N, C], FLAT, "oscillating cold spot"),
        ([C] * 9 + [N], FLAT, "historical cold spot"),
        ([N] * 10, FLAT, NO_PATTERN),
        ([H] * 8 + [N, N], FLAT, NO_PATTERN),  # 80 % hot but not in the final step
        ([H, N, N, N, N, N, N, N, N, N], UP, NO_PATTERN),
    ],
)
def test_categories(bins: list[int], trend: tuple[float, float], expected: str) -> None:
    assert classify(bins, *trend) == expected
    assert expected in CATEGORIES


def test_seventeen_categories() -> None:
    assert len(CATEGORIES) == 17 and len(set(CATEGORIES)) == 17


def test_mann_kendall_by_hand() -> None:
    # 1 3 2: pairs (1,3)+ (1,2)+ (3,2)- -> S = 1; var = 3*2*11/18 = 11/3; z = 0
    s, z, p = mann_kendall([1, 3, 2])
    assert s == 1 and z == 0 and p == 1
    # strictly decreasing 6 values: S = -15, var = 6*5*17/18 = 28.333; z = -14/sqrt(28.333)
    s, z, _ = mann_kendall([6, 5, 4, 3, 2, 1])
    assert s == -15 and z == pytest.approx(-14 / np.sqrt(6 * 5 * 17 / 18))
    # ties: 1 1 2 2: S = 4; var = (4*3*13 - 2 * 2*1*9) / 18 = 120/18
    s, z, _ = mann_kendall([1, 1, 2, 2])
    assert s == 4 and z == pytest.approx(3 / np.sqrt(120 / 18))


def test_time_steps() -> None:
    d = pd.to_datetime(["2020-01-15", "2020-04-01", "2021-12-31"]).to_numpy()
    assert step_labels(d, "month").tolist() == [0, 3, 23]
    assert step_labels(d, "quarter").tolist() == [0, 1, 7]
    assert step_labels(d, "year").tolist() == [0, 0, 1]
    assert choose_step(pd.date_range("2015-01-01", "2024-12-31", periods=50).to_numpy()) == "year"
    assert choose_step(pd.date_range("2021-01-01", "2024-06-30", periods=50).to_numpy()) == "quarter"
    assert choose_step(pd.date_range("2024-01-01", "2024-06-30", periods=50).to_numpy()) == "month"


def test_time_steps_are_counted_back_from_the_newest_month():
    import numpy as np

    from hotspots.emerging import step_labels

    dates = np.array(
        ["2024-02-10", "2024-08-20", "2024-09-01", "2024-10-30", "2024-11-05"], dtype="datetime64[D]"
    )
    # quarters ending with November 2024: Sep-Nov is the last, Jun-Aug before it, Dec-Feb first
    assert step_labels(dates, "quarter").tolist() == [0, 2, 3, 3, 3]
    assert step_labels(dates, "month").tolist() == [0, 6, 7, 8, 9]
    assert step_labels(dates, "year").tolist() == [0, 0, 0, 0, 0]
