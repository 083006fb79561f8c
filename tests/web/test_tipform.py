"""The public tip form: its language, its errors in that language, its catalogs, its privacy."""

from __future__ import annotations

import logging
import os
import re
from html import unescape
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from campaigns.copy.messages import is_variant
from intel.models import Tip
from intel.settings import Settings
from tests.factories import Seeded
from web import i18n
from web.app import create_app
from web.tipform import MESSAGES, TipLimiter

SECRET = "Oga Sunday sells girls at the Agadez motor park"


@pytest.mark.parametrize("code", i18n.LOCALES)
def test_every_catalog_compiles_and_covers_the_form(code: str) -> None:
    with i18n.po_path(code).open("rb") as fh:
        catalog = read_po(fh)
    with i18n.pot_path().open("rb") as fh:
        template = read_po(fh)
    assert {m.id for m in catalog if m.id} == {m.id for m in template if m.id} == set(MESSAGES.values())
    if code != "bin":  # no Edo translation yet
        # gendered variants are optional: an empty one gives the neutral message
        assert all(m.string for m in catalog if m.id and not is_variant(m.context)), (
            f"{code} has untranslated messages"
        )


def test_only_reviewed_catalogs_reach_the_public() -> None:
    # the shipped catalogs are fuzzy drafts: the form shows English only, whatever is asked
    assert i18n.reviewed_locales() == ("en",)
    assert i18n.pick_locale(asked="it", asset_locale="ar", accept_language="it-IT,it") == "en"
    # the wrong Italian privacy promise ("you must not give your name") is never shown
    assert "Non devi" not in i18n.translations("it").gettext(MESSAGES["intro"])
    assert i18n.translations("it").gettext(MESSAGES["intro"]) == MESSAGES["intro"]


def test_unreviewed_form_shows_best_reviewed_language(client: TestClient, seeded: Seeded) -> None:
    tripoli = seeded.rows.targets[1]
    code = seeded.rows.assets[(tripoli.id, "ar")].tracking_code
    r = client.get(f"/t/{code}", headers={"Accept-Language": "ar-LY,ar;q=0.9"})
    assert '<html lang="en" dir="ltr">' in r.text and "What happened?" in r.text
    assert "ماذا حدث؟" not in r.text
    menu = r.text.split('class="langs"')[1]
    assert 'hreflang="en"' in menu and 'hreflang="ar"' not in menu and 'hreflang="it"' not in menu
    r = client.get("/tip/thanks?lang=it")
    assert '<html lang="en"' in r.text and "Thank you. Your tip has been received." in r.text


def test_edo_never_shows_pidgin(reviewed: Path, client: TestClient, seeded: Seeded) -> None:
    assert "bin" not in i18n.reviewed_locales() and "pcm" in i18n.reviewed_locales()
    pidgin = i18n.translations("pcm").gettext(MESSAGES["send"])
    assert pidgin != MESSAGES["send"]
    r = client.get("/tip?lang=bin")  # no Edo: the visitor's browser decides, then English
    assert '<html lang="en"' in r.text and pidgin not in r.text.split("<form")[1].split("</form>")[0]
    r = client.get("/tip?lang=bin", headers={"Accept-Language": "bin, ha;q=0.8"})
    assert '<html lang="ha"' in r.text and "Me ya faru?" in r.text
    menu = r.text.split('class="langs"')[1]
    assert 'hreflang="pcm"' in menu and 'hreflang="bin"' not in menu and 'hreflang="ig"' not in menu


def test_a_reviewed_catalog_is_shown_and_its_fuzzy_entries_are_not(reviewed: Path) -> None:
    assert i18n.translations("ar").gettext(MESSAGES["what"]) == "ماذا حدث؟"
    # a catalog with a single fuzzy entry left is not reviewed: the whole locale is withheld
    po = reviewed / "it" / "LC_MESSAGES" / "tipform.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="it")
    catalog.get(MESSAGES["send"]).flags.add("fuzzy")
    with po.open("wb") as fh:
        write_po(fh, catalog, width=100)
    os.utime(po, (po.stat().st_atime, po.stat().st_mtime + 5))
    assert "it" not in i18n.reviewed_locales()
    assert i18n.pick_locale(asked="it", asset_locale=None, accept_language="it, fr;q=0.5") == "fr"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar-LY,ar;q=0.9,en;q=0.5", "ar"),
        ("fr-FR,fr;q=0.9", "fr"),
        ("de-DE,it;q=0.4", "it"),
        ("de-DE", None),
        ("", None),
    ],
)
def test_accept_language(header: str, expected: str | None) -> None:
    assert i18n.negotiate(header) == expected


def test_locale_order_explicit_then_asset_then_browser(reviewed: Path) -> None:
    assert i18n.pick_locale(asked="yo", asset_locale="ar", accept_language="fr") == "yo"
    assert i18n.pick_locale(asked=None, asset_locale="ar", accept_language="fr") == "ar"
    assert i18n.pick_locale(asked="xx", asset_locale=None, accept_language="fr-CA") == "fr"
    assert i18n.pick_locale(asked=None, asset_locale=None, accept_language=None) == "en"


def test_form_speaks_the_language_of_the_link(reviewed: Path, client: TestClient, seeded: Seeded) -> None:
    tripoli = seeded.rows.targets[1]
    code = seeded.rows.assets[(tripoli.id, "ar")].tracking_code
    r = client.get(f"/t/{code}", headers={"Accept-Language": "it"})
    assert r.status_code == 200
    assert '<html lang="ar" dir="rtl">' in r.text and "ماذا حدث؟" in r.text
    assert "set-cookie" not in r.headers and r.headers["cache-control"] == "no-store"
    assert r.headers["referrer-policy"] == "no-referrer"
    r = client.get("/t/unknown-code", headers={"Accept-Language": "it-IT,it;q=0.9"})
    assert '<html lang="it" dir="ltr">' in r.text and "Che cosa è successo?" in r.text
    r = client.get("/tip?lang=ha")
    assert '<html lang="ha"' in r.text and "Me ya faru?" in r.text


def test_errors_name_the_problem_in_the_visitors_language(
    reviewed: Path, client: TestClient, seeded: Seeded
) -> None:
    r = client.post("/t/whatever", data={"text": "   ", "lang": "fr"})
    assert r.status_code == 422
    assert "Veuillez écrire ce qui s'est passé avant d'envoyer." in unescape(r.text)
    r = client.post("/tip", data={"text": "x" * 5001, "lang": "it"})
    assert r.status_code == 422
    assert (
        "La tua segnalazione è lunga <bdi>5.001</bdi> caratteri. Resta sotto i <bdi>5.000</bdi> caratteri."
        in unescape(r.text)
    )
    assert "x" * 5001 in r.text  # what they wrote is given back, not lost


def test_thanks_page_and_unattributed_tip(
    reviewed: Path, client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    r = client.post("/tip", data={"text": SECRET, "lang": "pcm"})
    assert r.status_code == 200 and "Thank you. We don receive your tip." in r.text
    with Session(sqlite_engine) as s:
        tip = s.exec(select(Tip)).one()
    assert tip.campaign_id is None and tip.locale == "pcm"


def test_rate_limit_is_gentle_and_per_client(
    reviewed: Path, sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    limiter = TipLimiter(per_client=2, ceiling=100, window=60)
    assert limiter.spend("a", 0.0) and limiter.spend("a", 1.0) and not limiter.spend("a", 2.0)
    assert not limiter.admit("a", 2.0) and limiter.admit("b", 2.0)
    assert limiter.spend("a", 61.0)
    app = create_app(sqlite_settings, tip_rate_limit=1)
    with TestClient(app, client=("198.51.100.7", 1)) as c:
        assert c.post("/tip", data={"text": "one", "lang": "en"}).status_code == 200
        r = c.post("/tip", data={"text": "two", "lang": "yo"})
        assert r.status_code == 429 and "Jọ̀wọ́ dúró fún ìṣẹ́jú kan" in r.text
        r = c.post("/api/tips", json={"text": "three"})
        assert r.status_code == 429 and r.json()["fix"] == "wait a minute and send it again"
    with TestClient(app, client=("198.51.100.8", 1)) as other:
        assert other.post("/api/tips", json={"text": "four"}).status_code == 201
    with Session(sqlite_engine) as s:
        assert len(s.exec(select(Tip)).all()) == 2  # the refused one was not stored


def test_one_clients_empty_posts_do_not_stop_anothers_tip(
    sqlite_settings: Settings, sqlite_engine: Engine
) -> None:
    app = create_app(sqlite_settings)  # the defaults: 10 a minute per client, 300 for all
    with TestClient(app, client=("203.0.113.9", 1)) as attacker:
        answers = [attacker.post("/tip", data={"text": "", "lang": "en"}).status_code for _ in range(30)]
        answers += [attacker.post("/api/tips", json={"text": " "}).status_code for _ in range(5)]
        assert answers[:30] == [422] * 30 and answers[30:] == [429] * 5  # refused before being read
    with TestClient(app, client=("203.0.113.10", 1)) as tipster:
        assert tipster.post("/tip", data={"text": SECRET, "lang": "en"}).status_code == 200
        assert tipster.post("/api/tips", json={"text": SECRET}).status_code == 201
    with Session(sqlite_engine) as s:
        assert len(s.exec(select(Tip)).all()) == 2
    # the limiter knows clients only by a keyed hash: no address anywhere in its memory
    state = repr(vars(app.state.tip_limiter)) + repr(app.state.tip_limiter._valid)
    assert "203.0.113" not in state and "testclient" not in state
    assert len(app.state.tip_limiter._invalid) == 1 and len(app.state.tip_limiter._valid) == 1


def test_the_ceiling_holds_for_all_clients_together(sqlite_settings: Settings) -> None:
    app = create_app(sqlite_settings, tip_rate_limit=5, tip_ceiling=3)
    codes = []
    for i in range(4):
        with TestClient(app, client=(f"192.0.2.{i + 1}", 1)) as c:
            codes.append(c.post("/api/tips", json={"text": f"tip {i}"}).status_code)
    assert codes == [201, 201, 201, 429]


def test_no_tip_text_or_client_address_in_the_logs(
    client: TestClient, seeded: Seeded, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    code = seeded.rows.assets[(seeded.rows.targets[0].id, "en")].tracking_code
    client.post(f"/t/{code}", data={"text": SECRET, "place": "Agadez"})
    client.post("/api/tips", json={"text": SECRET, "tracking_code": code})
    client.post("/api/tips", json={"text": SECRET, "lat": 99, "lon": 0})  # an error path too
    assert any("received" in r.getMessage() for r in caplog.records), "the submissions were logged"
    assert SECRET not in caplog.text
    assert "testclient" not in caplog.text  # TestClient's client host


def test_the_form_and_thanks_name_who_receives_the_tip_and_the_helpline(
    reviewed: Path, client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    from intel.models import Campaign

    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, seeded.rows.campaign.id)
        assert campaign is not None
        campaign.paid_for_by = "Safe Passage NGO"
        s.add(campaign)
        s.commit()
    benin, tripoli = seeded.rows.targets
    code = seeded.rows.assets[(benin.id, "en")].tracking_code
    for page in (f"/t/{code}", f"/t/{code}/thanks"):
        text = unescape(client.get(page).text).replace("<bdi>", "").replace("</bdi>", "")
        assert "Your tip goes to Safe Passage NGO." in text
        assert "To talk to someone now, contact NAPTIP 627." in text  # Nigeria's helpline, verified
    # Libya's contact is not verified (no number): no helpline is shown rather than a name to call
    code = seeded.rows.assets[(tripoli.id, "ar")].tracking_code
    text = unescape(client.get(f"/t/{code}?lang=en").text).replace("<bdi>", "").replace("</bdi>", "")
    assert "Your tip goes to Safe Passage NGO." in text and "contact" not in text.split("Your tip goes to")[1]
    # in the visitor's language, with the helpline of the country of their browser's language tag
    text = unescape(client.get("/tip/thanks", headers={"Accept-Language": "it-IT,it;q=0.9"}).text)
    assert "contatta <bdi>Numero Verde Antitratta 800 290 290</bdi>." in text  # named in Italian
    text = text.replace("<bdi>", "").replace("</bdi>", "")
    assert "Per parlare subito con qualcuno, contatta Numero Verde Antitratta 800 290 290." in text
    assert 'class="received-by"' not in text  # no campaign link: no organisation to name


def test_numbers_and_names_keep_their_direction_in_arabic(reviewed: Path, client: TestClient) -> None:
    from bidi import get_display

    r = client.get("/tip?lang=ar", headers={"Accept-Language": "ar-IT"})
    assert '<html lang="ar" dir="rtl">' in r.text
    line = re.search(r'<p class="helpline">(.*?)</p>', r.text)
    # the helpline named in Arabic, its number isolated left to right inside the <bdi>
    assert (
        line is not None
        and "<bdi>الرقم الأخضر لمكافحة الاتجار \u2066800 290 290\u2069</bdi>" in line.group(1)
    )
    # the bidirectional algorithm keeps the groups in order once isolated (<bdi> is FSI ... PDI)
    text = unescape(line.group(1)).replace("<bdi>", "\u2068").replace("</bdi>", "\u2069")
    assert "800 290 290" in get_display(text, base_dir="R")
    bare = text.replace("\u2068", "").replace("\u2069", "").replace("\u2066", "")
    assert "290 290 800" in get_display(bare, base_dir="R")


def test_the_form_speaks_to_people_about_themselves_and_sends_no_one_to_an_emergency_number(
    reviewed: Path, client: TestClient
) -> None:
    page = unescape(client.get("/tip?lang=en").text)
    assert "<h1>Tell us privately</h1>" in page  # what every ad's link text promises
    assert "Tell us what is happening to you, or what you saw or heard" in page
    thanks = unescape(client.get("/tip/thanks?lang=en").text)
    assert "contact the helpline below" in thanks and "emergency" not in thanks
    # the Italian privacy promise, once reviewed: "you do not have to", not "you must not"
    italian = unescape(client.get("/tip?lang=it").text)
    assert "Non è necessario dare il tuo nome." in italian and "Non devi" not in italian


def test_a_campaign_for_women_gets_a_form_that_speaks_to_a_woman(
    reviewed: Path, client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    from intel.models import Campaign

    _, tripoli = seeded.rows.targets
    code = seeded.rows.assets[(tripoli.id, "ar")].tracking_code

    def heading(genders: list[str]) -> str:
        with Session(sqlite_engine) as s:
            campaign = s.get(Campaign, seeded.rows.campaign.id)
            assert campaign is not None
            campaign.audience = {**campaign.audience, "genders": genders}
            s.add(campaign)
            s.commit()
        found = re.search(r"<h1>(.*?)</h1>", client.get(f"/t/{code}?lang=ar").text)
        assert found is not None
        return found.group(1)

    assert heading(["women"]) == "أخبرينا بسرّية"  # the feminine imperative
    assert heading([]) == "أخبرنا بسرّية"  # everyone: the neutral message
    # a form without a campaign link speaks to anyone
    assert "<h1>أخبرنا بسرّية</h1>" in client.get("/tip?lang=ar").text
