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


def geocode(values: pd.DataFrame, reasons: np.ndarray, *, require_location: bool) -> pd.DataFrame:
    """Fill ``lat``, ``lon``, ``country``, ``admin1`` and ``place``; record failures in ``reasons``."""
    from intel.gazetteer import get_gazetteer

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

    half = (has_lat ^ has_lon) & pending
    if half.any():
        reasons[half] = "only one of lat/lon is given; give both (decimal degrees) or neither"

    place = v["place"]
    has_place = place.notna().to_numpy() & (place.fillna("").to_numpy() != "")
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
            # the country from its shape (a nearest town may be across a border)
            from intel.gazetteer import countries_at

            found = countries_at(lat[rows[no_country]], lon[rows[no_country]])
            countries[rows[no_country]] = np.where(pd.isna(found), near_country[no_country], found)
        unnamed = np.fromiter(
            (x is None or x == "" for x in names[rows].tolist()), dtype=bool, count=len(rows)
        )
        names[rows[unnamed]] = near_name[unnamed]
        admin1[rows[unnamed]] = near_admin[unnamed]
        v["country"], v["place"], v["admin1"] = (_obj(a, v.index) for a in (countries, names, admin1))

    if require_location:
        nowhere = ~located & pd.isna(reasons)
        if nowhere.any():
            reasons[nowhere] = (
                "the row has no place and no lat/lon; fill column 'place' (a town) or 'lat' and 'lon'"
            )
    v["lat"], v["lon"] = lat, lon
    return v
