"""Campaign planning speed: plan + assets + preflight on the demo route, against a baseline.

Baseline (same run, same store): inserting the same number of Target, AdSet and Asset rows with
no computation, i.e. the floor any planner pays for its writes. Also: rendering one asset's copy
(catalogs cached) and one HTML preview.

    .venv/bin/python bench/bench_campaigns.py
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from campaigns import crud
from campaigns.copy.assets import asset_values, generate_assets, render_preview
from campaigns.plan.planner import Audience, plan_campaign
from campaigns.policy import preflight
from intel.db import get_engine, session_scope
from intel.gazetteer import get_gazetteer
from intel.models import AdSet, Asset, Campaign, Target
from intel.settings import Settings
from tests.factories import make_demo_run, make_route

REPEAT = 5


def _plan(engine, settings: Settings, run_id: int) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        c = plan_campaign(
            session,
            name="bench",
            hotspot_run_id=run_id,
            author="bench",
            audience=Audience(13, 28, ["women"]),
            budget=5000,
            currency="USD",
            starts_on=dt.date(2027, 1, 10),
            ends_on=dt.date(2027, 2, 10),
            settings=settings,
            paid_for_by="Org",
            allow_fuzzy=True,
        )
        assert c.id is not None
        generate_assets(session, campaign_id=c.id, settings=settings)
        campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=c.id)
        preflight(campaign, targets, adsets, assets)
        return len(targets), len(adsets), len(assets)


def _baseline(engine, n_targets: int, n_adsets: int, n_assets: int) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as session:
        c = Campaign(name="base", author="b")
        session.add(c)
        session.flush()
        assert c.id is not None
        ts = [
            Target(campaign_id=c.id, name=f"t{i}", lat=0, lon=0, radius_km=10, country="NG")
            for i in range(n_targets)
        ]
        session.add_all(ts)
        session.flush()
        ads = [
            AdSet(campaign_id=c.id, target_id=ts[i % n_targets].id or 0, locale="en", age_min=18, age_max=28)
            for i in range(n_adsets)
        ]
        session.add_all(ads)
        session.flush()
        session.add_all(
            Asset(
                campaign_id=c.id,
                target_id=ads[i % n_adsets].target_id,
                adset_id=ads[i % n_adsets].id,
                locale="en",
                tracking_code=f"base{c.id}-{i}",
                headline="h",
                body="b",
                cta="c",
                link="l",
            )  # fmt: skip
            for i in range(n_assets)
        )
        session.flush()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(environment="test", home=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db")
        engine = get_engine(settings)
        get_gazetteer()  # load once (about half a second), outside the timings
        with session_scope(engine) as session:
            run_id = make_demo_run(session, route=make_route(session)).id
        sizes = _plan(engine, settings, run_id)  # warm-up: catalogs, time zones
        plan_s, base_s = [], []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            _plan(engine, settings, run_id)
            plan_s.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            _baseline(engine, *sizes)
            base_s.append(time.perf_counter() - t0)
        with session_scope(engine) as session:
            campaign, targets, adsets, assets = crud.campaign_bundle(session, campaign_id=1)
            t0 = time.perf_counter()
            for a in adsets:
                asset_values(
                    campaign=campaign, target=targets[0], adset=a, family="know_the_signs", settings=settings
                )
            per_copy = (time.perf_counter() - t0) / len(adsets)
            t0 = time.perf_counter()
            for a in assets:
                render_preview(a, paid_for_by="Org")
            per_preview = (time.perf_counter() - t0) / len(assets)
    p, b = statistics.median(plan_s), statistics.median(base_s)
    print(
        f"demo plan: {sizes[0]} targets, {sizes[1]} ad sets, {sizes[2]} assets (SQLite file, median of {REPEAT})"
    )
    print(f"plan + assets + preflight: {p * 1000:.0f} ms")
    print(f"baseline (bare inserts of the same rows): {b * 1000:.0f} ms")
    print(f"ratio plan / baseline: {p / b:.1f}x")
    print(
        f"one asset's copy (catalogs cached): {per_copy * 1e3:.2f} ms; one HTML preview: {per_preview * 1e3:.2f} ms"
    )


if __name__ == "__main__":
    main()
