"""The campaign planner: a route's hotspot run and an audience become targets and ad sets.

How the plan is made
--------------------
1. Hotspots: the run's ranked hotspots first (rank 1 = first pick), then unranked hot cells
   (``bin > 0``) by z-score, until ``top_n`` targets exist.
2. Radius: the hotspot's ``extent_km`` bounded to ``RADIUS_BOUNDS_KM`` (2..40 km, inside the
   platform's 1..80); ``DEFAULT_RADIUS_KM`` when the extent is unknown.
3. Overlaps: a hotspot whose centre lies inside an accepted target's circle is **merged** into it
   (the circle grows to cover both, up to 40 km; a ``merged`` note); circles that only overlap
   are **flagged** on both targets (an ``overlap`` note). Both become warn findings.
4. Place: country and admin-1 from the gazetteer's nearest place, time zone from the point; teen
   ad sets use the nearest city of at least ``TEEN_CITY_MIN_POP`` people within 60 km (else the
   nearest place) by name, never a radius.
5. Languages: ``"local"`` reads ``locales/languages.toml`` by country and admin-1 area, then adds
   the languages of the audience's ``origins`` (``[origins.NG]``: en, pcm), so a plan for
   Nigerian women along the route speaks to them in Niger, Libya and Italy too. An explicit
   language list is used as given.
6. Ad sets: one per target x language x age group. An audience that includes 13-17 is split
   into a teen ad set (ages 13-17, city only: no gender, language or radius) and an 18+ ad set
   (which keeps genders, the language's platform locale ids and the radius). Teen ad sets for
   EU/EEA targets are not created; a ``teen_eu_dropped`` warn says so. A target's teen ad sets
   share one audience (no language pin is allowed for 13-17), so they differ by copy only.
7. Budget: split by expected impact (the hotspot's score x the target's reach estimate), each
   ad set at or above the platform's minimum daily budget times the days it runs; targets and
   ad sets the budget cannot fund are dropped with a finding (see :mod:`campaigns.plan.budget`).
   A target with a reach estimate of 0 while others have some (a pick in an empty desert) is
   left out first and a ``no_reach`` warn says so.
   With ``estimate_fn`` (a connected channel), each ad set's targeting spec is sent to the
   platform and its estimates replace ours (see ``platform_reach``).
8. Policy fields: ``ISSUES_ELECTIONS_POLITICS`` with every targeted country; ``paid_for_by``,
   ``dsa_beneficiary`` and ``dsa_payor`` as given (beneficiary and payor default to
   ``paid_for_by``).
9. Dates: a start before today (in the targets' time zones) is refused.
10. Every pick explained: each target's notes carry a ``pick`` entry (rank, score, Gi* bin,
    trend, why); a pick that is not a Gi* hot spot (bin 0 or below) gets a ``not_significant``
    warn, and a significant hot spot of the run that is no target a ``left_out`` warn.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlmodel import Session

from campaigns import crud
from campaigns.copy.i18n import LOCALES
from campaigns.copy.localedata import audience_languages, origin_languages, platform_locale
from campaigns.plan.budget import TargetShare, allocate, hotspot_score, min_daily_budget, run_days
from campaigns.plan.reach import EstimateFn, estimate_reach
from campaigns.policy import AGE_MAX, AGE_MIN, SOCIAL_ISSUES, TEEN_MAX, Finding, is_eu, local_today
from intel.errors import CommandHint, CounterflowError
from intel.gazetteer import EARTH_RADIUS_KM, country_at, get_gazetteer, haversine_km, timezone_at
from intel.models import Campaign, Hotspot, Target
from intel.settings import Settings

log = logging.getLogger(__name__)

RADIUS_BOUNDS_KM = (2.0, 40.0)
DEFAULT_RADIUS_KM = 10.0
TEEN_CITY_MIN_POP = 50_000
GENDER_IDS = {"men": 1, "women": 2}


@dataclass(frozen=True)
class Audience:
    """Who the campaign speaks to: ages, genders (``[]`` = all), languages (``"local"``) and the
    countries the at-risk people come from (``origins``, ISO-2: their languages join the local ones)."""

    age_min: int
    age_max: int
    genders: list[str] = field(default_factory=list)
    languages: str | list[str] = "local"
    origins: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not (AGE_MIN <= self.age_min <= self.age_max <= AGE_MAX):
            raise CounterflowError(
                f"ages were {self.age_min}-{self.age_max}",
                f"give an age range within {AGE_MIN}-{AGE_MAX}, e.g. 13-28",
            )
        for g in self.genders:
            if g not in GENDER_IDS:
                raise CounterflowError(f"gender {g!r} is not known", "use women, men or all")
        if self.languages != "local":
            for code in self.languages:
                if code not in LOCALES:
                    raise CounterflowError(
                        f"language {code!r} has no catalog",
                        f"use 'local' or codes among {', '.join(LOCALES)}",
                    )
        for origin in self.origins:
            origin_languages(origin)  # an unknown origin is an error that names the known ones

    def languages_at(self, country: str, admin1: str | None) -> list[str]:
        """The languages of the ad sets of a target in ``country`` / ``admin1``."""
        if self.languages != "local":
            return list(self.languages)
        return audience_languages(country, admin1, self.origins)

    @classmethod
    def parse(
        cls, *, ages: str, genders: str = "all", languages: str = "local", origins: str = ""
    ) -> Audience:
        """From CLI text: ``--ages 13-28 --genders women --languages local|en,pcm --origin NG``."""
        try:
            lo, hi = (int(x) for x in ages.split("-", 1))
        except ValueError:
            raise CounterflowError(f"ages were {ages!r}", "write them as MIN-MAX, e.g. 13-28") from None
        g = [] if genders.strip() in ("", "all") else [x.strip() for x in genders.split(",")]
        langs: str | list[str] = (
            "local"
            if languages.strip() == "local"
            else [x.strip() for x in languages.split(",") if x.strip()]
        )
        return cls(lo, hi, g, langs, [x.strip().upper() for x in origins.split(",") if x.strip()])

    def as_dict(self) -> dict[str, Any]:
        return {
            "age_min": self.age_min,
            "age_max": self.age_max,
            "genders": self.genders,
            "languages": self.languages,
            "origins": self.origins,
        }


@dataclass
class TargetPlan:
    """A target before it is stored."""

    hotspot: Hotspot
    name: str
    lat: float
    lon: float
    radius_km: float
    country: str
    admin1: str | None
    city: str
    notes: list[dict[str, Any]] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)  # hotspots merged into this target


def bounded_radius(extent_km: float | None) -> float:
    lo, hi = RADIUS_BOUNDS_KM
    if extent_km is None or not np.isfinite(extent_km):
        return DEFAULT_RADIUS_KM
    return float(min(hi, max(lo, extent_km)))


def _teen_city(lat: float, lon: float) -> str:
    """Nearest place of at least TEEN_CITY_MIN_POP people within 60 km, else the nearest place."""
    gaz = get_gazetteer()
    places = gaz.places
    la, lo = np.radians(places["lat"].to_numpy()), np.radians(places["lon"].to_numpy())
    p, q = np.radians(lat), np.radians(lon)
    a = np.sin((la - p) / 2) ** 2 + np.cos(p) * np.cos(la) * np.sin((lo - q) / 2) ** 2
    d = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
    ok = (places["population"].to_numpy() >= TEEN_CITY_MIN_POP) & (d <= 60)
    if ok.any():
        i = int(np.flatnonzero(ok)[np.argmin(d[ok])])
        return str(places.at[i, "name"])
    return gaz.nearest(lat, lon).name


def _ordered(hotspots: list[Hotspot]) -> list[Hotspot]:
    ranked = sorted((h for h in hotspots if h.rank is not None), key=lambda h: h.rank or 0)
    rest = sorted((h for h in hotspots if h.rank is None and h.bin > 0), key=lambda h: -h.z)
    return ranked + rest


def choose_targets(hotspots: list[Hotspot], *, top_n: int) -> tuple[list[TargetPlan], list[Finding]]:
    """Pick, place, bound and merge/flag the targets of a plan (pure; no session)."""
    gaz = get_gazetteer()
    plans: list[TargetPlan] = []
    findings: list[Finding] = []
    for h in _ordered(hotspots):
        radius = bounded_radius(h.extent_km)
        host = next((p for p in plans if haversine_km(p.lat, p.lon, h.lat, h.lon) < p.radius_km), None)
        standing = f"rank {h.rank}" if h.rank is not None else f"not ranked, z {h.z:.2f}"
        label = f"hotspot {h.id} ({h.place or h.cell}, {standing})"
        if host is not None:
            d = haversine_km(host.lat, host.lon, h.lat, h.lon)
            grown = min(RADIUS_BOUNDS_KM[1], max(host.radius_km, d + radius))
            note = {
                "level": "warn",
                "rule": "merged",
                "object": f"target {host.name}",
                "problem": f"{label} lies {d:.1f} km from its centre, inside its circle: merged",
                "fix": f"radius grown from {host.radius_km:g} to {grown:g} km; plan again with fewer top hotspots to undo",
            }
            host.radius_km = grown
            host.notes.append(note)
            if h.id is not None:
                host.merged.append(h.id)
            findings.append(Finding.from_dict(note))
            continue
        if len(plans) >= top_n:
            break
        place = gaz.nearest(h.lat, h.lon)
        # The nearest place can sit across a border from the hotspot (the centre of Rome is
        # nearest to Vatican City): the country comes from the hotspot's own reports, else the
        # country shapes, and only then from the nearest place.
        country = h.country or country_at(h.lat, h.lon) or place.country
        admin1 = place.admin1 if place.country == country else None
        name = h.place or place.name
        if any(p.name == name for p in plans):
            name = f"{name} ({h.cell[-4:]})"
        plan = TargetPlan(h, name, h.lat, h.lon, radius, country, admin1, _teen_city(h.lat, h.lon))
        for other in plans:
            d = haversine_km(other.lat, other.lon, plan.lat, plan.lon)
            if d < other.radius_km + plan.radius_km:
                note = {
                    "level": "warn",
                    "rule": "overlap",
                    "object": f"targets {other.name} and {plan.name}",
                    "problem": f"their circles overlap ({d:.1f} km apart, radii {other.radius_km:g} and {plan.radius_km:g} km)",
                    "fix": "people in the overlap may see both; shrink a radius if that matters",
                }
                other.notes.append(note)
                plan.notes.append(note)
                findings.append(Finding.from_dict(note))
        plans.append(plan)
    return plans, findings


def targeting_spec(
    plan_lat: float,
    plan_lon: float,
    radius_km: float,
    *,
    country: str,
    city: str,
    admin1: str | None,
    locale: str,
    age_min: int,
    age_max: int,
    genders: list[str],
    teen: bool,
) -> dict[str, Any]:
    """The platform targeting spec of one ad set (``teen``: age and city only)."""
    if teen:
        return {
            "age_min": age_min,
            "age_max": age_max,
            "geo_locations": {"cities": [{"name": city, "country": country, "region": admin1}]},
        }
    spec: dict[str, Any] = {
        "age_min": age_min,
        "age_max": age_max,
        "geo_locations": {
            "custom_locations": [
                {
                    "latitude": round(plan_lat, 5),
                    "longitude": round(plan_lon, 5),
                    "radius": round(radius_km, 1),
                    "distance_unit": "kilometer",
                }
            ]
        },
    }
    if genders:
        spec["genders"] = sorted(GENDER_IDS[g] for g in genders)
    ids = platform_locale(locale).ids
    if ids:
        spec["locales"] = list(ids)
    return spec


def platform_reach(specs: list[dict[str, Any]], estimate_fn: EstimateFn) -> int | None:
    """The platform's estimate for one target: its adult ad sets summed (their languages differ)
    plus the largest teen ad set (teen ad sets share one audience). None if the platform gave none."""
    adults = [estimate_fn(s["targeting"]) for s in specs if not s["teen"]]
    teens = [estimate_fn(s["targeting"]) for s in specs if s["teen"]]
    if all(v is None for v in adults + teens):
        return None
    return sum(v or 0 for v in adults) + max((v or 0 for v in teens), default=0)


def adset_specs(target: Target, audience: Audience, langs: list[str]) -> list[dict[str, Any]]:
    """The ad sets of one target (rule 6), in the order the budget keeps them: the 18+ ad set of
    the first language, its 13-17 ad set, the 18+ ad sets of the other languages, then their
    13-17 ad sets (which share the first one's audience)."""
    groups: list[tuple[int, int, bool]] = []
    if audience.age_max > TEEN_MAX:
        groups.append((max(TEEN_MAX + 1, audience.age_min), audience.age_max, False))
    if audience.age_min <= TEEN_MAX and not target.is_eu:
        groups.append((audience.age_min, min(TEEN_MAX, audience.age_max), True))
    specs = []
    for locale in langs:
        for lo, hi, teen in groups:
            specs.append(
                {
                    "locale": locale,
                    "age_min": lo,
                    "age_max": hi,
                    "teen": teen,
                    "genders": "" if teen else "|".join(str(GENDER_IDS[g]) for g in sorted(audience.genders)),
                    "targeting": targeting_spec(
                        target.lat,
                        target.lon,
                        target.radius_km,
                        country=target.country,
                        city=target.city or target.name,
                        admin1=target.admin1,
                        locale=locale,
                        age_min=lo,
                        age_max=hi,
                        genders=audience.genders,
                        teen=teen,
                    ),
                }
            )
    first_teen = [s for s in specs if s["teen"]][:1]
    return (
        [s for s in specs if not s["teen"]][:1]
        + first_teen
        + [s for s in specs if not s["teen"]][1:]
        + [s for s in specs if s["teen"]][1:]
    )


def teen_eu_note(target: Target) -> dict[str, Any]:
    """The warn for an EU/EEA target whose 13-17 ad sets are not made."""
    return {
        "level": "warn",
        "rule": "teen_eu_dropped",
        "object": f"target {target.id} ({target.name})",
        "problem": f"no 13-17 ad sets for {target.country} (EU/EEA: teen ads are paused there)",
        "fix": "the 18+ ad sets run; reach 13-17-year-olds there through partners, not ads",
    }


def _adset_label(spec: dict[str, Any]) -> str:
    return f"{spec['locale']} {spec['age_min']}-{spec['age_max']}"


def store_adsets(
    session: Session,
    campaign: Campaign,
    rows: list[tuple[Target, list[dict[str, Any]]]],
    *,
    budget: float,
) -> list[dict[str, Any]]:
    """Split ``budget`` over the targets' ad sets (:func:`campaigns.plan.budget.allocate`) and
    store them; a target the budget cannot fund is deleted. Returns the budget's findings.

    A target added by hand (no hotspot) scores as the mean of the others' hotspot scores, so
    that its reach weighs like an average hotspot's rather than nothing."""
    assert campaign.id is not None
    scores = []
    for target, _ in rows:
        hotspot = session.get(Hotspot, target.hotspot_id) if target.hotspot_id is not None else None
        scores.append(hotspot_score(hotspot)[0] if hotspot is not None else None)
    known = [x for x in scores if x is not None and x > 0]
    mean = sum(known) / len(known) if known else 0.0
    shares = [
        TargetShare(
            target.name,
            mean if score is None else score,
            target.reach_estimate,
            [_adset_label(s) for s in specs],
        )
        for (target, specs), score in zip(rows, scores, strict=True)
    ]
    days = run_days(campaign.starts_on, campaign.ends_on)
    alloc = allocate(
        shares, budget=budget, currency=campaign.currency, days=days, objective=campaign.objective
    )
    for (target, specs), kept, amounts in zip(rows, alloc.kept, alloc.amounts, strict=True):
        if kept is None:
            session.delete(target)
            continue
        for k, cents in zip(kept, amounts, strict=True):
            crud.add_adset(
                session, campaign_id=campaign.id, target_id=target.id, budget=cents / 100, **specs[k]
            )
    session.flush()
    return alloc.findings


def _pick_reason(h: Hotspot) -> dict[str, Any]:
    """Why a hotspot became a target: its rank, score, Gi* bin and trend, in a sentence too."""
    score, kind = hotspot_score(h)
    significant = h.bin > 0
    if h.rank is not None:
        why = f"rank {h.rank} of the route's ranking ({kind} {score:.3g})"
    else:
        why = f"unranked hot cell, picked by its Gi* z {h.z:.2f} after the ranked ones"
    gi = f"Gi* bin {h.bin}, z {h.z:.2f}" + ("" if significant else ": NOT significant")
    trend = h.trend or "no trend"
    return {
        "rule": "pick",
        "hotspot_id": h.id,
        "rank": h.rank,
        "score": round(score, 3),
        "score_kind": kind,
        "bin": h.bin,
        "z": round(h.z, 2),
        "trend": h.trend,
        "significant": significant,
        "why": f"{why}; {gi}; {trend}",
    }


def pick_findings(
    campaign_id: int, targets: list[Target], hotspots: list[Hotspot], used: set[int], top_n: int
) -> list[dict[str, Any]]:
    """Warns for picks that are not significant and for significant hotspots left out."""
    out: list[dict[str, Any]] = []
    by_id = {h.id: h for h in hotspots}
    for t in targets:
        h = by_id.get(t.hotspot_id)
        if h is None or h.bin > 0:
            continue
        score, kind = hotspot_score(h)
        out.append(
            Finding(
                "warn",
                "not_significant",
                f"target {t.id} ({t.name})",
                f"hotspot {h.id} (rank {h.rank}) is not a Gi* hot spot after the FDR correction "
                f"(bin {h.bin}, z {h.z:.2f}): it was picked for its {kind} {score:.3g} alone",
                "keep it if you trust the ranking there, or drop the target from the plan",
                hint=CommandHint("campaign edit", f"{campaign_id} --drop-target {t.id}"),
            ).as_dict()
        )
    # a hot spot inside a target's circle is reached by it, even if it is not that target's own
    covered = {
        h.id for h in hotspots for t in targets if haversine_km(t.lat, t.lon, h.lat, h.lon) < t.radius_km
    }
    left = sorted(
        (h for h in hotspots if h.bin > 0 and h.id not in used and h.id not in covered),
        key=lambda h: (-h.bin, -h.z),
    )
    for h in left[:5]:
        where = f"{h.distance_km:.0f} km along the route, " if h.distance_km is not None else ""
        ranked = f"rank {h.rank}" if h.rank is not None else "not ranked"
        out.append(
            Finding(
                "warn",
                "left_out",
                f"hotspot {h.id} ({h.place or h.cell})",
                f"a significant Gi* hot spot ({where}bin {h.bin}, z {h.z:.2f}, {ranked}) "
                f"is not one of the plan's targets (at most {top_n})",
                "plan again with more targets if it should be reached",
                hint=CommandHint("plan", f"... --top {top_n + 1}"),
            ).as_dict()
        )
    if len(left) > 5:
        out.append(
            {
                "level": "warn",
                "rule": "left_out",
                "object": "the hotspot run",
                "problem": f"{len(left) - 5} more significant hot spots are not targets",
                "fix": "see the run's map for them",
            }
        )
    return out


def plan_campaign(
    session: Session,
    *,
    name: str,
    route_id: int | None = None,
    hotspot_run_id: int,
    author: str,
    audience: Audience,
    budget: float,
    currency: str,
    starts_on: dt.date,
    ends_on: dt.date,
    top_n: int = 8,
    settings: Settings,
    paid_for_by: str | None = None,
    dsa_beneficiary: str | None = None,
    dsa_payor: str | None = None,
    allow_fuzzy: bool = False,
    estimate_fn: EstimateFn | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """Plan a draft campaign on a hotspot run; stores the campaign, targets and ad sets.

    See the module docstring for the rules. Raises CounterflowError for bad input (dates in the
    past or out of order, a budget that cannot fund one ad set, an empty run) naming the value
    and the fix. ``now`` is the current time (default: the clock). The caller owns the
    transaction.
    """
    if ends_on <= starts_on:
        raise CounterflowError(
            f"the campaign ends on {ends_on} but starts on {starts_on}", "give an end date after the start"
        )
    if budget <= 0:
        raise CounterflowError(f"budget was {budget:g}", "give a positive lifetime budget, e.g. 5000")
    if top_n < 1:
        raise CounterflowError(f"top was {top_n}", "pick at least one hotspot to target, e.g. 8")
    min_daily_budget(currency)  # an unknown currency is refused before anything is stored
    hotspots = crud.run_hotspots(session, run_id=hotspot_run_id)
    plans, _ = choose_targets(hotspots, top_n=top_n)
    if not plans:
        raise CounterflowError(
            f"hotspot run {hotspot_run_id} has no ranked or hot cells to target",
            "run the hotspot analysis on more reports, or plan on another hotspot run",
            hint=CommandHint("plan", "... --run RUN_ID"),
        )
    zones = [timezone_at(p.lat, p.lon) for p in plans]
    today, zone = local_today(now or dt.datetime.now(dt.UTC), zones)
    if starts_on < today:
        raise CounterflowError(
            f"the campaign starts on {starts_on}, before today ({today} in {zone})",
            "give a start date from today on; a plan cannot run in the past",
            hint=CommandHint("plan", "... --starts YYYY-MM-DD --ends YYYY-MM-DD"),
        )
    campaign = crud.create_campaign(
        session,
        name=name,
        route_id=route_id,
        hotspot_run_id=hotspot_run_id,
        author=author,
        audience=audience.as_dict(),
        budget=float(budget),
        currency=currency.upper(),
        starts_on=starts_on,
        ends_on=ends_on,
        channel=settings.channel,
        allow_fuzzy=allow_fuzzy,
        special_ad_categories=[SOCIAL_ISSUES],
        special_ad_category_country=sorted({p.country for p in plans}),
        paid_for_by=paid_for_by,
        dsa_beneficiary=dsa_beneficiary or paid_for_by,
        dsa_payor=dsa_payor or paid_for_by,
    )
    assert campaign.id is not None
    notes: list[dict[str, Any]] = []
    rows: list[tuple[Target, list[dict[str, Any]]]] = []
    for plan, tz in zip(plans, zones, strict=True):
        langs = audience.languages_at(plan.country, plan.admin1)
        reach = estimate_reach(
            lat=plan.lat,
            lon=plan.lon,
            radius_km=plan.radius_km,
            country=plan.country,
            age_min=audience.age_min,
            age_max=audience.age_max,
            genders=audience.genders,
        )
        eu = is_eu(plan.country)
        target = crud.add_target(
            session,
            campaign_id=campaign.id,
            hotspot_id=plan.hotspot.id,
            name=plan.name,
            lat=plan.lat,
            lon=plan.lon,
            radius_km=plan.radius_km,
            country=plan.country,
            admin1=plan.admin1,
            timezone=tz,
            languages="|".join(langs),
            population=reach.population,
            reach_estimate=reach.estimate,
            is_eu=eu,
            city=plan.city,
            notes=[*plan.notes, _pick_reason(plan.hotspot)],
        )
        specs = adset_specs(target, audience, langs)
        if eu and audience.age_min <= TEEN_MAX:
            notes.append(teen_eu_note(target))
        if estimate_fn is not None and specs:
            platform = platform_reach(specs, estimate_fn)
            if platform is not None:
                target.reach_estimate = platform
                session.add(target)
        rows.append((target, specs))
    for p in plans:
        for n in p.notes:
            if n not in notes:
                notes.append(n)
    if not any(specs for _, specs in rows):
        raise CounterflowError(
            "no ad set is left: every target is in the EU/EEA and the audience is 13-17 only",
            "include ages 18+ or targets outside the EU/EEA",
        )
    # a target where no one is estimated to be reached would get no budget: it is left out of
    # the plan, and a warn note says so
    kept = []
    if any(t.reach_estimate > 0 for t, specs in rows if specs):
        for target, specs in rows:
            if specs and target.reach_estimate <= 0:
                notes.append(
                    {
                        "level": "warn",
                        "rule": "no_reach",
                        "object": f"hotspot {target.hotspot_id} ({target.name})",
                        "problem": f"no one is estimated to be reached within {target.radius_km:g} km "
                        f"of {target.name} (population {target.population}): no target was made there",
                        "fix": "the hotspot stays in the run; reach the area through partners on the ground",
                    }
                )
                session.delete(target)
            elif specs:
                kept.append((target, specs))
            else:
                session.delete(target)
        session.flush()
        rows = kept
    notes += store_adsets(session, campaign, rows, budget=budget)
    targets = crud.list_targets(session, campaign_id=campaign.id)
    campaign.special_ad_category_country = sorted({t.country for t in targets})
    used = {p.hotspot.id for p in plans if p.hotspot.id is not None}
    used |= {i for p in plans for i in p.merged}
    notes += pick_findings(campaign.id, targets, hotspots, used, top_n)
    campaign.plan_notes = notes
    session.add(campaign)
    session.flush()
    log.info("planned campaign %s: %d targets", campaign.id, len(targets))
    return campaign
