"""Targets added by hand (a typed place or lat, lon) and targets merged, through the edit step."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from campaigns.plan.targets import read_place
from flows import steps
from intel.db import session_scope
from intel.errors import CounterflowError
from intel.gazetteer import AmbiguousPlace
from intel.models import AdSet, Target
from intel.settings import Settings
from tests.campaigns.plan.test_edit import NOW, _planned


def _targets(engine: Engine, cid: int) -> dict[str, Target]:
    with session_scope(engine) as s:
        rows = s.exec(select(Target).where(Target.campaign_id == cid)).all()
        for t in rows:
            s.expunge(t)
        return {t.name: t for t in rows}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6.438, 5.626", (6.438, 5.626)),
        ("-33.9 18.4", (-33.9, 18.4)),
        ("Benin City", None),
        ("Kano, Nigeria", None),
    ],
)
def test_a_typed_place_is_a_latitude_and_longitude_only_when_it_is_two_numbers(
    text: str, expected: tuple[float, float] | None
) -> None:
    assert read_place(text) == expected


def test_a_latitude_off_the_earth_is_refused_in_words() -> None:
    with pytest.raises(CounterflowError, match="not a latitude and longitude on Earth"):
        read_place("95, 5")


def test_a_target_added_by_lat_lon_gets_its_place_and_a_share_of_the_budget_then_merges(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    """Benin City (6.338, 5.626; 12 km; 10 reports) and Tripoli (15 km; 11 reports), and a point
    0.1 degree north of Benin City (11.12 km away) added with 12 km: it scores as their mean,
    10.5, and has Benin City's reach (25,140), so its share is 10.5 x 25,140 over
    (10 x 25,140 + 11 x 64,355 + 10.5 x 25,140) = 0.2158. Merged into Benin City, whose circle
    grows to 11.12 + 12 = 23.1 km."""
    cid = _planned(sqlite_engine, sqlite_settings, paid_for_by="Counterflow Test Foundation")
    with session_scope(sqlite_engine) as s:
        out = steps.edit(
            s,
            campaign_id=cid,
            editor="ana",
            settings=sqlite_settings,
            now=NOW,
            add_targets=[("6.438, 5.626", 12.0)],
        )
    assert list(out["changes"]) == ["targets_added"]
    targets = _targets(sqlite_engine, cid)
    added = next(t for t in targets.values() if t.name.startswith("6.438, 5.626"))
    assert (added.hotspot_id, added.country, added.timezone, added.radius_km, added.languages) == (
        None, "NG", "Africa/Lagos", 12.0, "en",
    )  # fmt: skip
    with session_scope(sqlite_engine) as s:  # the hand-added target is funded like an average hotspot
        funded = s.exec(select(AdSet).where(AdSet.target_id == added.id)).all()
        assert len(funded) == 1 and funded[0].budget == pytest.approx(215.79, abs=0.015)  # cents split down
    benin = targets["Benin City"]
    assert benin.radius_km == 12.0
    with session_scope(sqlite_engine) as s:
        steps.edit(
            s,
            campaign_id=cid,
            editor="ana",
            settings=sqlite_settings,
            now=NOW,
            merge_targets=[(int(benin.id or 0), int(added.id or 0))],
        )
    after = _targets(sqlite_engine, cid)
    assert sorted(after) == ["Benin City", "Tripoli"] and after["Benin City"].radius_km == 23.1
    assert any(n["rule"] == "merged" and "23.1 km" in n["fix"] for n in after["Benin City"].notes)


def test_an_ambiguous_place_or_a_merge_too_wide_is_refused_and_nothing_changes(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    cid = _planned(sqlite_engine, sqlite_settings)
    before = _targets(sqlite_engine, cid)
    with (
        pytest.raises(AmbiguousPlace, match=r"Springfield \(Missouri, United States\)"),
        session_scope(sqlite_engine) as s,
    ):
        steps.edit(
            s, campaign_id=cid, editor="ana", settings=sqlite_settings, add_targets=[("Springfield", 10)]
        )
    ids = [int(t.id or 0) for t in before.values()]
    with (
        pytest.raises(CounterflowError, match="over the largest radius of 40 km"),
        session_scope(sqlite_engine) as s,
    ):
        steps.edit(
            s, campaign_id=cid, editor="ana", settings=sqlite_settings, merge_targets=[(ids[0], ids[1])]
        )
    with pytest.raises(CounterflowError, match="radius_km was 900"), session_scope(sqlite_engine) as s:
        steps.edit(s, campaign_id=cid, editor="ana", settings=sqlite_settings, add_targets=[("Kano", 900)])
    after = _targets(sqlite_engine, cid)
    assert {n: t.radius_km for n, t in after.items()} == {n: t.radius_km for n, t in before.items()}


def test_languages_chosen_for_one_target_make_its_ad_sets_and_outlive_a_re_plan(
    sqlite_engine: Engine, sqlite_settings: Settings
) -> None:
    cid = _planned(sqlite_engine, sqlite_settings)  # English everywhere
    benin = _targets(sqlite_engine, cid)["Benin City"]
    bid = int(benin.id or 0)

    def locales() -> dict[str, list[str]]:
        with session_scope(sqlite_engine) as s:
            names = {t.id: t.name for t in s.exec(select(Target).where(Target.campaign_id == cid)).all()}
            out: dict[str, list[str]] = {}
            for a in s.exec(select(AdSet).where(AdSet.campaign_id == cid).order_by(AdSet.id)).all():  # type: ignore[arg-type]
                out.setdefault(names[a.target_id], []).append(a.locale)
            return out

    with session_scope(sqlite_engine) as s:
        out = steps.edit(
            s,
            campaign_id=cid,
            editor="ana",
            settings=sqlite_settings,
            now=NOW,
            target_languages={bid: ["en", "ha"]},
        )
    assert out["changes"]["target_languages"] == [{"Benin City": ["en"]}, {"Benin City": ["en", "ha"]}]
    assert locales() == {"Benin City": ["en", "ha"], "Tripoli": ["en"]}
    with session_scope(sqlite_engine) as s:  # a budget change re-plans: the choice stays
        steps.edit(s, campaign_id=cid, editor="ana", settings=sqlite_settings, now=NOW, budget=1200.0)
    assert locales() == {"Benin City": ["en", "ha"], "Tripoli": ["en"]}
    with (
        pytest.raises(CounterflowError, match="the languages for Benin City were xx"),
        session_scope(sqlite_engine) as s,
    ):
        steps.edit(s, campaign_id=cid, editor="ana", settings=sqlite_settings, target_languages={bid: ["xx"]})
