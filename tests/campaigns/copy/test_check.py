"""``counterflow locales check`` on hand-made broken catalogs, and on the shipped ones."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

from campaigns.copy.check import Problem, check_all, check_catalog, expected_plurals
from cli.main import main

HEADLINE = "TRANSLATORS: headline (at most 40 characters)."


def _write(root: Path, code: str, catalog: Catalog, domain: str = "messages") -> None:
    path = root / code / "LC_MESSAGES" / f"{domain}.po"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)


def _broken(root: Path) -> None:
    it = Catalog(locale="it")
    it.add("Call {helpline}", "Chiama", context="where_to_get_help")  # placeholder lost
    it.add("Paid for by {name}", "Pagato da {name} e {org}", context="preview")  # one added
    it.add("Offered a job in Europe?", "Ti hanno offerto un lavoro in Europa?", context="rf")  # fine
    _write(root, "it", it)
    tip = Catalog(locale="it")
    tip.add("Your tip goes to %(org)s.", "La tua segnalazione arriva.")  # %(org)s lost
    _write(root, "it", tip, domain="tipform")

    ar = Catalog(locale="ar")
    ar._num_plurals, ar._plural_expr = 2, "(n != 1)"  # a header that does not match Arabic
    ar.add(("{n} day left", "{n} days left"), ("بقي يوم", "بقي {n} أيام"), context="kts")  # 2 forms
    ar.add("Call {helpline}", "اتصل بالرقم 800 290 290", context="where_to_get_help")  # bare number
    ar.add("Call now", "اتصل \u2066800 290 290\u2069 الآن", context="x")  # isolated: fine
    ar.add("Visit the site", "زوروا www.example.org", context="y")  # a bare URL
    _write(root, "ar", ar)

    fr = Catalog(locale="fr")
    fr.add(
        "Offered a job in Europe?",
        "On vous a proposé un emploi en Europe, vraiment ?",  # 49 characters
        auto_comments=[HEADLINE],
        context="rf",
    )
    fr.add("Know the signs", "Know the signs", context="kts")  # left in English
    fr.add("Sponsored", "Sponsored", context="preview", flags=["same-as-english"])  # on purpose
    fr.add("{helpline}", "{helpline}", context="z")  # nothing to translate
    _write(root, "fr", fr)


def test_each_rule_on_a_broken_catalog(tmp_path: Path) -> None:
    _broken(tmp_path)
    got = {(p.locale, p.domain, p.msgid, p.rule) for p in check_all(root=tmp_path)}
    assert got == {
        ("it", "messages", "Call {helpline}", "placeholder"),
        ("it", "messages", "Paid for by {name}", "placeholder"),
        ("it", "tipform", "Your tip goes to %(org)s.", "placeholder"),
        ("ar", "messages", "", "plural"),  # the header; its 2 forms then match the message
        ("ar", "messages", "Call {helpline}", "placeholder"),  # the number written in, not filled
        ("ar", "messages", "Call {helpline}", "bidi"),
        ("ar", "messages", "Visit the site", "bidi"),
        ("fr", "messages", "Offered a job in Europe?", "length"),
        ("fr", "messages", "Know the signs", "untranslated"),
    }
    reasons = {(p.locale, p.msgid): p.reason for p in check_all(root=tmp_path) if p.msgid}
    assert reasons[("it", "Call {helpline}")] == "placeholder {helpline} of the English text is missing"
    assert reasons[("it", "Paid for by {name}")] == "placeholder {org} is not in the English text"
    assert "'800 290 290'" in reasons[("ar", "Call {helpline}")]
    assert reasons[("fr", "Offered a job in Europe?")] == "49 characters; the limit is 40"
    header = next(p for p in check_catalog("ar", root=tmp_path) if not p.msgid)
    assert header.reason == "Plural-Forms says 2 forms; the language has 6 (CLDR)"


def test_a_plural_form_may_drop_the_count_but_not_add_one(tmp_path: Path) -> None:
    ar = Catalog(locale="ar")
    forms = ("لا أيام", "يوم واحد", "يومان", "{n} أيام", "{n} يومًا", "{n} يوم")
    ar.add(("{n} day", "{n} days"), forms, context="kts")
    _write(tmp_path, "ar", ar)
    assert check_catalog("ar", root=tmp_path) == []
    ar.add(("{n} week", "{n} weeks"), ("", "", "", "", "", "{m}"), context="kts")
    _write(tmp_path, "ar", ar)
    assert [(p.msgid, p.rule, p.reason) for p in check_catalog("ar", root=tmp_path)] == [
        ("{n} week", "placeholder", "placeholder {m} is not in the English text"),
        ("{n} week", "placeholder", "placeholder {n} of the English text is missing"),  # in no form
    ]


def test_expected_plural_counts_come_from_cldr() -> None:
    assert [expected_plurals(c) for c in ("ar", "en", "fr", "yo", "bin")] == [6, 2, 3, 1, None]


def test_the_command_names_locale_message_and_reason_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _broken(tmp_path)
    assert main(["locales", "check", "--dir", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "it messages where_to_get_help|'Call {helpline}': [placeholder] placeholder {helpline}" in out
    assert "ar messages where_to_get_help|'Call {helpline}': [bidi] '800 290 290' outside" in out
    assert "locales check: 9 problems (placeholder 4, plural 1, length 1, bidi 2, untranslated 1)" in out
    assert main(["locales", "check", "fr", "--domain", "tipform", "--dir", str(tmp_path)]) == 0
    assert main(["locales", "check", "xx"]) == 2  # unknown locale: a clear error


def test_the_shipped_catalogs_are_reported_as_they_are(capsys: pytest.CaptureFixture[str]) -> None:
    """Today's catalogs: placeholders, plural forms, limits and numbers pass; two Pidgin drafts are
    word for word English ("Sponsored", "Language"), which a reviewer must confirm."""
    problems = check_all()
    assert {(p.locale, p.rule) for p in problems} == {("pcm", "untranslated")}
    assert sorted(p.msgid for p in problems) == ["Language", "Sponsored"]
    assert all(isinstance(p, Problem) and p.fuzzy for p in problems)
    assert main(["locales", "check"]) == 1
    assert "locales check: 2 problems (untranslated 2)" in capsys.readouterr().out


def test_a_catalog_marked_for_native_translation_cannot_be_reviewed(tmp_path: Path) -> None:
    """The Edo draft is marked as needing a native translation: a review cannot clear it."""
    import shutil

    from campaigns.copy.i18n import load_catalog, po_path, pot_path, review
    from intel.errors import CounterflowError

    shutil.copy(pot_path(), pot_path(root=tmp_path))
    (tmp_path / "bin" / "LC_MESSAGES").mkdir(parents=True)
    shutil.copy(po_path("bin"), po_path("bin", root=tmp_path))
    with pytest.raises(CounterflowError, match="needs a native translation, not a review"):
        review("bin", reviewer="Someone", root=tmp_path)
    translated = [
        m
        for m in load_catalog("bin", root=tmp_path)
        if m.id and any(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert translated and all(m.fuzzy for m in translated)  # nothing cleared
