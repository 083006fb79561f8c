"""Maps and charts are functions: tested without HTTP."""

from __future__ import annotations

import re

import folium

from intel.models import Hotspot, HotspotRun, Route
from web.charts import bar_chart
from web.maps import offline_html, run_map


def _rows() -> tuple[HotspotRun, list[Hotspot], Route]:
    run = HotspotRun(id=1)
    route = Route(
        name="r",
        waypoints=[
            {"name": "Benin City", "lat": 6.34, "lon": 5.62},
            {"name": "Agadez", "lat": 16.97, "lon": 7.99},
        ],
    )
    cells = [
        Hotspot(run_id=1, cell="a", lat=6.3, lon=5.6, place="Benin City", bin=3, z=5.0, rank=1, count=9),
        Hotspot(run_id=1, cell="b", lat=17.0, lon=8.0, place="Agadez", bin=1, z=1.8, rank=2, count=3),
    ]
    return run, cells, route


def test_offline_html_points_cdn_assets_at_vendored_copies() -> None:
    html = offline_html(folium.Map(tiles=None))
    assert '<script src="/static/vendor/leaflet/leaflet.js">' in html
    assert 'href="/static/vendor/leaflet/leaflet.css"' in html
    assert "cdn.jsdelivr" not in html and "code.jquery" not in html and "bootstrap" not in html


def test_run_map_uses_the_hotspot_rooms_map() -> None:
    run, cells, route = _rows()
    m = run_map(run, cells, route)
    assert isinstance(m, folium.Map)
    html = m.get_root().render()
    assert "Benin City" in html and "Agadez" in html


def test_bar_chart_scales_bars_and_labels_simulated_data() -> None:
    svg = str(bar_chart(["a", "b", "c"], [10.0, 5.0, None], title="Reach", simulated=True))
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert len(widths) == 2 and abs(widths[0] - 2 * widths[1]) < 0.2
    assert "(simulated)" in svg and "no data" in svg and "<title>Reach</title>" in svg
    assert "&lt;b&gt;" in str(bar_chart(["<b>"], [1.0], title="t"))  # labels are escaped
