"""Benchmark of the campaign manager's live preflight: what one change of a field costs.

The plan and edit forms post themselves to ``POST /campaigns/preflight`` and
``POST /campaigns/<id>/preflight`` as fields change (``web/static/preflight.js`` waits 0.5 s after
the last keystroke). Each answer runs the plan or edit step in a transaction that is rolled back,
so it costs a whole plan (targets, reach, ad sets, assets, preflight). This bench measures, in
one process with the app's TestClient on an SQLite store seeded as the web tests are (a run of 4
ranked hotspots, one user per role): the plan form's preflight, the edit form's, the campaign
page (already there before this work) and the static CSS file as the baseline, ``--requests``
times each after a first request shown apart, and prints p50 / p95 and the ratio to the baseline.

Usage: ``python bench/manage_bench.py [--requests 20]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fastapi.testclient import TestClient

from intel.settings import Settings
from tests.factories import as_user, seed
from web.app import create_app


def _timed(call: Callable[[], object], n: int) -> tuple[float, list[float]]:
    t = time.perf_counter()
    call()
    first = time.perf_counter() - t
    times = []
    for _ in range(n):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return first, times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="manage-bench-"))
    settings = Settings(environment="test", home=home, database_url=f"sqlite:///{home / 'store.db'}")
    app = create_app(settings)
    seeded = seed(app.state.engine)
    client = TestClient(app)
    headers = as_user(client, "cam")
    year = dt.date.today().year + 1
    form = {
        "csrf_token": headers["X-CSRF-Token"],
        "run": str(seeded.run.id),
        "name": "Bench",
        "ages": "18-35",
        "genders": "all",
        "languages": "local",
        "budget": "4000",
        "currency": "USD",
        "starts": f"{year}-04-01",
        "ends": f"{year}-04-30",
        "paid_for_by": "Bench Foundation",
        "keep": [str(h.id) for h in seeded.hotspots],
    }
    planned = client.post("/campaigns", headers=headers, data=form, follow_redirects=False)
    cid = planned.headers["location"].rsplit("/", 1)[1]
    edit = {"csrf_token": headers["X-CSRF-Token"], "budget": "5000", "starts": f"{year}-04-01",
            "ends": f"{year}-04-30", "ages": "18-35", "genders": "all", "languages": "local",
            "paid_for_by": "Bench Foundation", "dsa_beneficiary": "Bench Foundation",
            "dsa_payor": "Bench Foundation"}  # fmt: skip

    def ok(r: object) -> object:
        assert getattr(r, "status_code", 0) == 200, getattr(r, "text", "")[:300]
        return r

    cases: list[tuple[str, Callable[[], object]]] = [
        ("/static/counterflow.css (baseline)", lambda: ok(client.get("/static/counterflow.css"))),
        ("GET /campaigns/<id>", lambda: ok(client.get(f"/campaigns/{cid}", headers=headers))),
        (
            "POST /campaigns/preflight (plan)",
            lambda: ok(client.post("/campaigns/preflight", headers=headers, data=form)),
        ),
        (
            "POST /campaigns/<id>/preflight (edit)",
            lambda: ok(client.post(f"/campaigns/{cid}/preflight", headers=headers, data=edit)),
        ),
        (
            "GET /campaigns/<id>/schedule (preview)",
            lambda: ok(client.get(f"/campaigns/{cid}/schedule", headers=headers)),
        ),
    ]
    print(f"{'request':42} {'first ms':>9} {'p50 ms':>8} {'p95 ms':>8} {'x baseline':>11}")
    base = None
    for label, call in cases:
        first, times = _timed(call, args.requests)
        p50 = statistics.median(times)
        p95 = sorted(times)[max(0, int(round(0.95 * len(times))) - 1)]
        base = base or p50
        print(f"{label:42} {first * 1000:9.1f} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {p50 / base:11.0f}")


if __name__ == "__main__":
    main()
