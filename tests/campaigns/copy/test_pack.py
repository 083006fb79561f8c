"""A reviewer's pack: export a locale, review it, import it back; broken files are refused."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from campaigns.copy import i18n
from campaigns.copy.i18n import coverage, load_catalog, reviewer_of
from campaigns.copy.pack import export_pack, import_pack
from cli.main import main
from intel.errors import CounterflowError

HEADLINE = ("recruitment_fraud", "Offered a job in Europe?")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A copy of the packaged catalogs to import into."""
    out = tmp_path / "locales"
    shutil.copytree(i18n.locales_dir(), out, ignore=shutil.ignore_patterns("*.mo", "__pycache__"))
    return out


def _edit(
    path: Path, change: dict[tuple[str | None, str], str | None], *, all_confirmed: bool = False
) -> None:
    """Play the reviewer: set texts (None: confirm as is) and clear their fuzzy flags."""
    with path.open("rb") as fh:
        catalog = read_po(fh)
    for m in catalog:
        if not m.id:
            continue
        key = (m.context, str(m.id if isinstance(m.id, str) else m.id[0]))
        if key in change:
            if change[key] is not None:
                m.string = change[key]
            m.flags.discard("fuzzy")
        elif all_confirmed and (any(m.string) if isinstance(m.string, tuple) else m.string):
            m.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, width=100)


def test_the_pack_holds_contexts_notes_and_a_preview_in_place(tmp_path: Path) -> None:
    files = export_pack("ar", out_dir=tmp_path / "pack")
    assert sorted(p.name for p in files) == ["ar-messages.po", "ar-preview.html", "ar-tipform.po"]
    po = (tmp_path / "pack" / "ar-messages.po").read_text(encoding="utf-8")
    assert 'msgctxt "where_to_get_help/feminine"' in po and "At most 40 characters" in po
    assert "Counterflow-Domain: messages" in po
    page = (tmp_path / "pack" / "ar-preview.html").read_text(encoding="utf-8")
    assert 'lang="ar" dir="rtl"' in page
    # the variant in place, its helpline filled in as the ad shows it (named in Arabic, number isolated)
    helpline = "\u2068الرقم الأخضر لمكافحة الاتجار \u2066800 290 290\u2069\u2069"
    assert "where_to_get_help — feminine" in page and f"تواصلي مع {helpline}" in page
    assert "أخبرنا بسرّية" in page  # the tip form's heading, as the form shows it
    assert "recruitment_fraud/masculine" in page and "optional (the neutral text is used)" in page


def test_the_xliff_pack_keeps_each_message_context(tmp_path: Path) -> None:
    files = export_pack("fr", out_dir=tmp_path, fmt="xliff")
    assert sorted(p.name for p in files) == ["fr-messages.xlf", "fr-preview.html", "fr-tipform.xlf"]
    xlf = (tmp_path / "fr-messages.xlf").read_text(encoding="utf-8")
    assert 'target-language="fr"' in xlf
    assert '<context context-type="x-po-msgctxt">where_to_get_help/feminine</context>' in xlf
    assert "Inquiète pour une offre d’emploi" in xlf and "At most 200 characters" in xlf
    with pytest.raises(CounterflowError, match="format 'docx' is not known"):
        export_pack("fr", out_dir=tmp_path, fmt="docx")


def test_round_trip_confirms_only_what_the_reviewer_unmarked(tmp_path: Path, root: Path) -> None:
    export_pack("it", out_dir=tmp_path / "pack", root=root)
    returned = tmp_path / "pack" / "it-messages.po"
    _edit(returned, {HEADLINE: "Ti hanno offerto un lavoro in Europa?", ("preview", "Sponsored"): None})
    done = import_pack(returned, reviewer="Giulia Rossi", on=dt.date(2027, 1, 2), root=root)
    assert (done.locale, done.domain, done.confirmed) == ("it", "messages", 2)
    catalog = load_catalog("it", root=root)

    def fuzzy(context: str, msgid: str) -> bool:
        found = catalog.get(msgid, context=context)
        assert found is not None
        return bool(found.fuzzy)

    assert not fuzzy(*HEADLINE) and not fuzzy("preview", "Sponsored")
    assert fuzzy("recruitment_fraud", "Tell us privately")  # not confirmed: still a draft
    assert "Partly-reviewed-by: Giulia Rossi (2027-01-02): 2 of 11 messages" in catalog.header_comment
    assert catalog.last_translator == "Giulia Rossi"
    assert reviewer_of(catalog) is None  # not reviewed as a whole
    # the reviewer confirms the rest: the catalog is reviewed
    export_pack("it", out_dir=tmp_path / "pack2", root=root)
    again = tmp_path / "pack2" / "it-messages.po"
    _edit(again, {}, all_confirmed=True)
    import_pack(again, reviewer="Giulia Rossi", on=dt.date(2027, 1, 3), root=root)
    catalog = load_catalog("it", root=root)
    assert reviewer_of(catalog) == "Giulia Rossi (2027-01-03)"
    assert all(c.ready for c in coverage("it", root=root))
    assert "Partly-reviewed-by" not in catalog.header_comment


def test_a_reviewed_tip_form_catalog_comes_back_whole(tmp_path: Path, root: Path) -> None:
    export_pack("fr", out_dir=tmp_path, root=root)
    _edit(tmp_path / "fr-tipform.po", {}, all_confirmed=True)
    done = import_pack(tmp_path / "fr-tipform.po", reviewer="Aminata Diallo", root=root)
    assert done.domain == "tipform" and done.still_fuzzy == 0
    assert (reviewer_of(load_catalog("fr", root=root, domain="tipform")) or "").startswith("Aminata Diallo")


def test_a_broken_file_is_refused_with_its_problems_and_changes_nothing(tmp_path: Path, root: Path) -> None:
    export_pack("fr", out_dir=tmp_path, root=root)
    returned = tmp_path / "fr-messages.po"
    body = "Worried about a job offer or a journey, for yourself or for someone else? Contact {helpline}. It is free and private."
    _edit(
        returned,
        {
            ("where_to_get_help", body): "Appelez le 800 290 290.",  # the placeholder lost
            HEADLINE: "Une offre d’emploi en Europe ? " * 3,  # over its 40 characters
        },
    )
    before = (root / "fr" / "LC_MESSAGES" / "messages.po").read_bytes()
    with pytest.raises(CounterflowError) as caught:
        import_pack(returned, reviewer="Someone", root=root)
    assert "2 problems" in caught.value.problem
    assert "[placeholder] placeholder {helpline} of the English text is missing" in caught.value.problem
    assert "[length] 93 characters; the limit is 40" in caught.value.problem
    assert (root / "fr" / "LC_MESSAGES" / "messages.po").read_bytes() == before
    # through the command line: exit 2, the problems listed
    assert main(["locales", "import", str(returned), "--reviewer", "Someone"]) == 2


def test_an_old_or_foreign_file_is_refused(tmp_path: Path, root: Path) -> None:
    export_pack("fr", out_dir=tmp_path, root=root)
    returned = tmp_path / "fr-messages.po"
    text = returned.read_text(encoding="utf-8")
    returned.write_text(text.replace('msgid "Sponsored"', 'msgid "Sponsored by"'), encoding="utf-8")
    with pytest.raises(CounterflowError, match="'Sponsored by' is not in the current catalog"):
        import_pack(returned, reviewer="Someone", root=root)
    garbage = tmp_path / "x.po"
    garbage.write_text('msgid "a"\nmsgstr "b"\nthis is not po\n', encoding="utf-8")
    with pytest.raises(CounterflowError, match="does not parse"):
        import_pack(garbage, reviewer="Someone", root=root)
    with pytest.raises(CounterflowError, match="is not a .po file"):
        import_pack(tmp_path / "fr-preview.html", reviewer="Someone", root=root)
    with pytest.raises(CounterflowError, match="reviewer was empty"):
        import_pack(returned, reviewer=" ", root=root)


def test_pidgin_confirmed_as_english_on_purpose_and_drafts_left_alone(tmp_path: Path, root: Path) -> None:
    """A reviewer who confirms "Sponsored" as it is says so on purpose (the flag is set); a draft
    they left alone is not theirs to answer for, so its problems do not refuse the file."""
    export_pack("pcm", out_dir=tmp_path, root=root)
    _edit(tmp_path / "pcm-messages.po", {("preview", "Sponsored"): None})
    done = import_pack(tmp_path / "pcm-messages.po", reviewer="Ngozi Okafor", root=root)
    assert done.confirmed == 1
    sponsored = load_catalog("pcm", root=root).get("Sponsored", context="preview")
    assert sponsored is not None and not sponsored.fuzzy and "same-as-english" in sponsored.flags
    # the tip form's "Language", identical to English, stays a draft the reviewer did not touch
    export_pack("pcm", out_dir=tmp_path / "again", root=root)
    done = import_pack(tmp_path / "again" / "pcm-tipform.po", reviewer="Ngozi Okafor", root=root)
    assert done.confirmed == 0 and done.still_fuzzy > 0
