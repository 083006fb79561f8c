"""Tip intake speed: the tip service (attribute, encrypt, coarsen, audit) and the HTTP API, each with
its ratio to a plain insert of the same rows measured in the same run.

Usage: python -m bench.tips_bench [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert
from sqlmodel import Session


def main(n: int = 2000) -> None:
    from fastapi.testclient import TestClient

    from campaigns.feedback.tips import submit_tip
    from intel.db import get_engine
    from intel.models import Tip
    from intel.settings import Settings
    from tests.factories import make_campaign_rows
    from web.app import create_app

    home = Path(tempfile.mkdtemp(prefix="tips-bench-"))
    settings = Settings(environment="test", home=home)
    engine = get_engine(settings)
    with Session(engine, expire_on_commit=False) as s:
        rows = make_campaign_rows(s)
        s.commit()
    codes = [a.tracking_code for a in rows.assets.values()]
    text = "A woman at the motor park promises jobs in Italy and keeps the girls' passports. " * 3

    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(Tip),
            [
                {"tracking_code": codes[i % 3], "text_encrypted": text.encode(), "status": "new"}
                for i in range(n)
            ],
        )
    baseline = time.perf_counter() - t0

    t0 = time.perf_counter()
    with Session(engine) as s:
        for i in range(n):
            submit_tip(s, text=text, tracking_code=codes[i % 3], lat=6.34, lon=5.62, settings=settings)
        s.commit()
    service = time.perf_counter() - t0

    m = max(n // 4, 1)
    client = TestClient(create_app(settings, tip_rate_limit=10 * m, tip_ceiling=10 * m))
    t0 = time.perf_counter()
    for i in range(m):
        client.post("/api/tips", json={"text": text, "tracking_code": codes[i % 3]})
    http = time.perf_counter() - t0

    print(f"tips: {n} (HTTP: {m}), SQLite file store")
    print(f"{'path':<44}{'tips/s':>10}{'ratio to baseline':>20}")
    print(f"{'baseline: plain bulk insert, no encryption':<44}{n / baseline:>10,.0f}{1.0:>20.2f}")
    print(
        f"{'submit_tip (attribute, encrypt, audit)':<44}{n / service:>10,.0f}{(n / service) / (n / baseline):>20.3f}"
    )
    print(
        f"{'POST /api/tips (one request per tip)':<44}{m / http:>10,.0f}{(m / http) / (n / baseline):>20.3f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
