"""Store read benchmark: ``load_reports`` against today's row-object read and the driver alone.

    python bench/store_read_bench.py                       # 100k and 1M stored reports, SQLite
    python bench/store_read_bench.py --sizes 100000 --database-url postgresql+psycopg://USER@HOST/postgres

Fills a store with generated reports (three in ten corroborate an earlier one, as in
``ingest_bench.py``), then reads the incidents three ways, each in a fresh process of its own so
that its peak resident memory is its own:

* row objects: the read before this bench (SQLAlchemy rows into ``DataFrame.from_records``);
* load_reports: today's read (Arrow columns through the ADBC driver on PostgreSQL, the row tuples
  on SQLite: ``intel.columnar``);
* floor: the session's driver alone fetching the same rows and columns as tuples (no frame).

``store_growth_bench.py`` measures the steps after the read as well, and the ADBC floor.

Prints seconds, peak RSS above the process at rest, and the ratio to the row-object read.
With ``--database-url`` the store is a fresh database made on that PostgreSQL server for the run
and dropped after it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pandas as pd
from ingest_bench import peak_rss_mb, prepared_rows

from intel.db import get_engine, session_scope
from intel.settings import Settings


def fill(url: str, home: Path, n: int) -> None:
    import datetime as dt

    from intel.ingest.writer import REPORT_INSERT_COLUMNS, insert_reports

    engine = get_engine(Settings(environment="test", home=home, database_url=url))
    frame = prepared_rows(n)
    cols = [c for c in REPORT_INSERT_COLUMNS if c != "received_at"]
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        conn = s.connection()
        conn.exec_driver_sql("INSERT INTO source (id, kind, name, reliability) VALUES (1, 'news', 'b', 'C')")
        conn.exec_driver_sql(
            "INSERT INTO importbatch (id, file_name, sha256, spec, status, started_at, rows_read, rows_stored, "
            "rows_duplicate, rows_rejected, rows_skipped) VALUES (1, 'b', 'x', 'reports', 'done', '2024-01-01', 0, 0, 0, 0, 0)"
        )
        for start in range(0, n, 50_000):
            insert_reports(s, frame.iloc[start : start + 50_000][cols], received_at=now)


def measure(way: str, url: str, home: Path) -> None:
    """Child process: one read, its seconds and the peak RSS it added."""
    import intel.store as store

    engine = get_engine(Settings(environment="test", home=home, database_url=url))
    with session_scope(engine) as s:
        s.connection().exec_driver_sql("SELECT 1")
        rss0 = peak_rss_mb()
        captured = {}
        real = store._frame
        t0 = time.perf_counter()
        if way == "new":
            rows = len(store.load_reports(s))
        else:

            def grab(session, stmt, columns):
                captured["stmt"] = stmt
                return None

            store._frame = grab  # only to get the statement load_reports sends
            store.load_reports(s, columnar=False)
            store._frame = real
            t0 = time.perf_counter()
            if way == "old":
                got = s.connection().execute(captured["stmt"]).all()
                df = pd.DataFrame.from_records(got, columns=list(store.REPORT_COLUMNS))
                df["source_kind"] = df["source_kind"].fillna("unknown")
                df["source"] = df["source"].fillna("unknown source")
                df = df.astype({c: t for c, t in store.REPORT_COLUMNS.items() if t != "object"})
                rows = len(df)
            else:  # the driver alone
                result = s.connection().execute(captured["stmt"])
                rows = len(result.cursor.fetchall())
                result.close()
        took = time.perf_counter() - t0
    print(json.dumps({"seconds": took, "rss": peak_rss_mb() - rss0, "rows": rows}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--database-url", help="a PostgreSQL server: the store is a database made there")
    ap.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.measure:
        measure(args.measure[0], args.measure[1], Path(args.measure[2]))
        return
    for n in [int(x) for x in args.sizes.split(",")]:
        root = Path(tempfile.mkdtemp(prefix="counterflow-readbench-"))
        admin = None
        try:
            if args.database_url:
                from sqlalchemy import create_engine, make_url, text

                admin_url = make_url(args.database_url)
                name = f"counterflow_bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                url = admin_url.set(database=name).render_as_string(hide_password=False)
            else:
                url = f"sqlite:///{root / 'store.db'}"
            fill(url, root, n)
            out = {}
            for way in ("old", "new", "floor"):
                child = subprocess.run(
                    [sys.executable, __file__, "--measure", way, url, str(root)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                out[way] = json.loads(child.stdout.strip().splitlines()[-1])
            engine_name = url.split(":", 1)[0].split("+")[0]
            print(f"\n{n:,} stored reports on {engine_name} ({out['new']['rows']:,} incidents read)")
            print(f"{'read':<44} {'seconds':>8} {'peak MB':>8} {'vs row objects':>15}")
            for label, way in (("row objects (before: from_records)", "old"), ("load_reports (Arrow through ADBC)", "new"),
                               ("floor (driver fetchall alone)", "floor")):  # fmt: skip
                r = out[way]
                print(
                    f"{label:<44} {r['seconds']:>8.2f} {r['rss']:>8.0f} {out['old']['seconds'] / r['seconds']:>14.2f}x"
                )
        finally:
            shutil.rmtree(root, ignore_errors=True)
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                admin.dispose()


if __name__ == "__main__":
    main()
