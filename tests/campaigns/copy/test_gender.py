"""Words for the audience: gendered variants chosen from the plan's audience, neutral otherwise."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po
from sqlalchemy import Engine

from campaigns import crud
from campaigns.copy.assets import asset_values, generate_assets
from campaigns.copy.messages import Gendered, audience_gender, is_variant
from campaigns.plan.planner import Audience, plan_campaign
from intel.db import session_scope
from intel.models import AdSet, Campaign, Target
from intel.settings import Settings
from tests.factories import make_demo_run

FR_NEUTRAL = "Une offre d’emploi ou un voyage vous inquiète"
FR_FEMININE = "Inquiète pour une offre d’emploi ou un voyage"


def _french_help_bodies(engine: Engine, settings: Settings, genders: list[str]) -> set[str]:
    spots: list[tuple[str, float, float, int | None, float | None, int, float]] = [
        ("Agadez", 16.97, 7.99, 1, 12.0, 3, 6.0)
    ]
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        assert run.id is not None
        campaign = plan_campaign(
            session,
            name="w",
            hotspot_run_id=run.id,
            author="ana",
            audience=Audience(13, 28, genders, ["fr"]),
            budget=5_000,
            currency="EUR",
            starts_on=dt.date(2027, 1, 10),
            ends_on=dt.date(2027, 2, 10),
            settings=settings,
            paid_for_by="Org",
            now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
        )
        assert campaign.id is not None
        generate_assets(session, campaign_id=campaign.id, settings=settings)
        _, _, _, assets = crud.campaign_bundle(session, campaign_id=campaign.id)
        return {a.body for a in assets if a.family == "where_to_get_help" and a.locale == "fr"}


def test_a_plan_for_women_13_to_28_gets_the_feminine_french_copy(engine: Engine, settings: Settings) -> None:
    bodies = _french_help_bodies(engine, settings, ["women"])
    assert bodies and all(b.startswith(FR_FEMININE) for b in bodies), bodies  # teen and adult ad sets


def test_a_plan_for_everyone_gets_the_neutral_french_copy(engine: Engine, settings: Settings) -> None:
    bodies = _french_help_bodies(engine, settings, [])
    assert bodies and all(b.startswith(FR_NEUTRAL) for b in bodies), bodies


@pytest.mark.parametrize(
    ("locale", "genders", "start"),
    [
        ("it", ["women"], "Sei preoccupata"),
        ("it", ["men"], "Sei preoccupato"),
        ("it", [], "Hai dubbi"),
        ("ar", ["women"], "هل أنتِ قلقة"),
        ("ar", [], "هل أنت قلق"),
        ("fr", ["men"], "Inquiet pour"),
        ("fr", ["men", "women"], FR_NEUTRAL),
        # a catalog without the variant gives its neutral text
        ("pcm", ["women"], "You dey worry"),
        ("ha", ["women"], "Kuna damuwa"),
    ],
)
def test_the_variant_follows_the_audience_and_falls_back_to_neutral(
    settings: Settings, locale: str, genders: list[str], start: str
) -> None:
    campaign = Campaign(id=1, name="c", author="ana", audience={"genders": genders}, budget=1.0)
    target = Target(id=2, campaign_id=1, name="Rome", country="IT", lat=41.9, lon=12.5, radius_km=20.0)
    adset = AdSet(id=3, campaign_id=1, target_id=2, locale=locale, age_min=18, age_max=28, budget=1.0)
    kw: dict[str, Any] = {"campaign": campaign, "target": target, "adset": adset, "settings": settings}
    values = asset_values(family="where_to_get_help", **kw)
    assert str(values["body"]).startswith(start)
    assert values["fuzzy"] is True  # every variant is a draft until a native reviewer confirms it


def test_the_arabic_feminine_imperative_in_the_link_text(settings: Settings) -> None:
    campaign = Campaign(id=1, name="c", author="ana", audience={"genders": ["women"]}, budget=1.0)
    target = Target(id=2, campaign_id=1, name="Tripoli", country="LY", lat=32.9, lon=13.2, radius_km=20.0)
    adset = AdSet(id=3, campaign_id=1, target_id=2, locale="ar", age_min=18, age_max=28, budget=1.0)
    women = asset_values(
        campaign=campaign, target=target, adset=adset, family="recruitment_fraud", settings=settings
    )
    assert women["description"] == "أخبرينا بسرّية"
    campaign.audience = {"genders": []}
    everyone = asset_values(
        campaign=campaign, target=target, adset=adset, family="recruitment_fraud", settings=settings
    )
    assert everyone["description"] == "أخبرنا بسرّية"


def test_an_unknown_gender_is_refused() -> None:
    assert audience_gender(None) is None
    with pytest.raises(ValueError, match="unknown grammatical gender"):
        Gendered(object(), "neuter")  # type: ignore[arg-type]


def test_a_drafted_variant_keeps_its_family_unreviewed(tmp_path: Path) -> None:
    """A reviewed neutral text with a feminine draft is not ready: women would be shown the draft."""
    from campaigns.copy import i18n
    from campaigns.copy.pack import export_pack, import_pack

    root = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), root, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    export_pack("fr", out_dir=tmp_path / "pack", root=root)
    returned = tmp_path / "pack" / "fr-messages.po"
    with returned.open("rb") as fh:
        catalog = read_po(fh)
    for m in catalog:  # the reviewer confirms every neutral message, not the feminine variant
        if m.id and not is_variant(m.context):
            m.flags.discard("fuzzy")
    with returned.open("wb") as fh:
        write_po(fh, catalog)
    import_pack(returned, reviewer="Someone", root=root)
    ready = {c.family: c.ready for c in i18n.coverage("fr", root=root)}
    assert ready == {
        "know_the_signs": True,
        "preview": True,
        "recruitment_fraud": True,
        "where_to_get_help": False,
    }
