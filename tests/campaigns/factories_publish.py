"""A small, hand-made campaign for the publishing tests (no planner involved).

Two targets on the central Mediterranean route (Benin City in Nigeria and Rome in Italy), each
with two languages; one ad set and one asset per target x language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from intel.models import AdSet, Asset, Campaign, Target

TARGETS: list[dict[str, Any]] = [
    {
        "name": "Benin City",
        "lat": 6.335,
        "lon": 5.627,
        "radius_km": 10.0,
        "country": "NG",
        "timezone": "Africa/Lagos",
        "city": "Benin City",
        "languages": "en|pcm",
        "is_eu": False,
    },
    {
        "name": "Rome Termini",
        "lat": 41.901,
        "lon": 12.501,
        "radius_km": 5.0,
        "country": "IT",
        "timezone": "Europe/Rome",
        "city": "Rome",
        "languages": "en|it",
        "is_eu": True,
    },
]

# the platform's numeric locale ids (1001 = English (All), 10 = Italian); Nigerian Pidgin has none:
# its ad set is targeted by geography only
LOCALE_IDS: dict[str, list[int]] = {"en": [1001], "pcm": [], "it": [10]}

# English only: the other catalogs are unreviewed drafts, which the live channel refuses
ENGLISH_ONLY = [dict(t, languages="en") for t in TARGETS]


def make_campaign(
    session: Session,
    *,
    author: str = "amara",
    name: str = "Central Mediterranean awareness",
    starts_on: dt.date | None = None,
    days: int = 3,
    targets: list[dict[str, Any]] | None = None,
    teen: bool = False,
) -> Campaign:
    """Insert a draft campaign with its targets, ad sets and assets; return it (committed)."""
    starts_on = starts_on or (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1))
    campaign = Campaign(
        name=name,
        author=author,
        audience={"age_min": 18, "age_max": 35, "genders": [2], "special_ad_categories": []},
        budget=300.0,
        allow_fuzzy=True,  # the dry-run outbox may show unreviewed drafts; facebook refuses them
        special_ad_categories=["ISSUES_ELECTIONS_POLITICS"],
        special_ad_category_country=sorted({t["country"] for t in (targets or TARGETS)}),
        paid_for_by="Counterflow Test Foundation",
        dsa_beneficiary="Counterflow Test Foundation",
        dsa_payor="Counterflow Test Foundation",
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days - 1),
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    for t in targets or TARGETS:
        target = Target(campaign_id=campaign.id, **t)
        session.add(target)
        session.flush()
        assert target.id is not None
        for locale in target.languages.split("|"):
            age_min, age_max = (13, 17) if teen else (18, 35)
            geo: dict[str, Any]
            if teen:
                geo = {"cities": [{"name": target.city or target.name, "country": target.country}]}
                targeting: dict[str, Any] = {"age_min": age_min, "age_max": age_max, "geo_locations": geo}
            else:
                geo = {
                    "custom_locations": [
                        {
                            "latitude": target.lat,
                            "longitude": target.lon,
                            "radius": target.radius_km,
                            "distance_unit": "kilometer",
                        }
                    ]
                }
                targeting = {"age_min": age_min, "age_max": age_max, "genders": [2], "geo_locations": geo}
                if LOCALE_IDS[locale]:
                    targeting["locales"] = LOCALE_IDS[locale]
            adset = AdSet(
                campaign_id=campaign.id,
                target_id=target.id,
                locale=locale,
                age_min=age_min,
                age_max=age_max,
                genders="" if teen else "2",
                teen=teen,
                targeting=targeting,
                budget=75.0,
            )
            session.add(adset)
            session.flush()
            code = f"c{campaign.id}-t{target.id}-{locale}"
            session.add(
                Asset(
                    campaign_id=campaign.id,
                    target_id=target.id,
                    adset_id=adset.id,
                    locale=locale,
                    tracking_code=code,
                    headline=f"Job offer abroad? Check it first ({locale})",
                    body=f"Traffickers promise work in Europe. Ask before you travel ({locale}).",
                    cta="Learn more",
                    link=f"http://127.0.0.1:8000/t/{code}",
                    helpline="+234 800 000 0000",
                    description="Free, confidential advice",
                )
            )
    session.commit()
    return campaign
