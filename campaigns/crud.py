"""Store access for campaigns, targets, ad sets and assets (keyword-only, borrowing a session)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, select

from intel.errors import CommandHint, NotFound
from intel.models import AdSet, Asset, Campaign, Hotspot, HotspotRun, Route, Target


def get_campaign(session: Session, *, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    return campaign


def list_targets(session: Session, *, campaign_id: int) -> list[Target]:
    return list(
        session.exec(select(Target).where(Target.campaign_id == campaign_id).order_by(col(Target.id)))
    )


def list_adsets(session: Session, *, campaign_id: int) -> list[AdSet]:
    return list(session.exec(select(AdSet).where(AdSet.campaign_id == campaign_id).order_by(col(AdSet.id))))


def list_assets(session: Session, *, campaign_id: int) -> list[Asset]:
    return list(session.exec(select(Asset).where(Asset.campaign_id == campaign_id).order_by(col(Asset.id))))


def get_asset_by_code(session: Session, *, tracking_code: str) -> Asset | None:
    return session.exec(select(Asset).where(Asset.tracking_code == tracking_code)).first()


def campaign_bundle(
    session: Session, *, campaign_id: int
) -> tuple[Campaign, list[Target], list[AdSet], list[Asset]]:
    """A campaign with its targets, ad sets and assets (what ``preflight`` takes)."""
    campaign = get_campaign(session, campaign_id=campaign_id)
    return (
        campaign,
        list_targets(session, campaign_id=campaign_id),
        list_adsets(session, campaign_id=campaign_id),
        list_assets(session, campaign_id=campaign_id),
    )


#: campaign statuses whose posts are out (or due): their insights are worth fetching
SENT_STATUSES = ("scheduled", "published")


def running_campaigns(session: Session, *, today: dt.date) -> list[Campaign]:
    """Campaigns that are scheduled or published and run ``today``, or ended yesterday (so that
    their last day's insights still come in), oldest first."""
    return list(
        session.exec(
            select(Campaign)
            .where(
                col(Campaign.status).in_(SENT_STATUSES),
                col(Campaign.starts_on) <= today,
                col(Campaign.ends_on) >= today - dt.timedelta(days=1),
            )
            .order_by(col(Campaign.id))
        )
    )


def create_campaign(session: Session, **fields: Any) -> Campaign:
    campaign = Campaign(**fields)
    session.add(campaign)
    session.flush()
    return campaign


def add_target(session: Session, **fields: Any) -> Target:
    target = Target(**fields)
    session.add(target)
    session.flush()
    return target


def add_adset(session: Session, **fields: Any) -> AdSet:
    adset = AdSet(**fields)
    session.add(adset)
    session.flush()
    return adset


def add_asset(session: Session, **fields: Any) -> Asset:
    asset = Asset(**fields)
    session.add(asset)
    session.flush()
    return asset


def find_route(session: Session, *, name: str) -> Route | None:
    """The stored route with this name (exact, then ignoring spaces around the ``>``)."""
    found = session.exec(select(Route).where(Route.name == name)).first()
    if found is not None:
        return found
    wanted = " > ".join(p.strip() for p in name.split(">"))
    for route in session.exec(select(Route)):
        if " > ".join(p.strip() for p in route.name.split(">")).casefold() == wanted.casefold():
            return route
    return None


def latest_run_id(session: Session, *, route_id: int | None) -> int | None:
    """The newest hotspot run of a route (``intel.hotspot_store.latest_run``)."""
    from intel.hotspot_store import latest_run

    run = latest_run(session, route_id=route_id)
    return None if run is None else run.id


def run_hotspots(session: Session, *, run_id: int) -> list[Hotspot]:
    if session.get(HotspotRun, run_id) is None:
        raise NotFound(
            f"hotspot run {run_id} does not exist",
            "run the hotspot analysis for the route first, or pick an existing hotspot run",
            hint=CommandHint("hotspots", "--route ROUTE"),
        )
    return list(session.exec(select(Hotspot).where(Hotspot.run_id == run_id).order_by(col(Hotspot.id))))
