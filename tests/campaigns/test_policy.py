"""Policy preflight: a table of cases pins every rule (one clean campaign, one change per case)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from campaigns.policy import (
    COPY_LIMITS,
    Finding,
    assert_schedulable,
    check_locales_ready,
    preflight,
    radius_problem,
    refusals,
)
from intel.errors import CounterflowError
from intel.models import AdSet, Asset, Campaign, Target

NG_ADULT_SPEC = {
    "age_min": 18,
    "age_max": 28,
    "genders": [2],
    "locales": [1001],
    "geo_locations": {
        "custom_locations": [
            {"latitude": 6.34, "longitude": 5.63, "radius": 12, "distance_unit": "kilometer"}
        ]
    },
}
NG_TEEN_SPEC = {
    "age_min": 13,
    "age_max": 17,
    "geo_locations": {"cities": [{"name": "Benin City", "country": "NG", "key": "2345"}]},
}


class World:
    """A campaign that passes preflight (reviewed English copy), to be broken one rule at a time."""

    def __init__(self) -> None:
        self.campaign = Campaign(
            id=1,
            name="t",
            author="a",
            special_ad_categories=["ISSUES_ELECTIONS_POLITICS"],
            special_ad_category_country=["IT", "NG"],
            paid_for_by="Org",
            dsa_beneficiary="Org",
            dsa_payor="Org",
        )
        self.ng = Target(
            id=1, campaign_id=1, name="Benin City", lat=6.34, lon=5.63, radius_km=12, country="NG"
        )
        self.it = Target(
            id=2, campaign_id=1, name="Rome", lat=41.9, lon=12.5, radius_km=40, country="IT", is_eu=True
        )
        self.adult = AdSet(
            id=1, campaign_id=1, target_id=1, locale="en", age_min=18, age_max=28, genders="2",
            targeting=copy.deepcopy(NG_ADULT_SPEC), budget=100.0,
        )  # fmt: skip
        self.teen = AdSet(
            id=2, campaign_id=1, target_id=1, locale="en", age_min=13, age_max=17, teen=True,
            targeting=copy.deepcopy(NG_TEEN_SPEC), budget=100.0,
        )  # fmt: skip
        self.it_adult = AdSet(
            id=3, campaign_id=1, target_id=2, locale="en", age_min=18, age_max=28,
            targeting={**copy.deepcopy(NG_ADULT_SPEC), "genders": []}, budget=100.0,
        )  # fmt: skip
        self.asset = Asset(
            id=1, campaign_id=1, target_id=1, adset_id=1, locale="en", family="where_to_get_help",
            tracking_code="cf1-1-en-1h", headline="Help is free and confidential",
            body="Worried about a job offer or a journey? Call NAPTIP 627. It is free and confidential.",
            description="Call NAPTIP 627", cta="LEARN_MORE", link="http://x/t/cf1-1-en-1h", helpline="NAPTIP 627",
        )  # fmt: skip

    def run(self) -> list[Finding]:
        return preflight(
            self.campaign, [self.ng, self.it], [self.adult, self.teen, self.it_adult], [self.asset]
        )


def test_the_clean_world_passes() -> None:
    findings = World().run()
    assert refusals(findings) == []
    assert_schedulable(findings)  # does not raise


def _set(obj: str, **values: Any) -> Callable[[World], None]:
    def change(w: World) -> None:
        for k, v in values.items():
            setattr(getattr(w, obj), k, v)

    return change


def _spec(obj: str, **values: Any) -> Callable[[World], None]:
    def change(w: World) -> None:
        getattr(w, obj).targeting.update(values)

    return change


def _teen_in_italy(w: World) -> None:
    w.teen.target_id = 2


def _radius_spec(km: float) -> Callable[[World], None]:
    def change(w: World) -> None:
        w.adult.targeting["geo_locations"]["custom_locations"][0]["radius"] = km

    return change


def _teen_radius(w: World) -> None:
    w.teen.targeting["geo_locations"] = NG_ADULT_SPEC["geo_locations"]


def _no_city_key(w: World) -> None:
    w.teen.targeting["geo_locations"]["cities"][0].pop("key")


def _pidgin(w: World) -> None:
    w.adult.locale = "pcm"
    w.adult.targeting.pop("locales")


def _edo(w: World) -> None:
    w.adult.locale = "bin"
    w.adult.targeting.pop("locales")


CASES: list[tuple[str, Callable[[World], None], str, str, str]] = [
    # (case, change, rule, level, words the problem must contain)
    ("age below 13", _set("adult", age_min=12), "age_bounds", "refuse", "12-28"),
    ("an ad set without budget", _set("adult", budget=0.0), "budget", "refuse", "budget was 0"),
    ("age above 65", _set("adult", age_max=70), "age_bounds", "refuse", "18-70"),
    ("min above max", _set("adult", age_min=30), "age_bounds", "refuse", "30-28"),
    ("13-28 in one ad set", _set("adult", age_min=13), "teen_split", "refuse", "13-28"),
    ("teen with gender", _set("teen", genders="2"), "teen_pins", "refuse", "gender"),
    ("teen with locales", _spec("teen", locales=[1001]), "teen_pins", "refuse", "language"),
    ("teen with a radius", _teen_radius, "teen_pins", "refuse", "radius"),
    ("teen in the EU", _teen_in_italy, "teen_eu", "refuse", "IT"),
    ("teen city without key", _no_city_key, "geo_key", "warn", "Benin City"),
    ("no social-issue category", _set("campaign", special_ad_categories=[]), "special_category", "refuse", "social-issue"),
    ("category country missing", _set("campaign", special_ad_category_country=["NG"]), "special_country", "refuse", "IT"),
    ("no Paid for by", _set("campaign", paid_for_by=" "), "paid_for_by", "refuse", "Paid for by"),
    ("no DSA beneficiary", _set("campaign", dsa_beneficiary=None), "dsa", "refuse", "dsa_beneficiary"),
    ("no DSA payor", _set("campaign", dsa_payor=""), "dsa", "refuse", "dsa_payor"),
    ("target radius 900", _set("ng", radius_km=900), "radius", "refuse", "radius_km was 900; it must be between 1 and 80"),
    ("target radius 0.5", _set("ng", radius_km=0.5), "radius", "refuse", "radius_km was 0.5"),
    ("spec radius 81", _radius_spec(81), "radius", "refuse", "radius_km was 81"),
    ("spec in miles", _spec("adult", geo_locations={"custom_locations": [{"radius": 10, "distance_unit": "mile"}]}), "radius", "refuse", "mile"),
    ("ISO code as locale", _spec("adult", locales=["en"]), "locale_ids", "refuse", "'en'"),
    ("unknown locale id", _spec("adult", locales=[999999]), "locale_ids", "refuse", "999999"),
    ("locale id of another language", _set("adult", locale="it"), "locale_ids", "refuse", "it maps to [10]"),
    ("Pidgin has no locale", _pidgin, "locale_unpinned", "warn", "Nigerian Pidgin"),
    ("Edo has no locale", _edo, "locale_unpinned", "warn", "Edo"),
    ("headline over 40", _set("asset", headline="x" * 41), "copy_length", "refuse", "41 characters; the limit is 40"),
    ("body over 125", _set("asset", body="Call NAPTIP 627. " + "x" * 120), "copy_length", "warn", "125 is recommended"),
    ("body over 500", _set("asset", body="Call NAPTIP 627. " + "x" * 500), "copy_length", "refuse", "the limit is 500"),
    ("description over 30", _set("asset", description="y" * 31), "copy_length", "warn", "31 characters"),
    ("unfilled placeholder", _set("asset", body="Call {helpline} NAPTIP 627"), "placeholder", "refuse", "{helpline}"),
    ("tracking code too long", _set("asset", tracking_code="c" * 25, link="http://x/t/" + "c" * 25), "tracking", "refuse", "1-24"),
    ("tracking code not URL-safe", _set("asset", tracking_code="cf 1/2", link="http://x/t/cf 1/2"), "tracking", "refuse", "'cf 1/2'"),
    ("link without the code", _set("asset", link="http://x/t/other"), "tracking", "refuse", "/t/cf1-1-en-1h"),
    ("help copy without helpline", _set("asset", helpline=None), "helpline", "refuse", "no helpline"),
    ("unverified helpline, dry run", _set("ng", country="LY"), "helpline", "warn", "to verify"),
    ("helpline without a source", _set("ng", country="TN"), "helpline", "warn", "marked 'to verify'"),
    ("no helpline for the country", _set("ng", country="GH"), "helpline", "warn", "no helpline is listed for GH"),
    ("ad set under the minimum", _set("adult", budget=6.99), "budget_min", "refuse", "6.99 USD over 7 days (1.00 a day)"),
    ("currency without a minimum", _set("campaign", currency="NGN"), "budget_min", "refuse", "'NGN' has no documented minimum"),
    ("campaign ended", _set("campaign", starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2020, 2, 1)), "dates_past", "refuse", "ended on 2020-02-01"),
    ("draft starts in the past", _set("campaign", starts_on=dt.date(2020, 1, 1), ends_on=dt.date(2099, 2, 1)), "dates_past", "refuse", "starts on 2020-01-01, before today"),
    ("fuzzy copy", _set("asset", locale="pcm"), "locale_fuzzy", "refuse", "fuzzy"),
    ("asset rendered from a since-reviewed draft", _set("asset", fuzzy=True), "asset_stale", "refuse", "since been reviewed"),
    ("planner note carried", _set("campaign", plan_notes=[{"level": "warn", "rule": "overlap", "object": "a", "problem": "p", "fix": "f"}]), "overlap", "warn", "p"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "rule", "level", "words"), CASES, ids=[c[0] for c in CASES])
def test_each_rule(case: str, change: Callable[[World], None], rule: str, level: str, words: str) -> None:
    w = World()
    change(w)
    findings = [f for f in w.run() if f.rule == rule]
    assert findings, f"{case}: no {rule} finding"
    assert any(f.level == level and words in f.problem for f in findings), findings
    if level == "refuse":
        with pytest.raises(CounterflowError):
            assert_schedulable(w.run())


def test_every_documented_rule_has_a_case() -> None:
    import campaigns.policy as policy

    documented = {
        line.split("``")[1]
        for line in (policy.__doc__ or "").splitlines()
        if line.startswith("``") and "``" in line[2:]
    }
    pinned = {c[2] for c in CASES} | {"locale_missing", "assets"}  # see test_locales.py, test_no_assets_*
    assert documented <= pinned, documented - pinned


def test_unverified_helpline_is_refused_on_a_live_channel() -> None:
    w = World()
    w.ng.country = "LY"
    w.campaign.channel = "facebook"
    assert any(f.rule == "helpline" and f.level == "refuse" for f in w.run())


def test_fuzzy_copy_is_a_loud_warning_only_for_a_dry_run_that_opts_in() -> None:
    w = World()
    w.asset.locale = "ar"
    w.campaign.allow_fuzzy = True
    found = [f for f in check_locales_ready(w.campaign, [w.asset]) if f.rule == "locale_fuzzy"]
    assert [f.level for f in found] == ["warn"]
    assert "UNREVIEWED COPY IN A DRY RUN" in found[0].problem
    w.campaign.channel = "facebook"  # a live channel never takes drafts, even with allow_fuzzy
    assert [f.level for f in check_locales_ready(w.campaign, [w.asset]) if f.rule == "locale_fuzzy"] == [
        "refuse"
    ]


def test_locales_ready_names_each_locale_once() -> None:
    w = World()
    assets = []
    for loc in ("en", "yo", "yo", "ig"):
        a = w.asset.model_copy()
        a.locale = loc
        assets.append(a)
    found = check_locales_ready(w.campaign, assets)
    assert sorted(f.object for f in found) == ["locale ig", "locale yo"]
    assert all(f.level == "refuse" for f in found)


def test_no_assets_is_a_refusal() -> None:
    w = World()
    found = preflight(w.campaign, [w.ng], [w.adult], [])
    assert any(f.rule == "assets" and f.level == "refuse" for f in found)


@pytest.mark.parametrize(
    ("km", "ok"), [(0.99, False), (1, True), (40, True), (80, True), (80.01, False), (900, False)]
)
def test_radius_bounds(km: float, ok: bool) -> None:
    assert (radius_problem(km) is None) is ok


def test_copy_limits_table_says_what_is_hard_and_soft() -> None:
    assert COPY_LIMITS["headline"].hard == 40 and COPY_LIMITS["headline"].soft is None
    assert COPY_LIMITS["body"].soft == 125
    assert COPY_LIMITS["description"].soft == 30 and COPY_LIMITS["description"].hard is None


def test_the_locale_table_in_the_docs_matches_the_data() -> None:
    import campaigns.policy as policy
    from campaigns.copy.i18n import LOCALES
    from campaigns.copy.localedata import platform_locale

    rows = {}
    for line in (policy.__doc__ or "").splitlines():
        parts = line.split()
        if parts and parts[0] in LOCALES:
            ids = line[38:48].strip()
            rows[parts[0]] = () if ids == "--" else tuple(int(x) for x in ids.split(","))
    assert rows == {code: platform_locale(code).ids for code in LOCALES}


def test_every_helpline_is_sourced_and_dated_or_not_verified() -> None:
    from campaigns.copy.localedata import helpline_for, helplines_data

    verified = []
    for country, entry in helplines_data().items():
        h = helpline_for(country)
        assert h is not None
        if h.verified:
            verified.append(country)
            assert (h.phone or h.url) and h.source.startswith("https://")
            dt.date.fromisoformat(h.checked)
        else:
            assert h.unverified_because and "to verify" in h.about, country
        assert entry.get("org"), f"{country}: name the organisation behind the helpline"
    assert sorted(verified) == ["IT", "NG"]  # Niger, Libya, Tunisia: no confirmed number yet


@pytest.mark.parametrize("country", ["NE", "LY", "TN", "GH"])
def test_an_unverified_or_missing_helpline_is_refused_on_a_live_channel(country: str) -> None:
    w = World()
    w.ng.country = country
    w.campaign.channel = "facebook"
    assert [f.level for f in w.run() if f.rule == "helpline" and f.object.startswith("target")] == ["refuse"]
