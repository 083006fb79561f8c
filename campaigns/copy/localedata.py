"""Locale data of the ``locales`` package: languages per area, platform locale ids, helplines.

Data only (TOML); this module reads it once per process.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from typing import Any

from intel.errors import CounterflowError
from intel.gazetteer import normalise

_ADMIN_SUFFIXES = ("state", "governorate", "region", "district", "province")


def _read(name: str) -> dict[str, Any]:
    return tomllib.loads(files("locales").joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def languages_data() -> dict[str, Any]:
    return _read("languages.toml")


@lru_cache(maxsize=1)
def helplines_data() -> dict[str, Any]:
    return _read("helplines.toml")


def _admin_key(name: str) -> str:
    words = normalise(name).split()
    while words and words[-1] in _ADMIN_SUFFIXES:
        words.pop()
    return " ".join(words)


def local_languages(country: str, admin1: str | None = None) -> list[str]:
    """Languages of a country and admin-1 area, main language first.

    >>> local_languages("NG", "Edo State")
    ['en', 'pcm', 'bin']
    >>> local_languages("LY")
    ['ar']
    """
    data = languages_data()
    entry = data.get("countries", {}).get(country.upper())
    if entry is None:
        return list(data.get("default", ["en"]))
    if admin1:
        wanted = _admin_key(admin1)
        for name, langs in entry.get("admin1", {}).items():
            if _admin_key(name) == wanted:
                return list(langs)
    return list(entry["languages"])


def known_origins() -> list[str]:
    """The origin countries ``locales/languages.toml`` gives languages for (``[origins.XX]``)."""
    return sorted(languages_data().get("origins", {}))


def origin_languages(origin: str) -> list[str]:
    """The languages people from ``origin`` (ISO-2) read, main one first; None if not listed.

    >>> origin_languages("NG")
    ['en', 'pcm']
    """
    entry = languages_data().get("origins", {}).get(origin.upper())
    if entry is None:
        raise CounterflowError(
            f"origin {origin!r} has no languages in locales/languages.toml",
            f"use one of {', '.join(known_origins()) or '(none listed)'} or add [origins.{origin.upper()}]",
        )
    return list(entry["languages"])


def audience_languages(country: str, admin1: str | None, origins: Sequence[str] = ()) -> list[str]:
    """The local languages of a place, then those of the at-risk groups' origins (no repeats).

    >>> audience_languages("LY", None, ["NG"])
    ['ar', 'en', 'pcm']
    >>> audience_languages("NG", "Edo State", ["NG"])
    ['en', 'pcm', 'bin']
    """
    out = local_languages(country, admin1)
    for origin in origins:
        out += [code for code in origin_languages(origin) if code not in out]
    return out


@dataclass(frozen=True)
class PlatformLocale:
    """The platform's numeric locale ids for one of our catalog codes (empty: no locale pin)."""

    code: str
    name: str
    ids: tuple[int, ...]
    verified: bool
    note: str


def platform_locale(code: str) -> PlatformLocale:
    entry = languages_data().get("platform_locales", {}).get(code)
    if entry is None:
        return PlatformLocale(code, code, (), False, f"no platform locale is known for {code!r}")
    return PlatformLocale(
        code,
        str(entry.get("name", code)),
        tuple(int(i) for i in entry.get("ids", [])),
        bool(entry.get("verified", False)),
        str(entry.get("note", "")),
    )


def known_platform_locale_ids() -> set[int]:
    return {
        i for entry in languages_data().get("platform_locales", {}).values() for i in entry.get("ids", [])
    }


@dataclass(frozen=True)
class Helpline:
    """A helpline or partner contact shown on the assets of one country.

    It is :attr:`verified` only when marked so (``verified = true`` in the file) *and* it has a
    number or an address (``phone`` or ``url``), the ``source`` it was confirmed from and the day
    it was ``checked``.
    """

    country: str
    name: str
    phone: str
    display: str
    about: str
    marked_verified: bool
    url: str = ""
    source: str = ""
    checked: str = ""
    names: Mapping[str, str] = field(default_factory=dict)
    needs_number: bool = False

    def name_in(self, locale: str) -> str:
        """The helpline's name in a language (``[XX.names]``), else its English name, else ``name``."""
        return self.names.get(locale) or self.names.get("en") or self.name

    def display_in(self, locale: str) -> str:
        """What the copy shows in a language: the local name and the number (or address) to reach.

        In right-to-left text the number or address is put in a left-to-right isolate, so that
        "800 290 290" is not shown as "290 290 800" beside an Arabic name.

        >>> helpline_for("IT").display_in("it")
        'Numero Verde Antitratta 800 290 290'
        """
        from campaigns.copy.i18n import direction, isolate

        reach = self.phone or self.url
        if not reach:
            return self.name_in(locale)
        if direction(locale) == "rtl":
            reach = isolate(reach, ltr=True)
        return f"{self.name_in(locale)} {reach}"

    @property
    def unverified_because(self) -> str:
        """Why the helpline is not verified ('' when it is)."""
        return ", ".join(
            what
            for what, ok in (
                ("needs a number (nothing to dial or open yet)", not self.needs_number),
                ("no number or address", bool(self.phone or self.url) or self.needs_number),
                ("no source", bool(self.source)),
                ("no check date", bool(self.checked)),
                ("marked 'to verify'", self.marked_verified),
            )
            if not ok
        )

    @property
    def verified(self) -> bool:
        return not self.unverified_because


def helpline_for(country: str) -> Helpline | None:
    """The helpline of a country (ISO-2), or None when ``locales/helplines.toml`` lists none."""
    entry = helplines_data().get(country.upper())
    if entry is None:
        return None
    return Helpline(
        country.upper(),
        str(entry["name"]),
        str(entry.get("phone", "")),
        str(entry.get("display") or entry["name"]),
        str(entry.get("about", "")),
        bool(entry.get("verified", False)),
        url=str(entry.get("url", "")),
        source=str(entry.get("source", "")),
        checked=str(entry.get("checked", "")),
        names={str(k): str(v) for k, v in entry.get("names", {}).items()},
        needs_number=bool(entry.get("needs_number", False)),
    )


def known_helpline_countries() -> list[str]:
    """The countries ``locales/helplines.toml`` lists a helpline for."""
    return sorted(helplines_data())
