"""Translations of the public tip form (gettext domain ``tipform`` in the shared ``locales/``).

The tip form has its own domain so that its catalogs (``locales/<code>/LC_MESSAGES/tipform.po``,
template ``locales/tipform.pot``) evolve apart from the campaign copy. Catalogs are compiled in
memory on first use; ``.mo`` files are build output.

Nothing unreviewed reaches the public: the form shows a locale only when its ``tipform.po`` is
*reviewed* (every message translated, none fuzzy: ``counterflow locales review CODE --domain
tipform`` clears the flags and records the reviewer). Otherwise the visitor gets their best
reviewed language (``Accept-Language`` order), then English, and the language menu lists only
reviewed languages. Fuzzy entries are never compiled in (``use_fuzzy=False``). There is no
message-by-message fallback to another language: Edo (``bin``) has no translation yet, and an
Edo link shows the visitor's best reviewed language, never Pidgin dressed as Edo.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from campaigns.copy.i18n import FORMAT_FALLBACK, direction, format_number, formatting_locale
from campaigns.copy.messages import is_variant

DOMAIN = "tipform"
LOCALES: tuple[str, ...] = ("en", "pcm", "yo", "ig", "ha", "bin", "ar", "it", "fr")
DEFAULT = "en"
SOURCE = "en"
"""The language the messages are written in: always shown, it needs no review."""
ROOT: Path | None = None
"""Folder of the catalogs (None: the packaged ``locales``); tests point it at a copy."""

__all__ = [
    "direction",
    "format_number",
    "formatting_locale",
    "negotiate",
    "pick_locale",
    "reviewed_locales",
    "translations",
]


def _root() -> Path:
    return ROOT if ROOT is not None else Path(str(files("locales")))


def po_path(code: str) -> Path:
    return _root() / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def pot_path() -> Path:
    return _root() / f"{DOMAIN}.pot"


def _version(code: str) -> tuple[str, float]:
    path = po_path(code)
    return (str(path), path.stat().st_mtime if path.exists() else 0.0)


def _catalog(code: str) -> Catalog | None:
    path = po_path(code)
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=code if code not in FORMAT_FALLBACK else None)


@lru_cache(maxsize=64)
def _is_reviewed(code: str, _version: tuple[str, float]) -> bool:
    catalog = _catalog(code)
    if catalog is None:
        return False
    # gendered variants are optional (an empty one gives the neutral text) and a fuzzy one is
    # never compiled in: the catalog's review is that of its neutral messages
    messages = [m for m in catalog if m.id and not is_variant(m.context)]
    return bool(messages) and all(
        not m.fuzzy and (all(m.string) if isinstance(m.string, tuple | list) else bool(m.string))
        for m in messages
    )


def is_reviewed(code: str) -> bool:
    """Whether the public may see a locale: English, or a complete catalog with no fuzzy entry."""
    if code == SOURCE:
        return True
    return code in LOCALES and _is_reviewed(code, _version(code))


def reviewed_locales() -> tuple[str, ...]:
    """The locales the tip form may show, in menu order."""
    return tuple(code for code in LOCALES if is_reviewed(code))


@lru_cache(maxsize=64)
def _translations(code: str, _version: tuple[str, float]) -> gettext.NullTranslations:
    catalog = _catalog(code)
    if catalog is None:
        return gettext.NullTranslations()
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return gettext.GNUTranslations(buf)


def gendered_gettext(code: str, gender: str | None) -> Callable[[str], str]:
    """``gettext`` for a tip-form locale that prefers the ``gender`` variant of a message (context
    ``feminine`` or ``masculine``) and falls back to the neutral message (``None``: neutral).

    >>> gendered_gettext("en", "feminine")("Send")
    'Send'
    """
    tr = translations(code)
    if gender is None:
        return tr.gettext

    def pick(message: str) -> str:
        found = tr.pgettext(gender, message)
        return found if found != message else tr.gettext(message)

    return pick


def translations(code: str) -> gettext.NullTranslations:
    """Reviewed translations for one tip-form locale (fuzzy entries are never compiled in).

    An unknown or unreviewed code gives English: call :func:`pick_locale` first so the page's
    ``lang`` says what is really shown.
    """
    code = code if is_reviewed(code) else DEFAULT
    return _translations(code, _version(code))


def negotiate(accept_language: str | None, available: tuple[str, ...] = LOCALES) -> str | None:
    """The best of ``available`` for an ``Accept-Language`` header, or None.

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
        if tag.lower() in available:
            return tag.lower()
        if base in available:
            return base
    preferred = [t for _, t in wanted]
    found = Locale.negotiate(preferred, list(available), sep="-") if preferred else None
    return str(found) if found else None


def pick_locale(*, asked: str | None, asset_locale: str | None, accept_language: str | None) -> str:
    """The form's locale among the reviewed ones: an explicit choice, else the tracking code's
    asset, else the browser's best, else English. An unreviewed choice is passed over.

    >>> pick_locale(asked="xx", asset_locale=None, accept_language=None)
    'en'
    """
    available = reviewed_locales()
    for code in (asked, asset_locale):
        if code in available:
            return code
    return negotiate(accept_language, available) or DEFAULT
