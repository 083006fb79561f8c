"""How precise a report's place and date are, detected from what the source wrote.

Two scales, finest first:

- ``PlacePrecision``: ``point`` (measured coordinates), ``town`` (a town or the centre the source
  gave for one), ``district`` (a county, district, municipality), ``region`` (a province, state,
  governorate), ``country``, ``unspecified`` (nothing finer than a sea crossing, a border or "an
  unspecified location").
- ``DatePrecision``: ``day``, ``month``, ``year``.

The detection only ever makes a place coarser than its coordinates suggest, on evidence:

- **coordinate rounding**: a value's decimals (trailing zeros dropped) bound its error to half a
  unit of the last digit: whole degrees (up to 55 km off each way) -> ``region``, one decimal
  (5.5 km) -> ``district``, two (0.55 km) -> ``town``, three or more -> ``point``. The finer of
  the two coordinates decides: "2.5, 42.329444" was not rounded;
- **a country's stand-in point**: coordinates within a country's geocoder point or centroid
  (``intel/data/country_points.csv``) -> ``country``;
- **the words of the place**: placeholder phrases in English, French, Italian, Spanish and
  Arabic ("Unspecified location, Libya", "lieu non précisé", "località sconosciuta",
  "غير محدد"), sea crossings and open water ("between Libya and Italy", "at sea", "en mer",
  "in mare", "Central Mediterranean", "international waters"), borders and "somewhere in" leave
  the place at what the rest of the text names (a town, a region, a country) or ``unspecified``;
  a text naming nothing finer than admin areas ("Pima County, Arizona, USA", "Kerman province,
  Iran", "Arizona") is a ``district`` or ``region``, one naming a town and its areas ("Near
  Hargeisa, Somalia") a ``town``; a text with anything else in it (a river, a ranch, a road) is
  left to the coordinates.

>>> describe_place("Unspecified location, Libya")
PlaceText(precision=<PlacePrecision.COUNTRY: 'country'>, country='LY', admin1=None, reason="placeholder 'unspecified location'", town=None)
>>> describe_place("between Libya and Italy").precision
<PlacePrecision.UNSPECIFIED: 'unspecified'>
>>> coordinate_precision("32.0875", "-111.92")
<PlacePrecision.POINT: 'point'>
>>> coordinate_precision("33.1", "13.2")
<PlacePrecision.DISTRICT: 'district'>
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import lru_cache
from importlib.resources import files
from typing import Any

import numpy as np

from intel.names import normalise


class PlacePrecision(StrEnum):
    """How precisely a report's place is known, finest first."""

    POINT = "point"
    TOWN = "town"
    DISTRICT = "district"
    REGION = "region"
    COUNTRY = "country"
    UNSPECIFIED = "unspecified"

    @property
    def rank(self) -> int:
        return _PLACE_ORDER.index(self)


class DatePrecision(StrEnum):
    """How precisely a report's date is known, finest first."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"

    @property
    def rank(self) -> int:
        return _DATE_ORDER.index(self)


_PLACE_ORDER = tuple(PlacePrecision)
_DATE_ORDER = tuple(DatePrecision)
PLACE_PRECISIONS: tuple[str, ...] = tuple(p.value for p in PlacePrecision)
DATE_PRECISIONS: tuple[str, ...] = tuple(p.value for p in DatePrecision)


def coarser_place(a: str | PlacePrecision, b: str | PlacePrecision) -> PlacePrecision:
    """The coarser of two place precisions."""
    pa, pb = PlacePrecision(a), PlacePrecision(b)
    return pa if pa.rank >= pb.rank else pb


def coarser_date(a: str | DatePrecision, b: str | DatePrecision) -> DatePrecision:
    """The coarser of two date precisions."""
    da, db = DatePrecision(a), DatePrecision(b)
    return da if da.rank >= db.rank else db


# --- dates --------------------------------------------------------------------------------


def format_precision(fmt: str) -> DatePrecision:
    """What a ``strptime`` format can tell: a day, a month or only a year.

    >>> format_precision("%B %d, %Y"), format_precision("%Y-%m"), format_precision("%Y")
    (<DatePrecision.DAY: 'day'>, <DatePrecision.MONTH: 'month'>, <DatePrecision.YEAR: 'year'>)
    """
    if any(d in fmt for d in ("%d", "%j", "%c", "%x")):
        return DatePrecision.DAY
    if any(m in fmt for m in ("%m", "%b", "%B", "%U", "%W")):
        return DatePrecision.MONTH
    return DatePrecision.YEAR


# --- coordinates --------------------------------------------------------------------------

#: Place precision of coordinates by their number of decimals (see the module docstring).
ROUNDING = {0: PlacePrecision.REGION, 1: PlacePrecision.DISTRICT, 2: PlacePrecision.TOWN}


def decimals(text: str) -> int | None:
    """Decimals written in a number (trailing zeros dropped); None when it is not plain decimal.

    >>> decimals("32.087500000000"), decimals("-111"), decimals("1e-3")
    (4, 0, None)
    """
    t = text.strip().lstrip("+-")
    whole, dot, frac = t.partition(".")
    if not whole.isdigit() and not (dot and whole == ""):
        return None
    frac = frac.rstrip("0")
    if frac and not frac.isdigit():
        return None
    return len(frac)


def coordinate_precision(lat_text: str, lon_text: str) -> PlacePrecision:
    """The precision coordinates as written can carry (``point`` unless both are rounded)."""
    d = [decimals(lat_text), decimals(lon_text)]
    if any(x is None for x in d):
        return PlacePrecision.POINT
    return ROUNDING.get(max(x for x in d if x is not None), PlacePrecision.POINT)


@lru_cache(maxsize=1)
def _country_points() -> tuple[np.ndarray, np.ndarray, np.ndarray, Any]:
    from scipy.spatial import cKDTree

    with files("intel.data").joinpath("country_points.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = np.array([r["code"] for r in rows], dtype=object)
    lat = np.array([float(r["lat"]) for r in rows])
    lon = np.array([float(r["lon"]) for r in rows])
    tol = np.array([float(r["tolerance_km"]) for r in rows])
    return codes, tol, np.column_stack((lat, lon)), cKDTree(_xyz(lat, lon))


def _xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def country_point_at(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Per point (EPSG:4326), the ISO-2 code of the country whose stand-in point (geocoder point
    or centroid, ``intel/data/country_points.csv``) it sits on, within that point's tolerance;
    None elsewhere."""
    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    out = np.full(lat.shape, None, dtype=object)
    ok = ~np.isnan(lat) & ~np.isnan(lon)
    if not ok.any():
        return out
    codes, tol, _, tree = _country_points()
    chord, j = tree.query(_xyz(lat[ok], lon[ok]))
    km = 2.0 * np.arcsin(np.minimum(np.asarray(chord) / 2.0, 1.0)) * 6371.0088
    hit = km <= tol[j]
    idx = np.flatnonzero(ok)
    out[idx[hit]] = codes[j[hit]]
    return out


# --- words --------------------------------------------------------------------------------

#: "Nobody knows where": the rest of the text says at most which area.
PLACEHOLDERS = (
    "unspecified location", "unspecified place", "unknown location", "location unknown",
    "unknown place", "undisclosed location", "location not specified", "exact location unknown",
    "location unspecified", "not specified", "unspecified", "somewhere in", "somewhere on",
    "somewhere along", "somewhere",
    "lieu non precise", "lieu non specifie", "lieu inconnu", "endroit inconnu", "quelque part",
    "localita sconosciuta", "luogo sconosciuto", "localita non specificata", "luogo non specificato",
    "da qualche parte",
    "ubicacion desconocida", "lugar desconocido", "lugar no especificado", "ubicacion no especificada",
    "sin especificar", "en algun lugar",
    "مكان غير محدد", "موقع غير محدد", "مكان غير معروف", "موقع غير معروف", "غير محدد", "غير معروف",
)  # fmt: skip
#: Open water and sea crossings: no town, no country.
SEA = (
    "at sea", "high seas", "open sea", "international waters", "en mer", "haute mer",
    "eaux internationales", "in mare", "alto mare", "acque internazionali", "en el mar",
    "en alta mar", "aguas internacionales", "في البحر", "المياه الدولية",
    "mediterranean", "mediterranee", "mediterraneo", "البحر الابيض المتوسط", "البحر المتوسط",
    "aegean", "egee", "egeo", "gulf of aden", "golfe d aden", "red sea", "mer rouge", "mar rosso",
    "البحر الاحمر", "bay of bengal", "andaman sea", "caribbean sea", "mer des caraibes",
    "mar caribe", "atlantic ocean", "ocean atlantique", "oceano atlantico", "indian ocean",
    "english channel", "la manche", "strait of", "detroit de", "stretto di", "estrecho de",
    "canale di sicilia", "sicily channel", "alboran sea", "mar de alboran", "ionian sea",
    "mar ionio", "tyrrhenian sea", "arabian sea", "gulf of oman", "persian gulf", "pacific ocean",
)  # fmt: skip
#: A line between two places: a crossing, unless both ends are towns close together.
BETWEEN = re.compile(
    r"\b(?:between|entre|tra|fra)\b\s+(.+?)\s+(?:and|et|e|y)\s+(.+)$|\bبين\s+(.+?)\s+و\s*(.+)$"
)
#: A border: no place of its own (the rest of the text may name one).
BORDER = ("border", "frontiere", "frontera", "confine", "الحدود", "الحدود بين")
#: "Off the coast of X": at sea near X.
OFF_COAST = re.compile(
    r"\b(?:off the coasts? of|off the shores? of|offshore from|off the coast|au large des?|au large d|"
    r"al largo di|al largo de|frente a las costas de|frente a la costa de|frente a las costas|frente a la costa)"
    r"\b\s*(.*)$|قبالة\s*(?:سواحل|ساحل)?\s*(.*)$"
)
#: Words before a named town that keep it a town ("near Hargeisa", "outside Tripoli").
RELATIVE = re.compile(
    r"^(?:near(?: to)?|close to|outside(?: of)?|around|in|at|on|inside|just outside|north of|"
    r"south of|east of|west of|northern|southern|eastern|western|central|pres de|proche de|"
    r"a proximite de|vicino a|nei pressi di|cerca de|en las afueras de|in the|the)\s+"
)
#: Words that name no place on their own ("Central Mediterranean" is open water).
DIRECTIONS = frozenset(
    {"central", "north", "south", "east", "west", "northern", "southern", "eastern", "western", "upper",
     "lower", "the", "of", "nord", "sud", "est", "ouest", "centrale", "norte", "sur", "este", "oeste",
     "near", "on", "at", "in", "close", "to", "with", "along", "a", "an", "du", "de", "la", "le", "di"}
)  # fmt: skip
DISTRICT_WORDS = frozenset(
    {"county", "district", "municipality", "jurisdiction", "borough", "parish", "municipio", "comune",
     "commune", "lga", "woreda", "tehsil", "upazila", "subcounty", "arrondissement", "distrito"}
)  # fmt: skip
REGION_WORDS = frozenset(
    {"province", "provincia", "state", "estado", "governorate", "gouvernorat", "wilaya", "region",
     "regione", "oblast", "prefecture", "department", "departement", "departamento"}
)  # fmt: skip
#: A town this populous beats an admin area of the same name ("Kerman" the city, not the province).
TOWN_OVER_AREA = 100_000
#: Both ends of "between X and Y" within this distance: a stretch of road or river, a district.
BETWEEN_TOWNS_KM = 50.0


@dataclass(frozen=True)
class PlaceText:
    """What a place description supports: its precision and the areas it names."""

    precision: PlacePrecision
    country: str | None = None
    admin1: str | None = None
    reason: str = ""
    town: str | None = None  # the town named, when the text supports a town


def _has(text: str, phrases: tuple[str, ...]) -> str | None:
    for p in phrases:
        key = normalise(p) if p.isascii() else p
        hay = text if not p.isascii() else f" {text} "
        if (key in hay) if not p.isascii() else (f" {key} " in hay):
            return p
    return None


@lru_cache(maxsize=1)
def _admin_areas() -> dict[str, tuple[str, frozenset[str]]]:
    """Admin-1 names of the gazetteer, keyed without their kind word ("Kerman province" ->
    "kerman"): the gazetteer's spelling and the countries that have one of that name."""
    from intel.gazetteer import _admin_key, get_gazetteer

    places = get_gazetteer().places
    found: dict[str, tuple[str, set[str]]] = {}
    for name, cc in zip(places["admin1"].tolist(), places["country"].tolist(), strict=True):
        if isinstance(name, str) and name:
            found.setdefault(_admin_key(name), (name, set()))[1].add(cc)
    return {k: (name, frozenset(ccs)) for k, (name, ccs) in found.items()}


def _country_of(raw: str, *, last: bool) -> str | None:
    """A part that is a country's name (or, as the last part, its code: "Calexico, CA" is not
    Canada, "..., USA" is the United States)."""
    from intel.gazetteer import countries_named, country_from_text

    named = countries_named(raw)
    if len(named) == 1:
        return named[0]
    if last and len(raw.strip()) >= 3:
        return country_from_text(raw)
    return None


def _countries_only(key: str) -> bool:
    """Whether normalised words are two or more country names or adjectives and nothing else."""
    from intel.gazetteer import country_from_text

    words = key.split()
    if len(words) < 2:
        return False
    ok = [True] + [False] * len(words)  # ok[i]: words[:i] splits into country names
    for i in range(len(words)):
        if ok[i]:
            for j in range(i + 1, min(len(words), i + 5) + 1):
                if country_from_text(" ".join(words[i:j])):
                    ok[j] = True
    return ok[-1] and not country_from_text(key)


Part = tuple[str, str | None, str | None, str | None]


def _part(text: str, countries: tuple[str, ...], *, last: bool = False) -> Part:
    """Classify one part of a place text: (kind, country, admin1, town name), kind one of
    country, region, district, town, other, empty."""
    from intel.gazetteer import _admin_key, get_gazetteer

    raw = text.strip()
    key = normalise(raw)
    if not key or set(key.split()) <= DIRECTIONS:
        return "empty", None, None, None
    cc = _country_of(raw, last=last)
    if cc is not None:
        return "country", cc, None, None
    if _countries_only(key):
        return "empty", None, None, None  # "Syria-Turkey", "Syrian/Turkish": the border, not a place
    words = set(key.split())
    bare = RELATIVE.sub("", key).strip()
    area = _admin_areas().get(_admin_key(bare))
    area_ccs = (area[1] & set(countries)) if (area and countries) else (area[1] if area else frozenset())
    area_name = area[0] if area and area_ccs else None
    area_cc = next(iter(area_ccs)) if len(area_ccs) == 1 else (countries[0] if len(countries) == 1 else None)
    if words & DISTRICT_WORDS:
        return "district", area_cc if area_name else None, None, None
    if words & REGION_WORDS:
        return "region", area_cc, area_name or raw, None
    towns = get_gazetteer().candidates(bare) if bare else []
    if countries:
        towns = [t for t in towns if t.country in countries]
    big = bool(towns) and towns[0].population >= TOWN_OVER_AREA
    if area_name and not big:
        return "region", area_cc, area_name, None
    if towns:
        return "town", towns[0].country, towns[0].admin1, bare
    return "other", None, None, None


def _strip_phrases(text: str, phrases: tuple[str, ...]) -> str:
    out = text
    for p in phrases:
        key = normalise(p) if p.isascii() else p
        out = re.sub(rf"(?<!\w){re.escape(key)}(?!\w)", " , ", out)
    return out


def _finest(parts: list[Part], reason: str) -> PlaceText:
    order = {"town": PlacePrecision.TOWN, "district": PlacePrecision.DISTRICT,
             "region": PlacePrecision.REGION, "country": PlacePrecision.COUNTRY}  # fmt: skip
    found = [(order[k], c, a, t) for k, c, a, t in parts if k in order]
    # a text goes from the particular to the general ("Douglas, Arizona"): its last part with a
    # country rules, and an earlier part of another country is a namesake (Douglas, Isle of Man)
    outer = next((c for _, c, _, _ in reversed(found) if c), None)
    found = [f for f in found if f[1] in (None, outer)]
    if not found:
        return PlaceText(PlacePrecision.UNSPECIFIED, None, None, reason)
    prec, cc, admin1, town = min(found, key=lambda t: t[0].rank)
    # the country the text names wins over a namesake town's
    named = next((c for p, c, _, _ in reversed(found) if p is PlacePrecision.COUNTRY), None)
    country = named or cc or next((c for _, c, _, _ in found if c), None)
    if prec not in (PlacePrecision.REGION, PlacePrecision.TOWN):
        admin1 = None
    return PlaceText(prec, country, admin1, reason, town if prec is PlacePrecision.TOWN else None)


def _normal_text(text: str) -> str:
    """Lower-case, accents off, brackets out, commas kept (Arabic kept as written)."""
    no_brackets = re.sub(r"\([^)]*\)", " ", text).replace("،", ",")
    parts = [normalise(p) if not _arabic(p) else p.strip() for p in no_brackets.split(",")]
    return ", ".join(p for p in parts)


def _arabic(text: str) -> bool:
    return any("\u0600" <= ch <= "\u06ff" for ch in text)


def _between_towns(a: str, b: str) -> bool:
    from intel.gazetteer import get_gazetteer, haversine_km

    gaz = get_gazetteer()
    ta, tb = gaz.candidates(RELATIVE.sub("", a).strip()), gaz.candidates(RELATIVE.sub("", b).strip())
    if not ta or not tb:
        return False
    return haversine_km(ta[0].lat, ta[0].lon, tb[0].lat, tb[0].lon) <= BETWEEN_TOWNS_KM


@lru_cache(maxsize=65536)
def describe_place(text: str) -> PlaceText | None:
    """What a free-text place supports, or None when the words leave it to the coordinates
    (a text that names a river, a ranch or a road, or names nothing at all).

    >>> describe_place("Pima County jurisdiction, Arizona, USA").precision
    <PlacePrecision.DISTRICT: 'district'>
    >>> describe_place("Kerman province, Iran").precision
    <PlacePrecision.REGION: 'region'>
    >>> describe_place("Near Kismayo, Somalia").precision
    <PlacePrecision.TOWN: 'town'>
    >>> describe_place("Rio Bravo, near Ejido El Saucito, Guerrero, Coahuila, Mexico") is None
    True
    """
    if not text or not text.strip():
        return None
    flat = _normal_text(text)
    plain = flat.replace(",", " ")
    if not plain.strip():
        return None
    # the last named country helps tell a town from its namesakes
    raw_parts = [p.strip() for p in re.sub(r"\([^)]*\)", " ", text).replace("،", ",").split(",") if p.strip()]
    last_cc = next((c for p in reversed(raw_parts) if (c := _country_of(p, last=True))), None)
    hint = (last_cc,) if last_cc else ()
    placeholder = _has(plain, PLACEHOLDERS)
    sea = _has(plain, SEA)
    border = _has(plain, BORDER)
    between = BETWEEN.search(flat)
    off = OFF_COAST.search(flat)
    if between is not None:
        a, b = (between.group(1) or between.group(3)), (between.group(2) or between.group(4))
        ends = [_part(x.split(",")[0], hint, last=True)[0] for x in (a or "", b or "")]
        b = b or ""
        if sea or "country" in ends:
            return PlaceText(PlacePrecision.UNSPECIFIED, None, None, "a crossing between countries or at sea")
        if ends == ["town", "town"]:
            if _between_towns(a, b.split(",")[0]):
                return PlaceText(PlacePrecision.DISTRICT, hint[0] if hint else None, None,
                                 f"between two towns within {BETWEEN_TOWNS_KM:g} km")  # fmt: skip
            return PlaceText(PlacePrecision.UNSPECIFIED, None, None, "a stretch between two distant towns")
    if off is not None:
        tail = [p for p in (off.group(1) or off.group(2) or "").split(",") if p.strip()]
        parts = [_part(p, hint, last=k == len(tail) - 1) for k, p in enumerate(tail)]
        if parts and parts[0][0] in ("town", "district"):
            return PlaceText(PlacePrecision.DISTRICT, parts[0][1] or (hint[0] if hint else None), None,
                             "off the coast of a town")  # fmt: skip
        found = _finest([p for p in parts if p[0] in ("region", "country")], "off a coast")
        if found.precision is PlacePrecision.UNSPECIFIED:
            return found
        return replace(found, reason=f"off the coast of a {found.precision}")
    if placeholder or sea or border:
        why = placeholder or sea or border
        phrases = tuple(p for p in (placeholder, sea, border) if p)
        rest = _strip_phrases(flat, phrases)
        pieces = [p for p in re.split(r"[,]| near | in | on | of | en | a ", rest) if p.strip()]
        parts = [_part(p, hint, last=i == len(pieces) - 1) for i, p in enumerate(pieces)]
        if not (placeholder or sea) and any(p[0] == "other" for p in parts):
            return None  # "Moyale, on the border with Kenya": a place we do not know, at a border
        kind = "placeholder" if placeholder else ("open water" if sea else "border")
        found = _finest(parts, f"{kind} {why!r}")
        if sea and found.precision.rank < PlacePrecision.DISTRICT.rank:
            found = replace(found, precision=PlacePrecision.DISTRICT, town=None)  # at sea near a town
        return found
    parts = [_part(p, hint, last=i == len(raw_parts) - 1) for i, p in enumerate(raw_parts)]
    if not parts or any(p[0] in ("other", "empty") for p in parts):
        return None
    found = _finest(parts, "")
    what = {"town": "a town and its areas", "district": "a district", "region": "a region",
            "country": "a country"}[found.precision.value]  # fmt: skip
    return replace(found, reason=f"the place names no more than {what}")
