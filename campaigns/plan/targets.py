"""Targets a person adds to a plan or merges, beside the ones the planner proposed.

A target is added by a place's name (resolved through the gazetteer, as every typed place is:
an ambiguous or unknown name is refused with its candidates, never guessed) or by ``lat, lon``,
with a radius. Two targets are merged into the first, whose circle grows to cover the second
(as the planner merges a hotspot inside another's circle), within the planner's largest radius.

>>> read_place("6.335, 5.627")
(6.335, 5.627)
>>> read_place("Benin City") is None
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from campaigns.plan.planner import RADIUS_BOUNDS_KM, Audience, _teen_city
from campaigns.plan.reach import estimate_reach
from campaigns.policy import is_eu, radius_problem
from intel.errors import CounterflowError
from intel.gazetteer import country_at, get_gazetteer, haversine_km, timezone_at
from intel.models import Target

LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class NewTarget:
    """A target to add: a place's name or ``lat, lon``, and a radius in km."""

    place: str
    radius_km: float


def read_place(text: str) -> tuple[float, float] | None:
    """``(lat, lon)`` when ``text`` is two numbers, else None (a place's name)."""
    m = LATLON.match(text)
    if m is None:
        return None
    lat, lon = float(m.group(1)), float(m.group(2))
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise CounterflowError(
            f"the place {text!r} is not a latitude and longitude on Earth",
            "give lat between -90 and 90 and lon between -180 and 180, e.g. 6.335, 5.627",
        )
    return lat, lon


def _located(text: str) -> tuple[str, float, float, str, str | None, list[str]]:
    """Name, lat, lon, country, admin-1 and the notes of where a typed place is."""
    gaz = get_gazetteer()
    at = read_place(text)
    if at is not None:
        lat, lon = at
        near = gaz.nearest(lat, lon)
        country = country_at(lat, lon) or near.country
        admin1 = near.admin1 if near.country == country else None
        return f"{lat:.3f}, {lon:.3f} (near {near.name})", lat, lon, country, admin1, []
    if not text.strip():
        raise CounterflowError("the place to add was empty", "give a town's name or lat, lon")
    match = gaz.resolve_place(text.strip(), warn=False)
    p = match.place
    also = [f"{o.name} ({o.admin1}, {o.country_name})" for o in match.alternatives[:3]]
    return p.name, p.lat, p.lon, p.country, p.admin1, also


def added_target(campaign_id: int, new: NewTarget, audience: Audience) -> Target:
    """The target row for ``new`` (not stored): place, time zone, languages, population, reach."""
    problem = radius_problem(new.radius_km)
    if problem:
        raise CounterflowError(problem, "give a radius in km within the platform's bounds, e.g. 10")
    name, lat, lon, country, admin1, also = _located(new.place)
    langs = audience.languages_at(country, admin1)
    reach = estimate_reach(
        lat=lat,
        lon=lon,
        radius_km=new.radius_km,
        country=country,
        age_min=audience.age_min,
        age_max=audience.age_max,
        genders=audience.genders,
    )
    note: dict[str, Any] = {
        "level": "warn",
        "rule": "added",
        "object": f"target {name}",
        "problem": f"added by hand ({new.radius_km:g} km), not proposed by the hotspot run",
        "fix": "check that the place is on the route and where people are at risk",
    }
    if also:
        note["problem"] += f"; the name also means {', '.join(also)}"
    return Target(
        campaign_id=campaign_id,
        hotspot_id=None,
        name=name,
        lat=lat,
        lon=lon,
        radius_km=float(new.radius_km),
        country=country,
        admin1=admin1,
        timezone=timezone_at(lat, lon),
        languages="|".join(langs),
        population=reach.population,
        reach_estimate=reach.estimate,
        is_eu=is_eu(country),
        city=_teen_city(lat, lon),
        notes=[note],
    )


def merge_into(keep: Target, gone: Target, audience: Audience) -> dict[str, Any]:
    """Grow ``keep`` to cover ``gone``'s circle (its reach estimated again); returns the note.

    Refused when the grown circle would pass the planner's largest radius.
    """
    d = haversine_km(keep.lat, keep.lon, gone.lat, gone.lon)
    grown = round(max(keep.radius_km, d + gone.radius_km), 1)
    if grown > RADIUS_BOUNDS_KM[1]:
        raise CounterflowError(
            f"targets {keep.name} and {gone.name} are {d:.1f} km apart: one circle around both would need "
            f"{grown:g} km, over the largest radius of {RADIUS_BOUNDS_KM[1]:g} km",
            "keep both targets, or drop one of them",
        )
    note = {
        "level": "warn",
        "rule": "merged",
        "object": f"target {keep.name}",
        "problem": f"target {gone.name} ({d:.1f} km away) was merged into it by hand",
        "fix": f"radius grown from {keep.radius_km:g} to {grown:g} km",
    }
    keep.radius_km = grown
    keep.notes = [*(keep.notes or []), note]
    reach = estimate_reach(
        lat=keep.lat,
        lon=keep.lon,
        radius_km=grown,
        country=keep.country,
        age_min=audience.age_min,
        age_max=audience.age_max,
        genders=audience.genders,
    )
    keep.population, keep.reach_estimate = reach.population, reach.estimate
    return note
