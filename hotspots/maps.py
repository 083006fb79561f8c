"""Pictures of a hotspot run: an offline folium map, a static PNG, GeoJSON and KML.

Everything works without a network: the map inlines Leaflet and its two plugins from
``hotspots/static`` (vendored from npm), loads no tiles and draws country outlines from local
data when available. Coordinates are EPSG:4326 (lat, lon) throughout.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import folium
import pandas as pd
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import remove_empty
from folium.vector_layers import BaseMultiLocation, path_options

from hotspots import h3cells
from hotspots.routes import RouteSpec, corridor_polygon, densify

log = logging.getLogger(__name__)

#: ArcGIS-like colours for the confidence bins -3..3 (blue cold, red hot).
BIN_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    0: "#d9d9d9",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
BIN_LABELS = {
    3: "hot spot, 99 %", 2: "hot spot, 95 %", 1: "hot spot, 90 %", 0: "not significant",
    -1: "cold spot, 90 %", -2: "cold spot, 95 %", -3: "cold spot, 99 %",
}  # fmt: skip
#: One glyph per emerging hot spot pattern (no icon font needed).
TREND_GLYPHS = {
    "new": "✶", "consecutive": "⋯", "intensifying": "▲", "persistent": "●", "diminishing": "▼",
    "sporadic": "∴", "oscillating": "↕", "historical": "◌",
}  # fmt: skip


JQUERY_SHIM = (
    "window.$=window.$||function(x){if(typeof x==='string'){var t=document.createElement('template');"
    "t.innerHTML=x.trim();return [t.content.firstChild];}"
    "return {ready:function(f){document.readyState!=='loading'?f():"
    "document.addEventListener('DOMContentLoaded',f);}};};"
)


@lru_cache(maxsize=1)
def _assets() -> dict[str, str]:
    root = files("hotspots") / "static"
    css = (root / "leaflet.css").read_text(encoding="utf-8")
    for name in ("layers.png", "layers-2x.png"):
        data = base64.b64encode((root / "images" / name).read_bytes()).decode()
        css = css.replace(f"images/{name}", f"data:image/png;base64,{data}")
    return {
        "leaflet_css": css,
        "leaflet_js": (root / "leaflet.js").read_text(encoding="utf-8"),
        "antpath_js": (root / "leaflet-ant-path.js").read_text(encoding="utf-8"),
        "textpath_js": (root / "leaflet.textpath.js").read_text(encoding="utf-8"),
    }


# The two Leaflet plugins the map draws with, as folium 0.20's ``folium.plugins`` defines them
# (same names, options and templates, so the same page). They are here because importing any
# module of ``folium.plugins`` imports all its ~40 plugins and compiles their templates: about
# 0.1 s of every `counterflow hotspots`. Their scripts are inlined from ``hotspots/static``.


class AntPath(JSCSSMixin, BaseMultiLocation):
    """An animated directional polyline (leaflet-ant-path), as ``folium.plugins.AntPath``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this.get_name() }} = L.polyline.antPath(
              {{ this.locations|tojson }},
              {{ this.options|tojavascript }}
        ).addTo({{this._parent.get_name()}});
        {% endmacro %}
        """
    )

    default_js: list[tuple[str, str]] = []

    def __init__(self, locations: Any, popup: Any = None, tooltip: Any = None, **kwargs: Any) -> None:
        super().__init__(locations, popup=popup, tooltip=tooltip)
        self._name = "AntPath"
        self.options = path_options(line=True, **kwargs)
        self.options.update(
            {
                "paused": kwargs.pop("paused", False),
                "reverse": kwargs.pop("reverse", False),
                "hardwareAcceleration": kwargs.pop("hardware_acceleration", False),
                "delay": kwargs.pop("delay", 400),
                "dashArray": kwargs.pop("dash_array", [10, 20]),
                "weight": kwargs.pop("weight", 5),
                "opacity": kwargs.pop("opacity", 0.5),
                "color": kwargs.pop("color", "#0000FF"),
                "pulseColor": kwargs.pop("pulse_color", "#FFFFFF"),
            }
        )


class PolyLineTextPath(JSCSSMixin, folium.MacroElement):
    """Text repeated along a polyline (Leaflet.TextPath), as ``folium.plugins.PolyLineTextPath``."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this.polyline.get_name() }}.setText(
                {{ this.text|tojson }},
                {{ this.options|tojavascript }}
            );
        {% endmacro %}
        """
    )

    default_js: list[tuple[str, str]] = []

    def __init__(
        self,
        polyline: Any,
        text: str,
        repeat: bool = False,
        center: bool = False,
        below: bool = False,
        offset: int = 0,
        orientation: int = 0,
        attributes: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__()
        self._name = "PolyLineTextPath"
        self.polyline = polyline
        self.text = text
        self.options = remove_empty(
            repeat=repeat, center=center, below=below, offset=offset, orientation=orientation,
            attributes=attributes, **kwargs,
        )  # fmt: skip


def offline_map(**kwargs: Any) -> folium.Map:
    """A ``folium.Map`` with no tiles and Leaflet inlined: it requests nothing from the network."""
    m = folium.Map(tiles=None, control_scale=True, **kwargs)
    m.default_js = []
    m.default_css = []
    header = m.get_root().header  # type: ignore[attr-defined]
    a = _assets()
    header.add_child(folium.Element(f"<style>{a['leaflet_css']}</style>"), name="leaflet_css")
    header.add_child(folium.Element(f"<script>{a['leaflet_js']}</script>"), name="leaflet_js")
    header.add_child(folium.Element(f"<script>{a['antpath_js']}</script>"), name="antpath_js")
    # folium builds popups with `$(html)[0]` only: a two-line stand-in saves shipping jQuery
    header.add_child(folium.Element(f"<script>{JQUERY_SHIM}</script>"), name="jquery_shim")
    header.add_child(folium.Element(f"<script>{a['textpath_js']}</script>"), name="textpath_js")
    header.add_child(
        folium.Element(
            "<style>.cf-trend{font:bold 14px sans-serif;color:#222;text-shadow:0 0 3px #fff}"
            ".cf-rank{font:bold 12px sans-serif;background:#fff;border:2px solid #b2182b;"
            "border-radius:10px;text-align:center;line-height:16px}"
            ".cf-town{font:600 12px sans-serif;color:#111;white-space:nowrap;"
            "text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff}"
            ".cf-legend summary{cursor:pointer;font-weight:bold}"
            ".cf-legend .sw{display:inline-block;width:18px;height:12px;margin-right:4px;vertical-align:middle}"
            "</style>"
        ),
        name="cf_css",
    )
    return m


def _offline(element: Any) -> Any:
    element.default_js = []
    element.default_css = []
    return element


def country_layer() -> folium.GeoJson | None:
    """Country outlines (Natural Earth, from ``intel.gazetteer.country_shapes``), or ``None`` if
    they cannot be read (the map then has no background, and says so in the log)."""
    try:
        from intel.gazetteer import country_geojson

        geojson = country_geojson()
    except Exception as exc:  # a background layer is optional
        log.warning("no country outlines (%s: %s)", type(exc).__name__, exc)
        return None
    return folium.GeoJson(
        geojson,
        name="countries",
        style_function=lambda _f: {
            "color": "#9a9a9a",
            "weight": 0.7,
            "fillColor": "#f4f1ea",
            "fillOpacity": 1.0,
        },
        control=False,
    )


def safe_text(value: object) -> str:
    """Text for a popup or tooltip: HTML-escaped, and safe inside the JavaScript template literal
    folium puts tooltips in (backticks, ``${`` and backslashes neutralised). Place names come
    from ingested files and public tips: never trust them."""
    return html.escape(str(value)).replace("`", "&#96;").replace("${", "&#36;{").replace("\\", "&#92;")


def _popup(row: pd.Series) -> str:
    got = row.get("reasons")
    reasons: dict[str, Any] = got if isinstance(got, dict) else {}
    lines = [
        f"<b>{safe_text(str(row.get('place') or row['cell']))}</b> ({safe_text(str(row.get('country') or ''))})"
    ]
    rank = row.get("rank")
    if rank is not None and not pd.isna(rank):
        lines.append(f"rank {int(rank)}")
        if int(row.get("bin", 0) or 0) <= 0:
            # a pick the ranking made without a Gi* hot spot behind it must not read as one
            by = "its forecast" if reasons.get("method") == "forecast" else "its weight, to fill the ranking"
            lines.append(f"<b>NOT significant</b>: no Gi* hot spot after the FDR correction; picked for {by}")
        if reasons.get("forecast") is not None:
            iv = reasons.get("interval") or ["?", "?"]
            lines.append(
                f"forecast {float(reasons['forecast']):.1f} reports next period (80 %: {iv[0]}-{iv[1]})"
            )
    lines.append(
        f"{int(row.get('count', 0))} reports, weight {float(row.get('weight', 0)):.1f}<br>"
        f"Gi* z {float(row.get('z', 0)):.2f}, p {float(row.get('p', 1)):.2g}, {BIN_LABELS.get(int(row.get('bin', 0)), '')}"
    )
    if row.get("trend"):
        lines.append(f"trend: {safe_text(str(row['trend']))}")
    if reasons:
        parts = reasons.get("weight_parts") or {}
        if parts:
            lines.append("weight parts: " + ", ".join(f"{k[2:]} {v}" for k, v in parts.items()))
        for key in ("exploitation", "countries", "source_kinds"):
            top = reasons.get(key)
            if top:
                lines.append(
                    f"{key.replace('_', ' ')}: "
                    + ", ".join(f"{safe_text(str(k))} {v}" for k, v in top.items())
                )
        if reasons.get("distance_km") is not None:
            lines.append(f"{reasons['distance_km']:.0f} km along the route")
        if reasons.get("extent_km") is not None:
            lines.append(f"covers {reasons['extent_km']:.0f} km")
    return "<br>".join(lines)


def _is_h3(cell: str) -> bool:
    try:
        return bool(h3cells.h3.is_valid_cell(cell))
    except Exception:
        return False


def add_route(m: folium.Map, route: RouteSpec) -> list[tuple[float, float]]:
    """Draw a route on ``m``: its corridor outline and an animated directional line through the
    waypoints (layers "corridor" and "route"); returns the waypoints as (lat, lon)."""
    fg_corr = folium.FeatureGroup(name="corridor", show=True).add_to(m)
    folium.Polygon(
        corridor_polygon(route), color="#444444", weight=1, dash_array="6 4", fill=True,
        fill_color="#888888", fill_opacity=0.08, tooltip=f"corridor {route.corridor_km:g} km",
    ).add_to(fg_corr)  # fmt: skip
    fg_route = folium.FeatureGroup(name="route", show=True).add_to(m)
    la, lo = densify(route, step_km=50)
    line = list(zip(la.tolist(), lo.tolist(), strict=True))
    _offline(
        AntPath(line, color="#1b1b1b", pulse_color="#ffffff", weight=4, delay=1200, dash_array=[12, 18],
                tooltip=safe_text(route.name))
    ).add_to(fg_route)  # fmt: skip
    fg_towns = folium.FeatureGroup(name="towns", show=True).add_to(m)
    for w in route.waypoints:
        folium.CircleMarker(
            (w.lat, w.lon), radius=4, color="#1b1b1b", fill=True, fill_color="#ffffff", fill_opacity=1,
            tooltip=safe_text(w.name),
        ).add_to(fg_route)  # fmt: skip
        # the town's name beside its point, always shown (a tooltip needs a pointer, a phone has none)
        folium.Marker(
            (w.lat, w.lon),
            icon=folium.DivIcon(html=f'<div class="cf-town">{safe_text(w.name)}</div>', icon_size=(160, 16),
                                icon_anchor=(-8, 8)),
            interactive=False,
        ).add_to(fg_towns)  # fmt: skip
    return [(w.lat, w.lon) for w in route.waypoints]


#: Legend swatches, one per kind of thing a map draws.
SWATCH = {
    "route": '<span class="sw" style="height:0;border-top:4px dashed #1b1b1b"></span>',
    "town": '<span class="sw" style="width:10px;height:10px;border:2px solid #1b1b1b;border-radius:6px;background:#fff"></span>',
    "corridor": '<span class="sw" style="border:1px dashed #444;background:rgba(136,136,136,.15)"></span>',
    "rank": '<span class="sw" style="width:18px;height:18px;font:bold 11px sans-serif;border:2px solid #b2182b;border-radius:10px;text-align:center;line-height:15px;background:#fff">1</span>',
    "extent": '<span class="sw" style="width:14px;height:14px;border:1.5px dashed #b2182b;border-radius:8px"></span>',
    "flows": '<span class="sw" style="height:0;border-top:5px solid #6a3d9a;opacity:.7"></span>',
}


def legend(m: folium.Map, title: str, rows: list[tuple[str, str]], extra: str = "") -> None:
    """A legend in the map's corner: ``rows`` of (swatch HTML, label), folded on a click."""
    body = "".join(f"<div>{swatch}{label}</div>" for swatch, label in rows)
    m.get_root().html.add_child(  # type: ignore[attr-defined]
        folium.Element(
            '<details open class="cf-legend" style="position:fixed;bottom:28px;right:10px;z-index:999;'
            "background:#fff;padding:6px 8px;font:12px sans-serif;border:1px solid #999;max-width:280px;"
            f'max-height:70vh;overflow:auto"><summary>{html.escape(title)}</summary>{body}{extra}</details>'
        )
    )


def route_legend_rows(route: RouteSpec | None) -> list[tuple[str, str]]:
    """The legend's rows for a route drawn by :func:`add_route` (none without a route)."""
    if route is None:
        return []
    return [
        (SWATCH["route"], f"route: {safe_text(route.name)} (moving dashes: direction of travel)"),
        (SWATCH["town"], "town of the route, labelled"),
        (SWATCH["corridor"], f"corridor, {route.corridor_km:g} km either side"),
    ]


def fit(m: folium.Map, points: list[tuple[float, float]], *, pad_deg: float = 0.5) -> None:
    """Open the map on ``points`` (with a margin), not on the whole world."""
    if points:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        m.fit_bounds([(min(lats) - pad_deg, min(lons) - pad_deg), (max(lats) + pad_deg, max(lons) + pad_deg)])


def hotspot_map(
    cells: pd.DataFrame,
    *,
    ranked: pd.DataFrame | None = None,
    route: RouteSpec | None = None,
    flows: pd.DataFrame | None = None,
    max_cells: int = 4000,
    title: str | None = None,
    set_apart: pd.DataFrame | None = None,
) -> folium.Map:
    """An offline map of a hotspot run.

    Parameters
    ----------
    cells
        Cells with ``cell``, ``lat``, ``lon``, ``count``, ``z``, ``p``, ``bin`` and optionally
        ``trend``, ``place``, ``country``, ``reasons``, ``rank`` (e.g. ``HotspotResult.cells`` or a
        stored run's frame). Cells with reports or a significant bin are drawn, coloured by bin.
    ranked
        The ranked hotspots (numbered markers with the reasons in the popup); default: the rows
        of ``cells`` with a ``rank``.
    route
        Drawn as an animated directional line (AntPath) with its corridor outline.
    flows
        ``origin_lat``, ``origin_lon``, ``dest_lat``, ``dest_lon``, ``count`` (and ``origin``,
        ``destination``): arrows with width by volume.
    max_cells
        Draw at most this many cells (the strongest by ``|z|``) to keep the page light.
    set_apart
        Reports set apart because their place is coarser than the cells (``level``, ``country``,
        ``area``, ``count``; ``HotspotResult.set_apart``): listed in the legend, never drawn as a
        cell or a point.

    Returns
    -------
    folium.Map
        With layers "cells", "trends", "hotspots", "route", "corridor" and "flows"; no tiles and
        no remote scripts.
    """
    m = offline_map(prefer_canvas=False)
    layer = country_layer()
    if layer is not None:
        layer.add_to(m)
    points: list[tuple[float, float]] = []
    shown = cells[(cells["count"] > 0) | (cells["bin"] != 0)]
    shown = shown.reindex(shown["z"].abs().sort_values(ascending=False).index).head(max_cells)
    fg_cells = folium.FeatureGroup(name="cells", show=True).add_to(m)
    fg_trends = folium.FeatureGroup(name="trends", show=True).add_to(m)
    n_trends = 0
    for _, row in shown.iterrows():
        colour = BIN_COLOURS.get(int(row["bin"]), "#d9d9d9")
        cell = str(row["cell"])
        if _is_h3(cell):
            folium.Polygon(
                h3cells.boundary(cell), color="#555555", weight=0.5, fill=True, fill_color=colour,
                fill_opacity=0.75, popup=folium.Popup(_popup(row), max_width=320), class_name="cf-cell",
            ).add_to(fg_cells)  # fmt: skip
        else:
            folium.CircleMarker(
                (row["lat"], row["lon"]), radius=6, color="#555555", weight=0.5, fill=True,
                fill_color=colour, fill_opacity=0.8, popup=folium.Popup(_popup(row), max_width=320),
            ).add_to(fg_cells)  # fmt: skip
        points.append((float(row["lat"]), float(row["lon"])))
        trend = str(row.get("trend") or "")
        glyph = TREND_GLYPHS.get(trend.split(" ")[0]) if trend and trend != "no pattern detected" else None
        if glyph:
            n_trends += 1
            folium.Marker(
                (row["lat"], row["lon"]),
                icon=folium.DivIcon(html=f'<div class="cf-trend" title="{html.escape(trend)}">{glyph}</div>',
                                    icon_size=(14, 14), icon_anchor=(-6, 18)),  # up-right of the centre
                tooltip=safe_text(trend),
            ).add_to(fg_trends)  # fmt: skip
    if ranked is None and "rank" in cells:
        ranked = cells[cells["rank"].notna()].sort_values("rank")
    focus: list[tuple[float, float]] = []  # what the map opens on: the route and the ranked hotspots
    drawn: set[str] = set()
    if ranked is not None and len(ranked):
        drawn.add("rank")
        fg_rank = folium.FeatureGroup(name="hotspots", show=True).add_to(m)
        for _, row in ranked.iterrows():
            extent = row.get("extent_km")
            if extent is not None and not pd.isna(extent):
                drawn.add("extent")
                folium.Circle(
                    (row["lat"], row["lon"]), radius=float(extent) * 1000.0, color="#b2182b", weight=1.5,
                    fill=False, dash_array="4 4",
                ).add_to(fg_rank)  # fmt: skip
            folium.Marker(
                (row["lat"], row["lon"]),
                icon=folium.DivIcon(html=f'<div class="cf-rank">{int(row["rank"])}</div>',
                                    icon_size=(20, 20), icon_anchor=(10, 10)),
                popup=folium.Popup(_popup(row), max_width=320),
                tooltip=f"{int(row['rank'])}. {safe_text(row.get('place') or row['cell'])}",
                z_index_offset=1000,  # above trend glyphs and cells: the ranked list is what people click
            ).add_to(fg_rank)  # fmt: skip
            focus.append((float(row["lat"]), float(row["lon"])))
    if route is not None:
        focus.extend(add_route(m, route))
    flow_range: tuple[int, int] | None = None
    if flows is not None and len(flows):
        fg_flows = folium.FeatureGroup(name="flows", show=True).add_to(m)
        top = float(flows["count"].max())
        for _, f in flows.iterrows():
            if any(pd.isna(f.get(c)) for c in ("origin_lat", "origin_lon", "dest_lat", "dest_lon")):
                continue
            width = 1.5 + 8.0 * float(f["count"]) / top
            pl = folium.PolyLine(
                [(f["origin_lat"], f["origin_lon"]), (f["dest_lat"], f["dest_lon"])], color="#6a3d9a",
                weight=width, opacity=0.6,
                tooltip=f"{safe_text(f.get('origin', ''))} → {safe_text(f.get('destination', ''))}: {int(f['count'])}",
            ).add_to(fg_flows)  # fmt: skip
            _offline(
                PolyLineTextPath(pl, "  ►  ", repeat=True, offset=int(width / 2) + 4,
                                 attributes={"fill": "#6a3d9a", "font-size": str(int(10 + width))})
            ).add_to(m)  # fmt: skip
            points += [
                (float(f["origin_lat"]), float(f["origin_lon"])),
                (float(f["dest_lat"]), float(f["dest_lon"])),
            ]
            low = int(f["count"]) if flow_range is None else min(flow_range[0], int(f["count"]))
            flow_range = (low, int(top))
    if title:
        m.get_root().html.add_child(  # type: ignore[attr-defined]
            folium.Element(
                f'<div style="position:fixed;top:8px;left:50px;z-index:999;background:#fff;padding:4px 8px;'
                f'font:14px sans-serif;border:1px solid #999">{html.escape(title)}</div>'
            )
        )
    _legend(m, set_apart, route=route, drawn=drawn, flow_range=flow_range, trends=n_trends > 0)
    folium.LayerControl(collapsed=True).add_to(m)
    # open on the route and its ranked hotspots; flows and far cells may reach beyond (pan to them)
    fit(m, focus or points)
    return m


def _set_apart_html(set_apart: pd.DataFrame | None, *, top: int = 8) -> str:
    """The legend's lines for reports set apart (placed only to a country, a region, ...)."""
    if set_apart is None or not len(set_apart):
        return ""
    total = int(set_apart["count"].sum())
    lines = []
    for _, r in set_apart.head(top).iterrows():
        where = ", ".join(str(x) for x in (r.get("area"), r.get("country")) if isinstance(x, str) and x)
        lines.append(
            f"<div>{safe_text(where or 'no place')}: {int(r['count'])} ({safe_text(r['level'])})</div>"
        )
    more = len(set_apart) - top
    if more > 0:
        lines.append(f"<div>and {more} more</div>")
    return (
        f"<div class='cf-set-apart' style='margin-top:6px'><b>Set apart: {total} reports</b>"
        "<div>placed no finer than below: counted here, never as a cell</div>" + "".join(lines) + "</div>"
    )


def _legend(
    m: folium.Map,
    set_apart: pd.DataFrame | None = None,
    *,
    route: RouteSpec | None = None,
    drawn: set[str] | frozenset[str] = frozenset(),
    flow_range: tuple[int, int] | None = None,
    trends: bool = True,
) -> None:
    """The hotspot map's legend: one row for everything drawn on it."""
    rows = [
        (f'<span class="sw" style="background:{BIN_COLOURS[b]};border:1px solid #777"></span>', BIN_LABELS[b])
        for b in (3, 2, 1, 0, -1, -2, -3)
    ]
    if "rank" in drawn:
        rows.append((SWATCH["rank"], "ranked hotspot on the route (its rank)"))
    if "extent" in drawn:
        rows.append((SWATCH["extent"], "extent of a ranked hotspot"))
    rows += route_legend_rows(route)
    if flow_range is not None:
        low, high = flow_range
        rows.append((SWATCH["flows"], f"movement origin ► destination, width by records ({low}-{high})"))
    glyphs = " ".join(f"{g}&nbsp;{k}" for k, g in TREND_GLYPHS.items())
    extra = f"<div style='margin-top:4px'>trend: {glyphs}</div>" if trends else ""
    legend(m, "Gi* confidence (FDR) and what is drawn", rows, extra + _set_apart_html(set_apart))


def hotspot_map_from_rows(*, run: Any, hotspots: Iterable[Any], route: Any | None = None) -> folium.Map:
    """The map of a stored run from its ``HotspotRun``, ``Hotspot`` rows and ``Route`` (duck-typed)."""
    cols = [
        "cell",
        "lat",
        "lon",
        "place",
        "country",
        "count",
        "weight",
        "z",
        "p",
        "bin",
        "trend",
        "rank",
        "extent_km",
        "reasons",
    ]
    df = pd.DataFrame([{c: getattr(h, c, None) for c in cols} for h in hotspots], columns=cols)
    spec = None
    params = getattr(run, "params", None) or {}
    if route is not None and len(params.get("waypoints") or []) >= 2 and params.get("corridor_km"):
        # the run's own waypoints and corridor: the stored route may have changed since
        spec = RouteSpec.from_waypoints(route.name, params["waypoints"], float(params["corridor_km"]))
    elif route is not None and len(route.waypoints) >= 2:
        spec = RouteSpec.from_waypoints(route.name, route.waypoints, route.corridor_km)
    title = f"hotspot run {getattr(run, 'id', '')}" + (f": {spec.name}" if spec else "")
    apart = pd.DataFrame(params.get("set_apart") or [], columns=["level", "country", "area", "count"])
    return hotspot_map(df, route=spec, title=title, set_apart=apart)


def save_map(m: folium.Map, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    m.save(str(path))
    return path


# --- exports ---------------------------------------------------------------------------


def _feature_rows(cells: pd.DataFrame) -> pd.DataFrame:
    return cells[(cells["count"] > 0) | (cells["bin"] != 0)]


def _props(row: pd.Series) -> dict[str, Any]:
    keep = [
        "cell",
        "place",
        "country",
        "count",
        "weight",
        "z",
        "p",
        "bin",
        "trend",
        "rank",
        "segment",
        "distance_km",
        "extent_km",
    ]
    out: dict[str, Any] = {}
    for k in keep:
        v = row.get(k)
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            out[k] = None
        elif isinstance(v, str):
            out[k] = v
        elif k in ("count", "bin", "rank", "segment"):
            out[k] = int(v)
        else:
            out[k] = float(v)
    return out


def to_geojson(cells: pd.DataFrame) -> dict[str, Any]:
    """Cells with reports or a significant bin as a GeoJSON FeatureCollection (EPSG:4326, lon/lat
    order as RFC 7946 requires): H3 cells as hexagons, places as points."""
    feats = []
    for _, row in _feature_rows(cells).iterrows():
        cell = str(row["cell"])
        if _is_h3(cell):
            ring = [[lon, lat] for lat, lon in h3cells.boundary(cell)]
            geom: dict[str, Any] = {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}
        else:
            geom = {"type": "Point", "coordinates": [float(row["lon"]), float(row["lat"])]}
        feats.append({"type": "Feature", "geometry": geom, "properties": _props(row)})
    return {"type": "FeatureCollection", "features": feats}


def write_geojson(cells: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_geojson(cells)), encoding="utf-8")
    return path


def to_kml(cells: pd.DataFrame, *, name: str = "counterflow hotspots") -> str:
    """The same cells as KML 2.2, styled by bin (KML colours are aabbggrr)."""
    styles = []
    for b, hexcol in BIN_COLOURS.items():
        r, g, bl = hexcol[1:3], hexcol[3:5], hexcol[5:7]
        styles.append(
            f'<Style id="bin{b}"><LineStyle><color>ff555555</color></LineStyle>'
            f"<PolyStyle><color>bf{bl}{g}{r}</color></PolyStyle>"
            f"<IconStyle><color>ff{bl}{g}{r}</color></IconStyle></Style>"
        )
    marks = []
    for _, row in _feature_rows(cells).iterrows():
        p = _props(row)
        cell = str(row["cell"])
        if _is_h3(cell):
            ring = [(lon, lat) for lat, lon in h3cells.boundary(cell)]
            coords = " ".join(f"{lon:.6f},{lat:.6f}" for lon, lat in [*ring, ring[0]])
            geom = f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{coords}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        else:
            geom = (
                f"<Point><coordinates>{float(row['lon']):.6f},{float(row['lat']):.6f}</coordinates></Point>"
            )
        data = "".join(
            f'<Data name="{html.escape(k)}"><value>{html.escape("" if v is None else str(v))}</value></Data>'
            for k, v in p.items()
        )
        label = html.escape(str(p.get("place") or cell))
        marks.append(
            f"<Placemark><name>{label}</name><styleUrl>#bin{int(p['bin'] or 0)}</styleUrl>"
            f"<ExtendedData>{data}</ExtendedData>{geom}</Placemark>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        f"<name>{html.escape(name)}</name>{''.join(styles)}{''.join(marks)}</Document></kml>\n"
    )


def write_kml(cells: pd.DataFrame, path: Path, *, name: str = "counterflow hotspots") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_kml(cells, name=name), encoding="utf-8")
    return path
