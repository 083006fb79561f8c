"""Reach estimates per target, before any platform is connected.

``estimate = population within the radius x platform penetration x audience share``

* population within the radius: the offline gazetteer (``population_within``; an estimate, it
  over-counts where GeoNames lists a city's districts);
* penetration: the share of a country's people the platform can reach;
* audience share: the share of the population in the audience's ages (bands spread evenly over
  their years) times the share of the chosen genders.

The figures live in ``campaigns/data/reach.toml`` (configurable, rounded public figures).
When a channel is connected, pass ``estimate_fn``: it receives the ad set's targeting spec and
returns the platform's own estimate (e.g. the Marketing API ``delivery_estimate``) or ``None``;
a returned value replaces ours and ``source`` says ``platform``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from intel.gazetteer import Gazetteer, get_gazetteer

EstimateFn = Callable[[dict[str, Any]], int | None]
DATA = Path(__file__).parent / "data" / "reach.toml"


@lru_cache(maxsize=4)
def reach_table(path: Path = DATA) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _row(country: str, table: dict[str, Any]) -> dict[str, Any]:
    return table.get(country.upper()) or table["default"]


def penetration(country: str, *, table: dict[str, Any] | None = None) -> float:
    """Share of the population the platform reaches in a country."""
    return float(_row(country, table or reach_table())["penetration"])


def audience_share(
    country: str, age_min: int, age_max: int, genders: list[str], *, table: dict[str, Any] | None = None
) -> float:
    """Share of a country's population in ages ``age_min..age_max`` and the given genders.

    >>> round(audience_share("NG", 13, 17, []), 3)
    0.115
    >>> round(audience_share("NG", 13, 17, ["women"]), 4)
    0.0569
    """
    table = table or reach_table()
    row = _row(country, table)
    share = 0.0
    for (lo, hi), band in zip(table["bands"], row["age_share"], strict=True):
        overlap = min(hi, age_max) - max(lo, age_min) + 1
        if overlap > 0:
            share += band * overlap / (hi - lo + 1)
    g = set(genders)
    if g == {"women"}:
        share *= float(row["women_share"])
    elif g == {"men"}:
        share *= 1.0 - float(row["women_share"])
    return share


@dataclass(frozen=True)
class ReachEstimate:
    """A reach estimate for one target and its audience."""

    population: int
    penetration: float
    audience_share: float
    estimate: int
    platform_estimate: int | None
    source: str  # "gazetteer" or "platform"


def estimate_reach(
    *,
    lat: float,
    lon: float,
    radius_km: float,
    country: str,
    age_min: int,
    age_max: int,
    genders: list[str],
    targeting: dict[str, Any] | None = None,
    estimate_fn: EstimateFn | None = None,
    gazetteer: Gazetteer | None = None,
) -> ReachEstimate:
    """Estimate how many people of the audience the platform can reach around a point.

    Parameters
    ----------
    lat, lon
        Centre, EPSG:4326 degrees.
    radius_km
        Radius of the circle.
    country
        ISO-2 code choosing the penetration and age table.
    age_min, age_max, genders
        The audience (``genders``: ``[]`` for all, ``["women"]``, ``["men"]``).
    targeting
        The platform targeting spec handed to ``estimate_fn``.
    estimate_fn
        The platform's own estimate when a channel is connected; ``None`` keeps ours.

    Examples
    --------
    >>> r = estimate_reach(lat=6.338, lon=5.626, radius_km=10, country="NG",
    ...                    age_min=18, age_max=28, genders=["women"])
    >>> r.source, r.estimate > 0
    ('gazetteer', True)
    """
    gaz = gazetteer or get_gazetteer()
    population = gaz.population_within(lat, lon, radius_km)
    pen = penetration(country)
    share = audience_share(country, age_min, age_max, genders)
    ours = int(round(population * pen * share))
    platform = estimate_fn(targeting or {}) if estimate_fn is not None else None
    if platform is not None:
        return ReachEstimate(population, pen, share, int(platform), int(platform), "platform")
    return ReachEstimate(population, pen, share, ours, None, "gazetteer")
