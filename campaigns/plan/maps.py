"""The campaign's map: each target's circle on the route, for the campaign page.

Coordinates are EPSG:4326; a target's radius is drawn in metres on the sphere by Leaflet.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import folium

from hotspots.maps import add_route, country_layer, fit, legend, offline_map, route_legend_rows, safe_text
from hotspots.routes import RouteSpec
from intel.hotspot_store import route_of_run
from intel.models import HotspotRun, Route, Target

#: Outline colours by whether a target is in the EU/EEA (teen ad sets are not run there).
COLOURS = {False: "#b2182b", True: "#2166ac"}


def _popup(t: Target) -> str:
    langs = ", ".join(t.languages.split("|")) if t.languages else "-"
    return (
        f"<b>{safe_text(t.name)}</b> ({safe_text(t.country)})<br>radius {t.radius_km:g} km · "
        f"languages {safe_text(langs)}<br>population {t.population:,} · reach estimate "
        f"{t.reach_estimate:,}<br>time zone {safe_text(t.timezone)}"
    )


def targets_map(
    targets: Sequence[Target], *, route: Route | None = None, title: str | None = None
) -> folium.Map:
    """A folium map (no tiles, nothing fetched) with each target's radius circle and the route.

    Parameters
    ----------
    targets
        The campaign's ``Target`` rows.
    route
        The campaign's ``Route`` row, drawn with its corridor when it has two waypoints or more.
    title
        Shown in the top-left corner.
    """
    m = offline_map()
    countries = country_layer()
    if countries is not None:
        countries.add_to(m)
    points: list[tuple[float, float]] = []
    spec = None
    if route is not None and len(route.waypoints) >= 2:
        spec = RouteSpec.from_waypoints(route.name, route.waypoints, route.corridor_km)
        points += add_route(m, spec)
    layer = folium.FeatureGroup(name="targets", show=True).add_to(m)
    for t in targets:
        colour = COLOURS[bool(t.is_eu)]
        folium.Circle(
            (t.lat, t.lon),
            radius=t.radius_km * 1000.0,
            color=colour,
            weight=2,
            fill=True,
            fill_color=colour,
            fill_opacity=0.25,
            popup=folium.Popup(_popup(t), max_width=300),
            tooltip=f"{safe_text(t.name)}: {t.radius_km:g} km",
            class_name="cf-target",
        ).add_to(layer)
        points.append((t.lat, t.lon))
    if title:
        m.get_root().html.add_child(  # type: ignore[attr-defined]
            folium.Element(
                f'<div style="position:fixed;top:10px;left:50px;z-index:999;background:#fff;'
                f'padding:2px 8px;border:1px solid #999;font:13px sans-serif">{safe_text(title)}</div>'
            )
        )
    rows = [
        (_circle(COLOURS[eu]), label)
        for eu, label in ((False, "target: its radius, outside the EU/EEA"),
                          (True, "target in the EU/EEA (no 13-17 ad sets there)"))
        if any(bool(t.is_eu) is eu for t in targets)
    ]  # fmt: skip
    legend(m, "Campaign targets", rows + route_legend_rows(spec))
    fit(m, points)  # open on the route and the targets
    folium.LayerControl(collapsed=True).add_to(m)
    return m


class _Drawn(NamedTuple):
    """What the map shows of a target: a hashable copy, so a rendered map can be kept."""

    name: str
    country: str
    radius_km: float
    languages: str | None
    population: int
    reach_estimate: int
    timezone: str
    lat: float
    lon: float
    is_eu: bool


class _DrawnRoute(NamedTuple):
    name: str
    waypoints: str  # JSON, sorted keys
    corridor_km: float

    @property
    def stops(self) -> list[dict[str, Any]]:
        return list(json.loads(self.waypoints))


def targets_map_html(targets: Sequence[Target], *, route: Route | None = None) -> str:
    """The whole page of :func:`targets_map`, rendered once for the same targets and route.

    A campaign's map is opened far more often than its targets change, and folium takes tens of
    milliseconds to render one; the page is kept (the last 64 drawn) under everything it shows,
    so an edited target or route draws a new one.
    """
    drawn = tuple(
        _Drawn(
            t.name, t.country, float(t.radius_km), t.languages, int(t.population), int(t.reach_estimate),
            t.timezone, float(t.lat), float(t.lon), bool(t.is_eu),
        )
        for t in targets
    )  # fmt: skip
    way = (
        None
        if route is None
        else _DrawnRoute(route.name, json.dumps(route.waypoints, sort_keys=True), float(route.corridor_km))
    )
    return _rendered(drawn, way)


@lru_cache(maxsize=64)
def _rendered(drawn: tuple[_Drawn, ...], route: _DrawnRoute | None) -> str:
    shown = (
        None
        if route is None
        else Route(name=route.name, waypoints=route.stops, corridor_km=route.corridor_km)
    )
    return str(targets_map(drawn, route=shown).get_root().render())  # type: ignore[arg-type]


def _circle(colour: str) -> str:
    return (
        f'<span class="sw" style="width:14px;height:14px;border:2px solid {colour};border-radius:8px;'
        f'background:{colour}40"></span>'
    )


def map_rows(session: Any, *, campaign_id: int) -> tuple[list[Target], Route | None]:
    """The targets and route of a campaign, for :func:`targets_map`."""
    from campaigns.crud import get_campaign, list_targets

    campaign = get_campaign(session, campaign_id=campaign_id)
    # the route as the campaign's hotspot run used it, even if the route has changed since
    run = session.get(HotspotRun, campaign.hotspot_run_id) if campaign.hotspot_run_id is not None else None
    if run is not None and run.route_id == campaign.route_id:
        route = route_of_run(session, run)
    else:
        route = session.get(Route, campaign.route_id) if campaign.route_id is not None else None
    return list_targets(session, campaign_id=campaign_id), route
