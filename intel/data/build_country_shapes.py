"""Build ``countries-110m.geojson`` from Natural Earth's 1:110m Admin 0 countries.

The source is the ``countries-110m.json`` TopoJSON of the npm package ``world-atlas`` 2.0.2
(a redistribution of Natural Earth 4.1.0, public domain; get it with ``npm pack world-atlas``).
This script decodes the topology (quantised, delta-encoded arcs) into GeoJSON polygons with the
ISO 3166 alpha-2 code of each country, rounded to 0.001 degree (EPSG:4326). Run it once:

    python -m intel.data.build_country_shapes path/to/countries-110m.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pycountry

OUT = Path(__file__).parent / "countries-110m.geojson"


def _arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topo["transform"]["scale"], topo["transform"]["translate"]
    out = []
    for arc in topo["arcs"]:
        x = y = 0
        pts = []
        for dx, dy in arc:
            x += dx
            y += dy
            pts.append((round(x * sx + tx, 3), round(y * sy + ty, 3)))
        out.append(pts)
    return out


def _ring(indices: list[int], arcs: list[list[tuple[float, float]]]) -> list[list[float]]:
    coords: list[tuple[float, float]] = []
    for i in indices:
        pts = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        coords.extend(pts if not coords else pts[1:])
    return [list(p) for p in coords]


def convert(topo: dict[str, Any]) -> dict[str, Any]:
    arcs = _arcs(topo)
    features = []
    for g in topo["objects"]["countries"]["geometries"]:
        if g["type"] == "Polygon":
            coords: Any = [_ring(r, arcs) for r in g["arcs"]]
        elif g["type"] == "MultiPolygon":
            coords = [[_ring(r, arcs) for r in poly] for poly in g["arcs"]]
        else:
            continue
        num = g.get("id")
        country = pycountry.countries.get(numeric=num) if num and num.isdigit() else None
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "iso_a2": country.alpha_2 if country else None,
                    "iso_n3": num,
                    "name": g.get("properties", {}).get("name"),
                },
                "geometry": {"type": g["type"], "coordinates": coords},
            }
        )
    return {
        "type": "FeatureCollection",
        "name": "Natural Earth 1:110m Admin 0 countries (via world-atlas 2.0.2), public domain",
        "features": features,
    }


if __name__ == "__main__":
    topo = json.loads(Path(sys.argv[1]).read_text())
    OUT.write_text(json.dumps(convert(topo), separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB)")  # noqa: T201
