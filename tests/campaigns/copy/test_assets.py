"""Assets in all nine locales: tracking codes, links, helplines, previews and the export."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from campaigns import crud
from campaigns.copy.assets import FAMILY_LETTER, export_assets, generate_assets, render_preview, tracking_code
from campaigns.copy.i18n import LOCALES
from campaigns.plan.planner import Audience, plan_campaign
from campaigns.policy import check_asset, check_locales_ready
from intel.db import session_scope
from intel.errors import CounterflowError
from intel.models import Asset
from intel.settings import Settings
from tests.factories import make_demo_run

URL_SAFE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")


def _nine_locale_campaign(engine: Engine, settings: Settings) -> int:
    """Two targets (Benin City, Rome), every one of the nine languages, adults and teens."""
    spots = [("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.0), ("Rome", 41.894, 12.483, 2, 20.0, 2, 3.0)]
    with session_scope(engine) as session:
        run = make_demo_run(session, hotspots=spots)
        campaign = plan_campaign(
            session,
            name="nine",
            hotspot_run_id=run.id,
            author="ana",
            audience=Audience(16, 24, ["women"], list(LOCALES)),
            budget=90_000,  # 27 ad sets at 1 EUR a day for 32 days, split by expected impact
            currency="EUR",
            starts_on=dt.date(2027, 1, 10),
            ends_on=dt.date(2027, 2, 10),
            settings=settings,
            paid_for_by="Org",
            now=dt.datetime(2027, 1, 2, tzinfo=dt.UTC),
        )
        assert campaign.id is not None
        generate_assets(session, campaign_id=campaign.id, settings=settings)
        return campaign.id


def test_assets_in_all_nine_locales(engine: Engine, settings: Settings) -> None:
    cid = _nine_locale_campaign(engine, settings)
    with session_scope(engine) as session:
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=cid)
        again = generate_assets(session, campaign_id=cid, settings=settings)  # idempotent
    assert [a.id for a in again] == [a.id for a in assets]
    assert {a.locale for a in assets} == set(LOCALES)
    assert len(assets) == len(adsets) * 3  # one per ad set x family
    # Benin City: 9 teen + 9 adult ad sets; Rome (EU): 9 adult
    assert len(adsets) == 27
    codes = [a.tracking_code for a in assets]
    assert len(set(codes)) == len(codes) and all(URL_SAFE.match(c) for c in codes)
    by_target = {t.id: t for t in targets}
    for a in assets:
        assert a.link == f"{settings.public_base_url}/t/{a.tracking_code}"
        assert a.direction == ("rtl" if a.locale == "ar" else "ltr")
        assert a.fuzzy is (a.locale != "en")
        assert "{" not in a.body + a.headline + a.description
        country = by_target[a.target_id].country
        # the helpline's name in the asset's language, then its number; in Arabic the number is
        # isolated left to right inside the isolated name
        shown = {
            ("NG", False): "NAPTIP 627",
            ("NG", True): "\u2068NAPTIP \u2066627\u2069\u2069",
            ("IT", False): "Numero Verde Antitratta 800 290 290",
            ("IT", True): "\u2068الرقم الأخضر لمكافحة الاتجار \u2066800 290 290\u2069\u2069",
        }[(country, a.direction == "rtl")]
        assert a.helpline == shown
        if a.family == "where_to_get_help":
            assert a.helpline in a.body
        assert a.description == "Tell us privately" or a.locale != "en"  # what the link opens
        assert not [f for f in check_asset(campaign, a) if f.level == "refuse"], a
    en = next(a for a in assets if a.locale == "en" and a.family == "recruitment_fraud")
    assert en.body.startswith("Traffickers promise good work abroad, then keep your passport")
    yo = next(a for a in assets if a.locale == "yo" and a.family == "know_the_signs")
    assert "Ọjọ́ 3 péré" in yo.body
    # every locale is reported, reviewed English passes and the drafts are refused
    refused = {f.object for f in check_locales_ready(campaign, assets) if f.level == "refuse"}
    assert refused == {f"locale {c}" for c in LOCALES if c != "en"}


def test_preview_and_export(engine: Engine, settings: Settings, tmp_path: Path) -> None:
    cid = _nine_locale_campaign(engine, settings)
    with session_scope(engine) as session:
        campaign, targets, _, assets = crud.campaign_bundle(session, campaign_id=cid)
    ar = next(a for a in assets if a.locale == "ar" and a.family == "where_to_get_help")
    html = render_preview(ar, paid_for_by="Org <b>")
    assert 'dir="rtl"' in html and 'lang="ar"' in html
    assert "مدفوع من Org &lt;b&gt;" in html  # translated disclaimer, escaped
    assert f'href="{ar.link}"' in html and ar.helpline and ar.helpline in html
    page, table = export_assets(campaign=campaign, targets=targets, assets=assets, out_dir=tmp_path / "out")
    text = page.read_text(encoding="utf-8")
    assert text.count('<article class="cf-ad"') == len(assets)
    assert "unreviewed draft" in text
    with table.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(assets) and {r["tracking_code"] for r in rows} == {
        a.tracking_code for a in assets
    }


def test_escaping_keeps_markup_out_of_previews() -> None:
    asset = Asset(
        campaign_id=1, target_id=1, locale="en", tracking_code="cf1", headline="<script>x</script>",
        body="a & b", cta="LEARN_MORE", link="http://h/t/cf1", description="d",
    )  # fmt: skip
    html = render_preview(asset)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html


@given(
    campaign_id=st.integers(1, 36**8),
    target_id=st.integers(1, 36**8),
    adset_id=st.integers(1, 36**8),
    locale=st.sampled_from(LOCALES),
    family=st.sampled_from(sorted(FAMILY_LETTER)),
)
def test_tracking_codes_are_short_url_safe_and_name_the_ad_set(
    campaign_id: int, target_id: int, adset_id: int, locale: str, family: str
) -> None:
    code = tracking_code(
        campaign_id=campaign_id, target_id=target_id, locale=locale, adset_id=adset_id, family=family
    )
    assert URL_SAFE.match(code)
    assert code.endswith(f"-{locale}-{int_to_b36(adset_id)}{FAMILY_LETTER[family]}")


def int_to_b36(n: int) -> str:
    return np.base_repr(n, 36).lower()


def test_small_ids_keep_campaign_and_target() -> None:
    assert tracking_code(
        campaign_id=12, target_id=3, locale="ar", adset_id=77, family="where_to_get_help"
    ) == ("cfc-3-ar-25h")


@pytest.mark.browser
def test_exported_preview_renders_right_to_left_in_chromium(
    engine: Engine, settings: Settings, tmp_path: Path, chromium_path: str
) -> None:
    from playwright.sync_api import sync_playwright

    cid = _nine_locale_campaign(engine, settings)
    with session_scope(engine) as session:
        campaign, targets, _, assets = crud.campaign_bundle(session, campaign_id=cid)
    page_path, _ = export_assets(campaign=campaign, targets=targets, assets=assets, out_dir=tmp_path)
    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=args)
        page = browser.new_page()
        page.goto(page_path.as_uri())
        dirs = page.eval_on_selector_all(
            "article.cf-ad",
            "els => els.map(e => [e.lang, getComputedStyle(e).direction, e.getBoundingClientRect().width])",
        )
        browser.close()
    assert len(dirs) == len(assets)
    assert {d for lang, d, _ in dirs if lang == "ar"} == {"rtl"}
    assert {d for lang, d, _ in dirs if lang != "ar"} == {"ltr"}
    assert all(w > 200 for *_, w in dirs)  # visible cards, not collapsed


def test_refresh_re_renders_in_place_and_only_drafts(engine: Engine, settings: Settings) -> None:
    cid = _nine_locale_campaign(engine, settings)
    with session_scope(engine) as session:
        assets = crud.list_assets(session, campaign_id=cid)
        en = next(a for a in assets if a.locale == "en" and a.family == "recruitment_fraud")
        good_body, code, aid = en.body, en.tracking_code, en.id
        en.body, en.fuzzy = "stale draft text", True
        session.add(en)
        session.flush()
        campaign = crud.get_campaign(session, campaign_id=cid)
        assert any(f.rule == "asset_stale" for f in check_locales_ready(campaign, [en]))
        generate_assets(session, campaign_id=cid, settings=settings)  # without refresh: kept as is
        assert crud.list_assets(session, campaign_id=cid)[assets.index(en)].body == "stale draft text"
        after = generate_assets(session, campaign_id=cid, settings=settings, refresh=True)
        again = next(a for a in after if a.id == aid)
        assert (again.body, again.fuzzy, again.tracking_code) == (good_body, False, code)
        assert len(after) == len(assets)
        campaign.status = "approved"
        session.add(campaign)
        session.flush()
        with pytest.raises(CounterflowError, match="is approved; its assets are frozen"):
            generate_assets(session, campaign_id=cid, settings=settings, refresh=True)


def test_the_italian_helpline_keeps_its_order_in_arabic_copy(settings: Settings) -> None:
    """In Arabic copy for Italy the helpline is isolated: the bidirectional algorithm (python-bidi,
    the Unicode algorithm) shows "800 290 290" in order, where the bare number shows "290 290 800"."""
    from bidi import get_display

    from campaigns.copy.assets import asset_values
    from campaigns.copy.i18n import FSI, LRI, PDI
    from intel.models import AdSet, Campaign, Target

    campaign = Campaign(id=1, name="c", author="ana", audience={}, budget=1.0)
    rome = Target(
        id=2, campaign_id=1, name="Rome", country="IT", lat=41.9, lon=12.5, radius_km=20.0,
        languages="it|ar", timezone="Europe/Rome",
    )  # fmt: skip
    adsets = {
        loc: AdSet(id=i, campaign_id=1, target_id=2, locale=loc, age_min=18, age_max=28, budget=1.0)
        for i, loc in ((3, "ar"), (4, "it"))
    }
    kw: dict[str, Any] = {"campaign": campaign, "target": rome, "settings": settings}
    ar = asset_values(adset=adsets["ar"], family="where_to_get_help", **kw)
    body = str(ar["body"])
    name = "الرقم الأخضر لمكافحة الاتجار"  # the helpline's Arabic name, not its Latin letters
    assert ar["helpline"] == f"{FSI}{name} {LRI}800 290 290{PDI}{PDI}" and str(ar["helpline"]) in body
    assert "800 290 290" in get_display(body)
    bare = body.replace(FSI, "").replace(LRI, "").replace(PDI, "")
    assert "290 290 800" in get_display(bare)  # what the isolates prevent
    signs = asset_values(adset=adsets["ar"], family="know_the_signs", **kw)
    assert f"{LRI}3{PDI}" in str(signs["body"])
    # left-to-right copy is left as it is
    it = asset_values(adset=adsets["it"], family="where_to_get_help", **kw)
    assert FSI not in str(it["body"]) and it["helpline"] == "Numero Verde Antitratta 800 290 290"
