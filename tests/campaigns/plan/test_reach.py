"""Reach estimates: gazetteer population x penetration x audience share, or the platform's own."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.plan.reach import audience_share, estimate_reach, penetration, reach_table
from intel.gazetteer import get_gazetteer

BENIN = (6.33815, 5.62575)


def test_table_rows_are_complete() -> None:
    table = reach_table()
    n_bands = len(table["bands"])
    assert n_bands > 0 and {"NG", "NE", "LY", "IT"} <= set(table)
    for name, row in table.items():
        if name == "bands":
            continue
        assert len(row["age_share"]) == n_bands, name
        assert 0 < row["penetration"] <= 1 and 0 < row["women_share"] < 1
        assert sum(row["age_share"]) < 1  # bands cover 13-65 only


@pytest.mark.parametrize(
    ("country", "ages", "genders", "expected"),
    [
        ("NG", (13, 17), [], 0.115),  # one whole band
        ("NG", (13, 28), [], 0.115 + 0.13 + 0.15 * 4 / 10),  # whole, whole, 4 of 10 years
        ("NG", (13, 28), ["women"], (0.115 + 0.13 + 0.06) * 0.495),
        ("NG", (13, 28), ["men"], (0.115 + 0.13 + 0.06) * 0.505),
        ("IT", (18, 24), ["women", "men"], 0.065),
        ("ZZ", (18, 24), [], 0.11),  # unknown country: the default row
    ],
)
def test_audience_share(country: str, ages: tuple[int, int], genders: list[str], expected: float) -> None:
    assert audience_share(country, *ages, genders) == pytest.approx(expected)


def test_estimate_multiplies_the_three_parts() -> None:
    r = estimate_reach(
        lat=BENIN[0], lon=BENIN[1], radius_km=10, country="NG", age_min=18, age_max=28, genders=["women"]
    )
    assert r.population == get_gazetteer().population_within(*BENIN, 10) > 1_000_000
    assert r.penetration == penetration("NG") == 0.15
    assert r.estimate == round(r.population * 0.15 * r.audience_share)
    assert (r.source, r.platform_estimate) == ("gazetteer", None)
    wider = estimate_reach(
        lat=BENIN[0], lon=BENIN[1], radius_km=40, country="NG", age_min=18, age_max=28, genders=[]
    )
    assert wider.estimate > r.estimate


def test_the_platform_estimate_wins_when_a_channel_gives_one() -> None:
    seen: list[dict[str, Any]] = []

    def platform(spec: dict[str, Any]) -> int | None:
        seen.append(spec)
        return 12345

    spec = {"age_min": 18, "age_max": 28}
    r = estimate_reach(
        lat=BENIN[0], lon=BENIN[1], radius_km=10, country="NG", age_min=18, age_max=28, genders=[],
        targeting=spec, estimate_fn=platform,
    )  # fmt: skip
    assert seen == [spec]
    assert (r.estimate, r.platform_estimate, r.source) == (12345, 12345, "platform")
    assert r.population > 0  # ours is still reported beside it

    r2 = estimate_reach(
        lat=BENIN[0], lon=BENIN[1], radius_km=10, country="NG", age_min=18, age_max=28, genders=[],
        estimate_fn=lambda spec: None,
    )  # fmt: skip
    assert r2.source == "gazetteer"


def test_empty_sea_has_no_reach() -> None:
    r = estimate_reach(lat=34.0, lon=18.0, radius_km=20, country="LY", age_min=18, age_max=65, genders=[])
    assert (r.population, r.estimate) == (0, 0)
