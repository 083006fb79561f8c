"""The English source keeps people safe, carries a translator note on every message, and a changed
message never stays reviewed in any catalog."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from campaigns.copy import i18n
from campaigns.copy.check import LIMIT_NOTE
from campaigns.copy.i18n import (
    DOMAINS,
    LOCALES,
    extract_template,
    load_catalog,
    load_template,
    update_catalogs,
)
from campaigns.copy.messages import FAMILIES, family_copy, organic_text
from cli.main import main


def _text(message: object) -> list[str]:
    s = message.string  # type: ignore[attr-defined]
    return [str(x) for x in s] if isinstance(s, tuple | list) else [str(s or "")]


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_has_a_translator_note_with_its_place_and_limit(domain: str) -> None:
    template = load_template(domain=domain)
    messages = [m for m in template if m.id]
    assert len(messages) > 10
    for m in messages:
        note = " ".join(m.auto_comments)
        assert note.startswith("TRANSLATORS:"), m.id
        assert LIMIT_NOTE.search(note), (m.id, "no length limit")
        for placeholder in re.findall(r"\{[a-z_]+\}|%\([a-z_]+\)s", str(m.id)):
            assert placeholder in note, (m.id, f"the note does not say to keep {placeholder}")


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_templates_are_extracted_from_the_sources(domain: str) -> None:
    def notes(m: object) -> str:  # the .pot wraps long notes
        return " ".join(" ".join(m.auto_comments).split())  # type: ignore[attr-defined]

    extracted = {(m.context, str(m.id), notes(m)) for m in extract_template(domain) if m.id}
    stored = {(m.context, str(m.id), notes(m)) for m in load_template(domain=domain) if m.id}
    assert extracted == stored


def test_the_source_gives_no_unsafe_advice_and_links_say_what_they_open() -> None:
    english = [str(m.id) for d in DOMAINS for m in load_template(domain=d) if m.id]
    words = " ".join(english).lower()
    for bad in ("emergency number", "confidential", "give your passport", "check before you travel"):
        assert bad not in words, bad
    assert "an agent or sponsor who keeps your passport" in words
    en = i18n.get_translations("en")
    for family in FAMILIES:
        copy = family_copy(en, family)
        assert copy.description == "Tell us privately"  # the link opens the private tip form
        assert not copy.body.startswith(copy.headline)  # the body does not repeat the headline
    tipform = [str(m.id) for m in load_template(domain="tipform") if m.id]
    assert tipform[0] == "Tell us privately"  # the form's heading is what the links promise
    assert any("happening to you" in t for t in tipform)  # reporting for oneself as well


def test_an_organic_post_prints_a_repeated_headline_once() -> None:
    assert organic_text("Help is free", "Help is free. Call 627.") == "Help is free. Call 627."
    assert organic_text("Help is free", "Call 627.") == "Help is free\n\nCall 627."


def test_no_reviewed_entry_translates_an_old_english_text() -> None:
    """A non-fuzzy translation never carries a previous msgid (``#|``): a changed message is fuzzy;
    the English catalog is the source itself."""
    for code in LOCALES:
        for domain in DOMAINS:
            for m in load_catalog(code, domain=domain):
                if not m.id or not any(_text(m)):
                    continue
                if code == "en":
                    ids = [str(x) for x in m.id] if isinstance(m.id, tuple) else [str(m.id)]
                    assert _text(m) == ids and not m.fuzzy, m.id
                elif not m.fuzzy:
                    assert not m.previous_id, (code, domain, m.id)


@pytest.mark.parametrize("domain", DOMAINS)
def test_a_changed_source_message_is_fuzzy_in_every_catalog(domain: str, tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), root, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    # a reviewed English catalog and a reviewed French one, to see that review does not survive
    i18n.review("fr", reviewer="Someone", root=root, domain=domain)
    pot = i18n.pot_path(root=root, domain=domain)
    with pot.open("rb") as fh:
        template = read_po(fh)
    old = next(m for m in template if m.id and not m.pluralizable and len(str(m.id)) > 12)
    template.delete(old.id, context=old.context)
    changed = str(old.id) + " Today."
    template.add(changed, context=old.context, auto_comments=old.auto_comments)
    with pot.open("wb") as fh:
        write_po(fh, template)
    update_catalogs(root=root, domain=domain)
    for code in LOCALES:
        new = load_catalog(code, root=root, domain=domain).get(changed, context=old.context)
        assert new is not None, code
        if code == "en":
            assert new.string == changed and not new.fuzzy
        else:
            assert not new.string or new.fuzzy, (code, new.string)
    french = load_catalog("fr", root=root, domain=domain).get(changed, context=old.context)
    assert french is not None and french.fuzzy


def test_status_names_the_drafts_and_the_catalogs_that_need_a_native_translation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["locales", "status"]) == 0
    out = capsys.readouterr().out
    assert "needs a native translation, not review: bin" in out
    assert "drafts awaiting a native reviewer: pcm, yo, ig, ha, ar, it, fr" in out


def _get(code: str, msgid: str, context: str | None = None, domain: str = "messages") -> object:
    found = load_catalog(code, domain=domain).get(msgid, context=context)
    assert found is not None, (code, msgid)
    return found


def test_the_draft_fixes_stay_drafts() -> None:
    intro = next(
        str(m.id) for m in load_template(domain="tipform") if m.id and "happening to you" in str(m.id)
    )
    it = _get("it", intro, domain="tipform")
    assert "Non è necessario dare il tuo nome" in _text(it)[0] and "Non devi" not in _text(it)[0]
    ig = _get("ig", intro, domain="tipform")
    assert ig.fuzzy and any("you do not have to give your name" in c for c in ig.user_comments)  # type: ignore[attr-defined]
    body = next(str(m.id) for m in load_template() if m.id and str(m.id).startswith("Traffickers"))
    ha = _get("ha", body, "recruitment_fraud")
    assert "alƙawarin" in _text(ha)[0] and "riƙe" in _text(ha)[0]
    yo = _get("yo", "Offered a job in Europe?", "recruitment_fraud")
    assert _text(yo)[0].startswith("Ṣé ")  # the question marker
    for code, fixed in (("it", it), ("ig", ig), ("ha", ha), ("yo", yo)):
        assert fixed.fuzzy, code  # type: ignore[attr-defined]  # no native sign-off: still a draft
    pidgin = " ".join(t for d in DOMAINS for m in load_catalog("pcm", domain=d) if m.id for t in _text(m))
    assert not re.search(r"\b(the|this|The|This)\b", pidgin), "Pidgin says di / dis throughout"
