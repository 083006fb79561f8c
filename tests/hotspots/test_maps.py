"""Pictures: the offline map renders in headless Chromium with the network blocked; PNG, GeoJSON
and KML exports hold the cells."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pandas as pd
import pytest

from hotspots.maps import hotspot_map, save_map, to_geojson, to_kml
from hotspots.movement import flow_lines
from hotspots.params import HotspotParams
from hotspots.pipeline import analyse
from hotspots.plots import hotspot_png
from hotspots.routes import parse_route
from tests.factories import clusters, reports

ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip


@pytest.fixture(scope="module")
def result():
    df = clusters(
        [(6.34, 5.62, 150), (6.5, 5.9, 80), (16.97, 7.99, 60), (32.89, 13.19, 60), (41.9, 12.5, 40)],
        exploitation="sexual",
        country="NG",
    )
    return analyse(df, route=parse_route("Benin City > Agadez > Tripoli > Lampedusa > Rome"),
                   params=HotspotParams(resolution=5, top=5))  # fmt: skip


def _flows() -> pd.DataFrame:
    df = reports(
        [{"origin": "Benin City", "transit": "Agadez|Sabha", "destination": "Rome"}] * 5
        + [{"origin": "Kano", "transit": "Agadez", "destination": "Tripoli, Libya"}] * 2
    )
    return flow_lines(df)


def test_map_renders_offline_with_route_and_hotspots(result, tmp_path: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    m = hotspot_map(result.cells, ranked=result.ranked, route=result.route, flows=_flows(), title="test run")
    path = save_map(m, tmp_path / "map.html")
    text = path.read_text()
    assert "cdn.jsdelivr" not in text and "unpkg" not in text and "tile.openstreetmap" not in text
    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})

        def guard(route):
            if route.request.url.startswith(("file:", "data:")):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        # "attached", not "visible": the first path may be a country outside the view
        page.wait_for_selector("path.leaflet-ant-path", state="attached")
        page.wait_for_selector(".cf-rank", state="attached")
        n_paths = page.locator(".leaflet-overlay-pane svg path").count()
        ant = page.locator("path.leaflet-ant-path").count()
        ranks = page.locator(".cf-rank").count()
        arrows = page.locator(".leaflet-overlay-pane svg textPath").count()
        page.screenshot(path=str(tmp_path / "map.png"))
        page.locator(".cf-rank").first.click(timeout=10_000)  # nothing on top of the ranked markers
        popup = page.locator(".leaflet-popup-content").inner_text()
        browser.close()
    assert blocked == [] and errors == []
    n_cells = int(((result.cells["count"] > 0) | (result.cells["bin"] != 0)).sum())
    assert n_paths >= n_cells + 2  # cells, corridor and route (and countries when available)
    assert ant >= 1  # the route as an animated directional line
    assert ranks == len(result.ranked)
    assert arrows >= 1  # flows carry arrow text along their lines
    assert (tmp_path / "map.png").stat().st_size > 10_000
    top = result.ranked.iloc[0]
    assert "rank 1" in popup and f"z {top['z']:.2f}" in popup and "km along the route" in popup


def test_png_needs_no_network(result, tmp_path: Path) -> None:
    out = hotspot_png(result.cells, ranked=result.ranked, route=result.route, path=tmp_path / "h.png")
    from PIL import Image

    with Image.open(out) as img:
        assert img.size[0] >= 800 and img.getcolors(1 << 20) is not None
        assert len(img.getcolors(1 << 20) or []) > 10  # not a blank page


def test_geojson_and_kml_exports(result) -> None:
    gj = to_geojson(result.cells)
    shown = result.cells[(result.cells["count"] > 0) | (result.cells["bin"] != 0)]
    assert len(gj["features"]) == len(shown)
    f = gj["features"][0]
    ring = f["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7  # a closed hexagon, lon/lat order
    assert -20 < ring[0][0] < 40 and 0 < ring[0][1] < 50
    json.dumps(gj, allow_nan=False)
    root = ET.fromstring(to_kml(result.cells))
    ns = {"k": "http://www.opengis.net/kml/2.2"}
    assert len(root.findall(".//k:Placemark", ns)) == len(shown)


def test_map_from_stored_rows(result) -> None:
    """The web app draws a stored run from its rows (duck-typed Hotspot and Route objects)."""
    from types import SimpleNamespace

    from hotspots.maps import hotspot_map_from_rows

    rows = [SimpleNamespace(**r) for r in result.hotspot_frame().to_dict("records")]
    route = SimpleNamespace(name=result.route.name, waypoints=[w.to_dict() for w in result.route.waypoints],
                            corridor_km=result.route.corridor_km)  # fmt: skip
    html = hotspot_map_from_rows(run=SimpleNamespace(id=7), hotspots=rows, route=route).get_root().render()
    assert "hotspot run 7" in html and "antPath" in html and html.count("cf-rank") >= len(result.ranked)


def test_a_stored_run_is_drawn_with_its_own_corridor():
    """A route's corridor may change after a run: the run's map keeps the corridor it used."""
    from types import SimpleNamespace

    from hotspots.maps import hotspot_map_from_rows
    from intel.models import Hotspot, Route

    wps = [{"name": "Benin City", "lat": 6.34, "lon": 5.63}, {"name": "Agadez", "lat": 16.97, "lon": 7.99}]
    route = Route(name="Benin City > Agadez", waypoints=wps, corridor_km=80)
    run = SimpleNamespace(id=1, params={"waypoints": wps, "corridor_km": 150.0})
    cells = [Hotspot(run_id=1, cell="a", lat=6.4, lon=5.6, count=3, z=2.0, p=0.04, bin=2, rank=1, reasons={})]
    html = hotspot_map_from_rows(run=run, hotspots=cells, route=route).get_root().render()
    assert "corridor 150 km" in html and "corridor 80 km" not in html


def test_a_pick_that_is_not_significant_says_so_in_its_popup(result) -> None:
    from types import SimpleNamespace

    from hotspots.maps import hotspot_map_from_rows

    records = result.hotspot_frame().to_dict("records")
    ranked = sorted(
        (r for r in records if r["rank"] is not None and not pd.isna(r["rank"])), key=lambda r: r["rank"]
    )
    assert len(ranked) >= 2
    for r in ranked:
        r["bin"] = 3
    ranked[1]["bin"] = 0  # the second pick: no Gi* hot spot, picked by the forecast
    ranked[1]["reasons"] = {
        **(ranked[1]["reasons"] or {}),
        "method": "forecast",
        "forecast": 2.46,
        "interval": [1, 5],
    }
    rows = [SimpleNamespace(**r) for r in records]
    html = hotspot_map_from_rows(run=SimpleNamespace(id=7), hotspots=rows, route=None).get_root().render()
    said = "NOT significant</b>: no Gi* hot spot after the FDR correction; picked for its forecast"
    assert html.count(said) == 2  # the cell and its numbered marker, for that pick only
    assert "forecast 2.5 reports next period (80 %: 1-5)" in html


FIT = re.compile(r"\.fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]")


def test_the_map_opens_on_the_route_labels_its_towns_and_its_legend_names_everything_drawn(result) -> None:
    # a flow from Asmara (Eritrea) reaches far east of the route: it is drawn, not fitted to
    far = pd.DataFrame(
        [{"origin": "Asmara", "destination": "Tripoli", "origin_lat": 15.33, "origin_lon": 38.93,
          "dest_lat": 32.89, "dest_lon": 13.19, "count": 4},
         {"origin": "Kano", "destination": "Agadez", "origin_lat": 12.0, "origin_lon": 8.52,
          "dest_lat": 16.97, "dest_lon": 7.99, "count": 9}]
    )  # fmt: skip
    html = hotspot_map(result.cells, ranked=result.ranked, route=result.route, flows=far).get_root().render()
    html = html.replace("\\u003c", "<").replace("\\u003e", ">").replace('\\"', '"')  # the labels' JSON
    [bounds] = [tuple(float(x) for x in b) for b in FIT.findall(html)]
    points = [(w.lat, w.lon) for w in result.route.waypoints]
    points += list(zip(result.ranked["lat"], result.ranked["lon"], strict=True))
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    assert bounds == pytest.approx((min(lats) - 0.5, min(lons) - 0.5, max(lats) + 0.5, max(lons) + 0.5))
    assert bounds[3] < 15.0  # Rome's and Tripoli's longitudes, not Asmara's 38.9
    for town in ("Benin City", "Agadez", "Tripoli", "Lampedusa", "Rome"):
        assert f'<div class="cf-town">{town}</div>' in html
    legend = html[html.index('class="cf-legend"') :]
    legend = legend[: legend.index("</details>")]
    for entry in (
        "hot spot, 99 %",
        "cold spot, 99 %",
        "ranked hotspot on the route (its rank)",
        "extent of a ranked hotspot",
        "route: Benin City &gt; Agadez &gt; Tripoli &gt; Lampedusa &gt; Rome",
        "town of the route, labelled",
        f"corridor, {result.route.corridor_km:g} km either side",
        "movement origin ► destination, width by records (4-9)",
    ):
        assert entry in legend, entry
    plain = hotspot_map(result.cells, ranked=result.ranked).get_root().render()
    assert "movement origin" not in plain and "town of the route" not in plain  # only what is drawn
