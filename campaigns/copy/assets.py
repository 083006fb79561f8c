"""Localised assets: one per ad set and message family, with its tracking code and link.

Copy comes from the Babel catalogs (``campaigns.copy.messages`` -> ``locales/``); numbers go through
``campaigns.copy.i18n.format_number`` (``bin`` formats as ``en_NG``). In right-to-left copy every
filled-in value (the helpline, the count of days) is wrapped in Unicode isolates
(``campaigns.copy.i18n.isolate``) and HTML previews put the helpline in ``<bdi>``: "800 290 290"
stays in order instead of showing as "290 290 800". Drafted (fuzzy) copy is rendered
as drafted and the asset is marked ``fuzzy``: ``campaigns.policy`` refuses to schedule it unless
the campaign opted in for a dry run.

Tracking codes: ``cf{campaign}-{target}-{locale}-{adset}{family letter}`` with the ids in base 36,
URL-safe, at most 24 characters (the target part is left out if the ids are long); unique because
ad set ids are. The link is ``{settings.public_base_url}/t/{code}``: the localised tip form.

Words for the audience: a campaign that speaks to women only (``audience["genders"] ==
["women"]``) gets the feminine variants of the messages that address the reader, one that speaks
to men only the masculine ones; a catalog without the variant gives the neutral message
(``campaigns.copy.messages.Gendered``). The helpline is named in the asset's language
(``[XX.names]`` in ``locales/helplines.toml``), then its number.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from sqlmodel import Session

from campaigns import crud
from campaigns.copy.i18n import (
    direction,
    format_date,
    format_number,
    fuzzy_families,
    get_translations,
    isolate,
)
from campaigns.copy.localedata import helpline_for
from campaigns.copy.messages import (
    DEFAULT_DEADLINE_DAYS,
    FAMILIES,
    Gendered,
    audience_gender,
    family_copy,
    preview_words,
)
from intel.csvsafe import csv_writer
from intel.errors import CounterflowError
from intel.models import AdSet, Asset, Campaign, Target
from intel.settings import Settings

FAMILY_LETTER = {"recruitment_fraud": "r", "know_the_signs": "k", "where_to_get_help": "h"}
MAX_CODE = 24
_B36 = "0123456789abcdefghijklmnopqrstuvwxyz"


def base36(n: int) -> str:
    if n < 0:
        raise ValueError("ids are not negative")
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _B36[r] + out
        if n == 0:
            return out


def tracking_code(*, campaign_id: int, target_id: int, locale: str, adset_id: int, family: str) -> str:
    """A URL-safe code of at most 24 characters naming campaign, target, locale and ad set.

    >>> tracking_code(campaign_id=1, target_id=2, locale="pcm", adset_id=40, family="know_the_signs")
    'cf1-2-pcm-14k'
    """
    tail = f"{locale}-{base36(adset_id)}{FAMILY_LETTER[family]}"
    code = f"cf{base36(campaign_id)}-{base36(target_id)}-{tail}"
    if len(code) > MAX_CODE:
        code = f"cf{base36(campaign_id)}-{tail}"
    if len(code) > MAX_CODE:
        code = f"cf-{tail}"
    return code


def asset_values(
    *,
    campaign: Campaign,
    target: Target,
    adset: AdSet,
    family: str,
    settings: Settings,
    days: int = DEFAULT_DEADLINE_DAYS,
) -> dict[str, object]:
    """The fields of one asset (pure: reads the catalogs, writes nothing)."""
    assert campaign.id is not None and target.id is not None and adset.id is not None
    locale = adset.locale
    t = Gendered(get_translations(locale, use_fuzzy=True), audience_gender(campaign.audience))
    copy = family_copy(t, family, days=days)
    helpline = helpline_for(target.country)
    display = helpline.display_in(locale) if helpline is not None else ""
    values = {"helpline": display, "n": format_number(days, locale)}
    rtl = direction(locale) == "rtl"
    if rtl:  # numbers and names keep their own direction inside right-to-left copy
        values = {"helpline": isolate(display), "n": isolate(values["n"], ltr=True)}
        display = isolate(display)
    code = tracking_code(
        campaign_id=campaign.id, target_id=target.id, locale=locale, adset_id=adset.id, family=family
    )
    fuzzy = family in fuzzy_families(locale)
    return {
        "campaign_id": campaign.id,
        "target_id": target.id,
        "adset_id": adset.id,
        "locale": locale,
        "family": family,
        "tracking_code": code,
        "headline": copy.headline.format(**values),
        "body": copy.body.format(**values),
        "description": copy.description.format(**values),
        "cta": "LEARN_MORE",
        "link": f"{settings.public_base_url.rstrip('/')}/t/{code}",
        "helpline": display or None,
        "direction": direction(locale),
        "fuzzy": fuzzy,
    }


def generate_assets(
    session: Session,
    *,
    campaign_id: int,
    settings: Settings,
    families: Sequence[str] = FAMILIES,
    days: int = DEFAULT_DEADLINE_DAYS,
    refresh: bool = False,
) -> list[Asset]:
    """Create the missing assets of a campaign (one per ad set x family); returns all of them.

    Idempotent: an ad set and family that already has an asset keeps it. ``refresh`` re-renders
    existing assets from the current catalogs (after a review), keeping their ids and tracking
    codes; only a draft campaign may be refreshed.
    """
    for f in families:
        if f not in FAMILIES:
            raise CounterflowError(f"message family {f!r} is not known", f"use {', '.join(FAMILIES)}")
    campaign, targets, adsets, existing = crud.campaign_bundle(session, campaign_id=campaign_id)
    if refresh and existing and campaign.status != "draft":
        raise CounterflowError(
            f"campaign {campaign_id} is {campaign.status}; its assets are frozen",
            "plan a new campaign to change copy after approval",
        )
    by_id = {t.id: t for t in targets}
    have = {(a.adset_id, a.family): a for a in existing}
    for adset in adsets:
        for family in families:
            old = have.get((adset.id, family))
            if old is not None and not refresh:
                continue
            values = asset_values(
                campaign=campaign,
                target=by_id[adset.target_id],
                adset=adset,
                family=family,
                settings=settings,
                days=days,
            )
            if old is None:
                crud.add_asset(session, **values)
                continue
            for key in ("headline", "body", "description", "helpline", "direction", "fuzzy", "link"):
                setattr(old, key, values[key])
            session.add(old)
    session.flush()
    return crud.list_assets(session, campaign_id=campaign_id)


def render_preview(asset: Asset, *, paid_for_by: str | None = None) -> str:
    """The asset as it will appear, as an HTML snippet (escaped; ``dir`` from the locale)."""
    t = get_translations(asset.locale, use_fuzzy=True)
    words = preview_words(t)
    e = html.escape
    paid = ""
    if paid_for_by:
        paid = f' · <span class="cf-paid-for-by">{e(words["paid_for_by"].format(name=paid_for_by))}</span>'
    fuzzy = ' <span class="cf-draft">draft: not reviewed</span>' if asset.fuzzy else ""
    helpline = f'<p class="cf-helpline">&#9742; <bdi>{e(asset.helpline)}</bdi></p>' if asset.helpline else ""
    return (
        f'<article class="cf-ad" lang="{e(asset.locale)}" dir="{e(asset.direction)}" '
        f'data-tracking-code="{e(asset.tracking_code)}" data-family="{e(asset.family)}">'
        f'<header><span class="cf-sponsored">{e(words["sponsored"])}</span>{paid}{fuzzy}</header>'
        f'<p class="cf-body">{e(asset.body)}</p>'
        f'<a class="cf-link" href="{e(asset.link)}"><strong class="cf-headline">{e(asset.headline)}</strong>'
        f'<span class="cf-description">{e(asset.description)}</span></a>'
        f"{helpline}"
        f'<footer class="cf-code">{e(asset.tracking_code)}</footer>'
        "</article>"
    )


PREVIEW_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;background:#f0f2f5;color:#1c1e21}
h2{margin-top:2rem} .cf-grid{display:flex;flex-wrap:wrap;gap:1rem}
.cf-ad{background:#fff;border-radius:8px;padding:12px;width:320px;box-shadow:0 1px 2px #0003}
.cf-ad header{font-size:.8rem;color:#65676b}.cf-draft{background:#fde68a;color:#7c2d12;padding:0 4px;border-radius:3px}
.cf-link{display:block;background:#f0f2f5;padding:8px;text-decoration:none;color:inherit}
.cf-headline{display:block}.cf-description{font-size:.85rem;color:#65676b}
.cf-helpline{font-weight:600}.cf-code{font-size:.7rem;color:#8a8d91;font-family:monospace}
"""


def export_assets(
    *, campaign: Campaign, targets: Sequence[Target], assets: Sequence[Asset], out_dir: Path
) -> tuple[Path, Path]:
    """Write ``campaign-<id>.html`` (every preview, by target) and ``campaign-<id>-assets.csv``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    e = html.escape
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(campaign.name)}: assets</title>"
        f"<style>{PREVIEW_CSS}</style></head><body><h1>{e(campaign.name)}</h1>"
    ]
    if campaign.starts_on and campaign.ends_on:
        parts.append(
            f"<p>{e(format_date(campaign.starts_on, 'en'))} – {e(format_date(campaign.ends_on, 'en'))}; "
            f"{len(assets)} assets</p>"
        )
    if any(a.fuzzy for a in assets):
        parts.append(
            "<p class='cf-draft'>Some copy is an unreviewed draft (marked): it cannot be scheduled live.</p>"
        )
    for target in targets:
        mine = [a for a in assets if a.target_id == target.id]
        parts.append(
            f"<h2>{e(target.name)} ({e(target.country)}, {target.radius_km:g} km)</h2><div class='cf-grid'>"
        )
        parts.extend(render_preview(a, paid_for_by=campaign.paid_for_by) for a in mine)
        parts.append("</div>")
    parts.append("</body></html>")
    page = out_dir / f"campaign-{campaign.id}.html"
    page.write_text("".join(parts), encoding="utf-8")
    table = out_dir / f"campaign-{campaign.id}-assets.csv"
    cols = ["id", "target_id", "adset_id", "locale", "family", "tracking_code", "headline", "body",
            "description", "link", "helpline", "direction", "fuzzy"]  # fmt: skip
    with table.open("w", newline="", encoding="utf-8") as fh:
        w = csv_writer(fh)
        w.writerow(cols)
        for a in assets:
            w.writerow([getattr(a, c) for c in cols])
    return page, table
