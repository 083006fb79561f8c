"""Parameters of a hotspot analysis (one frozen value, stored with each run)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from intel.errors import CounterflowError

#: Source reliability (Admiralty A-F) -> weight. F ("cannot be judged") is not "unreliable" (E).
RELIABILITY_WEIGHT: dict[str, float] = {"A": 1.0, "B": 0.85, "C": 0.7, "D": 0.5, "E": 0.3, "F": 0.5}
#: Information credibility (1 confirmed .. 6 cannot be judged) -> weight.
CREDIBILITY_WEIGHT: dict[int, float] = {1: 1.0, 2: 0.85, 3: 0.7, 4: 0.5, 5: 0.3, 6: 0.5}


#: Ranking methods (see ``HotspotParams.method``).
METHODS = ("forecast", "gi", "counts")


@dataclass(frozen=True)
class HotspotParams:
    """Settings of one analysis.

    Attributes
    ----------
    resolution
        H3 resolution (0-15); ``None`` chooses it from the extent of the data.
    k
        Neighbourhood of Gi*: the cell plus its ``k``-ring (binary weights).
    half_life_days
        Recency decay: a report ``half_life_days`` older than ``as_of`` weighs half.
    as_of
        Reference date of the decay; ``None`` uses the newest report.
    corridor_km
        Full width of a route's corridor is twice this: the distance from the route line.
    top
        How many hotspots the ranking returns.
    time_step
        ``"month"``, ``"quarter"``, ``"year"`` or ``"auto"`` for emerging hot spot analysis.
    extent_quantile
        A hotspot's ``extent_km`` is the radius that covers this share of its reports.
    unit
        ``"h3"`` (hexagonal cells) or ``"place"`` (towns; Gi* over the 8 nearest places).
    min_separation_km
        Two ranked hotspots are at least this far apart; default: twice the spacing of
        neighbouring H3 cell centres per ring of ``k`` (about 90 km at resolution 4).
    trends
        Run the emerging hot spot analysis (Gi* per time step and Mann-Kendall).
    method
        How the ranking orders cells: ``"forecast"`` (the default: expected reports in the next
        ``horizon_days``, see :mod:`hotspots.forecast` and the backtests in the README),
        ``"gi"`` (FDR confidence bin, then weight) or ``"counts"`` (reports, then weight). Gi*
        and the trend are the explanation beside every pick whatever the method.
    horizon_days
        The period the forecast is for.
    """

    resolution: int | None = None
    k: int = 1
    half_life_days: float = 365.0
    as_of: dt.date | None = None
    corridor_km: float = 150.0
    top: int = 8
    time_step: str = "auto"
    extent_quantile: float = 0.8
    unit: str = "h3"
    min_separation_km: float | None = None
    trends: bool = True
    method: str = "forecast"
    horizon_days: int = 365
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.resolution is not None and not 0 <= self.resolution <= 15:
            raise CounterflowError(
                f"resolution was {self.resolution}", "H3 resolutions run from 0 to 15; try 4 to 7"
            )
        if self.half_life_days <= 0:
            raise CounterflowError(
                f"half-life was {self.half_life_days} days", "give a positive number of days"
            )
        if not 0 < self.corridor_km <= 2000:
            raise CounterflowError(f"corridor was {self.corridor_km} km", "it must be between 1 and 2000 km")
        if self.top < 1:
            raise CounterflowError(f"top was {self.top}", "ask for at least 1 hotspot")
        if self.k < 1:
            raise CounterflowError(f"k was {self.k}", "the neighbourhood ring must be 1 or more")
        if self.unit not in ("h3", "place"):
            raise CounterflowError(f"unit was {self.unit!r}", "use h3 or place")
        if self.method not in METHODS:
            raise CounterflowError(f"method was {self.method!r}", "use forecast, gi or counts")
        if self.horizon_days < 7:
            raise CounterflowError(f"horizon was {self.horizon_days} days", "forecast 7 days or more")
        if self.time_step not in ("auto", "month", "quarter", "year"):
            raise CounterflowError(f"time step was {self.time_step!r}", "use month, quarter, year or auto")

    def with_(self, **kw: Any) -> HotspotParams:
        return replace(self, **kw)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat() if self.as_of else None
        return d
