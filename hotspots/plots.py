"""Static pictures (matplotlib, Agg): no tiles, no network, for documents."""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from hotspots import h3cells
from hotspots.maps import BIN_COLOURS, BIN_LABELS, _is_h3
from hotspots.routes import RouteSpec, corridor_polygon, densify

log = logging.getLogger(__name__)


def _countries():  # type: ignore[no-untyped-def]
    """Natural Earth country shapes for the background (``None`` if they cannot be read)."""
    try:
        from intel.gazetteer import country_shapes

        return country_shapes()
    except Exception as exc:  # background only
        log.warning("no country outlines (%s: %s)", type(exc).__name__, exc)
        return None


def hotspot_png(
    cells: pd.DataFrame,
    *,
    ranked: pd.DataFrame | None = None,
    route: RouteSpec | None = None,
    path: Path,
    title: str | None = None,
) -> Path:
    """A PNG of the cells coloured by confidence bin, the ranked hotspots numbered, the route and
    its corridor, over country outlines when they are available. Plate carrée (lon, lat)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    fig, ax = plt.subplots(figsize=(9, 9), dpi=110)
    shown = cells[(cells["count"] > 0) | (cells["bin"] != 0)]
    xs: list[float] = list(shown["lon"])
    ys: list[float] = list(shown["lat"])
    polys, colours = [], []
    for _, row in shown.iterrows():
        c = str(row["cell"])
        if _is_h3(c):
            polys.append([(lon, lat) for lat, lon in h3cells.boundary(c)])
            colours.append(BIN_COLOURS.get(int(row["bin"]), "#d9d9d9"))
        else:
            ax.scatter([row["lon"]], [row["lat"]], s=30, color=BIN_COLOURS.get(int(row["bin"]), "#d9d9d9"),
                       edgecolor="#555555", zorder=3)  # fmt: skip
    if route is not None:
        corr = corridor_polygon(route)
        ax.fill([p[1] for p in corr], [p[0] for p in corr], color="#888888", alpha=0.12, zorder=1)
        la, lo = densify(route, step_km=50)
        ax.plot(lo, la, color="#1b1b1b", lw=2, zorder=4)
        n = len(la)
        for i in range(0, n - 1, max(n // 12, 1)):  # direction arrows
            ax.annotate("", xy=(lo[min(i + 1, n - 1)], la[min(i + 1, n - 1)]), xytext=(lo[i], la[i]),
                        arrowprops={"arrowstyle": "->", "color": "#1b1b1b", "lw": 1.5}, zorder=4)  # fmt: skip
        for w in route.waypoints:
            ax.plot(w.lon, w.lat, "o", color="white", mec="#1b1b1b", zorder=5)
            ax.annotate(
                w.name, (w.lon, w.lat), xytext=(5, 5), textcoords="offset points", fontsize=8, zorder=6
            )
        xs += [p[1] for p in corr]
        ys += [p[0] for p in corr]
    countries = _countries()
    if countries is not None:
        countries.plot(ax=ax, color="#f4f1ea", edgecolor="#9a9a9a", lw=0.5, zorder=0)
    if xs:  # a square view around the data (the page is square; degrees kept equal)
        cx, cy = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
        half = max(max(xs) - min(xs), max(ys) - min(ys)) / 2 + 1.0
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy - half, cy + half)
    if polys:
        ax.add_collection(
            PolyCollection(polys, facecolors=colours, edgecolors="#555555", linewidths=0.3, zorder=2)
        )
    if ranked is not None:
        for _, r in ranked.iterrows():
            ax.annotate(str(int(r["rank"])), (r["lon"], r["lat"]), ha="center", va="center", fontsize=8,
                        fontweight="bold", bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "#b2182b"},
                        zorder=7)  # fmt: skip
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    ax.legend(handles=[Patch(color=BIN_COLOURS[b], label=BIN_LABELS[b]) for b in (3, 2, 1, 0, -1, -2, -3)],
              loc="upper left", fontsize=7, title="Gi* (FDR)", title_fontsize=8)  # fmt: skip
    if title:
        ax.set_title(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def bar_png(series: pd.Series, *, path: Path, title: str, xlabel: str = "reports") -> Path:
    """A horizontal bar chart of a count series (largest at the top)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = series.head(30)[::-1]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.3 * len(s) + 1)), dpi=110)
    ax.barh([str(i) for i in s.index], s.to_numpy(), color="#b2182b")
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def heat_png(matrix: pd.DataFrame, *, path: Path, title: str) -> Path:
    """A heat matrix (rows x columns of counts)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = matrix.iloc[:30, :60]
    fig, ax = plt.subplots(figsize=(max(6, 0.25 * m.shape[1] + 3), max(3, 0.3 * m.shape[0] + 1.5)), dpi=110)
    im = ax.imshow(m.to_numpy(), aspect="auto", cmap="Reds")
    ax.set_yticks(range(m.shape[0]), [str(i) for i in m.index], fontsize=7)
    ax.set_xticks(range(m.shape[1]), [str(c) for c in m.columns], fontsize=6, rotation=90)
    fig.colorbar(im, ax=ax, label="reports")
    ax.set_title(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path
