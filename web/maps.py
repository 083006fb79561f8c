"""Hotspot maps for the pages: a folium map from a function, served with vendored assets only.

The map comes from ``hotspots.maps.hotspot_map_from_rows``. ``offline_html``
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


def run_map(run: HotspotRun, hotspots: list[Hotspot], route: Route | None = None) -> folium.Map:
    """The hotspot room's map of a stored run (``hotspots.maps.hotspot_map_from_rows``)."""
    from hotspots.maps import hotspot_map_from_rows

    return hotspot_map_from_rows(run=run, hotspots=hotspots, route=route)
