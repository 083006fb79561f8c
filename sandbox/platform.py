"""Simulated platform results and tips for the demo (never real data).

A dry-run campaign reaches nobody, so the demo simulates what a real one brings back: daily
delivery per ad set (reach, impressions, clicks, video completion, spend) and tips that carry
the campaign's tracking codes. Everything made here is labelled simulated (``source="simulated"``
on metrics, ``simulated=True`` on tips) and the pages and reports say so.

Magnitudes follow a published campaign on the Nigeria -> Libya -> Italy route (about 1.4 million
people reached at 5.36% click-through, 48 actionable tips), scaled to the simulated audience.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np

TIP_TEMPLATES: dict[str, list[str]] = {
    "en": [
        "A woman in our street is recruiting girls for salon jobs in Italy and asks for their passports.",
        "Three girls left last week with a madam who promised work abroad; their families cannot reach them.",
        "A travel agent near the motor park is collecting money for trips to Libya.",
        "Someone is asking young women to swear an oath before travelling.",
    ],
    "pcm": [
        "One madam dey find small girls for salon work for Italy, she dey collect their passport.",
        "Some girls comot last week with one woman wey promise dem work for abroad.",
    ],
    "yo": ["Obinrin kan n gba awon omobinrin fun ise ni oke okun, o si n gba iwe irinna won."],
    "ha": ["Wata mace tana daukar 'yan mata aiki a kasar waje, tana karbar fasfo dinsu."],
    "ig": ["Otu nwanyi na-akpọ ụmụ agbọghọ ka ha gaa ọrụ na mba ofesi, ọ na-anara paspọtụ ha."],
    "bin": ["Okhuo ọkpa rhie emọse ya rri ọrhuẹ vbe Italy."],
    "fr": [
        "Des jeunes femmes attendent dans un ghetto à la gare routière; un passeur garde leurs papiers.",
        "Un homme propose du travail en Europe et demande de l'argent d'avance.",
    ],
    "ar": [
        "يوجد مستودع قرب الطريق الساحلي يحتجز فيه مهاجرون ويجبرون على العمل.",
        "رجل يعرض على الشابات عملاً في أوروبا ويأخذ جوازات سفرهن.",
    ],
    "it": [
        "Alcune ragazze nigeriane vengono portate ogni sera sulla statale; un uomo raccoglie i soldi.",
        "In un casolare vicino ai campi lavorano braccianti senza paga e senza documenti.",
    ],
}

EXPLOITATION_BY_TEMPLATE_WORD = {"salon": "sexual", "oath": "sexual", "work": "forced_labour"}


@dataclass(frozen=True)
class AdSetView:
    """What the simulator needs of one ad set and its asset."""

    tracking_code: str
    locale: str
    population: int
    budget: float
    lat: float
    lon: float
    radius_km: float
    country: str
    teen: bool = False


def simulate_metrics(
    adsets: list[AdSetView], *, start: dt.date, days: int, seed: int = 11
) -> list[dict[str, Any]]:
    """Daily simulated insights per ad set, as rows for ``upsert_metrics``.

    Daily reach is new people reached that day (so reach adds up over days); CTR is drawn
    around 5% per ad set, video completion falls off by quartile.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for a in adsets:
        audience = max(a.population, 1000) * (0.35 if a.teen else 0.22)
        total_reach = audience * rng.uniform(0.25, 0.55)
        share = rng.dirichlet(np.ones(days) * 3.0)
        ctr = float(np.clip(rng.normal(0.053, 0.012), 0.01, 0.12))
        freq = rng.uniform(1.6, 2.6)
        for d in range(days):
            reach = int(total_reach * share[d])
            impressions = int(reach * freq)
            clicks = int(rng.binomial(impressions, ctr)) if impressions else 0
            p25 = int(impressions * rng.uniform(0.35, 0.5))
            p50 = int(p25 * rng.uniform(0.55, 0.7))
            p75 = int(p50 * rng.uniform(0.6, 0.75))
            p100 = int(p75 * rng.uniform(0.6, 0.8))
            rows.append(
                {
                    "tracking_code": a.tracking_code,
                    "day": start + dt.timedelta(days=d),
                    "reach": reach,
                    "impressions": impressions,
                    "frequency": round(impressions / reach, 3) if reach else 0.0,
                    "clicks": clicks,
                    "ctr": round(100.0 * clicks / impressions, 4) if impressions else 0.0,
                    "unique_ctr": round(100.0 * clicks / reach, 4) if reach else 0.0,
                    "spend": round(a.budget / days * rng.uniform(0.85, 1.1), 2),
                    "video_p25": p25,
                    "video_p50": p50,
                    "video_p75": p75,
                    "video_p100": p100,
                    "video_avg_time_s": round(float(rng.uniform(6, 14)), 2),
                }
            )
    return rows


def simulate_tips(
    adsets: list[AdSetView],
    clicks_by_code: dict[str, int],
    *,
    start: dt.date,
    days: int,
    seed: int = 13,
    tips_per_click: float = 0.0035,
    actionable_share: float = 0.35,
) -> list[dict[str, Any]]:
    """Simulated tips carrying tracking codes, about ``tips_per_click`` per click.

    Each tip comes with ``actionable`` (what a simulated analyst decides at triage), a place
    near its target, and text in the ad set's language.
    """
    rng = np.random.default_rng(seed)
    tips: list[dict[str, Any]] = []
    for a in adsets:
        k = int(rng.poisson(clicks_by_code.get(a.tracking_code, 0) * tips_per_click))
        texts = TIP_TEMPLATES.get(a.locale, TIP_TEMPLATES["en"])
        for _ in range(k):
            text = str(rng.choice(texts))
            # a point within the target's radius (km -> degrees, roughly)
            r = a.radius_km * np.sqrt(rng.random()) / 111.0
            theta = rng.uniform(0, 2 * np.pi)
            lat = a.lat + r * np.sin(theta)
            lon = a.lon + r * np.cos(theta) / max(np.cos(np.radians(a.lat)), 0.2)
            etype = next((t for w, t in EXPLOITATION_BY_TEMPLATE_WORD.items() if w in text), "forced_labour")
            tips.append(
                {
                    "tracking_code": a.tracking_code,
                    "locale": a.locale,
                    "text": text,
                    "lat": float(lat),
                    "lon": float(lon),
                    "country": a.country,
                    "received_on": start + dt.timedelta(days=int(rng.integers(0, days))),
                    "actionable": bool(rng.random() < actionable_share),
                    "exploitation": etype,
                }
            )
    return tips


@dataclass(frozen=True)
class HotspotView:
    """What the follow-up simulator needs of one hotspot of the campaign's run."""

    lat: float
    lon: float
    country: str
    place: str
    daily_rate: float  # reports per day before the campaign
    targeted: bool


def simulate_followup_reports(
    hotspots: list[HotspotView],
    *,
    start: dt.date,
    days: int,
    seed: int = 17,
    effect: float = 0.3,
) -> list[dict[str, Any]]:
    """Simulated intelligence from the campaign period, in the generic report import format.

    Activity at every hotspot continues at its earlier daily rate, lowered by ``effect`` at the
    targeted ones (the effect the demo pretends the campaign had), so that the outcome's
    difference in differences has something to measure. Labelled simulated, like all of it.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, Any]] = []
    for h in hotspots:
        rate = h.daily_rate * (1.0 - effect if h.targeted else 1.0)
        k = int(rng.poisson(rate * days))
        for _ in range(k):
            rows.append(
                {
                    "date": (start + dt.timedelta(days=int(rng.integers(0, days)))).isoformat(),
                    "place": h.place,
                    "lat": round(h.lat + float(rng.normal(0, 0.05)), 5),
                    "lon": round(h.lon + float(rng.normal(0, 0.05)), 5),
                    "country": h.country,
                    "exploitation": str(rng.choice(["sexual", "forced_labour"], p=[0.6, 0.4])),
                    "victim_count": 1,
                    "summary": "[simulated] follow-up report during the campaign period",
                    "language": "en",
                    "source_kind": "ngo_report",
                    "source": "Safe Passage NGO (simulated)",
                    "reliability": "B",
                    "credibility": 3,
                    "simulated": "true",
                }
            )
    return rows
