"""Ingest benchmark: store write alone and the whole path, against pandas.to_sql in the same run.

    python bench/ingest_bench.py              # 1M generated rows
    python bench/ingest_bench.py --rows 100000

Generates a CSV in the generic ``reports`` format (70% place names, 30% lat/lon points, dates
over five years, several sources and exploitation types), then measures on fresh SQLite stores:

* pandas.to_sql: the prepared report rows appended to the store's ``report`` table (baseline);
* store write: the same rows through ``intel.ingest.writer.insert_reports``;
* whole path: ``ingest_file`` on the CSV (read, map, validate, geocode, fingerprint, de-duplicate,
  write, in 50k-row batches, in one transaction).

Prints rows/s, the ratio to pandas.to_sql, and the peak resident memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from intel.db import get_engine, session_scope
from intel.ingest import ingest_file
from intel.ingest.writer import REPORT_INSERT_COLUMNS, insert_reports
from intel.settings import Settings

COUNTRIES = ["NG", "NE", "LY", "IT", "TN", "ML", "BF", "SD", "ER", "ET", "MA", "DZ", "EG", "GH", "SN", "CM"]
TYPES = ["sexual", "forced_labour", "domestic_servitude", "begging", "sexual|forced_labour"]
SOURCES = [("news", "Vanguard"), ("news", "RFI"), ("ngo_report", "Pathfinders"), ("law_enforcement", "NAPTIP"),
           ("court", "Edo High Court"), ("spreadsheet", "field notes"), ("app_tip", "app")]  # fmt: skip


def towns(n: int = 300) -> pd.DataFrame:
    from intel.gazetteer import get_gazetteer

    p = get_gazetteer().places
    p = p[p["country"].isin(COUNTRIES)].sort_values("population", ascending=False)
    p = p.drop_duplicates("key")
    keep = []
    gaz = get_gazetteer()
    for row in p.itertuples():
        try:
            if gaz.resolve(row.name, row.country).name == row.name:
                keep.append(row.Index)
        except Exception:
            continue
        if len(keep) >= n:
            break
    return p.loc[keep, ["name", "country", "lat", "lon"]].reset_index(drop=True)


def generate(path: Path, rows: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    t = towns()
    pick = rng.integers(0, len(t), rows)
    days = rng.integers(0, 5 * 365, rows)
    start = np.datetime64("2019-01-01")
    src = rng.integers(0, len(SOURCES), rows)
    by_point = rng.random(rows) < 0.3
    lat = t["lat"].to_numpy()[pick] + rng.normal(0, 0.05, rows)
    lon = t["lon"].to_numpy()[pick] + rng.normal(0, 0.05, rows)
    frame = pd.DataFrame(
        {
            "date": (start + days.astype("timedelta64[D]")).astype(str),
            "place": np.where(by_point, "", t["name"].to_numpy()[pick]),
            "country": t["country"].to_numpy()[pick],
            "lat": np.where(by_point, np.round(lat, 5).astype(str), ""),
            "lon": np.where(by_point, np.round(lon, 5).astype(str), ""),
            "exploitation": np.array(TYPES)[rng.integers(0, len(TYPES), rows)],
            "source_kind": np.array([k for k, _ in SOURCES])[src],
            "source": np.array([n for _, n in SOURCES])[src],
            "victim_count": rng.integers(1, 6, rows),
        }
    )
    frame.to_csv(path, index=False)


def prepared_rows(rows: int, seed: int = 11) -> pd.DataFrame:
    """Report rows as the writer receives them (after mapping and geocoding)."""
    rng = np.random.default_rng(seed)
    t = towns()
    pick = rng.integers(0, len(t), rows)
    frame = pd.DataFrame(
        {
            "source_id": 1,
            "import_id": 1,
            "line": np.arange(2, rows + 2),
            "observed_on": np.datetime64("2019-01-01") + rng.integers(0, 1800, rows).astype("timedelta64[D]"),
            "language": None,
            "summary": None,
            "reliability": "C",
            "credibility": 3,
            "exploitation": np.array(TYPES)[rng.integers(0, len(TYPES), rows)],
            "recruitment": "",
            "control": "",
            "transport": "",
            "age_band": None,
            "gender": None,
            "victim_count": rng.integers(1, 6, rows),
            "is_aggregate": False,
            "place": t["name"].to_numpy()[pick],
            "admin1": None,
            "country": t["country"].to_numpy()[pick],
            "lat": t["lat"].to_numpy()[pick],
            "lon": t["lon"].to_numpy()[pick],
            "role": "incident",
            "origin": None,
            "transit": "",
            "destination": None,
            "fingerprint": [f"{i:032x}" for i in range(rows)],
            "duplicate_of": None,
            "simulated": False,
            "extra": "{}",
        }
    )
    return frame


def fresh_store(root: Path, name: str) -> Settings:
    settings = Settings(
        environment="test", home=root / name, database_url=f"sqlite:///{root / name / 'store.db'}"
    )
    engine = get_engine(settings)
    with session_scope(engine) as s:  # a source and an import for the foreign keys
        s.connection().exec_driver_sql(
            "INSERT INTO source (id, kind, name, reliability) VALUES (1, 'news', 'b', 'C')"
        )
        s.connection().exec_driver_sql(
            "INSERT INTO importbatch (id, file_name, sha256, spec, status, started_at, rows_read, rows_stored, "
            "rows_duplicate, rows_rejected, rows_skipped) VALUES (1, 'b', 'x', 'reports', 'done', '2024-01-01', 0, 0, 0, 0, 0)"
        )
    return settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    n = args.rows
    root = Path(tempfile.mkdtemp(prefix="counterflow-bench-"))
    csv_path = root / "reports.csv"
    t0 = time.perf_counter()
    generate(csv_path, n)
    print(
        f"generated {n:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
    )
    frame = prepared_rows(n)

    # baseline: pandas.to_sql into the same table of a fresh store
    base = fresh_store(root, "to_sql")
    con = sqlite3.connect(base.db_url.split("///", 1)[1])
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    pframe = frame.assign(received_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    pframe["observed_on"] = pframe["observed_on"].dt.strftime("%Y-%m-%d")
    t0 = time.perf_counter()
    pframe.to_sql("report", con, if_exists="append", index=False, chunksize=50_000)
    con.commit()
    t_to_sql = time.perf_counter() - t0
    con.close()

    # store write alone
    ours = fresh_store(root, "write")
    engine = get_engine(ours)
    now = dt.datetime.now(dt.UTC)
    cols = [c for c in REPORT_INSERT_COLUMNS if c != "received_at"]
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        for start in range(0, n, 50_000):
            insert_reports(s, frame.iloc[start : start + 50_000][cols], received_at=now)
    t_write = time.perf_counter() - t0

    # the whole path
    whole = fresh_store(root, "whole")
    engine = get_engine(whole)
    from intel.gazetteer import get_gazetteer

    get_gazetteer().nearest(0.0, 0.0)  # load the gazetteer outside the timing (once per process)
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        summary = ingest_file(s, path=csv_path, settings=whole)
    t_whole = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rate = {k: n / v for k, v in {"to_sql": t_to_sql, "write": t_write, "whole": t_whole}.items()}
    print(f"\n{'measure':<44} {'seconds':>8} {'rows/s':>10} {'vs to_sql':>10}")
    print(
        f"{'pandas.to_sql (baseline, same table)':<44} {t_to_sql:>8.2f} {rate['to_sql']:>10,.0f} {1.0:>9.2f}x"
    )
    print(
        f"{'store write (insert_reports, executemany)':<44} {t_write:>8.2f} {rate['write']:>10,.0f} {rate['write'] / rate['to_sql']:>9.2f}x"
    )
    print(
        f"{'whole path (ingest_file: parse..write)':<44} {t_whole:>8.2f} {rate['whole']:>10,.0f} {rate['whole'] / rate['to_sql']:>9.2f}x"
    )
    print(
        f"\nwhole path: {summary.rows_read:,} read, {summary.rows_stored:,} stored, {summary.rows_duplicate:,} merged "
        f"as duplicates, {summary.rows_rejected:,} rejected; peak RSS {peak_mb:,.0f} MB"
    )
    print("targets: store write >= 250,000 rows/s; whole path >= 100,000 rows/s")


if __name__ == "__main__":
    main()
