"""Ingest benchmark: store write alone and the whole path, against pandas.to_sql in the same run.

    python bench/ingest_bench.py              # 1M generated rows
    python bench/ingest_bench.py --rows 100000
    python bench/ingest_bench.py --rows 200000 --database-url postgresql+psycopg://USER@HOST:5432/postgres

Generates a CSV in the generic ``reports`` format (70% place names, 30% lat/lon points, dates
over five years, several sources and exploitation types), then measures on fresh SQLite stores:

* pandas.to_sql: the prepared report rows appended to the store's ``report`` table, with its
  indexes (the baseline);
* store write: the same rows through ``intel.ingest.writer.insert_reports`` (50k-row batches,
  one transaction), with the indexes kept up to date row by row, and as a bulk load (the
  indexes dropped first and built once at the end, as ``ingest_file`` does for a large file
  into an empty store);
* whole path: ``ingest_file`` on the CSV (read, map, validate, geocode, fingerprint,
  de-duplicate, write, in 50k-row batches, in one transaction), in a process of its own so
  that its peak resident memory is its own; a file this large is read and prepared by a
  second process (``intel.ingest.worker``) while the first writes, and that process's peak
  memory is reported too;
* both writes again into a ``report`` table without its secondary indexes (ratio to
  pandas.to_sql into that same table).

With ``--database-url`` (a PostgreSQL server), the whole path alone runs against a fresh database
made on that server for the run and dropped after it (rows go in through ``COPY`` with ids drawn
from the report sequence first, so duplicates link in the ``COPY`` itself): rows/s and the
process's peak memory, then, as the baseline of the same run, the whole path on the same file into
a fresh SQLite store (the same stored rows and duplicates on both).

Prints rows/s and the ratio to pandas.to_sql measured in the same run, and checks both against
the targets: 250,000 rows/s for the store write and 100,000 for the whole path, set where
pandas.to_sql made 303,000 rows/s, that is 0.83x and 0.33x of pandas.to_sql.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from intel.db import get_engine, session_scope
from intel.ingest import ingest_file
from intel.ingest.writer import (
    REPORT_INSERT_COLUMNS,
    insert_reports,
    restore_report_indexes,
    suspend_report_indexes,
)
from intel.settings import Settings

#: The targets, and the pandas.to_sql speed they were set against.
TARGET_WRITE, TARGET_WHOLE, TO_SQL_THEN = 250_000, 100_000, 303_000

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
            # individual reports: no aggregate measure or figure
            "measure": None,
            "figure": None,
            "figure_high": None,
            "place": t["name"].to_numpy()[pick],
            "admin1": None,
            "country": t["country"].to_numpy()[pick],
            "lat": t["lat"].to_numpy()[pick],
            "lon": t["lon"].to_numpy()[pick],
            "place_precision": "town",
            "date_precision": "day",
            "role": "incident",
            "origin": None,
            "transit": "",
            "destination": None,
            # content hashes land anywhere in the fingerprint index, as real ones do
            "fingerprint": [f"{a:016x}{b:016x}" for a, b in rng.integers(0, 2**63 - 1, (rows, 2)).tolist()],
            # three rows in ten corroborate an earlier report (rows get ids 1..n in order)
            "duplicate_of": np.where(
                (rng.random(rows) < 0.3) & (np.arange(rows) >= 50), np.arange(rows) - 49, None
            ),
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


def drop_secondary_indexes(settings: Settings) -> None:
    con = sqlite3.connect(settings.db_url.split("///", 1)[1])
    names = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'report' AND sql IS NOT NULL"
        )
    ]
    for name in names:
        con.execute(f'DROP INDEX "{name}"')
    con.commit()
    con.close()


def time_to_sql(settings: Settings, frame: pd.DataFrame) -> float:
    """pandas.to_sql into the report table of ``settings``' store (same connection pragmas)."""
    con = sqlite3.connect(settings.db_url.split("///", 1)[1])
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    pframe = frame.assign(received_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
    pframe["observed_on"] = pframe["observed_on"].dt.strftime("%Y-%m-%d")
    t0 = time.perf_counter()
    pframe.to_sql("report", con, if_exists="append", index=False, chunksize=50_000)
    con.commit()
    took = time.perf_counter() - t0
    con.close()
    return took


def time_write(settings: Settings, frame: pd.DataFrame, *, bulk: bool = False) -> float:
    """insert_reports in 50k-row batches in one transaction; ``bulk``: indexes rebuilt at the end."""
    engine = get_engine(settings)
    now = dt.datetime.now(dt.UTC)
    cols = [c for c in REPORT_INSERT_COLUMNS if c != "received_at"]
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        suspended = suspend_report_indexes(s) if bulk else []
        for start in range(0, len(frame), 50_000):
            insert_reports(s, frame.iloc[start : start + 50_000][cols], received_at=now)
        restore_report_indexes(s, suspended)
    return time.perf_counter() - t0


def peak_rss_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fresh_server_store(root: Path, url: str) -> Settings:
    """A store in the database ``url`` (made for this run), with the source and import rows."""
    settings = Settings(environment="test", home=root / "server", database_url=url)
    engine = get_engine(settings)
    with session_scope(engine) as s:
        s.connection().exec_driver_sql(
            "INSERT INTO source (kind, name, reliability) VALUES ('news', 'b', 'C')"
        )
    return settings


def whole_path(csv_path: Path, root: Path, url: str | None = None) -> None:
    """Child process: ingest_file on a fresh store; prints seconds, counts and its own peak RSS."""
    whole = fresh_store(root, "whole") if url is None else fresh_server_store(root, url)
    engine = get_engine(whole)
    from intel.gazetteer import get_gazetteer

    get_gazetteer().nearest(0.0, 0.0)  # load the gazetteer outside the timing (once per process)
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    with session_scope(engine) as s:
        summary = ingest_file(s, path=csv_path, settings=whole)
    took = time.perf_counter() - t0
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "seconds": took,
                "read": summary.rows_read,
                "stored": summary.rows_stored,
                "duplicate": summary.rows_duplicate,
                "rejected": summary.rows_rejected,
                "rss_before": rss0,
                "rss_peak": peak,
                # the second process that prepared the batches (the largest child waited for)
                "worker_rss_peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
            }
        )
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument(
        "--database-url",
        help="a PostgreSQL server (any database on it): the whole path into a fresh database made there",
    )
    ap.add_argument("--whole-path", nargs="+", metavar="CSV ROOT [URL]", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.whole_path:
        whole_path(Path(args.whole_path[0]), Path(args.whole_path[1]), *args.whole_path[2:])
        return
    root = Path(tempfile.mkdtemp(prefix="counterflow-bench-"))
    try:
        if args.database_url:
            run_server(args.rows, root, args.database_url)
        else:
            run(args.rows, root)
    finally:  # about 1.3 GB of stores for 1M rows
        shutil.rmtree(root, ignore_errors=True)


def run_server(n: int, root: Path, server_url: str) -> None:
    """The whole path into a database made on ``server_url``'s server for this run."""
    import uuid

    from sqlalchemy import create_engine, make_url, text

    admin_url = make_url(server_url)
    name = f"counterflow_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        csv_path = root / "reports.csv"
        generate(csv_path, n)
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        child = subprocess.run(
            [sys.executable, __file__, "--whole-path", str(csv_path), str(root), url],
            check=True,
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        whole = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    # the baseline, in the same run on the same file: the whole path into a fresh SQLite store
    child = subprocess.run(
        [sys.executable, __file__, "--whole-path", str(csv_path), str(root)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    base = json.loads(child.stdout.strip().splitlines()[-1])
    rate, base_rate = n / whole["seconds"], n / base["seconds"]
    print(
        f"whole path into {admin_url.get_backend_name()} (ingest_file: parse..COPY..duplicates linked): "
        f"{n:,} rows in {whole['seconds']:.2f} s, {rate:,.0f} rows/s\n"
        f"  {whole['read']:,} read, {whole['stored']:,} stored, {whole['duplicate']:,} merged as duplicates, "
        f"{whole['rejected']:,} rejected; peak RSS of its process {whole['rss_peak']:,.0f} MB, of the process "
        f"preparing the batches {whole['worker_rss_peak']:,.0f} MB\n"
        f"baseline, the same file into a fresh SQLite store: {base['seconds']:.2f} s, {base_rate:,.0f} rows/s "
        f"({base['stored']:,} stored, {base['duplicate']:,} merged as duplicates, {base['rejected']:,} rejected)\n"
        f"  {admin_url.get_backend_name()} / SQLite: {rate / base_rate:.2f}x\n"
        f"  target: >= {TARGET_WHOLE:,} rows/s: {'met' if rate >= TARGET_WHOLE else 'NOT met'}"
    )


def run(n: int, root: Path) -> None:
    csv_path = root / "reports.csv"
    t0 = time.perf_counter()
    generate(csv_path, n)
    print(
        f"generated {n:,} rows ({csv_path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
    )

    # the whole path first, in its own process: its peak memory is its own, not the benchmark's
    child = subprocess.run(
        [sys.executable, __file__, "--whole-path", str(csv_path), str(root)],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    whole = json.loads(child.stdout.strip().splitlines()[-1])

    frame = prepared_rows(n)
    times = {
        "to_sql": time_to_sql(fresh_store(root, "to_sql"), frame),
        "write": time_write(fresh_store(root, "write"), frame),
        "bulk": time_write(fresh_store(root, "bulk"), frame, bulk=True),
    }
    bare = fresh_store(root, "to_sql_bare")
    drop_secondary_indexes(bare)
    times["to_sql_bare"] = time_to_sql(bare, frame)
    bare = fresh_store(root, "write_bare")
    drop_secondary_indexes(bare)
    times["write_bare"] = time_write(bare, frame)
    times["whole"] = whole["seconds"]

    rate = {k: n / v for k, v in times.items()}
    lines = [
        ("pandas.to_sql (baseline: report table, its indexes)", "to_sql", "to_sql"),
        ("store write (insert_reports, executemany)", "write", "to_sql"),
        ("store write, bulk load (indexes built at end)", "bulk", "to_sql"),
        ("whole path (ingest_file: parse..write)", "whole", "to_sql"),
        ("pandas.to_sql, no secondary indexes", "to_sql_bare", "to_sql_bare"),
        ("store write, no secondary indexes", "write_bare", "to_sql_bare"),
    ]
    print(f"\n{'measure':<52} {'seconds':>8} {'rows/s':>10} {'vs to_sql':>10}")
    for label, key, base in lines:
        print(f"{label:<52} {times[key]:>8.2f} {rate[key]:>10,.0f} {rate[key] / rate[base]:>9.2f}x")
    print("(the last two lines: ratio to pandas.to_sql into the same table without secondary indexes)")
    print(
        f"\nwhole path: {whole['read']:,} read, {whole['stored']:,} stored, {whole['duplicate']:,} merged "
        f"as duplicates, {whole['rejected']:,} rejected; peak RSS of its process {whole['rss_peak']:,.0f} MB, "
        f"of the process preparing the batches {whole['worker_rss_peak']:,.0f} MB "
        f"({whole['rss_before']:,.0f} MB before the import: interpreter, pandas, gazetteer)"
    )
    print(
        "\ntargets: store write >= 250,000 rows/s and whole path >= 100,000 rows/s, set where pandas.to_sql "
        f"made 303,000 rows/s (>= {TARGET_WRITE / TO_SQL_THEN:.2f}x and >= {TARGET_WHOLE / TO_SQL_THEN:.2f}x "
        "of pandas.to_sql)"
    )
    for label, key, target in (("store write", "write", TARGET_WRITE), ("store write, bulk load", "bulk", TARGET_WRITE),
                               ("whole path", "whole", TARGET_WHOLE)):  # fmt: skip
        ratio = rate[key] / rate["to_sql"]
        print(
            f"  {label:<24} {rate[key]:>9,.0f} rows/s: {'met' if rate[key] >= target else 'NOT met'} in rows/s; "
            f"{ratio:.2f}x pandas.to_sql: {'met' if ratio >= target / TO_SQL_THEN else 'NOT met'} as a ratio"
        )


if __name__ == "__main__":
    main()
