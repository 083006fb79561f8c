"""Small report frames with the columns of ``intel.store.REPORT_COLUMNS``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from intel.store import REPORT_COLUMNS


def reports(rows: list[dict]) -> pd.DataFrame:
    """A report frame from a few dicts; unspecified columns get neutral defaults."""
    defaults = {
        "observed_on": "2024-01-01", "lat": None, "lon": None, "place": None, "admin1": None, "country": None, "role": "incident",
        "origin": None, "transit": "", "destination": None, "exploitation": "", "recruitment": "",
        "control": "", "transport": "", "reliability": "B", "credibility": 2, "victim_count": 1,
        "is_aggregate": False, "simulated": True, "source_kind": "news", "corroboration": 1,
    }  # fmt: skip
    full = [{**defaults, "id": i + 1, **r} for i, r in enumerate(rows)]
    df = pd.DataFrame(full)
    df["observed_on"] = pd.to_datetime(df["observed_on"])
    return df[list(REPORT_COLUMNS)].astype({c: t for c, t in REPORT_COLUMNS.items() if t != "object"})


def clusters(
    centres: list[tuple[float, float, int]], *, seed: int = 0, spread_deg: float = 0.05, **extra: object
) -> pd.DataFrame:
    """``n`` reports scattered around each (lat, lon, n), dated over five years."""
    rng = np.random.default_rng(seed)
    rows = []
    for lat, lon, n in centres:
        for _ in range(n):
            day = pd.Timestamp("2020-01-01") + pd.Timedelta(days=int(rng.integers(0, 5 * 365)))
            rows.append(
                {"lat": lat + rng.normal(0, spread_deg), "lon": lon + rng.normal(0, spread_deg),
                 "observed_on": day, **extra}
            )  # fmt: skip
    return reports(rows)


def store_reports(engine, frame: pd.DataFrame) -> None:
    """Write a report frame into the store as ``Report`` rows (one source per kind)."""
    import uuid

    from sqlmodel import select

    from intel.db import session_scope
    from intel.models import Report, Source

    batch = uuid.uuid4().hex[:8]

    with session_scope(engine) as s:
        sources: dict[str, int] = {}
        for i, r in enumerate(frame.to_dict("records")):
            kind = str(r.get("source_kind") or "news")
            if kind not in sources:
                found = s.exec(
                    select(Source).where(Source.kind == kind, Source.name == f"{kind} (test)")
                ).first()
                src = found or Source(kind=kind, name=f"{kind} (test)", reliability="B")
                s.add(src)
                s.flush()
                assert src.id is not None
                sources[kind] = src.id
            s.add(
                Report(
                    source_id=sources[kind], observed_on=pd.Timestamp(r["observed_on"]).date(),
                    reliability=r["reliability"], credibility=int(r["credibility"]),
                    exploitation=r["exploitation"] or "", victim_count=int(r["victim_count"]),
                    place=r["place"], country=r["country"], lat=r["lat"], lon=r["lon"],
                    origin=r["origin"], transit=r["transit"] or "", destination=r["destination"],
                    fingerprint=f"test-{batch}-{i}", simulated=True,
                )
            )  # fmt: skip
