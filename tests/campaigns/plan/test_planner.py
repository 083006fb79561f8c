"""The planner on the demo route, against SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from campaigns import crud
from campaigns.copy.assets import generate_assets
from campaigns.plan.planner import Audience, bounded_radius, choose_targets, plan_campaign
from campaigns.policy import is_eu, preflight, refusals
from intel.db import session_scope
from intel.errors import CounterflowError, NotFound
from intel.gazetteer import haversine_km
from intel.models import AdSet, Campaign, Hotspot, Target
from intel.settings import Settings
from tests.factories import DEMO_HOTSPOTS, make_demo_run, make_route

JAN10, FEB10 = dt.date(2027, 1, 10), dt.date(2027, 2, 10)
NOW = dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC)  # the plans are made a week before they start


def _plan(session, settings: Settings, run_id: int, **kw) -> Campaign:  # type: ignore[no-untyped-def]
    args = dict(
        name="Safe journeys",
        hotspot_run_id=run_id,
        author="ana",
        audience=Audience.parse(ages="13-28", genders="women"),
        budget=5000,
        currency="usd",
        starts_on=JAN10,
        ends_on=FEB10,
        settings=settings,
        paid_for_by="Counterflow NGO",
        now=NOW,
    )
    args.update(kw)
    return plan_campaign(session, **args)


def test_demo_route_becomes_targets_that_pass_preflight(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        route = make_route(session)
        run = make_demo_run(session, route=route)
        assert crud.latest_run_id(session, route_id=route.id) == run.id
        # a budget that funds every ad set above the minimum (Lampedusa's 2 km circle is small)
        campaign = _plan(session, settings, run.id, route_id=route.id, allow_fuzzy=True, budget=200_000)
        assert campaign.id is not None
        generate_assets(session, campaign_id=campaign.id, settings=settings)
        cid = campaign.id
    with session_scope(engine) as session:
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=cid)
        findings = preflight(campaign, targets, adsets, assets, now=NOW)

    names = [t.name for t in targets]
    # ranked first, "Benin City east" merged into Benin City, then the unranked hot cell; never the cold one
    assert names == ["Benin City", "Agadez", "Tripoli", "Zawiya", "Lampedusa", "Rome", "Kano"]
    by = {t.name: t for t in targets}
    assert (by["Benin City"].country, by["Benin City"].admin1) == ("NG", "Edo State")
    assert by["Benin City"].languages.split("|") == ["en", "pcm", "bin"]
    assert by["Agadez"].languages.split("|") == ["fr", "ha"]
    assert by["Tripoli"].languages == "ar"
    assert by["Rome"].languages.split("|") == ["it", "en", "fr", "ar"]
    assert by["Kano"].languages.split("|") == ["ha", "en"]
    assert by["Tripoli"].timezone == "Africa/Tripoli" and by["Rome"].timezone == "Europe/Rome"
    assert by["Lampedusa"].radius_km == 2.0 and by["Rome"].radius_km == 40.0  # extents 0.5 and 900, bounded
    # merged: the circle grew to cover the second Benin City hotspot
    east = DEMO_HOTSPOTS[1]
    d = haversine_km(by["Benin City"].lat, by["Benin City"].lon, east[1], east[2])
    assert by["Benin City"].radius_km == pytest.approx(d + east[4])
    assert by["Benin City"].radius_km > 12.0
    assert [n["rule"] for n in by["Benin City"].notes] == ["merged", "pick"]
    assert any(n["rule"] == "overlap" for n in by["Zawiya"].notes)
    assert all(t.population > 0 and t.reach_estimate > 0 for t in targets)

    # teen split: every non-EU target x language has a 13-17 and an 18-28 ad set; EU targets only 18+
    # Lampedusa's 2 km circle reaches ~190 people: its 0.04 % share of the budget (75.82 USD)
    # funds 2 of its 4 ad sets at 1 USD a day for 32 days; the first two languages are kept
    lampedusa = [a for a in adsets if a.target_id == by["Lampedusa"].id]
    assert sorted(a.locale for a in lampedusa) == ["en", "it"]
    assert all(a.budget >= 32.0 for a in adsets)
    (dropped,) = [f for f in findings if f.rule == "budget_adsets_dropped"]
    assert dropped.object == "target Lampedusa" and "dropped: fr 18-28, ar 18-28" in dropped.problem
    for t in targets:
        if t.name == "Lampedusa":
            continue
        mine = [a for a in adsets if a.target_id == t.id]
        langs = t.languages.split("|")
        teen = sorted(a.locale for a in mine if a.teen)
        adult = sorted(a.locale for a in mine if not a.teen)
        assert adult == sorted(langs)
        assert teen == ([] if is_eu(t.country) else sorted(langs))
    for a in adsets:
        if a.teen:
            assert (a.age_min, a.age_max, a.genders) == (13, 17, "")
            assert set(a.targeting) == {"age_min", "age_max", "geo_locations"}
            assert "custom_locations" not in a.targeting["geo_locations"]
        else:
            assert (a.age_min, a.age_max, a.genders) == (18, 28, "2")
            assert a.targeting["genders"] == [2]
    assert round(sum(a.budget for a in adsets), 2) == 200_000.0
    assert campaign.currency == "USD"
    assert campaign.special_ad_category_country == ["IT", "LY", "NE", "NG"]

    assert refusals(findings) == []
    rules = {f.rule for f in findings}
    assert {"teen_eu_dropped", "merged", "overlap", "locale_unpinned", "locale_fuzzy"} <= rules
    assert {a.locale for a in assets} == {
        "en",
        "pcm",
        "bin",
        "fr",
        "ha",
        "ar",
        "it",
    }  # no yo/ig on this route


def test_without_opt_in_drafted_copy_cannot_be_scheduled(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        run = make_demo_run(session)
        campaign = _plan(session, settings, run.id)
        assert campaign.id is not None
        assets = generate_assets(session, campaign_id=campaign.id, settings=settings)
        _, targets, adsets, _ = crud.campaign_bundle(session, campaign_id=campaign.id)
        refused = refusals(preflight(campaign, targets, adsets, assets, now=NOW))
    assert {f.rule for f in refused} == {"locale_fuzzy"}
    assert {f.object for f in refused} == {f"locale {c}" for c in ("pcm", "bin", "fr", "ha", "ar", "it")}


def test_adults_only_and_english_only(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        run = make_demo_run(session)
        campaign = _plan(
            session, settings, run.id, audience=Audience(18, 35, [], ["en"]), top_n=3, paid_for_by=None
        )
        adsets = crud.list_adsets(session, campaign_id=campaign.id or 0)
        targets = crud.list_targets(session, campaign_id=campaign.id or 0)
    assert len(targets) == 3
    assert [a.locale for a in adsets] == ["en"] * 3
    assert not any(a.teen for a in adsets) and all("genders" not in a.targeting for a in adsets)
    assert campaign.paid_for_by is None  # preflight refuses it: see test_policy


def test_the_plan_is_all_or_nothing(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        run_id = make_demo_run(session, hotspots=[("Rome", 41.894, 12.483, 1, 10.0, 2, 3.0)]).id
    with pytest.raises(CounterflowError, match="no ad set is left"), session_scope(engine) as session:
        _plan(session, settings, run_id, audience=Audience(13, 17))
    with session_scope(engine) as session:  # nothing half-written
        assert session.exec(select(Campaign)).all() == []
        assert session.exec(select(Target)).all() == []
        assert session.exec(select(AdSet)).all() == []


@pytest.mark.parametrize(
    ("kw", "words"),
    [
        ({"budget": 0}, "budget was 0"),
        ({"ends_on": JAN10}, "ends on 2027-01-10"),
        ({"top_n": 0}, "top was 0"),
        ({"hotspot_run_id": 999}, "hotspot run 999 does not exist"),
    ],
)
def test_bad_input_names_the_value(engine: Engine, settings: Settings, kw: dict, words: str) -> None:
    with session_scope(engine) as session:
        run = make_demo_run(session)
        with pytest.raises(CounterflowError, match=words):
            args = dict(kw)
            _plan(session, settings, args.pop("hotspot_run_id", run.id), **args)


def test_a_run_without_hot_cells_is_refused(engine: Engine, settings: Settings) -> None:
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=[DEMO_HOTSPOTS[-1]])
        with pytest.raises(CounterflowError, match="no ranked or hot cells"):
            _plan(session, settings, run.id)
        with pytest.raises(NotFound):
            crud.run_hotspots(session, run_id=12345)


@pytest.mark.parametrize(
    ("ages", "genders", "languages", "words"),
    [
        ("10-20", "all", "local", "ages were 10-20"),
        ("18-70", "all", "local", "ages were 18-70"),
        ("twenty", "all", "local", "ages were 'twenty'"),
        ("18-30", "girls", "local", "gender 'girls'"),
        ("18-30", "all", "en,xx", "language 'xx'"),
    ],
)
def test_audience_errors(ages: str, genders: str, languages: str, words: str) -> None:
    with pytest.raises(CounterflowError, match=words):
        Audience.parse(ages=ages, genders=genders, languages=languages)


@pytest.mark.parametrize(
    ("extent", "radius"), [(None, 10.0), (0.1, 2.0), (2.0, 2.0), (17.5, 17.5), (40, 40.0), (500, 40.0)]
)
def test_radius_is_bounded(extent: float | None, radius: float) -> None:
    assert bounded_radius(extent) == radius


def test_choose_targets_flags_partial_overlap_and_merges_contained() -> None:
    spots = [
        Hotspot(id=1, run_id=1, cell="a", lat=10.0, lon=10.0, rank=1, extent_km=10.0, bin=3),
        Hotspot(
            id=2, run_id=1, cell="b", lat=10.0, lon=10.05, rank=2, extent_km=6.0, bin=3
        ),  # 5.5 km: inside
        Hotspot(
            id=3, run_id=1, cell="c", lat=10.0, lon=10.15, rank=3, extent_km=10.0, bin=3
        ),  # 16 km: overlaps
        Hotspot(id=4, run_id=1, cell="d", lat=11.0, lon=10.0, rank=4, extent_km=10.0, bin=3),  # far
    ]
    plans, findings = choose_targets(spots, top_n=8)
    assert [p.hotspot.id for p in plans] == [1, 3, 4]
    assert [f.rule for f in findings] == ["merged", "overlap"]
    assert plans[0].radius_km == pytest.approx(haversine_km(10, 10, 10, 10.05) + 6.0)
    plans, _ = choose_targets(spots, top_n=1)
    assert [p.hotspot.id for p in plans] == [1]


def test_the_platform_estimate_replaces_ours_when_a_channel_is_connected(
    engine: Engine, settings: Settings
) -> None:
    seen: list[dict] = []

    def platform(spec: dict) -> int | None:
        seen.append(spec)
        return 1000 if "custom_locations" in spec["geo_locations"] else 300  # adult vs teen (city)

    spots = [
        DEMO_HOTSPOTS[0],
        DEMO_HOTSPOTS[6],
    ]  # Benin City (en, pcm, bin; teens too), Rome (EU: adults only)
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        campaign = _plan(session, settings, run.id, estimate_fn=platform)
        targets = {t.name: t for t in crud.list_targets(session, campaign_id=campaign.id or 0)}
        n_adsets = len(crud.list_adsets(session, campaign_id=campaign.id or 0))
    assert len(seen) == n_adsets == 6 + 4
    assert targets["Benin City"].reach_estimate == 3 * 1000 + 300  # three languages, one teen audience
    assert targets["Rome"].reach_estimate == 4 * 1000
    assert targets["Rome"].population > 0  # ours is kept beside it


def test_a_pick_where_no_one_lives_is_left_out_with_a_note(engine: Engine, settings: Settings) -> None:
    # a pick in the Ténéré desert: no place of the gazetteer within 26 km, so reach 0; before,
    # it got budget 0 on each of its ad sets and preflight refused the whole campaign
    spots = [DEMO_HOTSPOTS[0], ("Ténéré", 17.875, 9.391, 2, 26.0, 0, 0.4)]
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        campaign = _plan(session, settings, run.id)
        cid = campaign.id or 0
    with session_scope(engine) as session:
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=cid)
        findings = preflight(campaign, targets, adsets, assets, now=NOW)
    assert [t.name for t in targets] == ["Benin City"]
    assert {a.target_id for a in adsets} == {targets[0].id}
    assert round(sum(a.budget for a in adsets), 2) == 5000.0 and min(a.budget for a in adsets) > 0
    assert campaign.special_ad_category_country == ["NG"]
    notes = [n for n in campaign.plan_notes if n["rule"] == "no_reach"]
    assert len(notes) == 1 and "no one is estimated to be reached within 26 km" in notes[0]["problem"]
    assert not [f for f in refusals(findings) if f.rule == "budget"]
    assert "no_reach" in {f.rule for f in findings}


def test_a_merged_unranked_hotspot_is_named_by_its_z_score_not_by_none() -> None:
    spots = [
        Hotspot(id=1, run_id=1, cell="a", lat=10.0, lon=10.0, rank=1, extent_km=10.0, bin=3, z=5.0),
        Hotspot(id=2, run_id=1, cell="b", lat=10.0, lon=10.05, rank=None, extent_km=6.0, bin=2, z=3.25),
    ]
    _, findings = choose_targets(spots, top_n=8)
    [merged] = findings
    assert merged.problem.startswith("hotspot 2 (b, not ranked, z 3.25) lies 5.5 km from its centre")
    assert "None" not in merged.problem


def test_a_plan_for_nigerian_women_speaks_their_languages_along_the_route(
    engine: Engine, settings: Settings
) -> None:
    """Languages come from the place and from the at-risk group's origin: with ``--origin NG``
    Niger, Libya and Italy get English and Nigerian Pidgin as well as their own languages."""
    with session_scope(engine) as session:
        run = make_demo_run(session)
        plain = _plan(session, settings, run.id, budget=200_000, allow_fuzzy=True)
        audience = Audience.parse(ages="13-28", genders="women", origins="ng")
        assert audience.origins == ["NG"] and audience.as_dict()["origins"] == ["NG"]
        nigerian = _plan(session, settings, run.id, budget=200_000, allow_fuzzy=True, audience=audience)
        by_plan, locales = {}, {}
        for c in (plain, nigerian):
            assert c.id is not None
            targets = session.exec(select(Target).where(Target.campaign_id == c.id)).all()
            by_plan[c.id] = {t.name: t.languages for t in targets}
            adsets = session.exec(select(AdSet).where(AdSet.campaign_id == c.id)).all()
            names = {t.id: t.name for t in targets}
            locales[c.id] = {(names[a.target_id], a.locale) for a in adsets}
        assert nigerian.audience["origins"] == ["NG"]
    before, after = by_plan[plain.id], by_plan[nigerian.id]
    assert (before["Agadez"], before["Tripoli"], before["Rome"]) == ("fr|ha", "ar", "it|en|fr|ar")
    assert after["Agadez"] == "fr|ha|en|pcm"
    assert after["Tripoli"] == after["Zawiya"] == "ar|en|pcm"
    assert after["Rome"] == after["Lampedusa"] == "it|en|fr|ar|pcm"
    assert after["Benin City"] == before["Benin City"] == "en|pcm|bin"  # already local there
    # the ad sets follow: Pidgin copy in Agadez and Tripoli only for the plan that names the origin
    for place in ("Agadez", "Tripoli"):
        assert (place, "pcm") in locales[nigerian.id] and (place, "pcm") not in locales[plain.id]


def test_an_unknown_origin_names_the_known_ones() -> None:
    with pytest.raises(CounterflowError, match="origin 'ZZ' has no languages") as err:
        Audience.parse(ages="18-35", origins="ZZ")
    assert "use one of NG" in err.value.fix
