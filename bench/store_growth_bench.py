"""Store growth benchmark: from the store to a ranked route, step by step, as the store grows.

    python bench/store_growth_bench.py                                  # 100k and 1M, SQLite
    python bench/store_growth_bench.py --sizes 100000 --database-url postgresql+psycopg://USER@HOST/postgres
    python bench/store_growth_bench.py --engines sqlite,postgresql --database-url ... --methods gi,forecast

Fills a store with generated reports (as ``store_read_bench.py``: three in ten corroborate an
earlier one), then measures, each in a fresh process of its own (its wall time and its peak
resident memory, VmHWM, so that C allocations count):

* floor: the ADBC driver alone fetching the rows and columns ``load_reports`` reads (Arrow, no frame);
* row objects: the read before the Arrow one (SQLAlchemy rows into ``DataFrame.from_records``);
* snapshot made: ``intel.store.load_reports`` as the first read after a change, which makes the
  store's columnar snapshot (``intel.snapshot``: an SQLite store's through a child process);
* store read: ``load_reports`` with the snapshot of the store's state already made;
* ranking: the Gi* analysis and ranking along the route over the frame read (``hotspots.pipeline.analyse``);
* map: drawing and writing the HTML map of that ranking;
* whole command: ``counterflow hotspots --route ...`` in a cold process, run stored and map
  written, for each ranking method in ``--methods`` (the forecast fits a model, Gi* does not):
  once as the first command after a change (no snapshot yet) and once with the snapshot made.

Seconds are those of the step alone (whole command: the process from start to exit); process CPU
is the child process's user + system seconds, its whole life (imports included); peak MB is
the process's peak, so the ranking's and the map's include the read before them; file-backed MB is
the part of the resident memory at exit backed by files (RssFile: the libraries' code and the
mapped snapshot, which the kernel can drop and read again). The ratio is to
the row-object read. With ``--database-url`` the PostgreSQL store is a fresh database made on that
server for the run and dropped after it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROUTE = "Benin City > Agadez > Tripoli"


def file_backed_mb() -> float:
    """This process's resident memory backed by files (RssFile: the libraries' code and the mapped
    report snapshot, pages the kernel can drop and read again), in MB, now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("RssFile:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _statement(session):  # type: ignore[no-untyped-def]
    """The SQL text ``load_reports`` sends through the driver (incidents, no filters)."""
    from sqlalchemy import select
    from sqlmodel import col

    from intel import columnar
    from intel.models import Report, Source
    from intel.store import REPORT_COLUMNS

    cols = [getattr(Report, c) for c in REPORT_COLUMNS if c not in ("source_kind", "source", "corroboration")]
    stmt = (
        select(*cols, col(Source.kind).label("source_kind"), col(Source.name).label("source"))
        .outerjoin(Source, col(Source.id) == col(Report.source_id))
        .where(Report.duplicate_of.is_(None), Report.is_aggregate.is_(False))  # type: ignore[union-attr,attr-defined]
    )
    return columnar.compile_sql(session, stmt)


def measure(way: str, url: str, home: Path) -> dict[str, float]:
    """Child process: one step, its seconds (the step alone)."""
    from intel.db import get_engine, session_scope
    from intel.settings import Settings

    settings = Settings(environment="test", home=home, database_url=url)
    engine = get_engine(settings)
    with session_scope(engine) as s:
        s.connection().exec_driver_sql("SELECT 1")
        if way == "forget":  # no snapshot of the store's state
            from intel import snapshot

            store = snapshot.store_of(s)
            assert store is not None
            shutil.rmtree(store.folder, ignore_errors=True)
            return {"seconds": 0.0}
        if way == "floor":
            from intel import columnar

            columnar.SQLITE_THROUGH_ADBC = True  # the floor: the driver alone, in a process of its own
            source = columnar.arrow_source(s)
            assert source is not None
            sql = _statement(s)
            t0 = time.perf_counter()
            (table,) = columnar.fetch_tables(source, [sql])
            return {"seconds": time.perf_counter() - t0, "rows": table.num_rows}
        if way == "old":
            import pandas as pd

            import intel.store as store

            captured = {}
            real = store._frame

            def grab(session, stmt, columns):  # type: ignore[no-untyped-def]
                captured["stmt"] = stmt

            store._frame = grab  # only to get the statement the session path sends
            store.load_reports(s, columnar=False)
            store._frame = real
            t0 = time.perf_counter()
            got = s.connection().execute(captured["stmt"]).all()
            df = pd.DataFrame.from_records(got, columns=list(store.REPORT_COLUMNS))
            df["source_kind"] = df["source_kind"].fillna("unknown")
            df["source"] = df["source"].fillna("unknown source")
            df = df.astype({c: t for c, t in store.REPORT_COLUMNS.items() if t != "object"})
            return {"seconds": time.perf_counter() - t0, "rows": len(df)}
        from intel import snapshot
        from intel.store import load_reports

        if way == "make":  # the first read after a change: the snapshot is made
            store = snapshot.store_of(s)
            assert store is not None
            shutil.rmtree(store.folder, ignore_errors=True)
        t0 = time.perf_counter()
        reports = load_reports(s)
        took = {"read": time.perf_counter() - t0, "rows": len(reports)}
        if way in ("read", "make"):
            return {"seconds": took["read"], "rows": took["rows"]}
        from hotspots.params import HotspotParams
        from hotspots.pipeline import analyse
        from hotspots.routes import parse_route

        params = HotspotParams(method="gi")
        route = parse_route(ROUTE, corridor_km=params.corridor_km)
        t0 = time.perf_counter()
        result = analyse(reports, route=route, params=params)
        if way == "rank":
            return {"seconds": time.perf_counter() - t0, "rows": took["rows"], "ranked": len(result.ranked)}
        from hotspots.maps import hotspot_map, save_map
        from hotspots.movement import flow_lines

        t0 = time.perf_counter()
        save_map(
            hotspot_map(result.cells, ranked=result.ranked, route=route, flows=flow_lines(reports).head(30),
                        title="bench", set_apart=result.set_apart),
            home / "bench-map.html",
        )  # fmt: skip
        return {"seconds": time.perf_counter() - t0, "rows": took["rows"]}


def run_child(args: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run one measurement in a fresh process; its wall time, its CPU seconds (user + system, which
    other jobs on a shared machine change far less than the wall time), its peak MB and what it
    printed."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    child = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out: dict[str, float] = {"wall": wall, "cpu": cpu}
    for line in child.stdout.strip().splitlines()[::-1]:
        if line.startswith("{"):
            out.update(json.loads(line))
            break
    for line in child.stderr.splitlines()[::-1]:
        if line.startswith("BENCH-PEAK-MB "):
            out["peak"] = float(line.split()[1])
            out["file"] = float(line.split()[2])
            break
    return out


def command_child(method: str) -> None:
    """Child process: the whole ``counterflow hotspots`` command, its peak memory on exit."""
    import atexit

    atexit.register(lambda: print(f"BENCH-PEAK-MB {peak_mb():.0f} {file_backed_mb():.0f}", file=sys.stderr))
    sys.argv = ["counterflow", "hotspots", "--route", ROUTE, "--method", method]
    from cli.main import run

    run()


def fill(url: str, home: Path, n: int) -> None:
    sys.path.insert(0, str(HERE))
    from store_read_bench import fill as fill_store

    fill_store(url, home, n)


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--engines", default="sqlite", help="sqlite, postgresql or both (comma-separated)")
    ap.add_argument("--database-url", help="a PostgreSQL server: the store is a database made there")
    ap.add_argument("--methods", default="gi,forecast", help="ranking methods of the whole command")
    ap.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--command", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.command:
        command_child(args.command)
        return
    if args.measure:
        import atexit

        atexit.register(lambda: print(f"BENCH-PEAK-MB {peak_mb():.0f} {file_backed_mb():.0f}", file=sys.stderr))
        sys.path.insert(0, str(HERE.parent))
        print(json.dumps(measure(args.measure[0], args.measure[1], Path(args.measure[2]))))
        return
    sys.path.insert(0, str(HERE.parent))
    engines = [e.strip() for e in args.engines.split(",")]
    if "postgresql" in engines and not args.database_url:
        ap.error("--engines postgresql needs --database-url")
    print(f"load average at start: {load_average()} ({os.cpu_count()} cores)")
    for engine_name in engines:
        for n in [int(x) for x in args.sizes.split(",")]:
            bench_one(engine_name, n, args)


def bench_one(engine_name: str, n: int, args: argparse.Namespace) -> None:
    root = Path(tempfile.mkdtemp(prefix="counterflow-growthbench-"))
    admin = name = None
    try:
        if engine_name == "postgresql":
            from sqlalchemy import create_engine, make_url, text

            admin_url = make_url(args.database_url)
            name = f"counterflow_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = admin_url.set(database=name).render_as_string(hide_password=False)
        else:
            url = f"sqlite:///{root / 'store.db'}"
        t0 = time.perf_counter()
        fill(url, root, n)
        filled = time.perf_counter() - t0
        me = [sys.executable, __file__]
        rows = []
        env = {**os.environ, "COUNTERFLOW_HOME": str(root), "COUNTERFLOW_DATABASE_URL": url,
               "COUNTERFLOW_SNAPSHOT_DIR": str(root / "pg-snapshots")}  # fmt: skip
        env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed command has its bytecode cached
        for label, way in (("floor (ADBC driver alone, Arrow)", "floor"), ("row objects (before)", "old"),
                           ("snapshot made (first read after a change)", "make"),
                           ("store read (snapshot current)", "read"), ("ranking (Gi*, route)", "rank"),
                           ("map (HTML written)", "map")):  # fmt: skip
            rows.append((label, run_child([*me, "--measure", way, url, str(root)], env=env)))
        for method in args.methods.split(","):
            run_child([*me, "--command", method], env=env)  # warm the bytecode cache and the OS cache
            forget = [*me, "--measure", "forget", url, str(root)]
            run_child(forget, env=env)  # as after an import: no snapshot of this state yet
            r = run_child([*me, "--command", method], env=env)
            rows.append((f"whole command, {method}, after a change", {**r, "seconds": r["wall"]}))
            r = run_child([*me, "--command", method], env=env)
            rows.append((f"whole command, {method}", {**r, "seconds": r["wall"]}))
        old = dict(rows)["row objects (before)"]["seconds"]
        incidents = dict(rows)["store read (snapshot current)"].get("rows", 0)
        print(f"\n{n:,} stored reports on {engine_name} ({int(incidents):,} incidents read; store filled in "
              f"{filled:.0f} s; load average {load_average()})")  # fmt: skip
        print(f"{'step':<44} {'seconds':>8} {'process CPU s':>14} {'peak MB':>8} {'file-backed MB':>15} "
              f"{'vs row objects':>15}")  # fmt: skip
        for label, r in rows:
            ratio = f"{old / r['seconds']:>14.2f}x" if label.split()[0] in ("floor", "row", "store", "snapshot") else ""
            print(
                f"{label:<44} {r['seconds']:>8.2f} {r['cpu']:>14.2f} {r.get('peak', float('nan')):>8.0f} "
                f"{r.get('file', float('nan')):>15.0f} {ratio}"
            )
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if admin is not None:
            from sqlalchemy import text

            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()
