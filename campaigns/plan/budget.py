"""A budget that can deliver: the split by expected impact, above the platform's minimum.

How the budget is split
-----------------------
1. Expected impact of a target = its hotspot's **score** x its **reach estimate** (the audience
   reachable in its radius, :mod:`campaigns.plan.reach`). The score is what the ranking ranked
   by: the forecast of reports in the next period (``reasons["forecast"]``, ``--method
   forecast``), else the hotspot's report weight, else its report count. When no target has a
   score, reach alone splits it.
2. Each target gets its share of the lifetime budget; each of its ad sets an equal part.
3. **The platform's minimum.** An ad set's lifetime budget must reach the minimum daily budget
   (:data:`MIN_DAILY_BUDGET`, per currency and what the ad set is charged for) times the days it
   runs, or the platform will not deliver it. While a target's share cannot fund one ad set at
   that minimum, the target with the least expected impact is **dropped** and its share goes to
   the others (a ``budget_target_dropped`` finding names it). A target whose share funds fewer
   ad sets than it has keeps its first ones, in the order the planner gives them (the adult ad
   set of each language before the second and later 13-17 ad sets, which share one audience),
   and the rest are **dropped** (a ``budget_adsets_dropped`` finding names them).
4. Amounts are in cents; a share's rounding remainder goes to the largest share.

The minimum daily budget (the table's source)
---------------------------------------------
Meta Business Help Centre, "About minimum budgets"
(https://www.facebook.com/business/help/203183363050448; text as published on 2019-11-30 and
quoted unchanged by ad tools, checked on 2026-12-06): "Minimum budgets are calculated as a daily
amount, but apply whether you're using a daily or lifetime budget" (a lifetime budget over five
days must be five times the minimum daily budget). For USD, AUD, CAD, SGD, JPY, NZD, TWD, EUR,
CHF, SEK, HKD, GBP, ILS, NOK, KRW and DKK: at least $1 a day when charged for impressions, $5 for
clicks, likes, video views or post engagement, $40 for low-frequency events (offer claims, app
installs); other currencies half of that, "listed in USD: convert them to your currency".

The amounts are in US dollars, so the table holds a currency only where a conservative amount in
its own unit is plain: USD as published, and EUR, GBP and CHF at the same figures (each unit is
worth more than a dollar, so the figure is at or above the platform's). Another currency is
refused with a clear error rather than guessed through an exchange rate; the Marketing API gives
the account's own figures (``act_<id>/minimum_budgets``) when a channel is connected. Our ad sets
are charged for impressions (``billing_event=IMPRESSIONS``, see
``campaigns/delivery/channels/specs.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from intel.errors import CommandHint, CounterflowError

#: Minimum daily budget per ad set in the currency's major unit, by what the ad set is charged for.
#: Source and date: see the module docstring (Meta, "About minimum budgets", checked 2026-12-06).
MIN_DAILY_BUDGET: dict[str, dict[str, float]] = {
    "USD": {"impressions": 1.0, "clicks": 5.0, "low_frequency": 40.0},
    "EUR": {"impressions": 1.0, "clicks": 5.0, "low_frequency": 40.0},
    "GBP": {"impressions": 1.0, "clicks": 5.0, "low_frequency": 40.0},
    "CHF": {"impressions": 1.0, "clicks": 5.0, "low_frequency": 40.0},
}
MIN_BUDGET_SOURCE = "Meta Business Help Centre, 'About minimum budgets' (checked 2026-12-06)"

#: What an ad set of each campaign objective is charged for (our ad sets: impressions).
OBJECTIVE_CHARGE: dict[str, str] = {
    "OUTCOME_AWARENESS": "impressions",
    "OUTCOME_TRAFFIC": "clicks",
    "OUTCOME_ENGAGEMENT": "clicks",
    "OUTCOME_APP_PROMOTION": "low_frequency",
}


def min_daily_budget(currency: str, objective: str = "OUTCOME_AWARENESS") -> float:
    """The platform's minimum daily budget of one ad set.

    >>> min_daily_budget("usd")
    1.0
    >>> min_daily_budget("EUR", "OUTCOME_TRAFFIC")
    5.0
    """
    row = MIN_DAILY_BUDGET.get(currency.upper())
    if row is None:
        raise CounterflowError(
            f"currency {currency!r} has no documented minimum daily budget",
            f"plan in one of {', '.join(MIN_DAILY_BUDGET)}, or add the currency's minimum "
            "(from the platform's minimum budgets) to MIN_DAILY_BUDGET in campaigns/plan/budget.py",
        )
    charge = OBJECTIVE_CHARGE.get(objective)
    if charge is None:
        raise CounterflowError(
            f"objective {objective!r} has no minimum budget",
            f"use one of {', '.join(OBJECTIVE_CHARGE)}",
        )
    return row[charge]


def run_days(starts_on: dt.date | None, ends_on: dt.date | None) -> int:
    """Days an ad set runs, both ends included (the channel runs it from local midnight of the
    first day to local midnight after the last).

    >>> run_days(dt.date(2027, 1, 10), dt.date(2027, 2, 10))
    32
    """
    if starts_on is None or ends_on is None:
        return 7
    return max(1, (ends_on - starts_on).days + 1)


def hotspot_score(hotspot: Any) -> tuple[float, str]:
    """What the ranking ranked by: (value, what it is) -- forecast, else weight, else reports."""
    reasons = getattr(hotspot, "reasons", None) or {}
    if reasons.get("forecast") is not None:
        return float(reasons["forecast"]), "forecast"
    if float(getattr(hotspot, "weight", 0.0) or 0.0) > 0:
        return float(hotspot.weight), "weight"
    return float(getattr(hotspot, "count", 0) or 0), "reports"


def split_cents(cents: int, weights: Sequence[float]) -> list[int]:
    """``cents`` in proportion to ``weights`` (evenly when they sum to 0); the remainder goes
    to the largest weight.

    >>> split_cents(1000, [1, 1, 1])
    [334, 333, 333]
    """
    w = np.asarray(weights, dtype=float)
    if not len(w):
        return []
    if w.sum() <= 0:
        w = np.ones(len(w))
    parts = np.floor(cents * w / w.sum()).astype(int)
    parts[int(np.argmax(w))] += cents - int(parts.sum())
    return [int(p) for p in parts]


@dataclass
class TargetShare:
    """One target as the budget sees it: ``adsets`` are labels, in the order they are kept."""

    name: str
    score: float
    reach: int
    adsets: list[str]
    impact: float = 0.0


@dataclass
class Allocation:
    """The split: per target, the kept ad sets' indices and their amounts in cents (None: dropped)."""

    kept: list[list[int] | None]
    amounts: list[list[int]]
    min_cents: int
    findings: list[dict[str, Any]] = field(default_factory=list)


def allocate(
    shares: Sequence[TargetShare],
    *,
    budget: float,
    currency: str,
    days: int,
    objective: str = "OUTCOME_AWARENESS",
) -> Allocation:
    """Split ``budget`` over the targets' ad sets (see the module docstring).

    Raises a CounterflowError when the budget cannot fund one ad set at the minimum.
    """
    currency = currency.upper()
    daily = min_daily_budget(currency, objective)
    min_cents = int(round(daily * 100)) * days
    cents = int(round(budget * 100))
    scored = any(s.score > 0 for s in shares)
    for s in shares:
        s.impact = (s.score if scored else 1.0) * max(0, s.reach)
    if not any(s.impact > 0 for s in shares):
        for s in shares:
            s.impact = 1.0
    active = [i for i, s in enumerate(shares) if s.adsets]
    findings: list[dict[str, Any]] = []
    unit = f"{daily:.2f} {currency} a day"
    while True:
        if not active:
            raise CounterflowError(
                f"a budget of {budget:,.2f} {currency} over {days} days cannot fund one ad set at the "
                f"platform's minimum of {unit} ({min_cents / 100:,.2f} {currency} for the {days} days)",
                f"raise the budget to at least {min_cents / 100:,.2f} {currency}, or shorten the campaign",
                hint=CommandHint("plan", "... --budget AMOUNT"),
            )
        parts = split_cents(cents, [shares[i].impact for i in active])
        poor = [
            (shares[i].impact, -k, i)
            for k, (i, p) in enumerate(zip(active, parts, strict=True))
            if p < min_cents
        ]
        if not poor:
            break
        _, _, worst = min(poor)
        s = shares[worst]
        got = parts[active.index(worst)]
        findings.append(
            {
                "level": "warn",
                "rule": "budget_target_dropped",
                "object": f"target {s.name}",
                "problem": f"its share of the budget, {got / 100:,.2f} {currency} ({got / 100 / days:,.2f} a day), "
                f"is under the platform's minimum of {unit} for one ad set: the target was dropped and "
                f"its share went to the targets with more expected impact",
                "fix": "raise the budget, shorten the campaign or plan fewer targets to keep it",
            }
        )
        active.remove(worst)
    kept: list[list[int] | None] = [None] * len(shares)
    amounts: list[list[int]] = [[] for _ in shares]
    for i, part in zip(active, parts, strict=True):
        s = shares[i]
        k = min(len(s.adsets), part // min_cents)
        kept[i] = list(range(k))
        amounts[i] = split_cents(part, [1.0] * k)
        if k < len(s.adsets):
            dropped = s.adsets[k:]
            findings.append(
                {
                    "level": "warn",
                    "rule": "budget_adsets_dropped",
                    "object": f"target {s.name}",
                    "problem": f"its {part / 100:,.2f} {currency} fund {k} of its {len(s.adsets)} ad sets at the "
                    f"platform's minimum of {unit} over {days} days; dropped: {', '.join(dropped)}",
                    "fix": "raise the budget or shorten the campaign to keep them; "
                    "13-17 ad sets of one target share one audience, so the first one reaches them",
                }
            )
    return Allocation(kept=kept, amounts=amounts, min_cents=min_cents, findings=findings)


def budget_rows(campaign: Any, targets: Sequence[Any], adsets: Sequence[Any]) -> list[dict[str, Any]]:
    """Spend per target and per day, from the stored ad sets (for the command line and the web).

    Each row: ``target``, ``adsets``, ``lifetime``, ``per_day``, ``min_adset`` (the smallest ad
    set's budget per day) and ``share`` (of the campaign's budget).
    """
    days = run_days(campaign.starts_on, campaign.ends_on)
    total = sum(a.budget for a in adsets) or 1.0
    rows = []
    for t in targets:
        mine = [a.budget for a in adsets if a.target_id == t.id]
        spend = sum(mine)
        rows.append(
            {
                "target_id": t.id,
                "target": t.name,
                "adsets": len(mine),
                "lifetime": round(spend, 2),
                "per_day": round(spend / days, 2),
                "min_adset_per_day": round(min(mine) / days, 2) if mine else 0.0,
                "share": round(spend / total, 4),
            }
        )
    return rows
