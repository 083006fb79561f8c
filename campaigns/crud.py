"""Store access for campaigns, targets, ad sets and assets (keyword-only, borrowing a session)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from intel.errors import NotFound
from intel.models import AdSet, Asset, Campaign, Hotspot, HotspotRun, Route, Target


def get_campaign(session: Session, *, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "use the id `counterflow plan` printed (campaign N)",
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
            "run `counterflow hotspots --route ...` first, or pass an existing --run",
        )
    return list(session.exec(select(Hotspot).where(Hotspot.run_id == run_id).order_by(col(Hotspot.id))))
