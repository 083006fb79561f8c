"""The nine catalogs: they compile, miss nothing, keep placeholders, plural and format correctly."""

from __future__ import annotations

import datetime as dt
import gettext
import re
import shutil
from pathlib import Path

import pytest

from campaigns.copy import i18n
from campaigns.copy.i18n import (
    LOCALES,
    compile_catalogs,
    coverage,
    direction,
    extract_template,
    format_date,
    format_number,
    get_translations,
    load_catalog,
    load_template,
    review,
    reviewer_of,
)
from campaigns.copy.messages import FAMILIES, family_copy
from intel.errors import CounterflowError, NotFound

PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
EXPECTED_PLURALS = {"en": 2, "pcm": 2, "yo": 1, "ig": 1, "ha": 2, "bin": 2, "ar": 6, "it": 3, "fr": 3}


def test_the_template_is_up_to_date_with_the_sources() -> None:
    extracted = {(m.context, str(m.id)) for m in extract_template() if m.id}
    stored = {(m.context, str(m.id)) for m in load_template() if m.id}
    assert extracted == stored
    comments = [m.auto_comments for m in load_template() if m.id]
    assert all(any(c.startswith("TRANSLATORS:") for c in cs) for cs in comments)
    variants = {f"{f}/{g}" for f in FAMILIES for g in ("feminine", "masculine")}
    assert {m.context for m in load_template() if m.id} == set(FAMILIES) | {"preview"} | variants


@pytest.mark.parametrize("code", LOCALES)
def test_catalog_compiles_and_misses_nothing(code: str, tmp_path: Path) -> None:
    [mo] = compile_catalogs((code,), out_dir=tmp_path)
    t = gettext.translation("messages", localedir=tmp_path, languages=[code])  # the stdlib reads it
    assert t.pgettext("recruitment_fraud", "Check before you travel")
    assert mo.stat().st_size > 0
    for c in coverage(code):
        assert c.missing == [], (code, c.family, c.missing)
        assert c.translated == c.total > 0


@pytest.mark.parametrize("code", LOCALES)
def test_placeholders_survive_translation(code: str) -> None:
    with_helpline = 0
    for msg in load_catalog(code):
        if not msg.id:
            continue
        ids = msg.id if isinstance(msg.id, tuple) else (msg.id,)
        strings = msg.string if isinstance(msg.string, tuple) else (msg.string,)
        allowed = set().union(*(PLACEHOLDER.findall(i) for i in ids))
        with_helpline += "{helpline}" in allowed
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) <= allowed, (code, s)
            if s and "{helpline}" in allowed:  # empty: a gendered variant left to the neutral text
                assert "{helpline}" in s, (code, s)  # the helpline is never dropped
    assert with_helpline > 0, f"no message of {code} carries {{helpline}}: the check above saw nothing"


@pytest.mark.parametrize("code", LOCALES)
def test_plural_forms_match_the_language(code: str) -> None:
    catalog = load_catalog(code)
    assert catalog.num_plurals == EXPECTED_PLURALS[code]
    plural = next(m for m in catalog if m.id and isinstance(m.id, tuple))
    assert len(plural.string) == EXPECTED_PLURALS[code] and all(plural.string)


def test_only_english_ships_reviewed() -> None:
    for code in LOCALES:
        cov = coverage(code)
        fuzzy = sum(c.fuzzy for c in cov)
        assert (fuzzy == 0) is (code == "en"), code
    assert reviewer_of(load_catalog("en"))
    assert reviewer_of(load_catalog("pcm")) is None


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "تبقّى 0 يوم"), (1, "يوم واحد"), (2, "يومان"), (5, "5 أيام"), (11, "11 يومًا"), (100, "100 يوم فقط")],
)
def test_arabic_uses_all_six_plural_forms(n: int, words: str) -> None:
    body = family_copy(get_translations("ar", use_fuzzy=True), "know_the_signs", days=n).body
    assert words in body.format(n=format_number(n, "ar"))


@pytest.mark.parametrize(("code", "n", "words"), [("fr", 1, "1 jour "), ("fr", 0, "0 jour "), ("fr", 3, "3 jours"),
                                                  ("it", 1, "1 giorno"), ("it", 3, "3 giorni"), ("pcm", 1, "1 day"),
                                                  ("pcm", 2, "2 days"), ("en", 1, "1 day left"), ("en", 0, "0 days")])  # fmt: skip
def test_plural_rules(code: str, n: int, words: str) -> None:
    body = family_copy(get_translations(code, use_fuzzy=True), "know_the_signs", days=n).body
    assert words in body.format(n=n)


def test_fuzzy_copy_is_left_out_unless_asked_for() -> None:
    msg = ("recruitment_fraud", "Offered a job in Europe?")
    assert get_translations("it").pgettext(*msg) == "Offered a job in Europe?"
    assert get_translations("it", use_fuzzy=True).pgettext(*msg) == "Ti hanno offerto un lavoro in Europa?"


def test_edo_formats_as_nigerian_english() -> None:
    day = dt.date(2027, 1, 10)
    assert format_number(1234567.5, "bin") == format_number(1234567.5, "en_NG") == "1,234,567.5"
    assert format_date(day, "bin") == format_date(day, "en_NG")
    assert direction("bin") == "ltr"
    assert format_number(1234567.5, "fr") == "1\u202f234\u202f567,5"
    assert format_date(day, "it") == "10 gennaio 2027"


@pytest.mark.parametrize(("code", "way"), [("ar", "rtl"), ("en", "ltr"), ("ha", "ltr"), ("pcm", "ltr")])
def test_direction(code: str, way: str) -> None:
    assert direction(code) == way


def test_unknown_locale_names_the_choices() -> None:
    with pytest.raises(NotFound, match="'xx' has no catalog"):
        get_translations("xx")


def test_review_clears_fuzzy_and_records_the_reviewer(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), root, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    assert sum(c.fuzzy for c in coverage("yo", root=root)) > 0
    cleared = review("yo", reviewer="Adé Bánkọ́lé", on=dt.date(2027, 1, 2), root=root)
    assert cleared == sum(c.total for c in coverage("yo", root=root))
    assert all(c.ready for c in coverage("yo", root=root))
    assert reviewer_of(load_catalog("yo", root=root)) == "Adé Bánkọ́lé (2027-01-02)"
    # the translations themselves are unchanged
    before = {(m.context, str(m.id)): m.string for m in load_catalog("yo")}
    after = {(m.context, str(m.id)): m.string for m in load_catalog("yo", root=root)}
    assert before == after
    with pytest.raises(CounterflowError, match="reviewer was empty"):
        review("ig", reviewer=" ", root=root)


def test_review_refuses_a_catalog_with_missing_messages(tmp_path: Path) -> None:
    root = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), root, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    po = root / "ha" / "LC_MESSAGES" / "messages.po"
    text = po.read_text(encoding="utf-8")
    po.write_text(text.replace('msgstr "An yi muku tayin aiki a Turai?"', 'msgstr ""'), encoding="utf-8")
    missing = [c for c in coverage("ha", root=root) if c.missing]
    assert [(c.family, c.missing) for c in missing] == [("recruitment_fraud", ["Offered a job in Europe?"])]
    with pytest.raises(CounterflowError, match="missing messages"):
        review("ha", reviewer="Someone", root=root)


def test_a_new_message_reaches_every_catalog_as_missing(tmp_path: Path) -> None:
    from babel.messages.pofile import read_po, write_po

    from campaigns.copy.i18n import update_catalogs

    root = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), root, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    with (root / "messages.pot").open("rb") as fh:
        template = read_po(fh)
    template.add("Never pay a recruiter to get a job.", context="know_the_signs")
    with (root / "messages.pot").open("wb") as fh:
        write_po(fh, template)
    added = update_catalogs(root=root)
    assert added == dict.fromkeys(LOCALES, 1)
    for code in LOCALES:
        new = load_catalog(code, root=root).get(
            "Never pay a recruiter to get a job.", context="know_the_signs"
        )
        assert new is not None, code
        if code == "en":  # the English catalog mirrors the source
            assert new.string == "Never pay a recruiter to get a job." and not new.fuzzy
        else:  # untranslated, or a fuzzy guess from a similar message: never reviewed
            assert not new.string or new.fuzzy, (code, new.string)
    # the existing translations are kept
    assert load_catalog("it", root=root).get(
        "Offered a job in Europe?", context="recruitment_fraud"
    ).string == ("Ti hanno offerto un lavoro in Europa?")
