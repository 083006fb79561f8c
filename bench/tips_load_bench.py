"""Tips under load: 200 concurrent loopback clients against a real uvicorn server of the app.

Each client binds its own loopback address (127.1.x.y; on Linux all of 127/8 is loopback), so
the server's per-client limits see 200 different clients, as they would see 200 phones. The
server runs in a subprocess on a free loopback port, as ``counterflow web`` runs it (access log
off), over a temporary SQLite home or the PostgreSQL store given with ``--database-url``.

Two rounds, each against a fresh server (the limits live in its memory):

1. **capacity**: the per-client limit and the ceiling raised out of the way; every honest client
   sends ``--tips`` tips (half through the form, half through ``POST /api/tips``).
2. **shipped limits, under abuse**: the limits as shipped (10 valid tips a minute per client, 30
   invalid requests a minute per client, 300 tips a minute for everyone, 128 KiB bodies). Abusive
   clients start first: floods of valid tips, floods of empty posts, oversized bodies. Once every
   abuser is being refused, the honest clients send one tip each while the abuse goes on.

For each class of client it prints requests, accepted, refused (429, 413, 422), errors and the
p50 / p95 latency; then the tips the store gained, and lost = accepted - stored (must be 0). The
baseline, measured in the same run on the same store: the same number of rows written by a
plain bulk insert (no encryption, one transaction), as in ``bench/tips_bench.py``.

Usage: python bench/tips_load_bench.py [--clients 200] [--tips 10] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx
    from sqlalchemy import Engine

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEXT = "A woman at the motor park promises jobs in Italy and keeps the girls' passports. "
ACCEPTED = {201, 303}


# --- the server (a subprocess) ------------------------------------------------------------------


def serve(home: str, database_url: str | None, port: int, per_client: int, ceiling: int) -> None:
    """Run the app as ``counterflow web`` does (uvicorn, access log off), with the given limits."""
    import uvicorn

    from intel.settings import Settings
    from web.app import create_app

    settings = Settings(environment="test", home=Path(home), database_url=database_url)
    settings.tip_keys()
    app = create_app(settings, tip_rate_limit=per_client, tip_ceiling=ceiling)
    uvicorn.run(app, host="127.0.0.1", port=port, access_log=False, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, home: Path, database_url: str | None, *, per_client: int, ceiling: int) -> None:
        self.port = free_port()
        args = [sys.executable, str(Path(__file__).resolve()), "--serve", str(home), str(self.port)]
        args += [str(per_client), str(ceiling), database_url or ""]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(args, cwd=ROOT, env=env)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped at start (exit {self.proc.returncode})")
            try:
                if httpx.get(f"{self.url}/tip", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("the server did not answer within a minute")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- the clients ------------------------------------------------------------------------------


@dataclass
class Tally:
    clients: int = 0
    statuses: Counter[int | str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)  # time.perf_counter() when each request began

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def accepted(self) -> int:
        return sum(n for s, n in self.statuses.items() if s in ACCEPTED)

    def count(self, *statuses: int) -> int:
        return sum(self.statuses[s] for s in statuses)

    @property
    def errors(self) -> int:
        return sum(n for s, n in self.statuses.items() if isinstance(s, str))

    @property
    def other(self) -> int:
        known = ACCEPTED | {413, 422, 429}
        return sum(n for s, n in self.statuses.items() if isinstance(s, int) and s not in known)

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0] * 1000
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(q) - 1] * 1000


def honest_address(i: int) -> str:
    return f"127.1.{i // 250}.{i % 250 + 1}"


def abuser_address(i: int) -> str:
    return f"127.2.0.{i + 1}"


def client(url: str, address: str) -> httpx.AsyncClient:
    import httpx

    # plain http on loopback: verify=False spares each client loading the CA bundle (77 ms of
    # CPU each, which would stall the event loop that all the clients share)
    return httpx.AsyncClient(
        base_url=url,
        transport=httpx.AsyncHTTPTransport(local_address=address, verify=False),
        verify=False,
        timeout=httpx.Timeout(120.0),
        follow_redirects=False,
    )


async def send(c: httpx.AsyncClient, tally: Tally, kind: str, body: str, code: str | None) -> int | str:
    """One request: a tip through the form or the API; returns the status (or the error's name)."""
    import httpx

    t0 = time.perf_counter()
    try:
        if kind == "form":
            r = await c.post(f"/t/{code}" if code else "/tip", data={"text": body})
        else:
            r = await c.post("/api/tips", json={"text": body, "tracking_code": code})
        status: int | str = r.status_code
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    tally.starts.append(t0)
    tally.latencies.append(time.perf_counter() - t0)
    tally.statuses[status] += 1
    return status


async def honest_client(
    c: httpx.AsyncClient, i: int, n: int, codes: list[str], tally: Tally, go: asyncio.Event
) -> None:
    async with c:
        await go.wait()
        for k in range(n):
            await send(c, tally, "form" if i % 2 else "api", f"{TEXT}({i}.{k})", codes[(i + k) % len(codes)])


async def abuser(
    url: str, i: int, mode: str, n: int, tally: Tally, refused: asyncio.Event, honest_done: asyncio.Event
) -> None:
    """Sends ``n`` requests of its kind, at least until the honest clients are done."""
    body = {"flood": TEXT, "empty": "", "oversize": "x" * 200_000}[mode]
    sent = 0
    async with client(url, abuser_address(i)) as c:
        while sent < n or not honest_done.is_set():
            status = await send(c, tally, "api" if sent % 2 else "form", body, None)
            sent += 1
            if status in (413, 429) or isinstance(status, str):
                refused.set()


async def capacity_round(url: str, clients: int, n: int, codes: list[str]) -> tuple[Tally, float]:
    """The honest clients' tally and the wall time from the first tip to the last answer."""
    honest = Tally(clients=clients)
    go = asyncio.Event()
    made = [client(url, honest_address(i)) for i in range(clients)]  # before the clock starts
    tasks = [asyncio.create_task(honest_client(c, i, n, codes, honest, go)) for i, c in enumerate(made)]
    await asyncio.sleep(0)
    t0 = time.perf_counter()
    go.set()
    await asyncio.gather(*tasks)
    return honest, time.perf_counter() - t0


async def abuse_round(
    url: str, clients: int, codes: list[str], abusers: int, per_abuser: int
) -> tuple[dict[str, Tally], int]:
    """Each class's tally, and how many abusive requests began while the honest clients sent."""
    modes = ["flood", "empty", "oversize"]
    tallies = {m: Tally() for m in modes}
    honest = Tally(clients=clients)
    honest_done = asyncio.Event()
    refused_events = []
    tasks = []
    for j in range(abusers):
        mode = modes[j % len(modes)]
        tallies[mode].clients += 1
        ev = asyncio.Event()
        refused_events.append(ev)
        tasks.append(asyncio.create_task(abuser(url, j, mode, per_abuser, tallies[mode], ev, honest_done)))
    for ev in refused_events:  # the honest clients start when every abuser is being refused
        await asyncio.wait_for(ev.wait(), timeout=120)
    go = asyncio.Event()
    made = [client(url, honest_address(i)) for i in range(clients)]
    honest_tasks = [
        asyncio.create_task(honest_client(c, i, 1, codes, honest, go)) for i, c in enumerate(made)
    ]
    await asyncio.sleep(0)
    window = [time.perf_counter()]
    go.set()
    await asyncio.gather(*honest_tasks)
    window.append(time.perf_counter())
    honest_done.set()
    await asyncio.gather(*tasks)
    during = sum(window[0] <= t <= window[1] for m in modes for t in tallies[m].starts)
    return {"honest": honest, **tallies}, during


# --- the store ----------------------------------------------------------------------------------


def prepare(home: Path, database_url: str | None) -> tuple[list[str], Engine]:
    from sqlmodel import Session

    from intel.db import get_engine
    from intel.settings import Settings
    from tests.factories import make_campaign_rows

    settings = Settings(environment="test", home=home, database_url=database_url)
    engine = get_engine(settings)
    settings.tip_keys()
    with Session(engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        s.commit()
    return [str(a.tracking_code) for a in rows.assets.values()], engine


def stored_tips(engine: Engine) -> int:
    from sqlalchemy import func, select

    from intel.models import Tip

    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(Tip)).scalar_one())


def baseline_rate(engine: Engine, n: int, codes: list[str]) -> float:
    """Tips a second written by a plain bulk insert of ``n`` rows (no encryption, one transaction)."""
    from sqlalchemy import insert

    from intel.models import Tip

    rows = [
        {"tracking_code": codes[i % len(codes)], "text_encrypted": (TEXT * 3).encode(), "status": "new"}
        for i in range(n)
    ]
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(Tip), rows)
    return n / (time.perf_counter() - t0)


# --- the report -----------------------------------------------------------------------------------


def print_table(title: str, tallies: dict[str, Tally]) -> None:
    print(f"\n{title}")
    head = (
        f"{'class':<10}{'clients':>8}{'requests':>10}{'accepted':>10}{'429':>7}{'413':>7}{'422':>7}"
        f"{'other':>7}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}"
    )
    print(head)
    print("-" * len(head))
    for name, t in tallies.items():
        print(
            f"{name:<10}{t.clients:>8}{t.requests:>10}{t.accepted:>10}{t.count(429):>7}{t.count(413):>7}"
            f"{t.count(422):>7}{t.other:>7}{t.errors:>8}{t.percentile(50):>9.0f}{t.percentile(95):>9.0f}"
        )


def stored_line(accepted: int, before: int, after: int) -> int:
    stored = after - before
    lost = accepted - stored
    print(f"accepted {accepted:,}; the store gained {stored:,} tips; lost = accepted - stored = {lost}")
    return lost


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="honest clients (default 200)")
    parser.add_argument("--tips", type=int, default=10, help="tips per honest client in round 1 (default 10)")
    parser.add_argument("--abusers", type=int, default=6, help="abusive clients in round 2 (default 6)")
    parser.add_argument("--abuse", type=int, default=100, help="requests per abuser, at least (default 100)")
    parser.add_argument(
        "--database-url", default=None, help="a PostgreSQL store instead of a temporary SQLite one"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 250 * 250:
        parser.error("--clients must be between 1 and 62500")

    with tempfile.TemporaryDirectory(prefix="tips-load-bench-") as folder:
        return run(Path(folder), args)


def run(home: Path, args: argparse.Namespace) -> int:
    """Both rounds; 1 if a tip was lost or an honest one refused."""
    codes, engine = prepare(home, args.database_url)
    store = "PostgreSQL" if args.database_url else "SQLite file (synchronous=FULL)"
    print(
        f"store: {store}; server: uvicorn, 1 process, loopback; clients: asyncio + httpx, one loopback address each"
    )
    lost_total = 0

    n = args.clients * args.tips
    server = Server(home, args.database_url, per_client=args.tips + 1, ceiling=10 * n + 100)
    try:
        server.wait_ready()
        before = stored_tips(engine)
        honest, wall = asyncio.run(capacity_round(server.url, args.clients, args.tips, codes))
        after = stored_tips(engine)
    finally:
        server.stop()
    print_table(
        f"round 1, capacity: {args.clients} clients x {args.tips} tips (form and API), limits raised",
        {"honest": honest},
    )
    lost_total += abs(stored_line(honest.accepted, before, after))
    http_rate = honest.accepted / wall
    base = baseline_rate(engine, n, codes)
    print(f"{'path':<48}{'tips/s':>10}{'ratio to baseline':>20}")
    print(f"{'baseline: plain bulk insert, no encryption':<48}{base:>10,.0f}{1.0:>20.2f}")
    print(f"{f'HTTP, {args.clients} concurrent clients':<48}{http_rate:>10,.0f}{http_rate / base:>20.3f}")

    server = Server(home, args.database_url, per_client=10, ceiling=300)
    try:
        server.wait_ready()
        before = stored_tips(engine)
        r2, during = asyncio.run(abuse_round(server.url, args.clients, codes, args.abusers, args.abuse))
        after = stored_tips(engine)
    finally:
        server.stop()
    print_table(
        f"round 2, limits as shipped (10/min per client, 30 invalid/min per client, 300/min in all): "
        f"{args.abusers} abusers first, then {args.clients} honest clients x 1 tip",
        r2,
    )
    accepted = r2["honest"].accepted + r2["flood"].accepted
    lost_total += abs(stored_line(accepted, before, after))
    honest_refused = r2["honest"].requests - r2["honest"].accepted
    print(
        f"honest clients refused while {args.abusers} clients flooded: {honest_refused} "
        f"of {r2['honest'].requests} (the flooders' valid tips: {r2['flood'].accepted} accepted, "
        f"{r2['flood'].count(429)} refused; {during} abusive requests began while the honest clients sent)"
    )
    return 1 if lost_total or honest_refused else 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        home_, port_, per_client_, ceiling_, url_ = sys.argv[2:7]
        serve(home_, url_ or None, int(port_), int(per_client_), int(ceiling_))
    else:
        sys.exit(main())
