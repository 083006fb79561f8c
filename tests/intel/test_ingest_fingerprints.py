"""Fingerprints stay the same content hash whatever the implementation: re-imports of rows stored
by earlier versions must still be recognised."""

from __future__ import annotations

import numpy as np
import pandas as pd

from intel.ingest.dedup import FINGERPRINT_COLUMNS, fingerprints


def _reference(values: pd.DataFrame) -> list[str]:
    """The definition: pandas' frame hash of the columns and the copy number, two keys."""
    data = {}
    for c in FINGERPRINT_COLUMNS:
        if c in ("lat", "lon"):
            data[c] = values[c].astype("float64").round(5)
        elif c == "observed_on":
            data[c] = values[c].astype("datetime64[ns]")
        elif c in values:
            col = values[c].astype(object)
            data[c] = col.where(col.notna(), None)
    cols = pd.DataFrame(data)
    base = pd.Series(pd.util.hash_pandas_object(cols, index=False, hash_key="counterflowfp-01").to_numpy())
    cols["_k"] = base.groupby(base).cumcount().to_numpy().astype("uint64")
    h1 = pd.util.hash_pandas_object(cols, index=False, hash_key="counterflowfp-01").to_numpy()
    h2 = pd.util.hash_pandas_object(cols, index=False, hash_key="counterflowfp-02").to_numpy()
    return [f"{a:016x}{b:016x}" for a, b in zip(h1.tolist(), h2.tolist(), strict=True)]


def test_fingerprints_match_the_definition():
    rng = np.random.default_rng(1)
    n = 500
    values = pd.DataFrame(
        {
            "observed_on": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 30, n), unit="D"),
            "lat": np.where(rng.random(n) < 0.1, np.nan, rng.normal(10, 1, n)),
            "lon": rng.normal(5, 1, n),
            "place": rng.choice(np.array(["Agadez", "Sabha", None, "Côte d'Ivoire"], dtype=object), n),
            "country": rng.choice(np.array(["NE", "LY", None], dtype=object), n),
            "exploitation": rng.choice(np.array(["sexual", "", "forced_labour|sexual"], dtype=object), n),
            "victim_count": rng.choice(np.array([1, 2, 3], dtype=object), n),
            "is_aggregate": False,
            "source_key": "news:x",
            "extra_json": "{}",
        }
    )
    values = pd.concat([values, values.iloc[:50]], ignore_index=True)  # identical rows get their own
    got = fingerprints(values, {})
    assert got.tolist() == _reference(values)
    assert len(set(got.tolist())) == len(values)
    assert fingerprints(values.iloc[:0], {}).tolist() == []


def test_identical_rows_across_batches_number_on():
    from intel.ingest.dedup import CopyCounts

    rng = np.random.default_rng(2)
    n = 120
    values = pd.DataFrame(
        {
            "observed_on": pd.to_datetime("2021-06-01") + pd.to_timedelta(rng.integers(0, 3, n), unit="D"),
            "lat": np.nan,
            "lon": np.nan,
            "country": rng.choice(np.array(["NG", "IT"], dtype=object), n),
            "exploitation": "sexual",
            "victim_count": 1,
            "is_aggregate": False,
            "source_key": "spreadsheet:ctdc",
            "extra_json": "{}",
        }
    )  # six distinct contents, about twenty copies of each
    whole = fingerprints(values, {}).tolist()
    assert whole == _reference(values) and len(set(whole)) == n
    compact, plain = CopyCounts(), {}
    by_batch, by_batch_dict = [], []
    for start in range(0, n, 7):  # 18 batches: the counts merge on the way (MERGE_AT = 8)
        part = values.iloc[start : start + 7].reset_index(drop=True)
        by_batch += fingerprints(part, compact).tolist()
        by_batch_dict += fingerprints(part, plain).tolist()
    assert by_batch == by_batch_dict == whole
    assert len(compact.chunks) < 8
