"""Routes: waypoints from names or coordinates, the geodesic corridor, distance along the route.

Distances are great-circle (spherical Earth, radius 6371.0088 km) on EPSG:4326 coordinates: a
point is in the corridor when its shortest great-circle distance to the route line (a chain of
great-circle arcs) is at most ``corridor_km``. No projection, so no UTM-zone seams on routes
that cross several zones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from intel.errors import CounterflowError
from intel.gazetteer import EARTH_RADIUS_KM, GeoPlace, get_gazetteer

_LATLON = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*[, ]\s*(-?\d+(?:\.\d+)?)\s*$")


@dataclass(frozen=True)
class Waypoint:
    name: str
    lat: float
    lon: float
    country: str | None = None
    note: str | None = None  # how an ambiguous name was decided

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "lat": self.lat, "lon": self.lon, "country": self.country}


@dataclass(frozen=True)
class RouteSpec:
    """A route: ordered waypoints and a corridor half-width (km from the line)."""

    name: str
    waypoints: tuple[Waypoint, ...]
    corridor_km: float = 150.0
    notes: tuple[str, ...] = field(default=())

    @property
    def lat(self) -> np.ndarray:
        return np.array([w.lat for w in self.waypoints])

    @property
    def lon(self) -> np.ndarray:
        return np.array([w.lon for w in self.waypoints])

    @property
    def segment_km(self) -> np.ndarray:
        """Length of each segment (great-circle)."""
        xyz = unit_xyz(self.lat, self.lon)
        return _angle(xyz[:-1], xyz[1:]) * EARTH_RADIUS_KM

    @property
    def length_km(self) -> float:
        return float(self.segment_km.sum())

    @classmethod
    def from_waypoints(cls, name: str, waypoints: list[dict[str, Any]], corridor_km: float) -> RouteSpec:
        """Rebuild a route from stored waypoint dicts (``name``, ``lat``, ``lon``, ``country``)."""
        wps = tuple(
            Waypoint(str(w["name"]), float(w["lat"]), float(w["lon"]), w.get("country")) for w in waypoints
        )
        return cls(name=name, waypoints=wps, corridor_km=corridor_km)


def unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(np.asarray(lat, float)), np.radians(np.asarray(lon, float))
    cl = np.cos(la)
    return np.stack((cl * np.cos(lo), cl * np.sin(lo), np.sin(la)), axis=-1)


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between unit vectors (numerically stable atan2 form)."""
    cross = np.linalg.norm(np.cross(a, b), axis=-1)
    return np.arctan2(cross, np.sum(a * b, axis=-1))


def parse_route(text: str, *, corridor_km: float = 150.0) -> RouteSpec:
    """Parse ``"Benin City > Agadez > Tripoli > Lampedusa > Rome"`` into a :class:`RouteSpec`.

    A waypoint is a place name (optionally ``"Name, Country"``) or ``"lat,lon"``. A name that
    several countries share is decided by proximity to the neighbouring waypoints, and the
    decision is recorded in ``notes``.

    Raises
    ------
    CounterflowError
        For fewer than two waypoints, an unknown place or a coordinate out of range.
    """
    parts = [p.strip() for p in text.split(">")]
    if len(parts) < 2 or any(not p for p in parts):
        raise CounterflowError(
            f"route {text!r} needs at least two waypoints separated by '>'",
            'write it like "Benin City > Agadez > Tripoli > Lampedusa > Rome"',
        )
    gaz = get_gazetteer()
    options: list[list[GeoPlace] | Waypoint] = []
    for part in parts:
        m = _LATLON.match(part)
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if not (-90 <= lat <= 90 and -180 <= lon <= 180):
                raise CounterflowError(
                    f"waypoint {part!r} is not a valid coordinate", "give latitude,longitude in degrees"
                )
            near = gaz.nearest(lat, lon)
            options.append(Waypoint(f"{lat:.4f},{lon:.4f}", lat, lon, near.country))
            continue
        if "," in part:
            p = gaz.resolve(part)  # raises NotFound / AmbiguousPlace with the fix
            options.append([p])
            continue
        found = gaz.candidates(part)
        if not found:
            raise CounterflowError(
                f"route waypoint {part!r} is not a known place",
                "check the spelling, add the country ('Tripoli, Libya') or give 'lat,lon'",
            )
        # one candidate per country: the most populous (candidates come sorted by population)
        per_country: dict[str, GeoPlace] = {}
        for c in found:
            per_country.setdefault(c.country, c)
        options.append(list(per_country.values()))
    chosen: list[Waypoint | None] = [o if isinstance(o, Waypoint) else None for o in options]
    notes: list[str] = []
    for i, o in enumerate(options):
        if isinstance(o, list) and len(o) == 1:
            chosen[i] = Waypoint(o[0].name, o[0].lat, o[0].lon, o[0].country)
    # ambiguous names: nearest to the already decided neighbours (two passes for chains)
    for _ in range(2):
        for i, o in enumerate(options):
            if not isinstance(o, list) or len(o) == 1 or (chosen[i] is not None and _ > 0):
                continue
            neigh = [w for j in (i - 1, i + 1) if 0 <= j < len(chosen) and (w := chosen[j]) is not None]
            if not neigh:
                if _ == 0:
                    continue
                best = o[0]
                why = "the most populous (no decided neighbour)"
            else:

                def cost(p: GeoPlace, neigh: list[Waypoint] = neigh) -> float:
                    return sum(_km(p.lat, p.lon, w.lat, w.lon) for w in neigh)

                best = min(o, key=cost)
                why = "nearest to " + " and ".join(w.name for w in neigh)
            others = ", ".join(f"{p.name} ({p.country_name})" for p in o if p is not best)
            note = f"{parts[i]!r}: chose {best.name} ({best.country_name}), {why}, over {others}"
            chosen[i] = Waypoint(best.name, best.lat, best.lon, best.country, note)
    for w in chosen:
        if w is not None and w.note:
            notes.append(w.note)
    wps = tuple(w for w in chosen if w is not None)
    return RouteSpec(
        name=" > ".join(w.name for w in wps), waypoints=wps, corridor_km=corridor_km, notes=tuple(notes)
    )


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    a = unit_xyz(np.array([lat1]), np.array([lon1]))
    b = unit_xyz(np.array([lat2]), np.array([lon2]))
    return float(_angle(a, b)[0] * EARTH_RADIUS_KM)


def route_distance(
    route: RouteSpec, lat: np.ndarray, lon: np.ndarray, *, within_km: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance of each point to the route line, the segment it is nearest to, and its distance
    along the route (km from the first waypoint to the foot of the perpendicular).

    Vectorised over points with a loop over segments. With ``within_km``, a segment only looks
    at the points inside its own padded bounding box (others get ``inf`` for that segment), which
    is exact for the points within ``within_km`` of the route and much faster.
    """
    n_pts = len(lat)
    la = np.radians(np.asarray(lat, float))
    lo = np.radians(np.asarray(lon, float))
    cl = np.cos(la)
    px, py, pz = cl * np.cos(lo), cl * np.sin(lo), np.sin(la)
    w = unit_xyz(route.lat, route.lon)
    seg_len = route.segment_km
    start = np.concatenate(([0.0], np.cumsum(seg_len)[:-1]))
    # Segments compete on the squared chord to the nearest point of the arc (monotonic in the
    # distance, no trigonometry); angles are taken once per point at the end.
    best = np.full(n_pts, np.inf)
    seg = np.zeros(n_pts, dtype=np.int64)
    beside = np.zeros(n_pts, dtype=bool)  # the foot of the perpendicular lies on the best arc
    at_end = np.zeros(n_pts, dtype=bool)  # otherwise: nearer to the arc's end than to its start
    boxes = segment_boxes(route, within_km) if within_km is not None else None
    normals = []
    for s in range(len(w) - 1):
        a, b = w[s], w[s + 1]
        nvec = np.cross(a, b)
        nn = float(np.linalg.norm(nvec))
        normals.append(nvec / nn if nn >= 1e-15 else None)
        if boxes is not None:
            la0, la1, lo0, lo1 = boxes[s]
            idx = np.flatnonzero((lat >= la0) & (lat <= la1) & (lon >= lo0) & (lon <= lo1))
        else:
            idx = np.arange(n_pts)
        x, y, z = px[idx], py[idx], pz[idx]
        ca2 = (x - a[0]) ** 2 + (y - a[1]) ** 2 + (z - a[2]) ** 2
        cb2 = (x - b[0]) ** 2 + (y - b[1]) ** 2 + (z - b[2]) ** 2
        c2 = np.minimum(ca2, cb2)
        n = normals[-1]
        if n is not None:
            ta, tb = np.cross(n, a), np.cross(b, n)
            on_arc = (x * ta[0] + y * ta[1] + z * ta[2] >= 0) & (x * tb[0] + y * tb[1] + z * tb[2] >= 0)
            s2 = np.minimum((x * n[0] + y * n[1] + z * n[2]) ** 2, 1.0)
            c2 = np.where(on_arc, 2.0 * s2 / (1.0 + np.sqrt(1.0 - s2)), c2)  # 2 - 2 cos(d), stably
        else:
            on_arc = np.zeros(len(idx), dtype=bool)
        closer = c2 < best[idx]
        sel = idx[closer]
        best[sel] = c2[closer]
        seg[sel] = s
        beside[sel] = on_arc[closer]
        at_end[sel] = (cb2 < ca2)[closer]
    with np.errstate(invalid="ignore"):
        dist = 2.0 * np.arcsin(np.minimum(np.sqrt(best) / 2.0, 1.0)) * EARTH_RADIUS_KM
    dist[np.isinf(best)] = np.inf  # outside every segment's box (with ``within_km``)
    along = start[seg] + np.where(at_end, seg_len[seg], 0.0)
    for s, n in enumerate(normals):
        if n is None:
            continue
        sel = np.flatnonzero(beside & (seg == s))
        a, t = w[s], np.cross(n, w[s])  # a and t span the arc's plane
        x, y, z = px[sel], py[sel], pz[sel]
        theta = np.arctan2(x * t[0] + y * t[1] + z * t[2], x * a[0] + y * a[1] + z * a[2])
        along[sel] = start[s] + theta * EARTH_RADIUS_KM
    return dist, seg, along


def _angle_to(x: np.ndarray, y: np.ndarray, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Angle between unit vectors (x, y, z) and ``a`` (atan2 form: exact at small angles)."""
    cx = y * a[2] - z * a[1]
    cy = z * a[0] - x * a[2]
    cz = x * a[1] - y * a[0]
    return np.arctan2(np.sqrt(cx * cx + cy * cy + cz * cz), x * a[0] + y * a[1] + z * a[2])


def segment_boxes(route: RouteSpec, pad_km: float) -> list[tuple[float, float, float, float]]:
    return [
        corridor_bbox(RouteSpec(name="", waypoints=route.waypoints[s : s + 2], corridor_km=pad_km))
        for s in range(len(route.waypoints) - 1)
    ]


def corridor_bbox(route: RouteSpec) -> tuple[float, float, float, float]:
    """A (lat_min, lat_max, lon_min, lon_max) box that contains the corridor (a cheap prefilter).

    Great-circle arcs can bulge poleward of their end points; the bulge is bounded by sampling
    each arc, and the box is padded by the corridor plus one sampling step.
    """
    w = unit_xyz(route.lat, route.lon)
    pts = []
    for s in range(len(w) - 1):
        t = np.linspace(0, 1, 33)[:, None]
        v = w[s] * (1 - t) + w[s + 1] * t
        pts.append(v / np.linalg.norm(v, axis=1)[:, None])
    xyz = np.concatenate(pts)
    lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1, 1)))
    lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
    pad_lat = (route.corridor_km + route.length_km / 32) / 111.0 + 0.1
    lat_min, lat_max = lat.min() - pad_lat, lat.max() + pad_lat
    coslat = max(np.cos(np.radians(max(abs(lat_min), abs(lat_max)))), 0.05)
    pad_lon = pad_lat / coslat
    if lon.max() - lon.min() > 180:  # crosses the antimeridian: no lon prefilter
        return float(lat_min), float(lat_max), -180.0, 180.0
    return float(lat_min), float(lat_max), float(lon.min() - pad_lon), float(lon.max() + pad_lon)


def corridor_polygon(route: RouteSpec, *, step_km: float = 10.0) -> list[tuple[float, float]]:
    """Outline of the corridor as (lat, lon) points, for maps: the union of circles and strips
    is approximated by offsetting points along the line left and right by ``corridor_km``."""
    import shapely

    # Build in an azimuthal equidistant projection centred on the route, buffer, back to degrees.
    from pyproj import CRS, Transformer
    from shapely.geometry import LineString

    lat0, lon0 = float(route.lat.mean()), float(route.lon.mean())
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m")
    fwd = Transformer.from_crs("EPSG:4326", aeqd, always_xy=True)
    inv = Transformer.from_crs(aeqd, "EPSG:4326", always_xy=True)
    dense_lat, dense_lon = densify(route, step_km=max(step_km, route.length_km / 400))
    x, y = fwd.transform(dense_lon, dense_lat)
    poly = LineString(np.column_stack((x, y))).buffer(route.corridor_km * 1000.0, quad_segs=8)
    poly = shapely.simplify(poly, 500.0)
    ex, ey = np.asarray(poly.exterior.coords).T
    lon, lat = inv.transform(ex, ey)
    return [(float(a), float(b)) for a, b in zip(lat, lon, strict=True)]


def densify(route: RouteSpec, *, step_km: float = 25.0) -> tuple[np.ndarray, np.ndarray]:
    """Points along the great-circle arcs of the route, about ``step_km`` apart."""
    w = unit_xyz(route.lat, route.lon)
    out = [w[:1]]
    for s, length in enumerate(route.segment_km):
        k = max(int(np.ceil(length / step_km)), 1)
        ang = _angle(w[s][None], w[s + 1][None])[0]
        t = np.linspace(0, 1, k + 1)[1:]
        if ang < 1e-12:
            v = np.repeat(w[s][None], len(t), axis=0)
        else:  # slerp
            v = (np.sin((1 - t) * ang)[:, None] * w[s] + np.sin(t * ang)[:, None] * w[s + 1]) / np.sin(ang)
        out.append(v)
    xyz = np.concatenate(out)
    return np.degrees(np.arcsin(np.clip(xyz[:, 2], -1, 1))), np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
