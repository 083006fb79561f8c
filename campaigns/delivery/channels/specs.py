"""What a campaign becomes on the platform: one spec per object, in creation order.

Pure: takes the campaign's rows, returns :class:`ObjectSpec` values whose ``params`` are exactly
the dicts handed to the facebook-business SDK (``AdAccount.create_campaign(params=...)`` etc.).
References to objects created earlier in the same run (the ad set's ``campaign_id``, the ad's
``creative_id``) are :class:`Ref` placeholders, resolved to external ids at publish time.

Every ad object's name carries a deterministic tag (:func:`tag`) that contains its idempotency
key, so a publish that died after the platform created an object but before the store recorded
its id finds the object again instead of creating a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from campaigns.copy.messages import organic_text
from intel.models import AdSet, Asset, Campaign, ScheduledPost, Target

Window = tuple[int, int]


@dataclass(frozen=True)
class Ref:
    """A placeholder for the external id of the object with idempotency key ``key``.

    ``numeric``: the SDK types the field as an integer id (``adset_id``); a numeric id is then
    passed as an int.
    """

    key: str
    numeric: bool = False


@dataclass
class ObjectSpec:
    """One object to create: where (node + edge), with what, and what it depends on."""

    key: str  # idempotency key, e.g. "adset:12"
    kind: str  # campaign, adset, creative, ad, post
    node: str  # "account" or "page"
    edge: str  # campaigns, adsets, adcreatives, ads, feed
    params: dict[str, Any]
    tag: str = ""  # deterministic marker in the object's name ("" for page posts)
    depends: list[str] = field(default_factory=list)
    copy_review: str = "no copy"  # "reviewed", "UNREVIEWED", or "no copy" (see copy_review_of)
    copy_locale: str = ""  # the locale of the copy the object carries, if any


def copy_review_of(asset: Asset) -> str:
    """How the copy an object carries was reviewed: ``UNREVIEWED`` for a fuzzy draft."""
    return "UNREVIEWED" if asset.fuzzy else "reviewed"


@dataclass
class CampaignRows:
    """The rows of one campaign that publishing reads."""

    campaign: Campaign
    targets: dict[int, Target]
    adsets: list[AdSet]
    assets: list[Asset]
    posts: list[ScheduledPost]
    windows: list[Window] | None = None  # dayparting windows when the campaign is dayparted


def tag(campaign: Campaign, key: str) -> str:
    """The name marker for ``key``: unique per campaign row (id + creation second) and key."""
    created = campaign.created_at
    stamp = int((created if created.tzinfo else created.replace(tzinfo=dt.UTC)).timestamp())
    return f"[cf {key} c{campaign.id}.{stamp}]"


def resolve(value: Any, ids: dict[str, str]) -> Any:
    """``value`` with every :class:`Ref` replaced by its external id from ``ids``."""
    if isinstance(value, Ref):
        found = ids[value.key]
        return int(found) if value.numeric and found.isdigit() else found
    if isinstance(value, dict):
        return {k: resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, ids) for v in value]
    return value


def minor_units(amount: float) -> int:
    """A budget in the account currency's minor units (cents), as the API wants it."""
    return int(round(amount * 100))


def adset_schedule(windows: list[Window]) -> list[dict[str, Any]]:
    """Day-parting blocks around each window: whole hours (the platform's rule), two hours long,
    every day, in the viewer's time zone (``timezone_type`` USER)."""
    blocks: list[dict[str, Any]] = []
    for h, _m in sorted(set(windows)):
        start = h * 60
        end = min(24 * 60, start + 120)
        if blocks and start <= blocks[-1]["end_minute"]:
            blocks[-1]["end_minute"] = max(blocks[-1]["end_minute"], end)
            continue
        blocks.append(
            {"start_minute": start, "end_minute": end, "days": list(range(7)), "timezone_type": "USER"}
        )
    return blocks


def fallback_targeting(adset: AdSet, target: Target) -> dict[str, Any]:
    """Targeting when the planner left ``AdSet.targeting`` empty; follows the platform's teen
    rules (no gender, language or radius pins under 18)."""
    spec: dict[str, Any] = {"age_min": max(13, adset.age_min), "age_max": min(65, adset.age_max)}
    if adset.teen or adset.age_min < 18:
        spec["geo_locations"] = {"countries": [target.country]}
        return spec
    spec["geo_locations"] = {
        "custom_locations": [
            {
                "latitude": target.lat,
                "longitude": target.lon,
                "radius": max(1.0, min(80.0, target.radius_km)),
                "distance_unit": "kilometer",
            }
        ]
    }
    if adset.genders:
        spec["genders"] = [int(g) for g in adset.genders.split("|") if g]
    return spec


def _local_midnight(day: dt.date, zone: str) -> str:
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=ZoneInfo(zone)).isoformat()


def _creative_params(
    c: Campaign, asset: Any, key: str, page_id: str, link_data: dict[str, Any]
) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": f"{asset.tracking_code} {tag(c, key)}",
        "object_story_spec": {"page_id": page_id, "link_data": link_data},
    }
    if c.paid_for_by:
        # the "Paid for by" disclaimer that ads about social issues carry (AdCreativeAdDisclaimer)
        params["ad_disclaimer_spec"] = {"title": f"Paid for by {c.paid_for_by}"}
    return params


def build_specs(rows: CampaignRows, *, page_id: str, now: dt.datetime | None = None) -> list[ObjectSpec]:
    """The objects to create for a campaign, in dependency order.

    Campaign -> one ad set per ``AdSet`` row -> one creative and one ad per asset -> one
    scheduled Page post per ``ScheduledPost``.
    """
    now = now or dt.datetime.now(dt.UTC)
    c = rows.campaign
    specs: list[ObjectSpec] = []
    ck = f"campaign:{c.id}"
    special = list(c.special_ad_categories or [])
    campaign_params: dict[str, Any] = {
        "name": f"{c.name} {tag(c, ck)}",
        "objective": c.objective,
        "status": "PAUSED",
        "special_ad_categories": special,
        "buying_type": "AUCTION",
        "is_adset_budget_sharing_enabled": False,
    }
    if c.special_ad_category_country:
        campaign_params["special_ad_category_country"] = list(c.special_ad_category_country)
    specs.append(
        ObjectSpec(
            key=ck,
            kind="campaign",
            node="account",
            edge="campaigns",
            tag=tag(c, ck),
            params=campaign_params,
        )
    )
    for a in rows.adsets:
        target = rows.targets[a.target_id]
        key = f"adset:{a.id}"
        start_day = c.starts_on or now.date()
        end_day = c.ends_on or start_day + dt.timedelta(days=6)
        params: dict[str, Any] = {
            "name": f"{target.name} {a.locale} {a.age_min}-{a.age_max} {tag(c, key)}",
            "campaign_id": Ref(ck),
            "status": "PAUSED",
            "billing_event": "IMPRESSIONS",
            "optimization_goal": "REACH",
            "bid_strategy": "LOWEST_COST_WITHOUT_CAP",
            "lifetime_budget": minor_units(a.budget),
            "start_time": _local_midnight(start_day, target.timezone),
            "end_time": _local_midnight(end_day + dt.timedelta(days=1), target.timezone),
            "targeting": dict(a.targeting) if a.targeting else fallback_targeting(a, target),
        }
        if rows.windows:
            params["pacing_type"] = ["day_parting"]
            params["adset_schedule"] = adset_schedule(rows.windows)
        if target.is_eu and (c.dsa_beneficiary or c.dsa_payor):
            params["dsa_beneficiary"] = c.dsa_beneficiary or c.dsa_payor
            params["dsa_payor"] = c.dsa_payor or c.dsa_beneficiary
        specs.append(
            ObjectSpec(
                key=key,
                kind="adset",
                node="account",
                edge="adsets",
                tag=tag(c, key),
                params=params,
                depends=[ck],
            )
        )
    adset_ids = {a.id for a in rows.adsets}
    for asset in rows.assets:
        if asset.adset_id not in adset_ids:
            continue
        crk, adk, ask = f"creative:{asset.id}", f"ad:{asset.id}", f"adset:{asset.adset_id}"
        link_data: dict[str, Any] = {
            "link": asset.link,
            "message": asset.body,
            "name": asset.headline,
            "call_to_action": {"type": "LEARN_MORE", "value": {"link": asset.link}},
        }
        if asset.description:
            link_data["description"] = asset.description
        specs.append(
            ObjectSpec(
                key=crk,
                kind="creative",
                node="account",
                edge="adcreatives",
                tag=tag(c, crk),
                params=_creative_params(c, asset, crk, page_id, link_data),
                copy_review=copy_review_of(asset),
                copy_locale=asset.locale,
            )
        )
        specs.append(
            ObjectSpec(
                key=adk,
                kind="ad",
                node="account",
                edge="ads",
                tag=tag(c, adk),
                params={
                    "name": f"{asset.tracking_code} {tag(c, adk)}",
                    "adset_id": Ref(ask, numeric=True),
                    "creative": {"creative_id": Ref(crk)},
                    "status": "PAUSED",
                },
                depends=[ask, crk],
                copy_review=copy_review_of(asset),
                copy_locale=asset.locale,
            )
        )
    assets = {a.id: a for a in rows.assets}
    adsets = {a.id: a for a in rows.adsets}
    for post in rows.posts:
        asset = assets[post.asset_id]
        target = rows.targets[asset.target_id]
        adset = adsets.get(asset.adset_id) if asset.adset_id else None
        at = post.publish_at if post.publish_at.tzinfo else post.publish_at.replace(tzinfo=dt.UTC)
        message = organic_text(asset.headline, asset.body)
        if asset.helpline:
            message += f"\n{asset.helpline}"
        message += f"\n{asset.link}"  # also makes the message unique per asset: reconciliation matches on it
        targeting: dict[str, Any] = {"geo_locations": {"countries": [target.country]}}
        if adset is not None:
            targeting["age_min"] = max(13, adset.age_min)
            locales = (adset.targeting or {}).get("locales")
            if locales and not adset.teen:
                targeting["locales"] = list(locales)
        specs.append(
            ObjectSpec(
                key=f"post:{post.id}",
                kind="post",
                node="page",
                edge="feed",
                params={
                    "message": message,
                    "link": asset.link,
                    "published": False,
                    "scheduled_publish_time": int(at.timestamp()),
                    "targeting": targeting,
                },
                copy_review=copy_review_of(asset),
                copy_locale=asset.locale,
            )
        )
    return specs
