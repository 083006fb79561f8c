"""Small factories that put rows in the store for the web and tip tests."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field

from sqlmodel import Session

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
    Target,
    User,
)

LINK_BASE = "http://127.0.0.1:8000"


def make_users(session: Session) -> dict[str, User]:
    """One user per role: ana (analyst), cam and cleo (campaign managers), dina (director), root (admin)."""
    users = {
        "ana": User(name="ana", role="analyst"),
        "cam": User(name="cam", role="campaign_manager"),
        "cleo": User(name="cleo", role="campaign_manager"),
        "dina": User(name="dina", role="director"),
        "root": User(name="root", role="admin"),
    }
    session.add_all(users.values())
    session.flush()
    return users


def make_run(session: Session, *, n: int = 4) -> tuple[HotspotRun, list[Hotspot]]:
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


@dataclass
class CampaignRows:
    campaign: Campaign
    targets: list[Target]
    assets: dict[tuple[int, str], Asset] = field(default_factory=dict)
    adsets: dict[tuple[int, str], AdSet] = field(default_factory=dict)


def make_campaign(
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
    """A campaign with targets at Benin City (en, pcm) and Tripoli (ar), ad sets, assets, posts, outbox."""
    starts_on = starts_on or dt.date(2026, 3, 1)
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
                targeting={"geo_locations": {"custom_locations": [{"latitude": lat, "longitude": lon}]}},
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
                    publish_at=dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC),
                    local_time="2026-03-01T09:00:00+01:00",
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
    fp = hashlib.sha256(
        f"{lat}{lon}{on}{place}{kind_tag}{dt.datetime.now().timestamp()}".encode()
    ).hexdigest()
    r = Report(observed_on=on, lat=lat, lon=lon, place=place, fingerprint=fp)
    session.add(r)
    session.flush()
    return r
