"""Ranking hotspots: significance first, then score, spread along a route, never crowded."""

from __future__ import annotations

import numpy as np
import pandas as pd

from hotspots import h3cells
from hotspots.params import HotspotParams
from hotspots.routes import RouteSpec, unit_xyz
from intel.gazetteer import EARTH_RADIUS_KM


def rank_hotspots(
    cells: pd.DataFrame, *, params: HotspotParams, route: RouteSpec | None = None
) -> pd.DataFrame:
    """The top ``params.top`` hotspots.

    With ``params.method == "forecast"`` (and a ``forecast`` column) the candidates are the units
    that hold reports, by expected reports next period, then weight; with ``"counts"`` by
    reports, then weight; with ``"gi"`` as follows. Candidates are the significant hot units (``bin > 0``) ordered by ``bin`` then ``weight``;
    when there are fewer than ``top``, the rest are filled with the heaviest non-significant
    units that hold reports and have ``z > 0`` (their reasons say ``significant: False``). A candidate closer than
    ``min_separation_km`` to one already picked is skipped (a hotspot spans several cells).
    Along a route, picks go round the segments: every segment with a candidate gets its best
    before any segment gets a second one.

    Returns
    -------
    DataFrame
        The chosen rows of ``cells`` with ``rank`` (1 = first) and ``round`` (1 = first pass).
    """
    if cells.empty:
        return cells.assign(rank=pd.Series(dtype="int64"), round=pd.Series(dtype="int64"))
    sep = params.min_separation_km
    if sep is None:
        res = params.resolution if params.resolution is not None and params.unit == "h3" else None
        # twice the spacing of neighbouring cell centres (sqrt(3) x edge) per ring: a pick's own
        # ring is one hotspot with it, the next ring may be another
        sep = float(h3cells.EDGE_KM[res] * np.sqrt(3) * 2 * params.k) if res is not None else 0.0
    # confidence first, then the evidence itself: among cells hot at 99 %, the one with the most
    # weighted reports is the better target (it also predicts the next period better than z
    # alone: see `counterflow evaluate`)
    keys = {
        "gi": ["bin", "weight", "z"],
        "counts": ["count", "weight", "z"],
        "forecast": ["forecast", "weight", "z"],
    }[
        params.method
        if params.method != "forecast" or cells.get("forecast", pd.Series(dtype=float)).notna().any()
        else "gi"
    ]
    if keys[0] != "bin":
        # one pool ordered by the method's score; Gi* stays beside each pick as the explanation
        sig = cells[cells["count"] > 0].sort_values(keys, ascending=False, kind="stable")
        rest = sig.iloc[0:0]
    else:
        sig = cells[(cells["bin"] > 0) & (cells["count"] > 0)].sort_values(keys, ascending=False)
        # fill only with cells that still lean hot (z > 0): a cold or neutral cell is no hotspot
        rest = cells[(cells["bin"] <= 0) & (cells["count"] > 0) & (cells["z"] > 0)].sort_values(
            ["weight", "z"], ascending=False
        )
    picked: list[int] = []
    rounds: list[int] = []
    xyz = unit_xyz(cells["lat"].to_numpy(), cells["lon"].to_numpy())
    pos = {idx: i for i, idx in enumerate(cells.index)}

    def far_enough(idx: int) -> bool:
        if sep <= 0 or not picked:
            return True
        a = xyz[pos[idx]]
        b = xyz[[pos[p] for p in picked]]
        d = np.arctan2(np.linalg.norm(np.cross(b, a), axis=1), b @ a) * EARTH_RADIUS_KM
        return bool((d >= sep).all())

    for pool in (sig, rest):
        if len(picked) >= params.top:
            break
        if route is None or pool["segment"].isna().all():
            for idx in pool.index:
                if len(picked) >= params.top:
                    break
                if far_enough(idx):
                    picked.append(idx)
                    rounds.append(1 if pool is sig else 2)
            continue
        queues = {int(str(s)): list(g.index) for s, g in pool.groupby("segment", sort=True)}
        rnd = max(rounds, default=0)  # the fill pool starts after the significant rounds
        strength = {idx: tuple(float(v) for v in vals) for idx, vals in zip(
            pool.index, pool[keys].to_numpy(), strict=True)}  # fmt: skip
        while len(picked) < params.top and any(queues.values()):
            rnd += 1
            for q in queues.values():
                while q and not far_enough(q[0]):
                    q.pop(0)
            # each segment once per round, the strongest heads first: a weak cell of an early
            # segment must not crowd out a strong one next to it on the following segment
            order = sorted(
                (s for s, q in queues.items() if q), key=lambda s: strength[queues[s][0]], reverse=True
            )
            for s in order:
                q = queues[s]
                while q and not far_enough(q[0]):
                    q.pop(0)
                if q and len(picked) < params.top:
                    picked.append(q.pop(0))
                    rounds.append(rnd)
    out = cells.loc[picked].copy()
    out["round"] = rounds
    if route is not None:
        # within a round, strongest first; rounds in order
        out = out.sort_values(["round", *keys[:2]], ascending=[True, False, False], kind="stable")
    out["rank"] = np.arange(1, len(out) + 1)
    return out
