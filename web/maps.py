"""Hotspot maps for the pages: a folium map from a function, served with vendored assets only.

The map comes from ``hotspots.maps.hotspot_map_from_rows``; if that fails, from
``fallback_map`` here (cells coloured by confidence bin, the route as a line). ``offline_html``
renders any folium map and points its JavaScript and CSS at the copies vendored under
``/static/vendor`` (folium's defaults are public CDNs), dropping the ones the map does not need.
"""

from __future__ import annotations

import logging
import re

import folium

from intel.models import Hotspot, HotspotRun, Route

log = logging.getLogger(__name__)

VENDOR = "/static/vendor"
#: Local copies, by the file name that ends a CDN URL.
LOCAL_ASSETS = {
    "leaflet.js": f"{VENDOR}/leaflet/leaflet.js",
    "leaflet.css": f"{VENDOR}/leaflet/leaflet.css",
    "leaflet.awesome-markers.js": f"{VENDOR}/awesome-markers/leaflet.awesome-markers.min.js",
    "leaflet.awesome-markers.css": f"{VENDOR}/awesome-markers/leaflet.awesome-markers.css",
}
BIN_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#bbbbbb",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
_REMOTE = re.compile(
    r"""<(script|link)\b[^>]*?(?:src|href)=["'](https?:)?//[^"']+["'][^>]*>(?:\s*</script>)?"""
)


def _localise(match: re.Match[str]) -> str:
    tag = match.group(0)
    url = re.search(r"""(?:src|href)=["']([^"']+)["']""", tag)
    assert url is not None
    name = url.group(1).rsplit("/", 1)[-1].split("?")[0]
    local = LOCAL_ASSETS.get(name)
    if local is None:
        return ""  # bootstrap, jquery, font-awesome: the map does not need them
    return tag.replace(url.group(1), local)


def offline_html(m: folium.Map) -> str:
    """The map as a full HTML document that loads nothing from outside this server."""
    html = m.get_root().render()
    return _REMOTE.sub(_localise, html)


def _countries_layer() -> folium.GeoJson | None:
    """Country outlines from Natural Earth (low resolution) as shipped with pyogrio, if present."""
    from importlib.resources import files

    try:
        path = files("pyogrio") / "tests" / "fixtures" / "naturalearth_lowres" / "naturalearth_lowres.shp"
        if not path.is_file():
            return None
        import geopandas as gpd

        world = gpd.read_file(str(path)).to_crs("EPSG:4326")
    except Exception as exc:  # optional background: the map works without it
        log.info("no country outlines (%s)", type(exc).__name__)
        return None
    return folium.GeoJson(
        world[["name", "geometry"]].to_json(),
        name="countries",
        style_function=lambda _f: {
            "color": "#9a9a9a",
            "weight": 0.8,
            "fillColor": "#f3f0e8",
            "fillOpacity": 1.0,
        },
        tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
    )


def fallback_map(run: HotspotRun, hotspots: list[Hotspot], route: Route | None = None) -> folium.Map:
    """A folium map of a run's cells, coloured by Gi* confidence bin, with the route line.

    Coordinates are EPSG:4326 (lat, lon); no tiles are loaded (the page works offline).
    """
    points = [(h.lat, h.lon) for h in hotspots]
    if route is not None:
        points += [(w["lat"], w["lon"]) for w in route.waypoints if "lat" in w and "lon" in w]
    m = folium.Map(tiles=None, control_scale=True, prefer_canvas=True)
    countries = _countries_layer()
    if countries is not None:
        countries.add_to(m)
    if route is not None and len(route.waypoints) >= 2:
        line = [(w["lat"], w["lon"]) for w in route.waypoints]
        folium.PolyLine(line, color="#444444", weight=3, dash_array="6 6", tooltip=route.name).add_to(m)
        for w in route.waypoints:
            folium.CircleMarker(
                (w["lat"], w["lon"]), radius=3, color="#444444", fill=True, tooltip=w.get("name")
            ).add_to(m)
    for h in sorted(hotspots, key=lambda h: (h.rank is None, h.rank or 0)):
        colour = BIN_COLOURS.get(h.bin, "#bbbbbb")
        popup = (
            f"<b>{h.place or h.cell}</b> ({h.country or ''})<br>rank {h.rank or '–'} · "
            f"{h.count} reports · z {h.z:.2f} · bin {h.bin}<br>{h.trend or ''}"
        )
        folium.CircleMarker(
            (h.lat, h.lon),
            radius=6 + 2 * max(h.bin, 0),
            color=colour,
            fill=True,
            fill_color=colour,
            fill_opacity=0.85,
            popup=folium.Popup(popup, max_width=260),
            tooltip=f"{h.rank or '–'}. {h.place or h.cell}",
        ).add_to(m)
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        m.fit_bounds([(min(lats) - 1, min(lons) - 1), (max(lats) + 1, max(lons) + 1)])
    return m


def run_map(run: HotspotRun, hotspots: list[Hotspot], route: Route | None = None) -> folium.Map:
    """The hotspot room's map (``hotspots.maps.hotspot_map_from_rows``), else ``fallback_map``."""
    try:
        from hotspots.maps import hotspot_map_from_rows

        return hotspot_map_from_rows(run=run, hotspots=hotspots, route=route)
    except Exception as exc:  # their map failing must not take the page down
        log.warning("hotspots.maps failed (%s); showing the simple map", type(exc).__name__)
        return fallback_map(run, hotspots, route)
