"""A realistic, simulated intelligence scenario for the demo and the tests.

Reports follow two routes, a West African one (Nigeria -> Niger -> Libya -> Italy) and a Horn
of Africa one (Eritrea/Ethiopia -> Sudan -> Libya -> Malta/Italy), plus domestic cases and
background noise, from several source kinds over several years. Trends are built in so that the
analytics have something to find: Agadez intensifies, Sabha persists, Zawiya is new in the last
year, Kano diminishes. Every row is marked simulated (``simulated`` column, source names and
summaries say so): none of it is real intelligence.

The frame has the columns of the generic ``reports`` import format.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from intel.csvsafe import frame_to_csv

SIMULATED_SOURCE_SUFFIX = " (simulated)"


@dataclass(frozen=True)
class Hub:
    place: str
    country: str
    lat: float
    lon: float
    role: str  # origin, transit, destination, exploitation
    weight: float  # share of the route's reports
    trend: str = "steady"  # steady, rising, falling, new


WEST_AFRICA = [
    Hub("Benin City", "NG", 6.338, 5.626, "origin", 0.20, "steady"),
    Hub("Uromi", "NG", 6.700, 6.333, "origin", 0.04),
    Hub("Ekpoma", "NG", 6.743, 6.140, "origin", 0.04),
    Hub("Lagos", "NG", 6.454, 3.395, "origin", 0.06),
    Hub("Kano", "NG", 12.000, 8.517, "transit", 0.05, "falling"),
    Hub("Agadez", "NE", 16.973, 7.991, "transit", 0.14, "rising"),
    Hub("Sabha", "LY", 27.038, 14.428, "transit", 0.12, "steady"),
    Hub("Bani Walid", "LY", 31.746, 13.984, "exploitation", 0.04),
    Hub("Tripoli", "LY", 32.887, 13.187, "exploitation", 0.10),
    Hub("Zawiya", "LY", 32.752, 12.728, "transit", 0.025, "new"),
    Hub("Lampedusa", "IT", 35.501, 12.610, "transit", 0.05),
    Hub("Catania", "IT", 37.492, 15.070, "destination", 0.03),
    Hub("Castel Volturno", "IT", 41.033, 13.944, "exploitation", 0.04),
    Hub("Rome", "IT", 41.894, 12.483, "destination", 0.02),
    Hub("Turin", "IT", 45.070, 7.687, "exploitation", 0.02),
]

HORN_OF_AFRICA = [
    Hub("Asmara", "ER", 15.338, 38.932, "origin", 0.15),
    Hub("Addis Ababa", "ET", 9.025, 38.747, "origin", 0.15),
    Hub("Khartoum", "SD", 15.552, 32.532, "transit", 0.25),
    Hub("Kufra", "LY", 24.182, 23.282, "transit", 0.15),
    Hub("Benghazi", "LY", 32.115, 20.069, "exploitation", 0.2),
    Hub("Valletta", "MT", 35.899, 14.514, "destination", 0.1),
]

# Where each exploitation type tends to be reported.
TYPES_BY_ROLE = {
    "origin": (["sexual", "forced_labour", "domestic_servitude"], [0.6, 0.25, 0.15]),
    "transit": (["forced_labour", "sexual", "criminal_activity"], [0.5, 0.4, 0.1]),
    "exploitation": (["sexual", "forced_labour", "criminal_activity"], [0.6, 0.3, 0.1]),
    "destination": (["sexual", "forced_labour", "begging"], [0.65, 0.25, 0.1]),
}

SOURCES = [  # kind, name, reliability, credibility range, share
    ("news", "Sahel Daily", "C", (2, 4), 0.30),
    ("news", "Mediterranean Wire", "B", (2, 3), 0.15),
    ("court", "Edo State High Court", "A", (1, 2), 0.08),
    ("ngo_report", "Safe Passage NGO", "B", (2, 3), 0.17),
    ("un_report", "UN field office", "A", (2, 3), 0.07),
    ("law_enforcement", "Anti-trafficking unit", "B", (1, 3), 0.13),
    ("spreadsheet", "Shelter intake sheet", "C", (3, 4), 0.10),
]

SUMMARIES = {
    "sexual": "women recruited with promises of hair-salon work abroad, then forced into prostitution",
    "forced_labour": "migrants held in a warehouse and forced to work on farms to pay a travel debt",
    "domestic_servitude": "girl sent to a household in the city, unpaid and not allowed to leave",
    "criminal_activity": "young men forced to sell drugs to repay smugglers",
    "begging": "children forced to beg at traffic junctions",
}


def _trend_factor(trend: str, t: np.ndarray) -> np.ndarray:
    """Relative intensity over time t in [0, 1] (0 = start of the period, 1 = today)."""
    if trend == "rising":
        return 0.3 + 1.7 * t**2
    if trend == "falling":
        return 1.6 - 1.4 * t
    if trend == "new":
        return np.where(t > 0.9, 3.0, 0.0)
    return np.ones_like(t)


def generate_reports(
    *,
    n: int = 3000,
    seed: int = 7,
    start: dt.date = dt.date(2019, 1, 1),
    end: dt.date | None = None,
    noise_share: float = 0.15,
    duplicate_share: float = 0.06,
) -> pd.DataFrame:
    """Generate ``n`` simulated reports in the generic import format.

    Parameters
    ----------
    n
        Number of reports before duplicates are added.
    seed
        Random seed: the same seed gives the same scenario.
    start, end
        Observation dates are drawn between these (``end`` defaults to today).
    noise_share
        Share of reports scattered at random places of the same countries (background noise).
    duplicate_share
        Share of incidents reported a second time by another source a few days later.

    Examples
    --------
    >>> reports = generate_reports(n=200, seed=1, end=dt.date(2024, 1, 1))
    >>> len(reports)  # 200 and 6 % duplicates
    212
    >>> reports["date"].min() >= "2019-01-01" and reports["date"].max() <= "2024-01-01"
    True
    >>> set(reports["simulated"])
    {'true'}
    >>> generate_reports(n=200, seed=1, end=dt.date(2024, 1, 1)).equals(reports)  # same seed
    True
    """
    rng = np.random.default_rng(seed)
    end = end or dt.date.today()
    days = (end - start).days
    n_noise = int(n * noise_share)
    n_west = int((n - n_noise) * 0.72)
    n_horn = n - n_noise - n_west
    frames = [
        _route_reports(rng, WEST_AFRICA, n_west, start, days, route="Nigeria-Libya-Italy"),
        _route_reports(rng, HORN_OF_AFRICA, n_horn, start, days, route="Horn-Libya-Malta"),
        _noise_reports(rng, n_noise, start, days),
    ]
    df = pd.concat(frames, ignore_index=True)
    dup_idx = rng.choice(len(df), size=int(len(df) * duplicate_share), replace=False)
    dups = df.iloc[dup_idx].copy()
    shift = rng.integers(1, 6, size=len(dups))
    dups["date"] = (pd.to_datetime(dups["date"]) + pd.to_timedelta(shift, unit="D")).dt.strftime("%Y-%m-%d")
    src = _pick_sources(rng, len(dups))
    for col in ("source_kind", "source", "reliability", "credibility"):
        dups[col] = src[col].to_numpy()
    dups["lat"] = dups["lat"] + rng.normal(0, 0.01, len(dups))
    dups["lon"] = dups["lon"] + rng.normal(0, 0.01, len(dups))
    df = pd.concat([df, dups], ignore_index=True)
    df = df.sort_values("date", kind="stable").reset_index(drop=True)
    df["lat"] = df["lat"].round(5)
    df["lon"] = df["lon"].round(5)
    df["simulated"] = "true"
    return df


def _pick_sources(rng: np.random.Generator, k: int) -> pd.DataFrame:
    share = np.array([s[4] for s in SOURCES])
    pick = rng.choice(len(SOURCES), size=k, p=share / share.sum())
    cred = np.array([rng.integers(SOURCES[i][3][0], SOURCES[i][3][1] + 1) for i in pick])
    return pd.DataFrame(
        {
            "source_kind": [SOURCES[i][0] for i in pick],
            "source": [SOURCES[i][1] + SIMULATED_SOURCE_SUFFIX for i in pick],
            "reliability": [SOURCES[i][2] for i in pick],
            "credibility": cred,
        }
    )


def _dates(rng: np.random.Generator, trend: str, k: int, start: dt.date, days: int) -> np.ndarray:
    # rejection sampling of t in [0, 1] against the trend's intensity
    out: list[float] = []
    while len(out) < k:
        t = rng.random(k * 3)
        f = _trend_factor(trend, t)
        keep = rng.random(k * 3) * 3.0 < f
        out.extend(t[keep].tolist())
    t = np.array(out[:k])
    offsets = np.floor(t * days).astype(int)
    return np.array([(start + dt.timedelta(days=int(o))).isoformat() for o in offsets])


def _route_reports(
    rng: np.random.Generator, hubs: list[Hub], k: int, start: dt.date, days: int, *, route: str
) -> pd.DataFrame:
    w = np.array([h.weight for h in hubs])
    counts = rng.multinomial(k, w / w.sum())
    parts = []
    origin_hubs = [h for h in hubs if h.role == "origin"]
    dest_hubs = [h for h in hubs if h.role in ("destination", "exploitation")]
    for hub, c in zip(hubs, counts, strict=True):
        if c == 0:
            continue
        types, p = TYPES_BY_ROLE[hub.role]
        etype = rng.choice(types, size=c, p=p)
        # reports cluster within ~15 km of the hub
        lat = hub.lat + rng.normal(0, 0.08, c)
        lon = hub.lon + rng.normal(0, 0.08, c)
        src = _pick_sources(rng, c)
        origin = [origin_hubs[i].country for i in rng.integers(0, len(origin_hubs), c)]
        dest = [dest_hubs[i].country for i in rng.integers(0, len(dest_hubs), c)]
        stages = list(dict.fromkeys(h.country for h in hubs if h.role != "origin"))
        transit = [
            "|".join(c for c in stages[: stages.index(d)] if c != o)
            for o, d in zip(origin, dest, strict=True)
        ]
        parts.append(
            pd.DataFrame(
                {
                    "date": _dates(rng, hub.trend, c, start, days),
                    "place": hub.place,
                    "lat": lat,
                    "lon": lon,
                    "country": hub.country,
                    "exploitation": etype,
                    "victim_count": rng.choice([1, 1, 1, 2, 3, 5, 12], size=c),
                    "origin": origin,
                    "transit": transit,
                    "destination": dest,
                    "summary": [f"[simulated] {route}: {SUMMARIES[e]}" for e in etype],
                    "language": "en",
                }
            ).join(src)
        )
    return pd.concat(parts, ignore_index=True)


NOISE_BOXES = {  # country: (lat_min, lat_max, lon_min, lon_max)
    "NG": (5.0, 12.5, 3.5, 12.0),
    "NE": (13.0, 18.0, 2.0, 12.0),
    "LY": (26.0, 32.5, 10.5, 24.0),
    "IT": (38.0, 45.5, 8.0, 16.0),
    "SD": (12.0, 19.0, 26.0, 35.0),
}


def _noise_reports(rng: np.random.Generator, k: int, start: dt.date, days: int) -> pd.DataFrame:
    countries = np.array(list(NOISE_BOXES))
    picked = rng.choice(countries, size=k)
    lat = np.empty(k)
    lon = np.empty(k)
    for c in countries:
        m = picked == c
        a, b, x, y = NOISE_BOXES[str(c)]
        lat[m] = rng.uniform(a, b, m.sum())
        lon[m] = rng.uniform(x, y, m.sum())
    etype = rng.choice(["sexual", "forced_labour", "domestic_servitude", "begging"], size=k)
    return pd.DataFrame(
        {
            "date": _dates(rng, "steady", k, start, days),
            "place": "",
            "lat": lat,
            "lon": lon,
            "country": picked,
            "exploitation": etype,
            "victim_count": 1,
            "origin": picked,
            "transit": "",
            "destination": picked,
            "summary": [f"[simulated] background: {SUMMARIES[e]}" for e in etype],
            "language": "en",
        }
    ).join(_pick_sources(rng, k))


def write_scenario_csv(path: Path, **kwargs: object) -> Path:
    """Write a generated scenario as a CSV in the generic ``reports`` format."""
    df = generate_reports(**kwargs)  # type: ignore[arg-type]
    path.parent.mkdir(parents=True, exist_ok=True)
    frame_to_csv(df, path)
    return path
