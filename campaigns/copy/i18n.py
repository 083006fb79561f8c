"""Catalogs, translations and locale-correct formatting for campaign copy.

The catalogs live in the ``locales`` package: ``messages.pot`` and
``<code>/LC_MESSAGES/messages.po`` for each code of ``LOCALES``. ``.mo`` files are build output:
``get_translations`` compiles a catalog in memory on first use (cached per file version) and
``compile_catalogs`` writes them beside the ``.po`` files for tools that want them.

Formatting rule for locales without CLDR data
---------------------------------------------
Numbers, dates and plural *rules for formatting* come from Babel's CLDR data. CLDR has no data
for Edo (``bin``), so **a catalog code that Babel does not know formats numbers and dates as the
locale named in ``FORMAT_FALLBACK`` (``bin`` -> ``en_NG``, Nigerian English: the same country,
script and digits), and as ``en`` if it is not listed there**. Text direction falls back the same
way (left to right). The catalog's own ``Plural-Forms`` header still chooses the plural message.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _format_date
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from babel.numbers import format_decimal
from babel.support import Translations

from intel.errors import CommandHint, CounterflowError, NotFound

log = logging.getLogger(__name__)

LOCALES: tuple[str, ...] = ("en", "pcm", "yo", "ig", "ha", "bin", "ar", "it", "fr")
"""Every catalog we ship, in display order."""
REVIEWED_BY_DEFAULT = frozenset({"en"})
"""Catalogs that ship reviewed; every other one ships fuzzy until a reviewer clears it."""
FORMAT_FALLBACK: dict[str, str] = {"bin": "en_NG"}
"""Formatting locale for catalog codes without CLDR data (see the module docstring)."""
DOMAIN = "messages"
DOMAINS: tuple[str, ...] = ("messages", "tipform")
"""The catalogs of each locale: the campaign copy and the public tip form."""
REVIEW_MARK = "Reviewed-by:"


def locales_dir() -> Path:
    """Folder of the packaged catalogs."""
    return Path(str(files("locales")))


def check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise CounterflowError(f"catalog domain {domain!r} is not known", f"use one of {', '.join(DOMAINS)}")
    return domain


def po_path(code: str, *, root: Path | None = None, domain: str = DOMAIN) -> Path:
    """Path of a locale's ``.po`` under ``root`` (default: the packaged catalogs)."""
    return (root or locales_dir()) / code / "LC_MESSAGES" / f"{check_domain(domain)}.po"


def pot_path(*, root: Path | None = None, domain: str = DOMAIN) -> Path:
    return (root or locales_dir()) / f"{check_domain(domain)}.pot"


def check_locale(code: str) -> str:
    """``code`` if we ship a catalog for it, else a CounterflowError naming it and the choices."""
    if code not in LOCALES:
        raise NotFound(
            f"locale {code!r} has no catalog",
            f"use one of {', '.join(LOCALES)} (or add locales/{code}/LC_MESSAGES/messages.po)",
        )
    return code


def formatting_locale(code: str) -> Locale:
    """The Babel locale that formats numbers and dates for a catalog code (``bin`` -> ``en_NG``)."""
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse(FORMAT_FALLBACK.get(code, "en"))


def direction(code: str) -> str:
    """``"rtl"`` or ``"ltr"`` for a catalog code (from CLDR, with the fallback rule)."""
    return "rtl" if formatting_locale(code).character_order == "right-to-left" else "ltr"


FSI, LRI, PDI = "\u2068", "\u2066", "\u2069"
"""Unicode isolates: first-strong isolate, left-to-right isolate, pop directional isolate."""


def isolate(text: str, *, ltr: bool = False) -> str:
    """``text`` between Unicode isolates so the bidirectional algorithm lays it out on its own.

    In right-to-left copy a phone number such as "800 290 290" is otherwise shown as
    "290 290 800" (the digit groups are reordered). ``ltr`` uses LRI (for numbers and URLs);
    the default FSI takes the direction of the text's first strong letter (a helpline's name).
    Empty text stays empty; text already isolated is not wrapped twice.

    >>> isolate("800 290 290", ltr=True) == "\u2066800 290 290\u2069"
    True
    """
    if not text or (text[0] in (FSI, LRI) and text.endswith(PDI)):
        return text
    return f"{LRI if ltr else FSI}{text}{PDI}"


def format_number(value: float, code: str) -> str:
    """A number in the locale's digits and separators (``1234567`` -> ``1,234,567`` in en)."""
    return format_decimal(value, locale=formatting_locale(code))


def format_date(value: dt.date, code: str, *, format: str = "long") -> str:
    """A date in the locale's words and order (``bin`` formats as ``en_NG``)."""
    return _format_date(value, format=format, locale=formatting_locale(code))


def load_catalog(code: str, *, root: Path | None = None, domain: str = DOMAIN) -> Catalog:
    """The parsed ``.po`` catalog of a locale."""
    path = po_path(check_locale(code), root=root, domain=domain)
    if not path.exists():
        raise NotFound(
            f"catalog {code!r} is missing",
            "see which catalogs exist in the locales' status",
            hint=CommandHint("locales status"),
        )
    with path.open("rb") as fh:
        return read_po(fh, locale=None if code in FORMAT_FALLBACK else code)


def load_template(*, root: Path | None = None, domain: str = DOMAIN) -> Catalog:
    with pot_path(root=root, domain=domain).open("rb") as fh:
        return read_po(fh)


def _mo_bytes(catalog: Catalog, *, use_fuzzy: bool) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=use_fuzzy)
    return buf.getvalue()


@lru_cache(maxsize=64)
def _translations(code: str, use_fuzzy: bool, _version: float) -> Translations:
    return Translations(fp=io.BytesIO(_mo_bytes(load_catalog(code), use_fuzzy=use_fuzzy)), domain=DOMAIN)


def get_translations(code: str, *, use_fuzzy: bool = False) -> Translations:
    """Translations of one locale, compiled in memory on first use (cached per file version).

    Without ``use_fuzzy`` a fuzzy (unreviewed) message is left out and renders as English: that
    is why ``campaigns.policy`` refuses to schedule fuzzy copy unless the campaign opts in.
    """
    path = po_path(check_locale(code))
    return _translations(code, use_fuzzy, path.stat().st_mtime if path.exists() else 0.0)


@lru_cache(maxsize=64)
def _fuzzy_families(code: str, _version: float) -> frozenset[str]:
    from campaigns.copy.messages import family_of

    return frozenset(family_of(msg.context) for msg in load_catalog(code) if msg.id and msg.fuzzy)


def fuzzy_families(code: str) -> frozenset[str]:
    """Message families (contexts) of a packaged catalog that still hold fuzzy drafts (cached)."""
    path = po_path(check_locale(code))
    return _fuzzy_families(code, path.stat().st_mtime if path.exists() else 0.0)


def compile_catalogs(
    codes: tuple[str, ...] = LOCALES, *, use_fuzzy: bool = True, out_dir: Path | None = None
) -> list[Path]:
    """Write ``<code>/LC_MESSAGES/messages.mo`` for each catalog; returns the paths.

    By default beside each ``.po`` (build output, gitignored); ``out_dir`` writes a separate tree
    that ``gettext.translation(..., localedir=out_dir)`` reads.
    """
    out = []
    for code in codes:
        mo = po_path(code, root=out_dir).with_suffix(".mo")
        mo.parent.mkdir(parents=True, exist_ok=True)
        mo.write_bytes(_mo_bytes(load_catalog(code), use_fuzzy=use_fuzzy))
        out.append(mo)
    return out


@dataclass(frozen=True)
class Coverage:
    """Coverage and review of one locale for one message family (msgctxt)."""

    locale: str
    family: str
    total: int
    translated: int
    fuzzy: int
    missing: list[str]

    @property
    def ready(self) -> bool:
        return self.total > 0 and self.translated == self.total and self.fuzzy == 0


def _complete(message: object) -> bool:
    s = message.string  # type: ignore[attr-defined]
    if isinstance(s, tuple | list):
        return all(bool(x) for x in s)
    return bool(s)


def coverage(
    code: str, *, template: Catalog | None = None, root: Path | None = None, domain: str = DOMAIN
) -> list[Coverage]:
    """Coverage per family of one locale against the template (``messages.pot``).

    Gendered variants (contexts ``<family>/feminine``, ``<family>/masculine``) are optional: a
    language that addresses everyone alike leaves them empty, so they are not counted here; but a
    variant that has a draft (fuzzy) translation counts as fuzzy in its family, since an audience
    of one gender would be shown that draft.
    """
    from collections import Counter

    from campaigns.copy.messages import family_of, is_variant

    template = template or load_template(root=root, domain=domain)
    catalog = load_catalog(code, root=root, domain=domain)
    families: dict[str, list[object]] = {}
    for msg in template:
        if msg.id and not is_variant(msg.context):
            families.setdefault(msg.context or "", []).append(msg)
    drafted_variants = Counter(
        family_of(m.context) for m in catalog if m.id and is_variant(m.context) and m.fuzzy and _complete(m)
    )
    result = []
    for family, msgs in sorted(families.items()):
        translated = fuzzy = 0
        missing = []
        for tmsg in msgs:
            found = catalog.get(tmsg.id, context=tmsg.context)  # type: ignore[attr-defined]
            if found is None or not _complete(found):
                missing.append(str(tmsg.id if isinstance(tmsg.id, str) else tmsg.id[0]))  # type: ignore[attr-defined]
                continue
            translated += 1
            if found.fuzzy:
                fuzzy += 1
        result.append(
            Coverage(code, family, len(msgs), translated, fuzzy + drafted_variants[family], missing)
        )
    return result


def reviewer_of(catalog: Catalog) -> str | None:
    """The reviewer recorded in a catalog's header comment, if any."""
    for line in (catalog.header_comment or "").splitlines():
        text = line.lstrip("# ").strip()
        if text.startswith(REVIEW_MARK):
            return text[len(REVIEW_MARK) :].strip()
    return None


NEEDS_NATIVE_MARK = "Needs-native-translation:"


def needs_native_translation(catalog: Catalog) -> str | None:
    """Why a catalog's draft must be replaced by a native translation (its header says so), if it must."""
    for line in (catalog.header_comment or "").splitlines():
        text = line.lstrip("# ").strip()
        if text.startswith(NEEDS_NATIVE_MARK):
            return text[len(NEEDS_NATIVE_MARK) :].strip() or "marked in the catalog's header"
    return None


def review(
    code: str, *, reviewer: str, on: dt.date | None = None, root: Path | None = None, domain: str = DOMAIN
) -> int:
    """Clear the fuzzy flags of a catalog and record the reviewer; returns how many were cleared.

    Refuses when messages are missing: a reviewer cannot clear copy that does not exist.
    ``domain="tipform"`` reviews the public tip form's catalog, which the form shows only then.
    """
    if not reviewer.strip():
        raise CounterflowError(
            "reviewer was empty",
            "give the full name of the person who checked the copy",
            hint=CommandHint("locales review", f"{code} --reviewer 'Full Name'"),
        )
    gaps = [c for c in coverage(code, root=root, domain=domain) if c.missing]
    if gaps:
        listed = "; ".join(f"{c.family or domain}: {len(c.missing)}" for c in gaps)
        raise CounterflowError(
            f"catalog {code!r} ({domain}) has missing messages ({listed})",
            f"translate them in locales/{code}/LC_MESSAGES/{domain}.po, then review again",
        )
    catalog = load_catalog(code, root=root, domain=domain)
    why = needs_native_translation(catalog)
    if why:
        raise CounterflowError(
            f"catalog {code!r} ({domain}) needs a native translation, not a review: {why}",
            f"replace the draft in locales/{code}/LC_MESSAGES/{domain}.po with a native speaker's "
            f"translation, delete its '{NEEDS_NATIVE_MARK}' header line, then review",
        )
    cleared = 0
    for msg in catalog:
        if msg.id and msg.fuzzy:
            msg.flags.discard("fuzzy")
            cleared += 1
    catalog.fuzzy = False
    day = (on or dt.date.today()).isoformat()
    lines = [ln for ln in (catalog.header_comment or "").splitlines() if REVIEW_MARK not in ln]
    lines.append(f"# {REVIEW_MARK} {reviewer.strip()} ({day})")
    catalog.header_comment = "\n".join(lines)
    with po_path(code, root=root, domain=domain).open("wb") as fh:
        write_po(fh, catalog, width=100)
    _translations.cache_clear()
    _fuzzy_families.cache_clear()
    log.info("catalog %s reviewed by %s: %d fuzzy flags cleared", code, reviewer, cleared)
    return cleared


SOURCES: dict[str, tuple[str, dict[str, object]]] = {
    "messages": ("campaigns/copy/messages.py", {"pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3)}),
    "tipform": ("web/tipform.py", {"N_": None}),
}
"""Where each domain's messages are written (relative to the project) and the extraction keywords."""


def _project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def _variant_note(gender: str) -> str:
    who = "women and girls" if gender == "feminine" else "men and boys"
    return (
        f"TRANSLATORS: {gender} variant, used when the campaign speaks to {who} only. Translate it "
        "only where your language addresses them differently from the neutral text (French "
        "'inquiète', an Arabic feminine imperative, Hausa 'ki'); otherwise leave it empty and the "
        "neutral text is used."
    )


def extract_template(domain: str = DOMAIN) -> Catalog:
    """Extract a domain's messages from their source with their translator notes.

    ``messages``: ``campaigns/copy/messages.py`` (Babel's default keywords); ``tipform``:
    ``web/tipform.py`` (``N_``). A message whose note says "addresses the reader" also gets its
    gendered variants: contexts ``<family>/feminine`` and ``<family>/masculine``, or
    ``feminine`` and ``masculine`` for a message without a family (the tip form).
    """
    from babel.messages.extract import extract_from_file

    from campaigns.copy.messages import ADDRESSES_READER, GENDERS, VARIANT_SEP

    relative, keywords = SOURCES[check_domain(domain)]
    catalog = Catalog(project="counterflow", version="0.1", msgid_bugs_address="", charset="utf-8")
    for lineno, message, comments, context in extract_from_file(
        "python",
        _project_root() / relative,
        keywords=keywords,  # type: ignore[arg-type]
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=False,
    ):
        where = [(relative, lineno)]
        catalog.add(message, None, where, auto_comments=comments, context=context)
        if ADDRESSES_READER in " ".join(comments).lower():
            for gender in GENDERS:
                notes = [*comments, _variant_note(gender)]
                variant = VARIANT_SEP.join((context, gender)) if context else gender
                catalog.add(message, None, where, auto_comments=notes, context=variant)
    return catalog


def write_template(*, root: Path | None = None, domain: str = DOMAIN) -> Path:
    """Write a domain's ``.pot`` from the sources; returns its path."""
    path = pot_path(root=root, domain=domain)
    with path.open("wb") as fh:
        write_po(fh, extract_template(domain), width=100, omit_header=False)
    return path


SOURCE_LOCALE = "en"
"""The language the messages are written in: its catalog mirrors the source."""


def update_catalogs(*, root: Path | None = None, domain: str = DOMAIN) -> dict[str, int]:
    """Merge the template into every catalog (like ``pybabel update``); returns new messages per locale.

    A message whose English changed is matched to its old translation and marked fuzzy (the old
    English kept as ``#| msgid``), so it needs review again; a new message arrives untranslated.
    Never is a changed or new message left reviewed. The English catalog mirrors the source (its
    text *is* the source, reviewed where the source is).
    """
    from campaigns.copy.messages import is_variant

    added: dict[str, int] = {}
    for code in LOCALES:
        template = load_template(root=root, domain=domain)  # Catalog.update shares its messages
        catalog = load_catalog(code, root=root, domain=domain)
        before = {(m.context, str(m.id)) for m in catalog if m.id}
        catalog.update(template, update_header_comment=False)
        for msg in catalog:
            if is_variant(msg.context) and (msg.context, str(msg.id)) not in before:
                # a new gendered variant starts empty (the neutral text is used), never as a
                # fuzzy copy of the neutral translation
                msg.string = ("",) * len(msg.string) if isinstance(msg.string, tuple | list) else ""
                msg.flags.discard("fuzzy")
                msg.previous_id = []
        if code == SOURCE_LOCALE:
            for msg in catalog:
                if msg.id:
                    msg.string = msg.id
                    msg.flags.discard("fuzzy")
                    msg.previous_id = []
        added[code] = len({(m.context, str(m.id)) for m in catalog if m.id} - before)
        with po_path(code, root=root, domain=domain).open("wb") as fh:
            write_po(fh, catalog, width=100, ignore_obsolete=False, include_previous=True)
    _translations.cache_clear()
    _fuzzy_families.cache_clear()
    return added
