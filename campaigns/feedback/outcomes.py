"""Outcome metrics of a campaign, for directors.

Reach
    The platform reports *daily* reach: the same person reached on two days counts twice in
    the sum, and a lifetime unique reach cannot be recovered from daily rows. We report
    ``reach`` as the sum of daily reach **capped at the target's population** (an upper bound
    on unique people reached, which keeps "tips per 100k reached" and "share of population
    reached" on the conservative side), and ``reach_peak_day`` (the largest single day: a
    lower bound). Both are shown; the caveat travels with the numbers (``Outcomes.notes``).

Video completion rate
    ``video_p100 / impressions``: the share of impressions watched to the end (we do not
    receive plays, so this is a completion rate per impression).

Unknown measures
    A measure a source did not give is unknown (``Metric`` NULL), never 0. A sum is taken over
    the daily rows that know the measure; when no row knows it, it is None ("–"). When only
    some rows know it, the sum is over those rows and the row's ``partial`` column (and a note
    for the totals) says so, e.g. "reach known for 12 of 15 daily rows". A rate of two
    measures of the same rows (CTR, video completion, cost per conversion) is computed over
    the rows that know both. A figure that sets a partial sum against something whole
    (share of population and tips per 100k reached against a partial reach, cost per
    actionable tip against a partial spend) is None: it would look precise and be wrong.

Unattributed rows
    Metrics whose tracking code matches no asset of the campaign (an export's or the
    platform's ad sets that counterflow did not publish, kept as ``fb-adset-<id>``) are never
    added to the rows, the totals or the cost per tip: ``Outcomes.unattributed`` shows them
    apart, and a note says how much spend they hold.

Change at targeted hotspots (difference in differences)
    For the campaign's hotspot run: reports within each targeted hotspot's radius, in the
    window of the campaign's length before its start and the same length after; the same for
    the run's other significant hot spots (bin >= 1) that no target covers, with the median
    target radius. ``did = (after - before at targeted) - (after - before at untargeted)``,
    as mean reports per hotspot. Reports that came from our own tips (source kind
    ``campaign_tip``) and duplicates are left out: a campaign that produces tips must not
    count its own tips as a change in activity.

Simulated data (``Metric.simulated``, ``Tip.simulated``) is flagged per row and in total.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, col, select

from intel.errors import CommandHint, NotFound
from intel.models import AdSet, Asset, Campaign, Hotspot, Metric, Report, Source, Target, Tip
from intel.roles import ACTIONABLE_STATUSES

DEFAULT_WINDOW_DAYS = 90

ROW_COLUMNS = [
    "target_id",
    "target",
    "country",
    "locale",
    "population",
    "reach",
    "reach_peak_day",
    "impressions",
    "clicks",
    "ctr",
    "video_completion",
    "spend",
    "conversions",
    "cost_per_conversion",
    "population_share",
    "tips",
    "actionable_tips",
    "tips_per_100k",
    "cost_per_actionable_tip",
    "metric_rows",
    "partial",
    "simulated",
]
#: measures summed from the daily metric rows; unknown (NaN) cells are left out of the sums
SUMMED = ("reach", "impressions", "clicks", "spend", "conversions", "video_p100")


@dataclass
class ActivityChange:
    """Report counts before and after the campaign start at targeted and untargeted hotspots."""

    window_days: int
    targeted_hotspots: int
    untargeted_hotspots: int
    targeted_before: float  # mean reports per hotspot
    targeted_after: float
    untargeted_before: float
    untargeted_after: float

    @property
    def did(self) -> float | None:
        if self.targeted_hotspots == 0 or self.untargeted_hotspots == 0 or self.window_days == 0:
            return None
        return (self.targeted_after - self.targeted_before) - (self.untargeted_after - self.untargeted_before)


@dataclass
class Outcomes:
    """What a campaign achieved.

    Attributes
    ----------
    campaign_id, campaign_name
        The campaign.
    rows
        One row per target x locale with the columns of ``ROW_COLUMNS``.
    totals
        The same measures over the whole campaign (reach summed over targets, each capped),
        without the unattributed rows.
    unattributed
        Metric rows that match no ad set of the campaign, shown apart and never counted in the
        totals: ``rows``, ``ad_sets`` and the known sums of reach, impressions, clicks, spend and
        conversions (None when unknown); None when every row is attributed.
    change
        Report activity at targeted vs untargeted hotspots, or None without a hotspot run.
    simulated
        True when any metric or tip behind these numbers was simulated.
    notes
        Caveats to show beside the numbers.
    """

    campaign_id: int
    campaign_name: str
    currency: str
    rows: pd.DataFrame
    totals: dict[str, Any]
    change: ActivityChange | None
    simulated: bool
    notes: list[str] = field(default_factory=list)
    unattributed: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        rows = [{k: _plain(v) for k, v in r.items()} for r in self.rows.to_dict(orient="records")]
        change = None
        if self.change is not None:
            change = dict(vars(self.change), did=self.change.did)
        return {
            "campaign_id": self.campaign_id,
            "campaign": self.campaign_name,
            "currency": self.currency,
            "simulated": self.simulated,
            "rows": rows,
            "totals": {k: _plain(v) for k, v in self.totals.items()},
            "unattributed": (
                None if self.unattributed is None else {k: _plain(v) for k, v in self.unattributed.items()}
            ),
            "change_at_hotspots": change,
            "notes": self.notes,
        }


def _plain(value: Any) -> Any:
    """A JSON-ready Python value: numpy scalars unwrapped, NaN as None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _ratio(num: float | None, den: float | None, scale: float = 1.0) -> float | None:
    return None if num is None or not den else num / den * scale


#: Which source of a day's metrics counts when several have it (lower wins).
SOURCE_RANK = {"platform": 0, "export": 1, "simulated": 2}


def _metric_frame(session: Session, campaign_id: int) -> pd.DataFrame:
    """Metrics joined to target and locale (by tracking code, else by ad set).

    The same day of the same ad can arrive from several sources (the platform's insights, an
    ads export, the demo's simulation): one source counts per (tracking code, day), the
    platform's first, then an export, then a simulation, so nothing is counted twice.
    """
    rows = session.exec(select(Metric).where(Metric.campaign_id == campaign_id)).all()
    chosen: dict[tuple[str | int | None, object], Metric] = {}
    for m in rows:
        key = (m.tracking_code or m.adset_id, m.day)
        if key not in chosen or SOURCE_RANK.get(m.source, 9) < SOURCE_RANK.get(chosen[key].source, 9):
            chosen[key] = m
    metrics = list(chosen.values())
    assets = {a.tracking_code: a for a in session.exec(select(Asset).where(Asset.campaign_id == campaign_id))}
    adsets = {a.id: a for a in session.exec(select(AdSet).where(AdSet.campaign_id == campaign_id))}
    out = []
    for m in metrics:
        target_id: int | None = None
        locale: str | None = None
        if m.tracking_code and m.tracking_code in assets:
            target_id, locale = assets[m.tracking_code].target_id, assets[m.tracking_code].locale
        elif m.adset_id in adsets:
            target_id, locale = adsets[m.adset_id].target_id, adsets[m.adset_id].locale
        row: dict[str, Any] = {
            "target_id": target_id,
            "locale": locale,
            "code": m.tracking_code or f"adset:{m.adset_id}",
            "simulated": m.simulated,
        }
        row.update({name: getattr(m, name) for name in SUMMED})
        out.append(row)
    frame = pd.DataFrame(out, columns=["target_id", "locale", "code", *SUMMED, "simulated"])
    # unknown measures (NULL) become NaN, which the sums below leave out
    return frame.astype({name: float for name in SUMMED})


def _tip_frame(session: Session, campaign_id: int) -> pd.DataFrame:
    rows = session.exec(
        select(col(Tip.target_id), col(Tip.locale), col(Tip.status), col(Tip.simulated)).where(
            Tip.campaign_id == campaign_id
        )
    ).all()
    return pd.DataFrame(rows, columns=["target_id", "locale", "status", "simulated"])


def _known(m: pd.DataFrame, name: str) -> tuple[float | None, int]:
    """The sum of a measure over the rows that know it (None if none does), and their number."""
    values = m[name].dropna()
    return (float(values.sum()) if len(values) else None), len(values)


def _paired(m: pd.DataFrame, num: str, den: str, scale: float = 1.0) -> float | None:
    """``num / den`` over the rows that know both (a rate of the same rows)."""
    both = m[[num, den]].dropna()
    return _ratio(float(both[num].sum()), float(both[den].sum()), scale) if len(both) else None


def _whole(value: float | None) -> int | None:
    return None if value is None else int(value)


def _measures(
    *,
    reach: float | None,
    reach_known: int,
    peak: float | None,
    m: pd.DataFrame,
    t: pd.DataFrame,
    population: int,
) -> dict[str, Any]:
    n = len(m)
    sums = {name: _known(m, name) for name in ("impressions", "clicks", "spend", "conversions")}
    known = {"reach": reach_known, **{name: k for name, (_, k) in sums.items()}}
    partial = [f"{name} known for {k} of {n} daily rows" for name, k in known.items() if 0 < k < n]
    reach_whole = reach is not None and reach_known == n
    spend, spend_known = sums["spend"]
    tips = len(t)
    actionable = int(t["status"].isin(list(ACTIONABLE_STATUSES)).sum())
    return {
        "population": population,
        "reach": _whole(reach),
        "reach_peak_day": _whole(peak),
        "impressions": _whole(sums["impressions"][0]),
        "clicks": _whole(sums["clicks"][0]),
        "ctr": _paired(m, "clicks", "impressions", 100.0),
        "video_completion": _paired(m, "video_p100", "impressions"),
        "spend": None if spend is None else round(spend, 2),
        "conversions": _whole(sums["conversions"][0]),
        "cost_per_conversion": _paired(m, "spend", "conversions"),
        "population_share": _ratio(reach, population) if reach_whole else None,
        "tips": tips,
        "actionable_tips": actionable,
        "tips_per_100k": _ratio(tips, reach, 100_000.0) if reach_whole else None,
        "cost_per_actionable_tip": _ratio(spend, actionable) if spend_known == n else None,
        "metric_rows": n,
        "partial": "; ".join(partial),
        "simulated": bool(m["simulated"].any() or t["simulated"].any()),
    }


def _capped_reach(m: pd.DataFrame, population: int) -> tuple[float | None, int]:
    reach, known = _known(m, "reach")
    if reach is not None and population:
        reach = min(reach, float(population))
    return reach, known


def _unattributed(m: pd.DataFrame) -> dict[str, Any] | None:
    if m.empty:
        return None
    out: dict[str, Any] = {"rows": len(m), "ad_sets": int(m["code"].nunique())}
    for name in ("reach", "impressions", "clicks", "spend", "conversions"):
        value, _ = _known(m, name)
        out[name] = None if value is None else (round(value, 2) if name == "spend" else int(value))
    return out


def campaign_outcomes(session: Session, *, campaign_id: int, today: dt.date | None = None) -> Outcomes:
    """Outcome metrics per target x locale and in total, plus the change at targeted hotspots.

    Parameters
    ----------
    session
        A session on the store (borrowed).
    campaign_id
        The campaign.
    today
        Upper bound of the "after" window (default: today).
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    targets = list(
        session.exec(select(Target).where(Target.campaign_id == campaign_id).order_by(col(Target.id)))
    )
    metrics = _metric_frame(session, campaign_id)
    tips = _tip_frame(session, campaign_id)

    rows: list[dict[str, Any]] = []
    for target in targets:
        locales = [x for x in target.languages.split("|") if x]
        for loc in sorted(
            set(locales) | set(metrics.loc[metrics["target_id"] == target.id, "locale"].dropna())
        ):
            m = metrics[(metrics["target_id"] == target.id) & (metrics["locale"] == loc)]
            t = tips[(tips["target_id"] == target.id) & (tips["locale"] == loc)]
            reach, known = _capped_reach(m, target.population)
            peak = float(m["reach"].max()) if m["reach"].notna().any() else None
            row = {"target_id": target.id, "target": target.name, "country": target.country, "locale": loc}
            row.update(
                _measures(reach=reach, reach_known=known, peak=peak, m=m, t=t, population=target.population)
            )
            rows.append(row)
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)

    # Totals: only the rows attributed to a target; per target the reach over its locales,
    # capped at its population, then summed.
    attributed = metrics[metrics["target_id"].notna()]
    total_reach: float | None = None
    reach_known = 0
    for target in targets:
        r, k = _capped_reach(attributed[attributed["target_id"] == target.id], target.population)
        reach_known += k
        if r is not None:
            total_reach = (total_reach or 0.0) + r
    population = int(sum(t.population for t in targets))
    peaks = frame["reach_peak_day"].dropna()
    peak_total = float(peaks.max()) if len(peaks) else None
    totals = _measures(
        reach=total_reach,
        reach_known=reach_known,
        peak=peak_total,
        m=attributed,
        t=tips,
        population=population,
    )
    unattributed = _unattributed(metrics[metrics["target_id"].isna()])

    change = activity_change(session, campaign=campaign, targets=targets, today=today)
    simulated = bool(metrics["simulated"].any() or tips["simulated"].any())
    notes = [
        "reach is the sum of daily reach capped at each target's population: an upper bound on "
        "unique people reached; reach_peak_day is a lower bound",
        "video completion is video_p100 / impressions",
    ]
    if change is not None:
        notes.append(
            "change at hotspots leaves out reports made from this campaign's own tips and duplicates"
        )
        if change.window_days == 0:
            notes.append(
                f"the campaign starts on {campaign.starts_on}: there is no time after its start yet, "
                "so the change at hotspots cannot be measured"
            )
    notes += _unknown_notes(totals)
    if unattributed is not None:
        spend = unattributed["spend"]
        money = "unknown" if spend is None else f"{spend:,.2f} {campaign.currency}"
        notes.append(
            f"unattributed: {money} spend in {unattributed['rows']} daily rows of "
            f"{unattributed['ad_sets']} ad sets that match no ad set of this campaign; "
            "not counted in the totals or the cost per tip"
        )
    if simulated:
        notes.append("SIMULATED: some metrics or tips are simulated (demo data), not real results")
    return Outcomes(
        campaign_id=campaign_id,
        campaign_name=campaign.name,
        currency=campaign.currency,
        rows=frame,
        totals=totals,
        change=change,
        simulated=simulated,
        notes=notes,
        unattributed=unattributed,
    )


def _unknown_notes(totals: dict[str, Any]) -> list[str]:
    """What the totals cannot say because a source did not give a measure."""
    n = totals["metric_rows"]
    if not n:
        return []
    notes = []
    if totals["partial"]:
        notes.append(
            f"{totals['partial']}: those totals sum the rows that give them; share of population, "
            "tips per 100k reached and cost per actionable tip are left out when reach or spend "
            "is partly unknown"
        )
    unknown = [k for k in ("reach", "impressions", "clicks", "spend", "conversions") if totals[k] is None]
    if unknown:
        notes.append(f"unknown (no source gave them): {', '.join(unknown)}")
    notes.append(
        "CTR, video completion and cost per conversion use the rows that give both of their measures"
    )
    return notes


def _haversine_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> np.ndarray:
    p1, p2 = np.radians(lat), math.radians(lat0)
    dlat = p2 - p1
    dlon = np.radians(lon0 - lon)
    a = np.sin(dlat / 2) ** 2 + np.cos(p1) * math.cos(p2) * np.sin(dlon / 2) ** 2
    return np.asarray(6371.0088 * 2 * np.arcsin(np.sqrt(a)))


def activity_change(
    session: Session, *, campaign: Campaign, targets: list[Target], today: dt.date | None = None
) -> ActivityChange | None:
    """Difference in differences of report counts at targeted vs untargeted hot spots.

    Returns None when the campaign has no hotspot run or no start date.
    """
    if campaign.hotspot_run_id is None or campaign.starts_on is None:
        return None
    start = campaign.starts_on
    end = campaign.ends_on or (start + dt.timedelta(days=DEFAULT_WINDOW_DAYS))
    window = max((end - start).days, 1)
    stop = min(start + dt.timedelta(days=window), today or dt.date.today())
    after_days = max((stop - start).days, 0)
    hotspots = list(session.exec(select(Hotspot).where(Hotspot.run_id == campaign.hotspot_run_id)))
    targeted_ids = {t.hotspot_id for t in targets if t.hotspot_id is not None}
    radius_by_hotspot: dict[int | None, float] = {
        t.hotspot_id: t.radius_km for t in targets if t.hotspot_id is not None
    }
    default_radius = float(np.median([t.radius_km for t in targets])) if targets else 25.0

    def covered(h: Hotspot) -> bool:
        # the planner merges nearby hotspots into one target's circle: they are treated too
        return any(
            float(_haversine_km(np.array([h.lat]), np.array([h.lon]), t.lat, t.lon)[0]) <= t.radius_km
            for t in targets
        )

    treated = [h for h in hotspots if h.id in targeted_ids or (h.bin >= 1 and covered(h))]
    control = [h for h in hotspots if h.id not in targeted_ids and h.bin >= 1 and not covered(h)]

    tip_sources = select(Source.id).where(Source.kind == "campaign_tip")
    query = select(col(Report.lat), col(Report.lon), col(Report.observed_on)).where(
        col(Report.lat).is_not(None),
        col(Report.duplicate_of).is_(None),
        col(Report.observed_on) >= start - dt.timedelta(days=window),
        col(Report.observed_on) < start + dt.timedelta(days=window),
        (col(Report.source_id).is_(None)) | (col(Report.source_id).not_in(tip_sources)),
    )
    reps = pd.DataFrame(session.exec(query).all(), columns=["lat", "lon", "observed_on"])
    lat = reps["lat"].to_numpy(dtype=float)
    lon = reps["lon"].to_numpy(dtype=float)
    days = (pd.to_datetime(reps["observed_on"]) - pd.Timestamp(start)).dt.days.to_numpy()
    before_mask = (days < 0) & (days >= -after_days) if after_days else np.zeros(len(days), bool)
    after_mask = (days >= 0) & (days < after_days)

    def counts(group: list[Hotspot], radius: dict[int | None, float]) -> tuple[float, float]:
        if not group:
            return 0.0, 0.0
        b = a = 0
        for h in group:
            near = _haversine_km(lat, lon, h.lat, h.lon) <= radius.get(h.id, default_radius)
            b += int((near & before_mask).sum())
            a += int((near & after_mask).sum())
        return b / len(group), a / len(group)

    tb, ta = counts(treated, dict(radius_by_hotspot))
    cb, ca = counts(control, {})
    return ActivityChange(
        window_days=after_days,
        targeted_hotspots=len(treated),
        untargeted_hotspots=len(control),
        targeted_before=tb,
        targeted_after=ta,
        untargeted_before=cb,
        untargeted_after=ca,
    )
