"""A director's portfolio: every campaign's outcome totals side by side, and per month.

Each campaign's figures are ``campaign_outcomes(...).totals`` and its difference in differences
at targeted hotspots (``campaigns.feedback.outcomes``): nothing here recomputes them. A month
combines the campaigns that *start* in it (campaigns without a start date are listed but belong
to no month):

- reach: the sum of the campaigns' reach (those that know it);
- click-through: the campaigns' clicks over their impressions (those that know both), in %;
- tips per 100k reached: their tips over their reach x 100,000, over the campaigns whose own
  tips per 100k is known (reach wholly known);
- cost per actionable tip: their spend over their actionable tips, over the campaigns whose own
  cost per actionable tip is known;
- change at targeted hotspots: the mean of the campaigns' difference in differences.

Working out a campaign's outcomes reads its metrics and tips and counts reports around its
hotspots: with a million reports that takes about half a second a campaign, so each campaign's
figures are kept in memory keyed by a fingerprint of what they are computed from (the campaign,
its targets, assets, ad sets, metrics and tips, the number of reports and the newest, and
today) and computed again only when it changes. A page waits for them only a moment: the rest
are worked out by a background thread, and the page says how many are still missing.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case
from sqlmodel import Session, col, func, select

from campaigns.feedback.outcomes import Outcomes, campaign_outcomes
from intel.models import AdSet, Asset, Campaign, Metric, Report, Target, Tip
from intel.roles import ACTIONABLE_STATUSES


@dataclass(frozen=True)
class CampaignFigures:
    """One campaign's outcome totals (from ``campaign_outcomes``) as the portfolio shows them."""

    campaign_id: int
    name: str
    status: str
    currency: str
    starts_on: dt.date | None
    reach: int | None
    impressions: int | None
    clicks: int | None
    ctr: float | None
    spend: float | None
    tips: int
    actionable_tips: int
    tips_per_100k: float | None
    cost_per_actionable_tip: float | None
    did: float | None
    simulated: bool

    @property
    def month(self) -> str | None:
        return None if self.starts_on is None else self.starts_on.strftime("%Y-%m")


@dataclass(frozen=True)
class MonthFigures:
    """The campaigns starting in one month, combined (see the module's rules)."""

    month: str
    campaigns: int
    reach: int | None
    ctr: float | None
    tips_per_100k: float | None
    cost_per_actionable_tip: float | None
    did: float | None
    currencies: tuple[str, ...]


def figures_of(session: Session, campaign: Campaign, *, today: dt.date | None = None) -> CampaignFigures:
    """One campaign's portfolio row, from its outcomes."""
    assert campaign.id is not None
    return _figures(campaign, campaign_outcomes(session, campaign_id=campaign.id, today=today))


def _figures(campaign: Campaign, out: Outcomes) -> CampaignFigures:
    assert campaign.id is not None
    t = out.totals
    return CampaignFigures(
        campaign_id=campaign.id,
        name=campaign.name,
        status=campaign.status,
        currency=campaign.currency,
        starts_on=campaign.starts_on,
        reach=t["reach"],
        impressions=t["impressions"],
        clicks=t["clicks"],
        ctr=t["ctr"],
        spend=t["spend"],
        tips=int(t["tips"]),
        actionable_tips=int(t["actionable_tips"]),
        tips_per_100k=t["tips_per_100k"],
        cost_per_actionable_tip=t["cost_per_actionable_tip"],
        did=None if out.change is None else out.change.did,
        simulated=out.simulated,
    )


def _grouped(
    session: Session, model: Any, *columns: Any, campaign_id: int | None = None
) -> dict[int, tuple[Any, ...]]:
    stmt = select(col(model.campaign_id), *columns).group_by(col(model.campaign_id))  # type: ignore[call-overload]
    if campaign_id is not None:
        stmt = stmt.where(col(model.campaign_id) == campaign_id)
    return {row[0]: tuple(row[1:]) for row in session.exec(stmt).all()}


def fingerprints(
    session: Session, *, today: dt.date, campaign_id: int | None = None
) -> dict[int, tuple[Any, ...]]:
    """Per campaign (or only ``campaign_id``), a summary of everything its outcomes are
    computed from (a handful of grouped queries, whatever the number of campaigns)."""
    one = {"campaign_id": campaign_id}
    metrics = _grouped(
        session,
        Metric,
        func.count(),
        func.max(Metric.id),
        func.sum(Metric.reach),
        func.sum(Metric.impressions),
        func.sum(Metric.clicks),
        func.sum(Metric.spend),
        func.sum(Metric.conversions),
        func.sum(Metric.video_p100),
        **one,
    )
    actionable = case((col(Tip.status).in_([str(s) for s in ACTIONABLE_STATUSES]), 1), else_=0)
    tips = _grouped(
        session, Tip, func.count(), func.max(Tip.id), func.sum(actionable), func.max(Tip.triaged_at), **one
    )
    targets = _grouped(
        session,
        Target,
        func.count(),
        func.max(Target.id),
        func.sum(Target.population),
        func.sum(Target.radius_km),
        **one,
    )
    assets = _grouped(session, Asset, func.count(), func.max(Asset.id), **one)
    adsets = _grouped(session, AdSet, func.count(), func.max(AdSet.id), **one)
    newest_report = session.exec(select(func.max(Report.id))).one()
    reports = session.exec(select(func.count()).select_from(Report)).one()
    out: dict[int, tuple[Any, ...]] = {}
    campaigns = (
        select(Campaign) if campaign_id is None else select(Campaign).where(Campaign.id == campaign_id)
    )
    for c in session.exec(campaigns).all():
        assert c.id is not None
        out[c.id] = (
            c.name,
            c.status,
            c.currency,
            c.starts_on,
            c.ends_on,
            c.hotspot_run_id,
            metrics.get(c.id),
            tips.get(c.id),
            targets.get(c.id),
            assets.get(c.id),
            adsets.get(c.id),
            newest_report,
            reports,
            today,
        )
    return out


@dataclass(frozen=True)
class Portfolio:
    """The figures ready now, and how many campaigns are still being worked out."""

    rows: list[CampaignFigures]
    pending: int
    total: int


class FiguresCache:
    """Campaign figures kept per store and campaign until their fingerprint changes.

    ``portfolio(session, budget=...)`` works out stale campaigns in the request for at most
    ``budget`` seconds, then hands the rest to one background thread per store and returns what
    is ready (a big store's first portfolio would otherwise take minutes); ``budget=None``
    works everything out before it returns.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[tuple[str, int], tuple[tuple[Any, ...], CampaignFigures]] = {}
        self._outcomes: dict[tuple[str, int], tuple[tuple[Any, ...], Outcomes]] = {}
        self._workers: dict[str, threading.Thread] = {}

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._outcomes.clear()

    def _fresh(self, store: str, campaign_id: int, fp: tuple[Any, ...]) -> CampaignFigures | None:
        with self._lock:
            kept = self._kept.get((store, campaign_id))
        return kept[1] if kept is not None and kept[0] == fp else None

    def _compute(
        self, session: Session, store: str, campaign_id: int, fp: tuple[Any, ...], day: dt.date
    ) -> None:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:  # deleted meanwhile
            return
        out = campaign_outcomes(session, campaign_id=campaign_id, today=day)
        with self._lock:
            self._kept[(store, campaign_id)] = (fp, _figures(campaign, out))
            self._outcomes[(store, campaign_id)] = (fp, out)

    def _work(self, engine: Any, store: str, stale: list[tuple[int, tuple[Any, ...]]], day: dt.date) -> None:
        with Session(engine) as session:
            for campaign_id, fp in stale:
                if self._fresh(store, campaign_id, fp) is None:
                    self._compute(session, store, campaign_id, fp, day)
                session.expunge_all()

    def portfolio(
        self, session: Session, *, today: dt.date | None = None, budget: float | None = None
    ) -> Portfolio:
        """Every campaign's figures that are ready (see the class), computed again only for
        campaigns whose inputs changed."""
        day = today or dt.date.today()
        engine = session.get_bind()
        store = _store_key(session)
        prints = fingerprints(session, today=day)
        started = time.perf_counter()
        stale: list[tuple[int, tuple[Any, ...]]] = []
        for campaign_id, fp in prints.items():
            if self._fresh(store, campaign_id, fp) is not None:
                continue
            if budget is None or time.perf_counter() - started < budget:
                self._compute(session, store, campaign_id, fp, day)
            else:
                stale.append((campaign_id, fp))
        if stale:
            with self._lock:
                worker = self._workers.get(store)
                if worker is None or not worker.is_alive():
                    worker = threading.Thread(
                        target=self._work, args=(engine, store, stale, day), name="portfolio", daemon=True
                    )
                    self._workers[store] = worker
                    worker.start()
        with self._lock:
            for key in [k for k in self._kept if k[0] == store and k[1] not in prints]:  # deleted since
                del self._kept[key]
                self._outcomes.pop(key, None)
        rows = [f for cid, fp in prints.items() if (f := self._fresh(store, cid, fp)) is not None]
        return Portfolio(rows=rows, pending=len(prints) - len(rows), total=len(prints))

    def outcomes(self, session: Session, *, campaign_id: int, today: dt.date | None = None) -> Outcomes:
        """One campaign's outcomes (as ``campaign_outcomes``), worked out again only when what
        they are computed from changed (the outcome page is opened far more often than that)."""
        day = today or dt.date.today()
        store = _store_key(session)
        fp = fingerprints(session, today=day, campaign_id=campaign_id).get(campaign_id)
        with self._lock:
            kept = self._outcomes.get((store, campaign_id))
        if fp is not None and kept is not None and kept[0] == fp:
            return kept[1]
        if fp is None:  # no such campaign: the same error as campaign_outcomes
            return campaign_outcomes(session, campaign_id=campaign_id, today=day)
        self._compute(session, store, campaign_id, fp, day)
        with self._lock:
            return self._outcomes[(store, campaign_id)][1]

    def figures(self, session: Session, *, today: dt.date | None = None) -> list[CampaignFigures]:
        """Every campaign's figures, all worked out before it returns."""
        return self.portfolio(session, today=today).rows


def _store_key(session: Session) -> str:
    engine = session.get_bind()
    return str(getattr(engine, "url", engine))


CACHE = FiguresCache()


def top_first(rows: list[CampaignFigures]) -> list[CampaignFigures]:
    """The campaigns by reach, largest first (unknown reach last), then newest first."""
    return sorted(rows, key=lambda r: (r.reach is None, -(r.reach or 0), -r.campaign_id))


def _sum(values: list[int | float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return float(sum(known)) if known else None


def by_month(rows: list[CampaignFigures]) -> list[MonthFigures]:
    """The campaigns combined per month of their start, oldest month first (module's rules)."""
    months: dict[str, list[CampaignFigures]] = {}
    for r in rows:
        if r.month is not None:
            months.setdefault(r.month, []).append(r)
    out = []
    for month in sorted(months):
        group = months[month]
        reach = _sum([r.reach for r in group])
        paired = [r for r in group if r.clicks is not None and r.impressions]
        per_100k = [r for r in group if r.tips_per_100k is not None and r.reach]
        per_tip = [r for r in group if r.cost_per_actionable_tip is not None]
        dids = [r.did for r in group if r.did is not None]
        out.append(
            MonthFigures(
                month=month,
                campaigns=len(group),
                reach=None if reach is None else int(reach),
                ctr=(
                    100.0 * sum(r.clicks or 0 for r in paired) / sum(r.impressions or 0 for r in paired)
                    if paired
                    else None
                ),
                tips_per_100k=(
                    100_000.0 * sum(r.tips for r in per_100k) / sum(r.reach or 0 for r in per_100k)
                    if per_100k
                    else None
                ),
                cost_per_actionable_tip=(
                    sum(r.spend or 0.0 for r in per_tip) / sum(r.actionable_tips for r in per_tip)
                    if per_tip
                    else None
                ),
                did=sum(dids) / len(dids) if dids else None,
                currencies=tuple(sorted({r.currency for r in group})),
            )
        )
    return out
