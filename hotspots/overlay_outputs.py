"""What a partner takes away from an overlay: an XLSX workbook, an offline folium map and a PNG.

Everything drawn or written is the partner's own records, their scores and reasons, and our
aggregates: significant hotspot cells by confidence bin (never a count), corridors between
countries with their volume suppressed under ``k``. Nothing names a report, a tip, a victim or
a source. Coordinates are EPSG:4326 (lat, lon) throughout; the PNG is plate carrée.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import folium
import numpy as np
import pandas as pd

from hotspots import h3cells
from hotspots.maps import BIN_COLOURS, BIN_LABELS, _is_h3, country_layer, fit, legend, offline_map, safe_text

#: Score bands of the map and the PNG: (lowest score, colour, label).
BANDS = [
    (75.0, "#67000d", "score 75-100"),
    (50.0, "#cb181d", "score 50-75"),
    (25.0, "#fb6a4a", "score 25-50"),
    (0.0, "#fcbba1", "score 0-25"),
]
#: Records drawn at most (the highest scores); every record is in the CSV and the XLSX.
MAP_RECORDS = 2000
#: Records labelled with their id on the map and the PNG.
LABELLED = 5
SEGMENT_COLUMNS = ["id", "score", "lat", "lon", "lat2", "lon2", "label"]


@dataclass
class Backdrop:
    """Our side of the picture: significant hotspot cells (``cell``, ``lat``, ``lon``, ``bin``)
    and corridors (``corridor``, ``o_lat``, ``o_lon``, ``d_lat``, ``d_lon``, ``reports`` as
    shown to partners, e.g. ``"<11"``)."""

    hotspots: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["cell", "lat", "lon", "bin"])
    )
    corridors: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(
            columns=["corridor", "o_lat", "o_lon", "d_lat", "d_lon", "reports"]
        )
    )


def _rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[Any]:
    """The rows of ``frame`` as plain Python tuples of ``columns`` (named like ``itertuples``)."""
    from collections import namedtuple

    row = namedtuple("row", columns)  # type: ignore[misc]
    for values in zip(*(frame[c].tolist() for c in columns), strict=True):
        yield row(*values)


def band_colour(score: float) -> str:
    """The colour of a score's band.

    >>> band_colour(100.0), band_colour(25.0), band_colour(3.7)
    ('#67000d', '#fb6a4a', '#fcbba1')
    """
    return next(c for low, c, _ in BANDS if score >= low)


def _segments(records: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The drawable records, best first: points (sites) or sender -> receiver lines
    (transactions; an end placed only to its country at the country's stand-in point)."""
    top = records.head(MAP_RECORDS)
    if kind == "sites":
        out = pd.DataFrame({"id": top["id"], "score": top["score"], "lat": top["lat"], "lon": top["lon"],
                            "lat2": np.nan, "lon2": np.nan, "label": top["reasons"]})  # fmt: skip
        return out.dropna(subset=["lat"]).reset_index(drop=True)
    from hotspots.movement import resolve_endpoint

    def ends(prefix: str) -> tuple[list[float], list[float]]:
        lats, lons = [], []
        for c, la, lo in zip(top[f"{prefix}_country"], top.get(f"{prefix}_lat", pd.Series(np.nan, index=top.index)),
                             top.get(f"{prefix}_lon", pd.Series(np.nan, index=top.index)), strict=True):  # fmt: skip
            if la == la and la is not None:
                lats.append(float(la))
                lons.append(float(lo))
            else:
                e = resolve_endpoint(str(c))
                lats.append(np.nan if e.lat is None else e.lat)
                lons.append(np.nan if e.lon is None else e.lon)
        return lats, lons

    s_lat, s_lon = ends("sender")
    r_lat, r_lon = ends("receiver")
    out = pd.DataFrame({"id": top["id"], "score": top["score"], "lat": s_lat, "lon": s_lon,
                        "lat2": r_lat, "lon2": r_lon, "label": top["reasons"]})  # fmt: skip
    return out.dropna(subset=["lat", "lat2"]).reset_index(drop=True)


def overlay_map(records: pd.DataFrame, *, kind: str, backdrop: Backdrop, title: str) -> folium.Map:
    """An offline map of a partner's records (the ``MAP_RECORDS`` highest scores, coloured by
    score band, the top ``LABELLED`` labelled by id) over our significant hotspots and corridors,
    fitted to the records, with a legend."""
    m = offline_map()
    bg = country_layer()
    if bg is not None:
        bg.add_to(m)
    hot = folium.FeatureGroup(name="significant hotspots").add_to(m)
    for r in _rows(backdrop.hotspots, ["cell", "lat", "lon", "bin"]):
        colour = BIN_COLOURS.get(int(r.bin), "#d9d9d9")
        tip = safe_text(BIN_LABELS.get(int(r.bin), ""))
        if _is_h3(str(r.cell)):
            folium.Polygon(h3cells.boundary(str(r.cell)), color=colour, weight=1, fill=True, fill_color=colour,
                           fill_opacity=0.6, tooltip=tip).add_to(hot)  # fmt: skip
        else:
            folium.CircleMarker((r.lat, r.lon), radius=6, color=colour, fill=True, fill_opacity=0.6,
                                tooltip=tip).add_to(hot)  # fmt: skip
    flows = folium.FeatureGroup(name="corridors").add_to(m)
    for r in _rows(backdrop.corridors, ["corridor", "o_lat", "o_lon", "d_lat", "d_lon", "reports"]):
        folium.PolyLine([(r.o_lat, r.o_lon), (r.d_lat, r.d_lon)], color="#6a3d9a", weight=3, opacity=0.5,
                        tooltip=safe_text(f"{r.corridor}: {r.reports} reports")).add_to(flows)  # fmt: skip
    seg = _segments(records, kind)
    mine = folium.FeatureGroup(name="your records").add_to(m)
    points: list[tuple[float, float]] = []
    for i, r in enumerate(_rows(seg, SEGMENT_COLUMNS)):
        colour = band_colour(float(r.score))
        tip = safe_text(f"{r.id}: score {r.score:g}. {r.label}")
        if kind == "sites":
            folium.CircleMarker((r.lat, r.lon), radius=5, color="#222", weight=1, fill=True, fill_color=colour,
                                fill_opacity=0.9, tooltip=tip).add_to(mine)  # fmt: skip
            points.append((r.lat, r.lon))
        else:
            folium.PolyLine([(r.lat, r.lon), (r.lat2, r.lon2)], color=colour, weight=2, opacity=0.9,
                            tooltip=tip).add_to(mine)  # fmt: skip
            points += [(r.lat, r.lon), (r.lat2, r.lon2)]
        if i < LABELLED:
            folium.Marker((r.lat, r.lon), interactive=False, icon=folium.DivIcon(
                html=f'<div class="cf-town">{safe_text(r.id)}</div>', icon_size=(160, 16), icon_anchor=(-8, 8)
            )).add_to(mine)  # fmt: skip
    fit(m, points)
    folium.LayerControl(collapsed=True).add_to(m)
    shape = "point" if kind == "sites" else "line, sender to receiver"
    rows = [(f'<span class="sw" style="background:{c}"></span>', f"your record ({shape}), {label}")
            for _, c, label in BANDS]  # fmt: skip
    rows += [
        (f'<span class="sw" style="background:{BIN_COLOURS[b]}"></span>', BIN_LABELS[b]) for b in (3, 2, 1)
    ]
    if len(backdrop.corridors):
        rows.append(('<span class="sw" style="height:0;border-top:5px solid #6a3d9a;opacity:.7"></span>',
                     "corridor reports name (country to country)"))  # fmt: skip
    extra = (f"<div>{len(seg):,} of {len(records):,} records drawn (the highest scores); "
             "a risk indicator for due diligence, not an accusation</div>")  # fmt: skip
    legend(m, title, rows, extra)
    return m


def overlay_png(
    records: pd.DataFrame, *, kind: str, backdrop: Backdrop, title: str, path: Path | IO[bytes]
) -> Path | IO[bytes]:
    """The same picture as :func:`overlay_map` as a static PNG (matplotlib, no network), written
    to a file or a binary stream."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    from hotspots.plots import _countries

    seg = _segments(records, kind)
    fig, ax = plt.subplots(figsize=(10, 6.5), dpi=100)
    xs: list[float] = seg["lon"].tolist() + seg["lon2"].dropna().tolist()
    ys: list[float] = seg["lat"].tolist() + seg["lat2"].dropna().tolist()
    pad = 1.0
    x0, x1 = (min(xs) - pad, max(xs) + pad) if xs else (-20.0, 40.0)
    y0, y1 = (min(ys) - pad, max(ys) + pad) if ys else (-5.0, 45.0)
    shapes = _countries()
    if shapes is not None:
        shapes.plot(ax=ax, color="#f4f1ea", edgecolor="#9a9a9a", linewidth=0.6, zorder=0)
    for r in _rows(backdrop.hotspots, ["cell", "lat", "lon", "bin"]):
        colour = BIN_COLOURS.get(int(r.bin), "#d9d9d9")
        if _is_h3(str(r.cell)):
            hexagon = h3cells.boundary(str(r.cell))
            ax.fill([p[1] for p in hexagon], [p[0] for p in hexagon], color=colour, alpha=0.7, zorder=1)
        else:
            ax.scatter([r.lon], [r.lat], s=60, color=colour, alpha=0.7, zorder=1)
    for r in _rows(backdrop.corridors, ["corridor", "o_lat", "o_lon", "d_lat", "d_lon", "reports"]):
        ax.plot([r.o_lon, r.d_lon], [r.o_lat, r.d_lat], color="#6a3d9a", alpha=0.5, linewidth=3, zorder=2)
    colours = [band_colour(float(s)) for s in seg["score"]]
    if kind == "sites":
        ax.scatter(
            seg["lon"].to_numpy(float),
            seg["lat"].to_numpy(float),
            s=28,
            c=colours,
            edgecolors="#222222",
            linewidths=0.5,
            zorder=3,
        )
    else:
        for r, c in zip(_rows(seg, SEGMENT_COLUMNS), colours, strict=True):
            ax.plot([r.lon, r.lon2], [r.lat, r.lat2], color=c, linewidth=1.5, zorder=3)
    for r in _rows(seg.head(LABELLED), SEGMENT_COLUMNS):
        ax.annotate(
            str(r.id), (r.lon, r.lat), xytext=(4, 4), textcoords="offset points", fontsize=8, zorder=4
        )
    # a frame no narrower than 1.2 x its height, so that a north-south spread stays readable
    if (x1 - x0) < 1.2 * (y1 - y0):
        grow = (1.2 * (y1 - y0) - (x1 - x0)) / 2
        x0, x1 = x0 - grow, x1 + grow
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.set_title(f"{title}\nrisk indicator for due diligence, not an accusation", fontsize=10)
    handles: list[Artist] = [Patch(color=c, label=f"your record, {label}") for _, c, label in BANDS]
    handles += [Patch(color=BIN_COLOURS[b], alpha=0.7, label=BIN_LABELS[b]) for b in (3, 2, 1)]
    if len(backdrop.corridors):
        handles.append(
            Line2D([0], [0], color="#6a3d9a", alpha=0.5, linewidth=3, label="corridor reports name")
        )
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, framealpha=0.9)
    fig.tight_layout()
    if isinstance(path, Path):
        path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    plt.close(fig)
    return path


def overlay_xlsx(
    records: pd.DataFrame, summary: pd.DataFrame, rejects: pd.DataFrame, *, about: list[tuple[str, str]]
) -> bytes:
    """A workbook: the ranked records with reasons, the summary, the rejected rows and an "about"
    sheet (``about``: what the score means). Cells that a spreadsheet would run as formulas are
    neutralised as in every CSV of counterflow."""
    from intel.csvsafe import safe_frame

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as book:
        safe_frame(records).to_excel(book, sheet_name="ranked", index=False)
        safe_frame(summary).to_excel(book, sheet_name="summary", index=False)
        safe_frame(rejects).to_excel(book, sheet_name="rejects", index=False)
        pd.DataFrame(about, columns=["item", "meaning"]).to_excel(book, sheet_name="about", index=False)
    return buf.getvalue()
