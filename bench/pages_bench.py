"""Benchmark of the web pages on a big store: p50 / p95 per page, against a static file.

Builds an SQLite store with ``--reports`` reports (the bulk writer of the import, as
``bench/ingest_bench.py`` does), one hotspot run of 130 cells at towns of the gazetteer (made
here, not computed: the hotspot path has its own benchmark), ``--campaigns`` campaigns of three
targets and two languages each (ad sets, assets, 30 days of metrics per asset, tips encrypted
with the store's key, triaged at random), and one user per role. Then it starts the real server
(``counterflow web`` in a child process), signs each role in through ``POST /signin`` and asks
every page ``--requests`` times in turn, one request at a time. The baseline is the server's
static CSS file in the same run. The first request of a page is left out of p50 / p95 and shown
apart (``first``). The portfolio's first request answers after 0.15 s of work and a background
thread works out the rest of the campaigns' outcomes: the bench says how long until all are
there, then measures the portfolio with every campaign in it.

Usage: ``python bench/pages_bench.py [--reports 1000000] [--campaigns 100] [--requests 30]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_bench import fresh_store, prepared_rows
from sqlmodel import Session

from intel.db import get_engine, session_scope
from intel.ingest.writer import (
    REPORT_INSERT_COLUMNS,
    insert_reports,
    restore_report_indexes,
    suspend_report_indexes,
)
from intel.models import (
    AdSet,
    Asset,
    Campaign,
    Hotspot,
    HotspotRun,
    Metric,
    Route,
    Target,
    Tip,
    User,
)
from intel.settings import Settings

PASSWORD = "bench only: a long enough password"
ROLES = {"ana": "analyst", "cam": "campaign_manager", "dina": "director", "root": "admin"}
TARGET_P95_MS = 200.0


def build(settings: Settings, *, reports: int, campaigns: int, seed: int = 5) -> dict[str, int]:
    """The store (see the module's docstring); returns the ids the pages need."""
    from ingest_bench import towns

    from intel.accounts import HASHER

    engine = get_engine(settings)
    t0 = time.perf_counter()
    frame = prepared_rows(reports)
    cols = [c for c in REPORT_INSERT_COLUMNS if c != "received_at"]
    now = dt.datetime.now(dt.UTC)
    with session_scope(engine) as s:
        suspended = suspend_report_indexes(s)
        for start in range(0, len(frame), 50_000):
            insert_reports(s, frame.iloc[start : start + 50_000][cols], received_at=now)
        restore_report_indexes(s, suspended)
    print(f"  {reports:,} reports stored in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    rng = random.Random(seed)
    places = towns().sample(130, random_state=seed).reset_index(drop=True)
    fernet = settings.tip_fernet()
    hashed = HASHER.hash(PASSWORD)
    with Session(engine, expire_on_commit=False) as s:
        s.add_all(User(name=n, role=r, password_hash=hashed) for n, r in ROLES.items())
        route = Route(name="bench route", waypoints=[{"name": "A", "lat": 6.3, "lon": 5.6}])
        s.add(route)
        s.flush()
        run = HotspotRun(route_id=route.id, resolution=5, n_reports=reports, n_cells=130, n_significant=100)
        s.add(run)
        s.flush()
        hotspots = []
        for i, p in places.iterrows():
            h = Hotspot(
                run_id=run.id,  # type: ignore[arg-type]
                cell=f"bench{i}",
                lat=float(p["lat"]),
                lon=float(p["lon"]),
                place=str(p["name"]),
                country=str(p["country"]),
                count=500 - 3 * int(i),  # type: ignore[operator]
                weight=400.0 - 2 * int(i),  # type: ignore[operator]
                z=5.0 - int(i) / 40,  # type: ignore[operator]
                p=0.001,
                bin=3 if int(i) < 40 else (1 if int(i) < 100 else 0),  # type: ignore[operator]
                rank=int(i) + 1,  # type: ignore[operator]
                reasons={"count": 500 - 3 * int(i), "bin": 3, "z": 5.0, "p": 0.001},  # type: ignore[operator]
            )
            s.add(h)
            hotspots.append(h)
        s.flush()
        for c in range(campaigns):
            starts = dt.date(2022, 1, 1) + dt.timedelta(days=12 * c)
            campaign = Campaign(
                name=f"Bench campaign {c + 1}",
                hotspot_run_id=run.id,
                route_id=route.id,
                status=rng.choice(["draft", "approved", "published", "finished"]),
                author="cam",
                budget=5000.0,
                starts_on=starts,
                ends_on=starts + dt.timedelta(days=30),
            )
            s.add(campaign)
            s.flush()
            for h in rng.sample(hotspots[:100], 3):
                target = Target(
                    campaign_id=campaign.id,  # type: ignore[arg-type]
                    hotspot_id=h.id,
                    name=h.place or "",
                    lat=h.lat,
                    lon=h.lon,
                    radius_km=25.0,
                    country=h.country or "",
                    timezone="Africa/Lagos",
                    languages="en|fr",
                    population=500_000,
                )
                s.add(target)
                s.flush()
                for loc in ("en", "fr"):
                    adset = AdSet(
                        campaign_id=campaign.id,
                        target_id=target.id,
                        locale=loc,
                        age_min=18,
                        age_max=35,
                        budget=800.0,
                    )  # type: ignore[arg-type]
                    s.add(adset)
                    s.flush()
                    code = f"b{campaign.id}t{target.id}{loc}"
                    s.add(
                        Asset(
                            campaign_id=campaign.id,  # type: ignore[arg-type]
                            target_id=target.id,
                            adset_id=adset.id,
                            locale=loc,
                            tracking_code=code,
                            headline="Beware of fake job offers",
                            body="Never hand over your passport.",
                            cta="Report",
                            link=f"http://127.0.0.1/t/{code}",
                        )
                    )
                    for d in range(30):
                        reach = rng.randint(500, 3000)
                        s.add(
                            Metric(
                                campaign_id=campaign.id,  # type: ignore[arg-type]
                                adset_id=adset.id,
                                tracking_code=code,
                                day=starts + dt.timedelta(days=d),
                                reach=reach,
                                impressions=2 * reach,
                                clicks=rng.randint(5, 60),
                                spend=round(rng.uniform(5, 40), 2),
                                video_p100=rng.randint(50, 400),
                                source="platform",
                            )
                        )
                    for _ in range(rng.randint(0, 6)):
                        s.add(
                            Tip(
                                campaign_id=campaign.id,
                                target_id=target.id,
                                locale=loc,
                                text_encrypted=fernet.encrypt(b"a bench tip about a recruiter"),
                                status=rng.choice(["new", "actionable", "not_actionable", "referred"]),
                            )
                        )
        s.commit()
        ids = {"run": run.id, "campaign": campaign.id}  # type: ignore[dict-item]
    with Session(engine) as s:
        from sqlmodel import col, select

        ids["tip"] = s.exec(select(col(Tip.id)).order_by(col(Tip.id).desc())).first() or 1
    print(
        f"  run, {campaigns} campaigns, metrics, tips and users in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return ids  # type: ignore[return-value]


def _store(root: Path, *, reports: int, campaigns: int) -> tuple[Settings, dict[str, int]]:
    """A store built by :func:`build` in ``root``, or the one a previous run kept there."""
    kept = root / "ids.json"
    if kept.exists():
        ids = json.loads(kept.read_text())
        settings = Settings(
            environment="test", home=root / "store", database_url=f"sqlite:///{root / 'store' / 'store.db'}"
        )
        print(f"reusing the store kept in {root} ({ids.pop('reports'):,} reports)", flush=True)
        return settings, ids
    root.mkdir(parents=True, exist_ok=True)
    settings = fresh_store(root, "store")
    print(f"building the store ({reports:,} reports, {campaigns} campaigns)", flush=True)
    ids = build(settings, reports=reports, campaigns=campaigns)
    kept.write_text(json.dumps({**ids, "reports": reports}))
    return settings, ids


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


PAGES = {
    None: ["/", "/welcome", "/signin", "/tip"],
    "ana": ["/hotspots", "/hotspots/{run}", "/tips", "/tips/{tip}", "/api/hotspots/{run}"],
    "cam": ["/campaigns", "/campaigns/{campaign}", "/campaigns/{campaign}/map", "/outcomes/{campaign}"],
    "dina": ["/portfolio", "/portfolio?page=2", "/api/campaigns"],
    "root": ["/admin"],
}


def measure(client: httpx.Client, url: str, n: int) -> tuple[float, list[float], int]:
    t0 = time.perf_counter()
    r = client.get(url)
    first = (time.perf_counter() - t0) * 1000
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        r = client.get(url)
        times.append((time.perf_counter() - t0) * 1000)
    return first, times, r.status_code


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--campaigns", type=int, default=100)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument(
        "--keep",
        type=Path,
        help="build the store in this folder and keep it; a later run with the same folder reuses it",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as scratch:
        tmp = str(args.keep or scratch)
        settings, ids = _store(Path(tmp), reports=args.reports, campaigns=args.campaigns)
        port = _free_port()
        env = dict(
            os.environ,
            COUNTERFLOW_HOME=str(settings.home),
            COUNTERFLOW_DATABASE_URL=settings.db_url,
            COUNTERFLOW_ENVIRONMENT="test",
            COUNTERFLOW_LOG_LEVEL="WARNING",
        )
        env.pop("PREFECT_API_URL", None)
        log = (Path(tmp) / "web.log").open("w+")
        server = subprocess.Popen(
            [sys.executable, "-c", "from cli.main import run; run()", "web", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    httpx.get(f"{base}/static/counterflow.css", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        log.seek(0)
                        raise SystemExit(f"the server did not start:\n{log.read()}") from None
                    time.sleep(0.2)
            rows = []
            with httpx.Client(base_url=base, timeout=120) as anon:
                first, times, status = measure(anon, "/static/counterflow.css", args.requests)
                baseline = statistics.median(times)
                rows.append(("-", "/static/counterflow.css (baseline)", first, times, status))
            for who, pages in PAGES.items():
                with httpx.Client(base_url=base, timeout=120) as client:
                    if who:
                        r = client.post("/signin", data={"name": who, "password": PASSWORD})
                        assert r.status_code in (200, 303) and client.cookies, (
                            who,
                            r.status_code,
                            r.text[:300],
                        )
                    if who == "dina":  # the first portfolio answers at once and fills in behind
                        t0 = time.perf_counter()
                        first, _, _ = measure(client, "/portfolio", 0)
                        while 'id="pending"' in client.get("/portfolio").text:
                            time.sleep(1)
                        filled = time.perf_counter() - t0
                        print(
                            f"  first /portfolio {first:.0f} ms; all campaigns worked out after {filled:.1f} s"
                        )
                    for page in pages:
                        url = page.format(**ids)
                        first, times, status = measure(client, url, args.requests)
                        rows.append((who or "public", url, first, times, status))
            print(
                f"\n{args.reports:,} reports, {args.campaigns} campaigns, {args.requests} requests per page"
            )
            print(
                f"{'who':7} {'page':42} {'status':>6} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'x base':>7}"
            )
            slow = []
            for who, url, first, times, status in rows:
                q = p95(times)
                print(
                    f"{who:7} {url:42} {status:>6} {first:9.1f} {statistics.median(times):8.1f} {q:8.1f} "
                    f"{statistics.median(times) / baseline:7.1f}"
                )
                if q > TARGET_P95_MS:
                    slow.append(url)
            print(f"\npages over {TARGET_P95_MS:.0f} ms p95: {', '.join(slow) if slow else 'none'}")
        finally:
            server.terminate()
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
