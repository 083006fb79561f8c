"""Place every row: resolve place names, reverse-geocode lat/lon, check the country.

Coordinates are EPSG:4326. Names are resolved once per distinct (place, country) pair; points
without a country get the country of their nearest gazetteer place in one vectorised query.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from intel.errors import CounterflowError

log = logging.getLogger(__name__)


#: A point this close to a gazetteer place takes that place's country (see ``geocode``).
TOWN_KM = 10.0


@lru_cache(maxsize=65536)
def _resolve(name: str, country: str | None) -> object:
    """A place, or the reason it cannot be placed (once per name and country in a process)."""
    from intel.gazetteer import get_gazetteer

    try:
        return get_gazetteer().resolve(name, country)
    except CounterflowError as exc:  # AmbiguousPlace and NotFound included
        return f"{exc.problem}; {exc.fix}"


def _obj(values: np.ndarray, index: pd.Index) -> pd.Series:
    # kept as Python objects: a bare array would become Arrow strings and be converted back later
    return pd.Series(values, index=index, dtype=object)


def _texts(v: pd.DataFrame, has_place: np.ndarray) -> list[Any]:
    """Per row, what its place's words support (``describe_place`` of ``location``, else of
    ``place``; once per distinct text), or None."""
    from intel.precision import describe_place

    place = v["place"].to_numpy(dtype=object)
    loc = v["location"].to_numpy(dtype=object) if "location" in v else np.full(len(v), None, dtype=object)
    text = [
        a if isinstance(a, str) and a else (b if h else None)
        for a, b, h in zip(loc.tolist(), place.tolist(), has_place.tolist(), strict=True)
    ]
    codes, uniques = pd.factorize(np.array(text, dtype=object))
    got = [describe_place(str(t)) for t in uniques.tolist()] + [None]
    return [got[c] for c in codes.tolist()]


def _words_country(v: pd.DataFrame, rows: np.ndarray) -> list[str | None]:
    """The country the last comma part of each row's place words names exactly, if any
    ("..., Nuevo Laredo, Mexico": MX); never a guess (``intel.countries``)."""
    from intel.gazetteer import country_from_text

    none = np.full(len(rows), None, dtype=object)
    loc = v["location"].to_numpy(dtype=object)[rows] if "location" in v else none
    place = v["place"].to_numpy(dtype=object)[rows] if "place" in v else none
    # ``location`` where the row has one, else ``place`` (as ``_texts``): a spec's empty location
    # column must not hide the country the place's words name
    texts = np.array(
        [a if isinstance(a, str) and a else b for a, b in zip(loc.tolist(), place.tolist(), strict=True)],
        dtype=object,
    )
    out: list[str | None] = []
    for text in texts.tolist():
        last = text.rsplit(",", 1)[-1].strip() if isinstance(text, str) and "," in text else ""
        out.append(country_from_text(last) if len(last) >= 3 else None)
    return out


def geocode(values: pd.DataFrame, reasons: np.ndarray, *, require_location: bool) -> pd.DataFrame:
    """Fill ``lat``, ``lon``, ``country``, ``admin1``, ``place`` and ``place_precision`` (with
    ``place_precision_reason`` where it is coarser than a point); record failures in ``reasons``.

    The precision is the coarsest of what the file states (``place_precision``), how the place
    was found (a town's name: ``town``; only a country: ``country``), the rounding of given
    coordinates, a country's stand-in point under them, and the words of ``location`` or
    ``place`` (see ``intel.precision``). A place given only by words coarser than a town (no
    lat/lon) is stored at the country and region it names, without coordinates.
    """
    from intel.gazetteer import get_gazetteer
    from intel.precision import PLACE_PRECISIONS, ROUNDING, PlacePrecision, country_point_at

    n = len(values)
    v = values
    for col in ("lat", "lon"):
        if col not in v:
            v[col] = np.full(n, np.nan)
    for col in ("place", "country", "admin1"):
        if col not in v:
            v[col] = pd.Series([None] * n, dtype=object)
    lat = v["lat"].to_numpy(dtype="float64", copy=True)
    lon = v["lon"].to_numpy(dtype="float64", copy=True)
    has_lat, has_lon = ~np.isnan(lat), ~np.isnan(lon)
    pending = pd.isna(reasons)
    given_xy = has_lat & has_lon
    levels = np.array(PLACE_PRECISIONS, dtype=object)
    rank_of = {p: i for i, p in enumerate(PLACE_PRECISIONS)}
    rank = np.zeros(n, dtype=np.int64)  # index into PLACE_PRECISIONS: 0 = point
    why = np.full(n, None, dtype=object)

    def coarsen(rows: np.ndarray, to: Any, reason: Any) -> None:
        """Make ``rows`` at least as coarse as ``to`` (one value or one per row), saying why."""
        if not len(rows):
            return
        tos = np.broadcast_to(np.asarray(to, dtype=object), rows.shape)
        to_rank = np.fromiter((rank_of[str(t)] for t in tos.tolist()), dtype=np.int64, count=len(rows))
        up = to_rank > rank[rows]
        rank[rows[up]] = to_rank[up]
        why[rows[up]] = np.broadcast_to(np.asarray(reason, dtype=object), rows.shape)[up]

    half = (has_lat ^ has_lon) & pending
    if half.any():
        reasons[half] = "only one of lat/lon is given; give both (decimal degrees) or neither"

    place = v["place"]
    has_place = place.notna().to_numpy() & (place.fillna("").to_numpy() != "")
    described = _texts(v, has_place)
    # a place whose words name nothing finer than a district is not looked up as a town
    coarse_words = np.fromiter(
        (d is not None and d.precision.rank >= PlacePrecision.DISTRICT.rank for d in described),
        dtype=bool, count=n,
    )  # fmt: skip
    by_words = has_place & ~given_xy & coarse_words & pd.isna(reasons)
    if by_words.any():
        countries = v["country"].to_numpy(dtype=object).copy()
        admin1 = v["admin1"].to_numpy(dtype=object).copy()
        for i in np.flatnonzero(by_words).tolist():
            d = described[i]
            given = countries[i] if isinstance(countries[i], str) else None
            if given and d.country and given != d.country:
                reasons[i] = (
                    f"place {place.iat[i]!r} names the country {d.country}, but the country column says "
                    f"{given}; correct one of them"
                )
                continue
            if d.precision is PlacePrecision.UNSPECIFIED and not given:
                reasons[i] = (
                    f"place {place.iat[i]!r} names no town, region or country ({d.reason}); "
                    "give lat/lon or the country"
                )
                continue
            countries[i] = given or d.country
            if d.precision is PlacePrecision.REGION and not isinstance(admin1[i], str):
                admin1[i] = d.admin1
            rank[i], why[i] = rank_of[d.precision.value], d.reason
        v["country"] = _obj(countries, v.index)
        v["admin1"] = _obj(admin1, v.index)
        # the words were the place: no town of that name stands for it
        names = place.to_numpy(dtype=object).copy()
        names[by_words & pd.isna(reasons)] = None
        v["place"] = place = _obj(names, v.index)
        has_place = has_place & ~(by_words & pd.isna(reasons))
    # "Unspecified location in Mexico City, Mexico": the town it names
    town_words = np.fromiter(
        (d is not None and d.town is not None and d.reason.startswith("placeholder") for d in described),
        dtype=bool, count=n,
    )  # fmt: skip
    retown = has_place & ~given_xy & town_words & pd.isna(reasons)
    if retown.any():
        names = place.to_numpy(dtype=object).copy()
        for i in np.flatnonzero(retown).tolist():
            d = described[i]
            names[i] = f"{d.town}, {d.country}" if d.country else d.town
        v["place"] = place = _obj(names, v.index)

    named = has_place & ~(has_lat & has_lon) & pd.isna(reasons)
    gaz = None
    if named.any():
        gaz = get_gazetteer()
        idx = np.flatnonzero(named)
        countries = v["country"].to_numpy(dtype=object)
        names = place.to_numpy(dtype=object)
        admin1 = v["admin1"].to_numpy(dtype=object).copy()
        out_country = countries.copy()
        # one resolution per distinct (place, country hint); rows take theirs by code
        hints = [c if isinstance(c, str) else None for c in countries[idx].tolist()]
        keys = np.empty(len(idx), dtype=object)
        keys[:] = list(zip(names[idx].tolist(), hints, strict=True))
        codes, uniques = pd.factorize(keys)
        got = [_resolve(name, hint) for name, hint in uniques.tolist()]

        def of(attr: str, dtype: Any, fill: Any) -> np.ndarray:
            return np.array([fill if isinstance(g, str) else getattr(g, attr) for g in got], dtype=dtype)

        failed = np.array([isinstance(g, str) for g in got], dtype=bool)
        if failed.any():
            bad = failed[codes]
            reasons[idx[bad]] = np.array([g if isinstance(g, str) else None for g in got], dtype=object)[
                codes[bad]
            ]
        good = ~failed[codes]
        rows, at = idx[good], codes[good]
        lat[rows] = of("lat", "float64", np.nan)[at]
        lon[rows] = of("lon", "float64", np.nan)[at]
        out_country[rows] = of("country", object, None)[at]
        unset = np.fromiter((x is None for x in admin1[rows].tolist()), dtype=bool, count=len(rows))
        admin1[rows[unset]] = of("admin1", object, None)[at[unset]]
        v["country"] = _obj(out_country, v.index)
        v["admin1"] = _obj(admin1, v.index)
        coarsen(rows, PlacePrecision.TOWN, "resolved from a town's name")

    # given coordinates: their rounding and a country's stand-in point under them
    if given_xy.any():
        rows = np.flatnonzero(given_xy)
        dec = np.fmax(
            v["_lat_decimals"].to_numpy(dtype="float64")[rows] if "_lat_decimals" in v else np.nan,
            v["_lon_decimals"].to_numpy(dtype="float64")[rows] if "_lon_decimals" in v else np.nan,
        )
        for d, to in ROUNDING.items():
            hit = dec == d
            if hit.any():
                coarsen(rows[hit], to, f"coordinates rounded to {d} decimal{'s' if d != 1 else ''}")
        on_point = country_point_at(lat[rows], lon[rows])
        hit = ~pd.isna(on_point)
        if hit.any():
            coarsen(rows[hit], PlacePrecision.COUNTRY,
                    np.array([f"coordinates on the stand-in point of {c}" for c in on_point[hit]], dtype=object))  # fmt: skip
            countries = v["country"].to_numpy(dtype=object).copy()
            for i, c in zip(rows[hit].tolist(), on_point[hit].tolist(), strict=True):
                if not isinstance(countries[i], str):
                    countries[i] = c
            v["country"] = _obj(countries, v.index)
    # the words of the place, for rows placed by coordinates or by a town's name
    worded = np.flatnonzero(
        np.fromiter((d is not None for d in described), dtype=bool, count=n) & ~by_words & pd.isna(reasons)
    )
    if len(worded):
        coarsen(worded, np.array([described[i].precision.value for i in worded], dtype=object),
                np.array([described[i].reason for i in worded], dtype=object))  # fmt: skip

    located = ~np.isnan(lat) & ~np.isnan(lon)
    needs_country = located & pd.isna(reasons) & (v["country"].isna().to_numpy() | ~has_place)
    if needs_country.any():
        gaz = gaz or get_gazetteer()
        near = gaz.nearest_index(lat[needs_country], lon[needs_country])
        table = gaz.places
        countries = v["country"].to_numpy(dtype=object).copy()
        names = v["place"].to_numpy(dtype=object).copy()
        admin1 = v["admin1"].to_numpy(dtype=object).copy()
        rows = np.flatnonzero(needs_country)
        near_country = table["country"].to_numpy()[near]
        near_name = table["name"].to_numpy()[near]
        near_admin = table["admin1"].to_numpy()[near]
        no_country = np.array([not isinstance(countries[i], str) for i in rows], dtype=bool)
        if no_country.any():
            # the country of the town the point is at, when one is within TOWN_KM (GeoNames
            # places are exact; the 1:110m country shapes are off by tens of kilometres along a
            # border: Sonoyta, Mexico, lies inside their United States); else from the shapes
            from intel.gazetteer import countries_at, haversine_km_many

            at = rows[no_country]
            found = countries_at(lat[at], lon[at])
            km = haversine_km_many(
                lat[at], lon[at], table["lat"].to_numpy()[near][no_country], table["lon"].to_numpy()[near][no_country]
            )
            at_town = km <= TOWN_KM
            countries[at] = np.where(at_town | pd.isna(found), near_country[no_country], found)
            # where the shape and the town disagree, a country the words name chooses between
            # them ("Rio Grande, near Hidalgo bridge, Nuevo Laredo, Mexico" beside Laredo, US)
            words = _words_country(v, at)
            for j, i in enumerate(at.tolist()):
                d = described[i]
                said = d.country if d is not None and d.country else words[j]
                if said is not None and said in (found[j], near_country[no_country][j]):
                    countries[i] = said
            # a place whose words name its country ("Unspecified location, Libya") is in that
            # country, wherever its stand-in point lies; one that names none ("between Libya and
            # Italy", a point at sea) is in none: the country under a placeholder is a guess
            for i in rows[no_country].tolist():
                d = described[i]
                if levels[rank[i]] == PlacePrecision.UNSPECIFIED.value:
                    countries[i] = None
                elif d is not None and d.country and d.precision.rank >= PlacePrecision.DISTRICT.rank:
                    countries[i] = d.country
        unnamed = np.fromiter(
            (x is None or x == "" for x in names[rows].tolist()), dtype=bool, count=len(rows)
        )
        # the nearest town names a place known to a district or better (a district's nearest town is
        # a fair label); a region gets no town's name, a country or open water not even a region's
        ranks = rank[rows]
        # only a town of the report's own country: across a border the nearest town labels the
        # wrong side ("Ciudad Juárez, Chihuahua" on a point in El Paso, Texas, that is in the US)
        same = np.fromiter(
            (c == nc for c, nc in zip(countries[rows].tolist(), near_country.tolist(), strict=True)),
            dtype=bool,
            count=len(rows),
        )
        town_ok = unnamed & same & (ranks <= PlacePrecision.DISTRICT.rank)
        area_ok = unnamed & same & (ranks <= PlacePrecision.REGION.rank)
        names[rows[town_ok]] = near_name[town_ok]
        admin1[rows[area_ok]] = near_admin[area_ok]
        v["country"], v["place"], v["admin1"] = (_obj(a, v.index) for a in (countries, names, admin1))

    # no coordinates: a country alone, or nothing
    country_known = v["country"].notna().to_numpy()
    alone = ~located & ~by_words & pd.isna(reasons)
    coarsen(np.flatnonzero(alone & country_known), PlacePrecision.COUNTRY, "only a country is given")
    coarsen(np.flatnonzero(alone & ~country_known), PlacePrecision.UNSPECIFIED, "no place is given")
    if "place_precision" in v:
        stated = v["place_precision"].to_numpy(dtype=object)
        rows = np.flatnonzero(pd.notna(stated))
        if len(rows):
            coarsen(rows, stated[rows], "as the source states")

    if require_location:
        nowhere = ~located & ~(by_words & country_known) & pd.isna(reasons)
        if nowhere.any():
            reasons[nowhere] = (
                "the row has no place and no lat/lon; fill column 'place' (a town) or 'lat' and 'lon'"
            )
    v["lat"], v["lon"] = lat, lon
    v["place_precision"] = _obj(levels[rank], v.index)
    v["place_precision_reason"] = _obj(why, v.index)
    return v
