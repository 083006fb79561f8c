"""Translations of the public tip form (gettext domain ``tipform`` in the shared ``locales/``).

The tip form has its own domain so that its catalogs (``locales/<code>/LC_MESSAGES/tipform.po``,
template ``locales/tipform.pot``) evolve apart from the campaign copy. Catalogs are compiled in
memory on first use; ``.mo`` files are build output.

Drafted translations are marked fuzzy until a reviewer clears them, but the tip form shows them
anyway (``use_fuzzy=True``): a person must be able to send a tip in their own language, and the
form's wording is short and reviewed on the page. Edo (``bin``) has no drafted text yet: it falls
back to Nigerian Pidgin, then English, message by message.
"""

from __future__ import annotations

import gettext
import io
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from campaigns.copy.i18n import direction, format_number, formatting_locale

DOMAIN = "tipform"
LOCALES: tuple[str, ...] = ("en", "pcm", "yo", "ig", "ha", "bin", "ar", "it", "fr")
FALLBACKS: dict[str, tuple[str, ...]] = {"bin": ("pcm",)}
DEFAULT = "en"

__all__ = ["direction", "format_number", "formatting_locale", "negotiate", "pick_locale", "translations"]


def po_path(code: str) -> Path:
    return Path(str(files("locales"))) / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def pot_path() -> Path:
    return Path(str(files("locales"))) / f"{DOMAIN}.pot"


def _compiled(code: str) -> gettext.GNUTranslations | None:
    path = po_path(code)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=None if code in FALLBACKS else code)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=True)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


@lru_cache(maxsize=32)
def translations(code: str) -> gettext.NullTranslations:
    """Translations for one tip-form locale, with its fallbacks chained (unknown code: English)."""
    code = code if code in LOCALES else DEFAULT
    chain: gettext.NullTranslations = _compiled(code) or gettext.NullTranslations()
    for fallback in FALLBACKS.get(code, ()):
        more = _compiled(fallback)
        if more is not None:
            chain.add_fallback(more)
    return chain


def negotiate(accept_language: str | None) -> str | None:
    """The best tip-form locale for an ``Accept-Language`` header, or None.

    >>> negotiate("fr-CH, fr;q=0.9, en;q=0.8")
    'fr'
    >>> negotiate("en;q=0.2, ha")
    'ha'
    >>> negotiate("de-DE,de;q=0.9") is None
    True
    """
    if not accept_language:
        return None
    wanted = []
    for part in accept_language.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        if tag and tag != "*":
            wanted.append((weight, tag.replace("_", "-")))
    wanted.sort(key=lambda x: -x[0])
    for _, tag in wanted:
        base = tag.split("-")[0].lower()
        if tag.lower() in LOCALES:
            return tag.lower()
        if base in LOCALES:
            return base
    preferred = [t for _, t in wanted]
    found = Locale.negotiate(preferred, list(LOCALES), sep="-") if preferred else None
    return str(found) if found else None


def pick_locale(*, asked: str | None, asset_locale: str | None, accept_language: str | None) -> str:
    """The form's locale: an explicit choice, else the tracking code's asset, else the browser's, else en.

    >>> pick_locale(asked=None, asset_locale="ha", accept_language="fr")
    'ha'
    >>> pick_locale(asked="xx", asset_locale=None, accept_language=None)
    'en'
    """
    for code in (asked, asset_locale):
        if code in LOCALES:
            return code
    return negotiate(accept_language) or DEFAULT
