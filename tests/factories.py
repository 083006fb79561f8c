"""Factories for the tests: small frames and store rows, written directly (no planner, no ingest).

- report frames with the columns of ``intel.store.REPORT_COLUMNS``: ``reports``, ``clusters``,
  and ``store_reports`` to write one into the store;
- hotspot runs: ``make_route`` and ``make_demo_run`` (the hand-picked ``DEMO_HOTSPOTS`` along
  ``DEMO_ROUTE``, for planning), ``make_route_and_run`` (a ranked run with trends and reasons);
- campaigns: ``make_draft_campaign`` (two targets on the central Mediterranean route, one ad set
  and one asset per target x language, for publishing), ``make_campaign_rows`` (targets, ad sets,
  assets, scheduled posts and outbox rows, returned as ``CampaignRows``), ``make_metrics``,
  ``make_report``, ``make_users``;
- publishing: ``ready_campaign`` (scheduled and approved), ``facebook_channel`` on a fake Graph
  API, ``Sleeps``, ``ChannelCase``; the web app: ``seed``, ``Seeded`` and ``as_user``.

Pytest fixtures live in the ``conftest.py`` files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine
from sqlmodel import Session, select

from campaigns.delivery.approval import approve_campaign
from campaigns.delivery.channels.base import SendingChannel
from campaigns.delivery.channels.facebook import FacebookChannel
from campaigns.delivery.schedule import schedule_campaign
from intel.db import session_scope
from intel.models import (
    AdSet,
    Asset,
    Campaign,
    Delivery,
    Hotspot,
    HotspotRun,
    Metric,
    Report,
    Route,
    ScheduledPost,
    Source,
    Target,
    User,
)
from intel.settings import Settings
from intel.store import REPORT_COLUMNS
from intel.users import add_user
from sandbox.fakegraph import FakeGraph

# an ads results export as the platform writes it (insights-import)
ADS_EXPORT_SAMPLE = (
    Path(__file__).parent / "campaigns" / "feedback" / "data" / "facebook_ads_export_sample.csv"
)


# --- report frames -----------------------------------------------------------------------------


def reports(rows: list[dict]) -> pd.DataFrame:
    """A report frame from a few dicts; unspecified columns get neutral defaults."""
    defaults = {
        "observed_on": "2024-01-01", "lat": None, "lon": None, "place": None, "admin1": None, "country": None,
        "place_precision": "point", "date_precision": "day", "role": "incident",
        "origin": None, "transit": "", "destination": None, "exploitation": "", "recruitment": "",
        "control": "", "transport": "", "reliability": "B", "credibility": 2, "victim_count": 1,
        "is_aggregate": False, "simulated": True, "source_kind": "news", "corroboration": 1,
    }  # fmt: skip
    full = [{**defaults, "id": i + 1, **r} for i, r in enumerate(rows)]
    for r in full:  # the source as ``store_reports`` names it
        r.setdefault("source", f"{r['source_kind']} (test)")
    df = pd.DataFrame(full)
    df["observed_on"] = pd.to_datetime(df["observed_on"])
    return df[list(REPORT_COLUMNS)].astype({c: t for c, t in REPORT_COLUMNS.items() if t != "object"})


def clusters(
    centres: list[tuple[float, float, int]], *, seed: int = 0, spread_deg: float = 0.05, **extra: object
) -> pd.DataFrame:
    """``n`` reports scattered around each (lat, lon, n), dated over five years."""
    rng = np.random.default_rng(seed)
    rows = []
    for lat, lon, n in centres:
        for _ in range(n):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 5 * 365)))
            rows.append(
                {"lat": lat + rng.normal(0, spread_deg), "lon": lon + rng.normal(0, spread_deg),
                 "observed_on": day, **extra}
            )  # fmt: skip
    return reports(rows)


def store_reports(engine: Engine, frame: pd.DataFrame) -> None:
    """Write a report frame into the store as ``Report`` rows (one source per kind)."""
    batch = uuid.uuid4().hex[:8]

    with session_scope(engine) as s:
        sources: dict[str, int] = {}
        for i, r in enumerate(frame.to_dict("records")):
            kind = str(r.get("source_kind") or "news")
            if kind not in sources:
                found = s.exec(
                    select(Source).where(Source.kind == kind, Source.name == f"{kind} (test)")
                ).first()
                src = found or Source(kind=kind, name=f"{kind} (test)", reliability="B")
                s.add(src)
                s.flush()
                assert src.id is not None
                sources[kind] = src.id
            s.add(
                Report(
                    source_id=sources[kind], observed_on=pd.Timestamp(r["observed_on"]).date(),
                    reliability=r["reliability"], credibility=int(r["credibility"]),
                    exploitation=r["exploitation"] or "", victim_count=int(r["victim_count"]),
                    place=r["place"], country=r["country"], lat=r["lat"], lon=r["lon"],
                    origin=r["origin"], transit=r["transit"] or "", destination=r["destination"],
                    fingerprint=f"test-{batch}-{i}", simulated=True,
                )
            )  # fmt: skip


# --- hotspot runs ------------------------------------------------------------------------------

DEMO_ROUTE = "Benin City > Agadez > Tripoli > Lampedusa > Rome"

# (place, lat, lon, rank, extent_km, bin, z): hand-picked points along the demo route.
DEMO_HOTSPOTS: list[tuple[str, float, float, int | None, float | None, int, float]] = [
    ("Benin City", 6.338, 5.626, 1, 12.0, 3, 6.1),
    # centre inside Benin City's circle: merged, circle grows
    ("Benin City east", 6.36, 5.68, 2, 8.0, 3, 5.2),
    ("Agadez", 16.973, 7.991, 3, 8.0, 2, 4.0),
    ("Tripoli", 32.887, 13.187, 4, 15.0, 3, 5.5),
    ("Zawiya", 32.757, 12.728, 5, 35.0, 2, 3.9),  # 45 km from Tripoli, radii 15 + 35: flagged
    ("Lampedusa", 35.501, 12.610, 6, 0.5, 2, 3.1),  # tiny extent: bounded up to 2 km
    ("Rome", 41.894, 12.483, 7, 900.0, 1, 2.5),  # huge extent: bounded down to 40 km
    ("Kano", 12.0, 8.517, None, 10.0, 1, 2.2),  # not on the route, hot: used only after ranked ones
    ("Cold", 13.0, 2.0, None, 10.0, -2, -3.0),  # a cold spot: never a target
]


def make_route(session: Session, *, name: str = DEMO_ROUTE) -> Route:
    """A route whose waypoints are the names in ``name`` (``A > B > C``)."""
    route = Route(name=name, waypoints=[{"name": p.strip()} for p in name.split(">")])
    session.add(route)
    session.flush()
    return route


def make_demo_run(
    session: Session,
    *,
    route: Route | None = None,
    hotspots: list[tuple[str, float, float, int | None, float | None, int, float]] | None = None,
    **params: Any,
) -> HotspotRun:
    """A hotspot run on ``route`` holding ``hotspots`` (default ``DEMO_HOTSPOTS``), for the planner."""
    run = HotspotRun(route_id=route.id if route else None, params=params)
    session.add(run)
    session.flush()
    assert run.id is not None
    for i, (place, lat, lon, rank, extent, b, z) in enumerate(
        hotspots if hotspots is not None else DEMO_HOTSPOTS
    ):
        session.add(
            Hotspot(
                run_id=run.id,
                cell=f"cell{i:04d}",
                lat=lat,
                lon=lon,
                place=place,
                count=10 + i,
                z=z,
                p=0.001,
                bin=b,
                rank=rank,
                extent_km=extent,
            )
        )
    session.flush()
    return run


def make_route_and_run(session: Session, *, n: int = 4) -> tuple[HotspotRun, list[Hotspot]]:
    """A route and a hotspot run with ``n`` significant cells along Benin City -> Agadez -> Tripoli."""
    route = Route(
        name=f"route-{n}-{dt.datetime.now().timestamp()}",
        waypoints=[
            {"name": "Benin City", "lat": 6.34, "lon": 5.62, "country": "NG"},
            {"name": "Agadez", "lat": 16.97, "lon": 7.99, "country": "NE"},
            {"name": "Tripoli", "lat": 32.89, "lon": 13.19, "country": "LY"},
        ],
    )
    session.add(route)
    session.flush()
    run = HotspotRun(route_id=route.id, resolution=5, n_reports=120, n_cells=40, n_significant=n)
    session.add(run)
    session.flush()
    places = [
        ("Benin City", "NG", 6.34, 5.62, 3, "intensifying hot spot"),
        ("Agadez", "NE", 16.97, 7.99, 3, "persistent hot spot"),
        ("Sabha", "LY", 27.04, 14.43, 2, "new hot spot"),
        ("Tripoli", "LY", 32.89, 13.19, 2, "consecutive hot spot"),
        ("Kano", "NG", 12.0, 8.52, 1, None),
        ("Zinder", "NE", 13.8, 8.99, 1, None),
    ]
    hotspots = []
    for i, (place, country, lat, lon, bin_, trend) in enumerate(places[:n]):
        h = Hotspot(
            run_id=run.id,
            cell=f"cell{i}",
            lat=lat,
            lon=lon,
            place=place,
            country=country,
            count=40 - 5 * i,
            weight=30.0 - 4 * i,
            z=6.5 - i,
            p=0.0001 * (i + 1),
            bin=bin_,
            trend=trend,
            rank=i + 1,
            segment=i,
            distance_km=500.0 * i,
            extent_km=20.0,
            reasons={"count": 40 - 5 * i, "top_exploitation": "sexual"},
        )
        hotspots.append(h)
    session.add_all(hotspots)
    session.flush()
    return run, hotspots


# --- campaigns ---------------------------------------------------------------------------------

# A small, hand-made campaign for the publishing tests: Benin City (Nigeria) and Rome (Italy),
# each with two languages.
TARGETS: list[dict[str, Any]] = [
    {
        "name": "Benin City",
        "lat": 6.335,
        "lon": 5.627,
        "radius_km": 10.0,
        "country": "NG",
        "timezone": "Africa/Lagos",
        "city": "Benin City",
        "languages": "en|pcm",
        "is_eu": False,
    },
    {
        "name": "Rome Termini",
        "lat": 41.901,
        "lon": 12.501,
        "radius_km": 5.0,
        "country": "IT",
        "timezone": "Europe/Rome",
        "city": "Rome",
        "languages": "en|it",
        "is_eu": True,
    },
]

# the platform's numeric locale ids (1001 = English (All), 10 = Italian); Nigerian Pidgin has none:
# its ad set is targeted by geography only
LOCALE_IDS: dict[str, list[int]] = {"en": [1001], "pcm": [], "it": [10]}

# English only: the other catalogs are unreviewed drafts, which the live channel refuses
ENGLISH_ONLY = [dict(t, languages="en") for t in TARGETS]


def make_draft_campaign(
    session: Session,
    *,
    author: str = "amara",
    name: str = "Central Mediterranean awareness",
    starts_on: dt.date | None = None,
    days: int = 3,
    targets: list[dict[str, Any]] | None = None,
    teen: bool = False,
) -> Campaign:
    """Insert a draft campaign with its targets, ad sets and assets; return it (committed)."""
    starts_on = starts_on or (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1))
    campaign = Campaign(
        name=name,
        author=author,
        audience={"age_min": 18, "age_max": 35, "genders": [2], "special_ad_categories": []},
        budget=300.0,
        allow_fuzzy=True,  # the dry-run outbox may show unreviewed drafts; facebook refuses them
        special_ad_categories=["ISSUES_ELECTIONS_POLITICS"],
        special_ad_category_country=sorted({t["country"] for t in (targets or TARGETS)}),
        paid_for_by="Counterflow Test Foundation",
        dsa_beneficiary="Counterflow Test Foundation",
        dsa_payor="Counterflow Test Foundation",
        starts_on=starts_on,
        ends_on=starts_on + dt.timedelta(days=days - 1),
    )
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    for t in targets or TARGETS:
        target = Target(campaign_id=campaign.id, **t)
        session.add(target)
        session.flush()
        assert target.id is not None
        for locale in target.languages.split("|"):
            age_min, age_max = (13, 17) if teen else (18, 35)
            geo: dict[str, Any]
            if teen:
                geo = {"cities": [{"name": target.city or target.name, "country": target.country}]}
                targeting: dict[str, Any] = {"age_min": age_min, "age_max": age_max, "geo_locations": geo}
            else:
                geo = {
                    "custom_locations": [
                        {
                            "latitude": target.lat,
                            "longitude": target.lon,
                            "radius": target.radius_km,
                            "distance_unit": "kilometer",
                        }
                    ]
                }
                targeting = {"age_min": age_min, "age_max": age_max, "genders": [2], "geo_locations": geo}
                if LOCALE_IDS[locale]:
                    targeting["locales"] = LOCALE_IDS[locale]
            adset = AdSet(
                campaign_id=campaign.id,
                target_id=target.id,
                locale=locale,
                age_min=age_min,
                age_max=age_max,
                genders="" if teen else "2",
                teen=teen,
                targeting=targeting,
                budget=75.0,
            )
            session.add(adset)
            session.flush()
            code = f"c{campaign.id}-t{target.id}-{locale}"
            session.add(
                Asset(
                    campaign_id=campaign.id,
                    target_id=target.id,
                    adset_id=adset.id,
                    locale=locale,
                    tracking_code=code,
                    headline=f"Job offer abroad? Check it first ({locale})",
                    body=f"Traffickers promise work in Europe. Ask before you travel ({locale}).",
                    cta="Learn more",
                    link=f"http://127.0.0.1:8000/t/{code}",
                    helpline="+234 800 000 0000",
                    description="Free, confidential advice",
                )
            )
    session.commit()
    return campaign


LINK_BASE = "http://127.0.0.1:8000"


#: The password of every user of ``make_users`` (tests only).
PASSWORD = "test only: correct horse battery staple"


@lru_cache(maxsize=1)
def password_hash() -> str:
    """``PASSWORD`` hashed once (Argon2 costs tens of milliseconds and 64 MiB by design)."""
    from intel.accounts import HASHER

    return HASHER.hash(PASSWORD)


def typed(monkeypatch: Any, *lines: str) -> None:
    """Standard input (not a terminal) that answers the command line's password prompts, a line each."""
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("".join(f"{line}\n" for line in lines)))


def user_with_password(session: Session, name: str, role: str, *, password: bool = True) -> User:
    """A user (with the password ``PASSWORD``, unless ``password=False``)."""
    user = User(name=name, role=role, password_hash=password_hash() if password else None)
    session.add(user)
    session.flush()
    return user


def make_users(session: Session) -> dict[str, User]:
    """One user per role: ana (analyst), cam and cleo (campaign managers), dina (director), root
    (admin), pia (partner), each with the password ``PASSWORD``."""
    hashed = password_hash()
    users = {
        name: User(name=name, role=role, password_hash=hashed)
        for name, role in (
            ("ana", "analyst"),
            ("cam", "campaign_manager"),
            ("cleo", "campaign_manager"),
            ("dina", "director"),
            ("root", "admin"),
            ("pia", "partner"),
        )
    }
    session.add_all(users.values())
    session.flush()
    return users


@dataclass
class CampaignRows:
    campaign: Campaign
    targets: list[Target]
    assets: dict[tuple[int, str], Asset] = field(default_factory=dict)
    adsets: dict[tuple[int, str], AdSet] = field(default_factory=dict)


def make_campaign_rows(
    session: Session,
    *,
    run: HotspotRun | None = None,
    hotspots: list[Hotspot] | None = None,
    author: str = "cam",
    status: str = "draft",
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    budget: float = 1000.0,
) -> CampaignRows:
    """A campaign with targets at Benin City (en, pcm) and Tripoli (ar), ad sets, assets, posts, outbox.

    Its preflight refuses nothing (four warnings: the Libyan helpline to verify, Pidgin without a
    platform locale, the ar and pcm drafts in a dry run), so it can be approved."""
    # 1 March of next year: always ahead, so preflight's dates_past never refuses it
    starts_on = starts_on or dt.date(dt.date.today().year + 1, 3, 1)
    ends_on = ends_on or starts_on + dt.timedelta(days=30)
    campaign = Campaign(
        name="Safe journeys",
        route_id=run.route_id if run else None,
        hotspot_run_id=run.id if run else None,
        status=status,
        author=author,
        audience={"age_min": 18, "age_max": 35, "genders": [2], "languages": "local"},
        budget=budget,
        starts_on=starts_on,
        ends_on=ends_on,
        # what the platform's policy asks of a social-issue campaign: preflight refuses nothing
        # (the dry-run outbox may show the unreviewed ar and pcm drafts, with a warning)
        special_ad_categories=["ISSUES_ELECTIONS_POLITICS"],
        special_ad_category_country=["LY", "NG"],
        paid_for_by="Counterflow Test Foundation",
        allow_fuzzy=True,
    )
    session.add(campaign)
    session.flush()
    by_place = {h.place: h for h in hotspots or []}
    spec = [
        ("Benin City", "NG", 6.34, 5.62, "Africa/Lagos", ["en", "pcm"], 1_782_000),
        ("Tripoli", "LY", 32.89, 13.19, "Africa/Tripoli", ["ar"], 1_150_000),
    ]
    rows = CampaignRows(campaign=campaign, targets=[])
    for name, country, lat, lon, tz, langs, pop in spec:
        hotspot = by_place.get(name)
        target = Target(
            campaign_id=campaign.id,
            hotspot_id=hotspot.id if hotspot else None,
            name=name,
            lat=lat,
            lon=lon,
            radius_km=25.0,
            country=country,
            timezone=tz,
            languages="|".join(langs),
            population=pop,
            reach_estimate=pop // 10,
        )
        session.add(target)
        session.flush()
        rows.targets.append(target)
        for loc in langs:
            adset = AdSet(
                campaign_id=campaign.id,
                target_id=target.id,
                locale=loc,
                age_min=18,
                age_max=35,
                genders="2",
                targeting={
                    "geo_locations": {
                        "custom_locations": [
                            {"latitude": lat, "longitude": lon, "radius": 25.0, "distance_unit": "kilometer"}
                        ]
                    }
                },
                budget=budget / 3,
            )
            session.add(adset)
            session.flush()
            code = f"c{campaign.id}t{target.id}{loc}"
            asset = Asset(
                campaign_id=campaign.id,
                target_id=target.id,
                adset_id=adset.id,
                locale=loc,
                tracking_code=code,
                headline="تحذير من عروض العمل الكاذبة" if loc == "ar" else "Beware of fake job offers",
                body="لا تسلم جواز سفرك لأحد" if loc == "ar" else "Never hand over your passport.",
                cta="أبلغ" if loc == "ar" else "Report",
                link=f"{LINK_BASE}/t/{code}",
                direction="rtl" if loc == "ar" else "ltr",
            )
            session.add(asset)
            session.flush()
            rows.adsets[(target.id, loc)] = adset  # type: ignore[index]
            rows.assets[(target.id, loc)] = asset  # type: ignore[index]
            session.add(
                ScheduledPost(
                    campaign_id=campaign.id,
                    asset_id=asset.id,
                    publish_at=dt.datetime.combine(starts_on, dt.time(8, 0), tzinfo=dt.UTC),
                    local_time=f"{starts_on.isoformat()}T09:00:00+01:00",
                    timezone=tz,
                )
            )
            session.add(
                Delivery(
                    campaign_id=campaign.id,
                    channel="outbox",
                    key=f"adset:{adset.id}",
                    kind="adset",
                    status="pending",
                    payload={"name": f"{name} {loc}", "targeting": adset.targeting, "status": "PAUSED"},
                )
            )
    session.flush()
    return rows


def make_target_code(
    session: Session,
    *,
    name: str = "Agadez",
    country: str = "NE",
    lat: float = 16.97,
    lon: float = 7.99,
    radius_km: float = 25.0,
    locale: str = "fr",
) -> str:
    """The tracking code of one asset of a one-target campaign (by default a target at Agadez, Niger)."""
    campaign = Campaign(name=f"Campaign at {name}", status="draft", author="cam", budget=100.0)
    session.add(campaign)
    session.flush()
    target = Target(
        campaign_id=campaign.id, name=name, lat=lat, lon=lon, radius_km=radius_km, country=country,
        timezone="Africa/Niamey", languages=locale, population=150_000, reach_estimate=15_000,
    )  # fmt: skip
    session.add(target)
    session.flush()
    code = f"{name[:3].lower()}-{uuid.uuid4().hex[:8]}"
    session.add(
        Asset(
            campaign_id=campaign.id,
            target_id=target.id,
            locale=locale,
            tracking_code=code,
            headline="Offre d'emploi ?",
            body="Vérifiez avant de partir.",
            cta="Signaler",
            link=f"{LINK_BASE}/t/{code}",
        )  # fmt: skip
    )
    session.flush()
    return code


def make_metrics(
    session: Session, rows: CampaignRows, *, days: int = 3, reach: int = 1000, simulated: bool = True
) -> list[Metric]:
    """Daily metrics for every asset of the campaign (labelled simulated by default)."""
    out = []
    start = rows.campaign.starts_on or dt.date(2026, 3, 1)
    for i, asset in enumerate(rows.assets.values()):
        for d in range(days):
            m = Metric(
                campaign_id=rows.campaign.id,  # type: ignore[arg-type]
                adset_id=asset.adset_id,
                tracking_code=asset.tracking_code,
                day=start + dt.timedelta(days=d),
                reach=reach * (i + 1),
                impressions=2 * reach * (i + 1),
                clicks=20 * (i + 1),
                ctr=1.0,
                spend=10.0 * (i + 1),
                video_p25=400,
                video_p100=100 * (i + 1),
                source="simulated" if simulated else "platform",
                simulated=simulated,
            )
            out.append(m)
    session.add_all(out)
    session.flush()
    return out


def make_report(
    session: Session, *, lat: float, lon: float, on: dt.date, place: str = "somewhere", kind_tag: str = ""
) -> Report:
    """One report at (lat, lon) on ``on``, with a fingerprint of its own."""
    fp = hashlib.sha256(
        f"{lat}{lon}{on}{place}{kind_tag}{dt.datetime.now().timestamp()}".encode()
    ).hexdigest()
    r = Report(observed_on=on, lat=lat, lon=lon, place=place, fingerprint=fp)
    session.add(r)
    session.flush()
    return r


# --- publishing --------------------------------------------------------------------------------


@dataclass
class Sleeps:
    """Records the pauses a channel asks for, without sleeping."""

    calls: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def facebook_channel(settings: Settings, fake: FakeGraph, sleeps: Sleeps | None = None) -> FacebookChannel:
    """The Facebook channel pointed at the fake Graph API, with short back-offs that do not sleep."""
    return FacebookChannel(
        settings.model_copy(update=fake.settings_update()), base_delay=0.001, sleep=sleeps or Sleeps()
    )


def ready_campaign(session: Session, **kwargs: Any) -> Campaign:
    """An English-only campaign (reviewed copy: publishable live), scheduled and approved."""
    kwargs.setdefault("targets", ENGLISH_ONLY)
    c = make_draft_campaign(session, **kwargs)
    schedule_campaign(session, campaign_id=c.id, windows=[(8, 0), (19, 0)], now=dt.datetime.now(dt.UTC))
    add_user(session, name="bello", role="campaign_manager")
    approve_campaign(session, campaign_id=c.id, approver="bello")
    session.commit()
    return c


@dataclass
class ChannelCase:
    """One channel of the contract tests, with its fake Graph API (None for the outbox)."""

    channel: SendingChannel
    fake: FakeGraph | None
    settings: Settings


# --- the web app's store -----------------------------------------------------------------------


@dataclass
class Seeded:
    run: HotspotRun
    hotspots: list[Hotspot]
    rows: CampaignRows


def seed(engine: Engine) -> Seeded:
    """Users of every role, a ranked hotspot run, a campaign on it and its simulated metrics."""
    with Session(engine, expire_on_commit=False) as s:
        make_users(s)
        run, hotspots = make_route_and_run(s, n=4)
        rows = make_campaign_rows(s, run=run, hotspots=hotspots, author="cam")
        make_metrics(s, rows)
        s.commit()
    return Seeded(run=run, hotspots=hotspots, rows=rows)


def as_user(client: Any, name: str) -> dict[str, str]:
    """Request headers of a signed-in ``name``: a session opened in the store of ``client``'s app
    (as the sign-in form opens one) and its CSRF token. The sign-in form itself is tested with
    passwords in ``tests/web/test_signin.py``."""
    from intel.accounts import find_user, open_session
    from web.auth import SESSION_COOKIE, csrf_for

    with Session(client.app.state.engine) as s:
        user = find_user(s, name)
        assert user is not None, f"no user {name!r} in the test store"
        token = open_session(s, user=user)
        s.commit()
    return {"Cookie": f"{SESSION_COOKIE}={token}", "X-CSRF-Token": csrf_for(token)}
