"""Publishing speed: the exactly-once engine per object, against a baseline in the same run.

A factory campaign scaled up (N targets x 2 languages, 30 days, one post per ad set and day) is
published through the dry-run outbox and through the facebook-business SDK to the local fake
Graph API, on an SQLite store (the policy preflight is warmed first and included in each
publish). Baseline: building the same SDK requests with no store and no
sending (``preview`` over the same specs), i.e. the floor of payload construction.

    .venv/bin/python bench/publish_bench.py [N_TARGETS]
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session

from campaigns.delivery.approval import approve_campaign
from campaigns.delivery.channels.facebook import FacebookChannel
from campaigns.delivery.channels.outbox import OutboxChannel
from campaigns.delivery.publish import publish_campaign
from campaigns.delivery.schedule import schedule_campaign
from campaigns.policy import run_preflight
from intel.db import get_engine
from intel.models import Campaign
from intel.settings import Settings
from intel.users import add_user
from sandbox.fakegraph import start_fake_graph
from tests.factories import ENGLISH_ONLY, make_draft_campaign


def main(n_targets: int = 10) -> None:
    logging.disable(logging.WARNING)
    tmp = Path(tempfile.mkdtemp(prefix="publish-bench-"))
    settings = Settings(environment="test", home=tmp / "home", database_url=f"sqlite:///{tmp / 'bench.db'}")
    engine = get_engine(settings)
    targets = [dict(ENGLISH_ONLY[i % 2], name=f"T{i}", languages="en") for i in range(n_targets)]
    fake = start_fake_graph()
    results: dict[str, tuple[int, float]] = {}
    try:
        with Session(engine) as s:
            c = make_draft_campaign(s, targets=targets, days=30)
            cid = c.id
            schedule_campaign(s, campaign_id=cid, now=dt.datetime.now(dt.UTC), preflight=False)
            add_user(s, name="bench", role="campaign_manager")
            approve_campaign(s, campaign_id=cid, approver="bench")
            s.commit()
            run_preflight(s, s.get(Campaign, cid))  # warm: the first preflight loads the catalogs
            outbox = OutboxChannel(settings)
            t0 = time.perf_counter()
            preview = outbox.preview(s, campaign_id=cid)
            results["baseline: build SDK requests"] = (len(preview), time.perf_counter() - t0)
            t0 = time.perf_counter()
            rep = publish_campaign(s, campaign_id=cid, channel=outbox)
            results["outbox publish"] = (len(rep.sent), time.perf_counter() - t0)
            fb = FacebookChannel(settings.model_copy(update=fake.settings_update()))
            t0 = time.perf_counter()
            rep = publish_campaign(s, campaign_id=cid, channel=fb)
            results["facebook SDK -> fake Graph API"] = (len(rep.sent), time.perf_counter() - t0)
            t0 = time.perf_counter()
            rep = publish_campaign(s, campaign_id=cid, channel=fb)
            results["facebook rerun (all skipped)"] = (len(rep.skipped), time.perf_counter() - t0)
    finally:
        fake.stop()
    base = results["baseline: build SDK requests"][1]
    print(f"{n_targets} targets, {results['outbox publish'][0]} objects, SQLite store")
    for name, (n, secs) in results.items():
        print(
            f"  {name:<34} {n:>6} objects {secs:8.2f} s  {1000 * secs / max(n, 1):7.2f} ms/object  x{secs / base:6.1f}"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
