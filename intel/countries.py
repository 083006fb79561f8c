"""Country names, codes and adjectives: one packaged table, exact matches only.

``intel/data/countries.csv`` (columns ``code, kind, name, note``) is built once by
``python -m intel.data.build_countries`` from ISO 3166-1 (``pycountry``: codes, short, official
and common names, and former countries where today's code is certain), the English, French,
Spanish, Italian, Portuguese and Arabic names of the Unicode CLDR (through ``babel``), and the
hand-kept ``intel/data/countries_curated.csv``: UN M49 and UNODC spellings, World Bank spellings,
common and former names, Kosovo (XK), demonyms ("Nigerian", "nigérienne") and refusals
(ambiguous names such as "Congo" or "Korea", and entries that are not countries, such as
"Unknown").

A value matches when, after case, accents, punctuation, spaces, "&", "St."/"Rep."/"Dem.", a
leading or inner "the" and a leading French article are set aside, it equals a name of the table,
or its comma inversion ("Korea, Republic of") or bracket inversion ("Venezuela (Bolivarian
Republic of)") does. Nothing else matches: a near miss is refused with the nearest names of the
table and their codes, an ambiguous name with its candidates, never guessed.

>>> country_code("Republic of Korea"), country_code("Curacao"), country_code("Kosovo")
('KR', 'CW', 'XK')
>>> country_code("Venezuela (Bolivarian Republic of)"), country_code("Nigérienne")
('VE', 'NE')
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files

from intel.errors import CounterflowError, NotFound
from intel.names import normalise

#: Kinds of the table that are codes, not names (matched by ``country_code`` only).
CODE_KINDS = frozenset({"alpha2", "alpha3", "numeric"})
#: Kinds that name a people, not a country ("Nigerian"): not a mention of the country in text.
DEMONYM_KINDS = frozenset({"demonym", "demonym_fr"})
#: Kinds that refuse a name: several countries, or not a country at all.
REFUSAL_KINDS = frozenset({"ambiguous", "none"})

_ARTICLE = re.compile(r"^\s*(?:the\s+|la\s+|le\s+|les\s+|l['’ʼ]\s*)", re.IGNORECASE)
_APOSTROPHES = str.maketrans("", "", "'’ʼ`´")
_EXPAND = {"st": "saint", "ste": "sainte", "rep": "republic", "dem": "democratic", "fed": "federated",
           "sts": "states"}  # fmt: skip
_BRACKETED = re.compile(r"\s*([^()]+?)\s*\(([^()]+)\)\s*")


class UnknownCountry(NotFound):
    """A value that is no country name, code or adjective of the table.

    ``candidates``: the nearest (spelling, code) pairs of the table; empty for a value that the
    table knows is not a country ("Unknown").
    """

    candidates: tuple[tuple[str, str], ...] = ()


class AmbiguousCountry(CounterflowError):
    """A name that several countries answer to ("Congo", "Korea"); ``candidates`` their codes."""

    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Entry:
    """What a normalised name means: one code, several (ambiguous), or none (not a country)."""

    codes: tuple[str, ...]
    kinds: frozenset[str]
    name: str  # the first spelling of the table with this key
    note: str

    @property
    def refused(self) -> bool:
        return bool(self.kinds & REFUSAL_KINDS)


def key(text: str) -> str:
    """The matching key of a name: case, accents, punctuation, spaces and articles set aside.

    >>> key("Congo, Democratic Republic of the") == key("Congo, Democratic Republic Of The")
    True
    >>> key("St. Lucia"), key("Côte d'Ivoire"), key("Cote d Ivoire")
    ('saintlucia', 'cotedivoire', 'cotedivoire')
    """
    text = _ARTICLE.sub("", text.replace("&", " and ")).translate(_APOSTROPHES)
    return "".join(_EXPAND.get(w, w) for w in normalise(text).split() if w != "the")


def variants(text: str) -> list[str]:
    """The keys a name is matched under: itself, its comma inversion and its bracket inversion.

    >>> variants("Korea, Republic of")
    ['korearepublicof', 'republicofkorea']
    >>> variants("Iran (Islamic Republic of)")
    ['iranislamicrepublicof', 'islamicrepublicofiran']
    """
    out = [key(text)]
    m = _BRACKETED.fullmatch(text)
    if m:
        out.append(key(f"{m.group(2)} {m.group(1)}"))
    if text.count(",") == 1:
        head, tail = text.split(",")
        out.append(key(f"{tail} {head}"))
    return [k for i, k in enumerate(out) if k and k not in out[:i]]


def _rows() -> list[dict[str, str]]:
    text = files("intel.data").joinpath("countries.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text, newline="")))


def build_index(rows: list[dict[str, str]]) -> dict[str, Entry]:
    """Key -> entry. A refusal row (ambiguous, not a country) wins over the names it shares a key
    with; two rows that give one key two different codes are an error of the table."""
    codes: dict[str, tuple[str, ...]] = {}
    kinds: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    notes: dict[str, str] = {}
    clashes: list[str] = []
    refusals = [r for r in rows if r["kind"] in REFUSAL_KINDS]
    for row in refusals + [r for r in rows if r["kind"] not in REFUSAL_KINDS]:
        kind, name = row["kind"], row["name"]
        these = tuple(c for c in row["code"].split("|") if c)
        for k in [key(name)] if kind in CODE_KINDS else variants(name):
            refused = bool(kinds.get(k, set()) & REFUSAL_KINDS)
            kinds.setdefault(k, set()).add(kind)
            if refused and kind not in REFUSAL_KINDS:
                continue  # "Congo" is refused even though ISO calls CG so
            if k in codes and codes[k] != these:
                clashes.append(f"{name!r} -> {'|'.join(these)} but {names[k]!r} -> {'|'.join(codes[k])}")
                continue
            codes.setdefault(k, these)
            names.setdefault(k, name)
            if row.get("note"):
                notes.setdefault(k, row["note"])
    if clashes:
        raise ValueError("the country table gives one name two codes: " + "; ".join(clashes))
    return {k: Entry(codes[k], frozenset(kinds[k]), names[k], notes.get(k, "")) for k in codes}


@lru_cache(maxsize=1)
def index() -> dict[str, Entry]:
    """The packaged table as key -> entry (built once per process)."""
    return build_index(_rows())


def find(value: str) -> Entry | None:
    """The entry a value matches exactly (under ``variants``), or None; plurals of adjectives
    ("Canadians", "Slovaks") match their singular."""
    table = index()
    text = value.strip()
    if text.isdigit():
        text = text.zfill(3)  # ISO numeric codes are three digits: "4" is Afghanistan's "004"
    keys = variants(text)
    for k in keys:
        if k in table:
            return table[k]
    for k in keys:
        if k.endswith("s") and (e := table.get(k[:-1])) is not None and e.kinds & DEMONYM_KINDS:
            return e
    return None


def nearest(value: str, n: int = 5) -> list[tuple[str, str]]:
    """The ``n`` table spellings closest to ``value`` (difflib ratio), with their codes."""
    table = index()
    pool = [k for k, e in table.items() if not (e.kinds <= CODE_KINDS) and e.codes]
    out: list[tuple[str, str]] = []
    for k in difflib.get_close_matches(key(value), pool, n=4 * n, cutoff=0.6):
        e = table[k]
        pair = (e.name, "|".join(e.codes))
        if pair not in out and all(c != pair[1] for _, c in out):
            out.append(pair)
    return out[:n]


def _listed(pairs: list[tuple[str, str]] | tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"'{name}' ({code})" for name, code in pairs)


@lru_cache(maxsize=4096)
def country_code(value: str) -> str:
    """ISO 3166-1 alpha-2 code for a country name, code or adjective; refuses anything else.

    ``"Libya"``, ``"LBY"``, ``"434"``, ``"ly"``, ``"Libyan"``, ``"Libye"`` -> ``"LY"``. Raises
    ``AmbiguousCountry`` for a name several countries answer to and ``UnknownCountry`` (with the
    nearest names of the table) for any other value.

    >>> country_code("Turkey"), country_code("Swaziland"), country_code("Cape Verde")
    ('TR', 'SZ', 'CV')
    """
    raw = value.strip()
    if not raw:
        raise UnknownCountry("country is empty", "give an ISO code such as 'NG' or a name such as 'Nigeria'")
    e = find(raw)
    if e is None:
        near = nearest(raw)
        err = UnknownCountry(
            f"country {value!r} is not a known country name, code or adjective",
            (f"the nearest are {_listed(near)}; write one of them exactly" if near else "")
            + (" or " if near else "")
            + "use an ISO code such as 'NG'",
        )
        err.candidates = tuple(near)
        raise err
    if e.kinds & REFUSAL_KINDS and len(e.codes) > 1:
        amb = AmbiguousCountry(
            f"country {value!r} is ambiguous: it may be {_listed([(country_name(c), c) for c in e.codes])}",
            e.note or "write the country's full name or its ISO code",
        )
        amb.candidates = e.codes
        raise amb
    if e.kinds & REFUSAL_KINDS or not e.codes:
        raise UnknownCountry(
            f"{value!r} is {e.note or 'not a country'}", "leave the cell blank or give a country"
        )
    return e.codes[0]


@lru_cache(maxsize=8192)
def country_from_text(value: str) -> str | None:
    """``country_code`` for free text: the code, or None for anything it refuses."""
    if not value.strip():
        return None
    e = find(value)
    if e is None or e.refused or len(e.codes) != 1:
        return None
    return e.codes[0]


@lru_cache(maxsize=8192)
def country_named(value: str) -> str | None:
    """ISO-2 code when ``value`` is exactly a name of one country in the table (any of its
    languages), else None: codes and adjectives do not count (for mentions in free text)."""
    e = find(value)
    if e is None or e.refused or len(e.codes) != 1:
        return None
    if not (e.kinds - CODE_KINDS - DEMONYM_KINDS):
        return None
    return e.codes[0]


@lru_cache(maxsize=8192)
def countries_named(value: str) -> tuple[str, ...]:
    """Every code a country name may mean: one for "Benin", two for "Congo", none for anything
    that is not a country's name (a town, a code, an adjective, "Unknown")."""
    e = find(value)
    if e is None or not (e.kinds - CODE_KINDS - DEMONYM_KINDS - {"none"}):
        return ()
    return e.codes


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Every unambiguous name key of the table (codes and adjectives left out) -> ISO-2 code."""
    return {
        k: e.codes[0]
        for k, e in index().items()
        if not e.refused and len(e.codes) == 1 and e.kinds - CODE_KINDS - DEMONYM_KINDS
    }


@lru_cache(maxsize=1)
def _display() -> dict[str, str]:
    rank = {"iso_common": 0, "iso_name": 1, "cldr_en": 2, "un": 3, "alt": 4}
    best: dict[str, tuple[int, str]] = {}
    for row in _rows():
        r = rank.get(row["kind"])
        if r is not None and (row["code"] not in best or r < best[row["code"]][0]):
            best[row["code"]] = (r, row["name"])
    return {code: name for code, (_, name) in best.items()}


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The everyday English name of an ISO-2 code (ISO common name, else short name); the code
    itself when the table does not know it.

    >>> country_name("KR"), country_name("XK")
    ('South Korea', 'Kosovo')
    """
    return _display().get(code.upper(), code)
