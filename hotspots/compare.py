"""What changed between two hotspot runs."""

from __future__ import annotations

import numpy as np
import pandas as pd


def compare_runs(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Compare two runs cell by cell.

    Parameters
    ----------
    before, after
        Hotspot frames with at least ``cell``, ``z``, ``bin`` and ``rank`` (``rank`` may be
        missing or NaN for unranked cells); e.g. the frames of
        ``intel.hotspot_store.load_run`` or ``HotspotResult.cells`` merged with ``ranked``.

    Returns
    -------
    DataFrame
        One row per cell present in either run with ``change`` in ``new`` (only after),
        ``gone`` (only before), ``became significant``, ``no longer significant``,
        ``stronger``, ``weaker``, ``same``; ``z_before``, ``z_after``, ``dz``, ``bin_before``,
        ``bin_after``, ``rank_before``, ``rank_after`` and ``rank_change`` (positive = moved
        up). Sorted with ranked and changed cells first.

    Examples
    --------
    >>> b = pd.DataFrame({"cell": ["a", "b"], "z": [3.0, 1.0], "bin": [2, 0], "rank": [1, None]})
    >>> a = pd.DataFrame({"cell": ["a", "c"], "z": [3.6, 2.8], "bin": [3, 2], "rank": [2, 1]})
    >>> compare_runs(b, a)[["cell", "change", "rank_change"]].values.tolist()
    [['c', 'new', nan], ['a', 'stronger', -1.0], ['b', 'gone', nan]]
    """
    cols = ["cell", "z", "bin", "rank", "place", "country", "count"]
    b = before.reindex(columns=cols).set_index("cell")
    a = after.reindex(columns=cols).set_index("cell")
    m = b.add_suffix("_before").join(a.add_suffix("_after"), how="outer")
    in_b = m.index.isin(b.index)
    in_a = m.index.isin(a.index)
    sig_b = m["bin_before"].fillna(0).to_numpy() > 0
    sig_a = m["bin_after"].fillna(0).to_numpy() > 0
    dz = (m["z_after"] - m["z_before"]).to_numpy(float)
    change = np.select(
        [
            ~in_b,
            ~in_a,
            sig_a & ~sig_b,
            sig_b & ~sig_a,
            np.nan_to_num(dz) > 0.5,
            np.nan_to_num(dz) < -0.5,
        ],
        ["new", "gone", "became significant", "no longer significant", "stronger", "weaker"],
        default="same",
    )
    out = pd.DataFrame(
        {
            "cell": m.index,
            "place": m["place_after"].fillna(m["place_before"]).to_numpy(),
            "country": m["country_after"].fillna(m["country_before"]).to_numpy(),
            "change": change,
            "z_before": m["z_before"].to_numpy(float),
            "z_after": m["z_after"].to_numpy(float),
            "dz": dz,
            "bin_before": m["bin_before"].to_numpy(float),
            "bin_after": m["bin_after"].to_numpy(float),
            "count_before": m["count_before"].to_numpy(float),
            "count_after": m["count_after"].to_numpy(float),
            "rank_before": m["rank_before"].to_numpy(float),
            "rank_after": m["rank_after"].to_numpy(float),
        }
    )
    out["rank_change"] = out["rank_before"] - out["rank_after"]
    key_rank = out["rank_after"].fillna(out["rank_before"]).fillna(np.inf)
    out = out.assign(_r=key_rank, _c=(out["change"] == "same")).sort_values(["_c", "_r", "cell"])
    return out.drop(columns=["_r", "_c"]).reset_index(drop=True)


def summarise(diff: pd.DataFrame) -> str:
    """One line: how many cells are new, gone, became significant, ..."""
    counts = diff["change"].value_counts()
    parts = [f"{int(counts[c])} {c}" for c in counts.index if c != "same"]
    moved = diff["rank_change"].dropna()
    moved = moved[moved != 0]
    if len(moved):
        parts.append(f"{len(moved)} ranked hotspot(s) moved")
    return ", ".join(parts) if parts else "no change"
