"""Platform policy preflight: every rule a campaign must pass before anything is scheduled.

Each rule yields ``Finding`` values; a ``refuse`` blocks scheduling until fixed, a ``warn`` is
shown and allowed. The facebook-business SDK checks none of these: the platform refuses (or
quietly pauses) what breaks them, so we refuse first and say why.

Rules (``Finding.rule``)
------------------------
``age_bounds``        ages must lie within 13..65 and age_min <= age_max.
``teen_split``        an ad set must not span 17 and 18: split it into 13-17 and 18+.
``teen_pins``         a 13-17 ad set may use age and a city-or-larger location only: no gender,
                      no language (``locales``), no radius pin (``custom_locations``).
``teen_eu``           13-17 ad sets are refused for EU/EEA targets (the planner drops them and
                      records a ``teen_eu_dropped`` warn).
``geo_key``           (warn) a teen ad set's city has no platform key yet: it is resolved by the
                      targeting search (``type=adgeolocation``) when published.
``special_category``  social-issue ads (trafficking awareness is one) need
                      ``special_ad_categories=["ISSUES_ELECTIONS_POLITICS"]``.
``special_country``   ... and ``special_ad_category_country`` listing every targeted country.
``paid_for_by``       ... and a "Paid for by" disclaimer.
``dsa``               EU/EEA targets need the DSA beneficiary and payor.
``radius``            ``custom_locations`` radius within 1..80 km.
``budget``            every ad set has a lifetime budget above 0.
``budget_min``        ... and at least the platform's minimum daily budget times its days
                      (``campaigns.plan.budget.MIN_DAILY_BUDGET``, with its source).
``dates_past``        a campaign that ended before today, or that starts before today while
                      nothing went out (draft, approved), in its targets' time zones.
``locale_ids``        ``locales`` holds the platform's numeric ids, never ISO codes.
``locale_unpinned``   (warn) a language without a platform locale (Edo, Nigerian Pidgin; Hausa,
                      Yoruba, Igbo until their ids are confirmed) is targeted by geography only.
``copy_length``       per placement, see ``COPY_LIMITS``.
``placeholder``       no unfilled ``{...}`` in copy.
``tracking``          every asset has a URL-safe tracking code of at most 24 characters and a
                      link ending in ``/t/<code>``.
``helpline``          where-to-get-help copy names the country's helpline; a helpline that is
                      missing or unverified (no number or address, no source, no check date,
                      or ``verified = false``) is refused on a live channel and warned on a dry one.
``locale_missing`` / ``locale_fuzzy``  see ``check_locales_ready``.
``assets``            a campaign without assets cannot be scheduled.
``asset_stale``       an asset rendered from a draft whose catalog has since been reviewed.
plus the planner's own notes, carried as warns: ``overlap``, ``merged``, ``teen_eu_dropped``,
and ``no_reach``, ``budget_target_dropped``, ``budget_adsets_dropped``, ``not_significant``,
and ``left_out`` (see ``campaigns.plan.planner`` and ``campaigns.plan.budget``).

Languages and the platform's locale ids (``locales/languages.toml``)
--------------------------------------------------------------------
==== ================================ ========= ==============================================
code language                         ids       decision
==== ================================ ========= ==============================================
en   English (All)                    1001      pinned
fr   French (France, Canada)          9, 44     pinned
it   Italian                          10        pinned
ar   Arabic                           28        pinned
ha   Hausa                            --        not pinned until the id is confirmed (warn)
yo   Yoruba                           --        not pinned until the id is confirmed (warn)
ig   Igbo                             --        not pinned until the id is confirmed (warn)
pcm  Nigerian Pidgin                  --        no platform locale: geography only (warn)
bin  Edo                              --        no platform locale: geography only (warn)
==== ================================ ========= ==============================================

The ids are marked ``verified = false``: confirm them with the targeting search
(``type=adlocale``) before the first live run. Without a pin, the ad set reaches everyone in its
circle, and the copy's language does the selecting.

Copy limits (characters)
------------------------
========== ======================== ==========================================================
field      soft (warn)              hard (refuse)
========== ======================== ==========================================================
headline   --                       40: the feed truncates beyond it; a cut warning misleads
body       125: "See more" folds it  500: house rule, long copy hides the helpline
description 30: hidden on mobile     --
========== ======================== ==========================================================
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigns.copy.localedata import helpline_for, known_platform_locale_ids, platform_locale
from intel.errors import CommandHint, CounterflowError
from intel.models import AdSet, Asset, Campaign, Target

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)

Level = Literal["refuse", "warn"]

AGE_MIN, AGE_MAX, TEEN_MAX = 13, 65, 17
RADIUS_MIN_KM, RADIUS_MAX_KM = 1.0, 80.0
SOCIAL_ISSUES = "ISSUES_ELECTIONS_POLITICS"
TRACKING_RE = re.compile(r"^[A-Za-z0-9_-]{1,24}$")
PLACEHOLDER_RE = re.compile(r"\{[a-z_]*\}")

EU_EEA = frozenset(
    [
        "AT",
        "BE",
        "BG",
        "HR",
        "CY",
        "CZ",
        "DK",
        "EE",
        "FI",
        "FR",
        "DE",
        "GR",
        "HU",
        "IE",
        "IT",
        "LV",
        "LT",
        "LU",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SK",
        "SI",
        "ES",
        "SE",
        "IS",
        "LI",
        "NO",
    ]
)
"""EU member states plus the EEA (Iceland, Liechtenstein, Norway)."""


@dataclass(frozen=True)
class Limit:
    soft: int | None
    hard: int | None


COPY_LIMITS: dict[str, Limit] = {
    "headline": Limit(soft=None, hard=40),
    "body": Limit(soft=125, hard=500),
    "description": Limit(soft=30, hard=None),
}


@dataclass(frozen=True)
class Finding:
    """One policy finding: what is wrong with which object, and how to fix it.

    ``fix`` is worded for every face; ``hint`` is the command that helps, for the command line.

    >>> f = Finding("refuse", "assets", "campaign 3", "the campaign has no assets",
    ...             "generate its assets", hint=CommandHint("assets", "3"))
    >>> Finding.from_dict(f.as_dict()) == f
    True
    """

    level: Level
    rule: str
    object: str
    problem: str
    fix: str
    hint: CommandHint | None = None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; ``hint`` is ``{"command": ..., "args": ...}`` or None."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        hint = data.get("hint")
        return cls(
            data.get("level", "warn"),
            str(data["rule"]),
            str(data["object"]),
            str(data["problem"]),
            str(data["fix"]),
            hint=CommandHint(**hint) if isinstance(hint, dict) else hint,
        )


#: Channels that send nothing to real people: the dry-run outbox and a Facebook sandbox ad
#: account (the real SDK against a test account or a local fake Graph API).
DRY_CHANNELS = frozenset({"outbox", "facebook-sandbox"})


def is_live(channel: str | None) -> bool:
    """Whether a channel reaches real people (drafted copy and unverified contacts are refused)."""
    return (channel or "outbox") not in DRY_CHANNELS


def is_eu(country: str | None) -> bool:
    return (country or "").upper() in EU_EEA


def refusals(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.level == "refuse"]


def assert_schedulable(findings: Sequence[Finding], campaign_id: int | None = None) -> None:
    """Raise a CounterflowError naming the first refusal (and how many there are).

    Its hint is the first refusal's own, or else the preflight that lists every finding.
    """
    refused = refusals(findings)
    if refused:
        first = refused[0]
        more = f" (and {len(refused) - 1} more refusals)" if len(refused) > 1 else ""
        shown = "CAMPAIGN_ID" if campaign_id is None else str(campaign_id)
        raise CounterflowError(
            f"{first.object}: {first.problem}{more}",
            f"{first.fix}; the campaign's preflight lists every finding",
            hint=first.hint or CommandHint("preflight", f"{shown}"),
        )


def radius_problem(radius_km: float) -> str | None:
    """The sentence for a radius outside the platform's bounds, or None."""
    if not RADIUS_MIN_KM <= radius_km <= RADIUS_MAX_KM:
        return f"radius_km was {radius_km:g}; it must be between {RADIUS_MIN_KM:g} and {RADIUS_MAX_KM:g}"
    return None


def _adset_label(adset: AdSet, target: Target | None) -> str:
    where = target.name if target is not None else f"target {adset.target_id}"
    return f"ad set {adset.id} ({where}, {adset.locale}, {adset.age_min}-{adset.age_max})"


def check_campaign(campaign: Campaign, targets: Sequence[Target]) -> list[Finding]:
    """Campaign-level rules: social-issue category and country, disclaimer, DSA."""
    out: list[Finding] = []
    obj = f"campaign {campaign.id} ({campaign.name})"
    if SOCIAL_ISSUES not in (campaign.special_ad_categories or []):
        out.append(
            Finding(
                "refuse",
                "special_category",
                obj,
                f"special_ad_categories was {campaign.special_ad_categories!r}; trafficking awareness is a social-issue ad",
                f'set special_ad_categories to ["{SOCIAL_ISSUES}"]',
            )
        )
    countries = sorted({t.country for t in targets})
    missing = [c for c in countries if c not in (campaign.special_ad_category_country or [])]
    if missing:
        out.append(
            Finding(
                "refuse",
                "special_country",
                obj,
                f"special_ad_category_country misses {', '.join(missing)}",
                "list every targeted country in special_ad_category_country",
            )
        )
    if not (campaign.paid_for_by or "").strip():
        out.append(
            Finding(
                "refuse",
                "paid_for_by",
                obj,
                "paid_for_by is empty; social-issue ads need a 'Paid for by' disclaimer",
                "set the campaign's 'Paid for by' organisation (the organisation that pays)",
                hint=CommandHint("campaign edit", f"{campaign.id} --paid-for-by 'Organisation name'"),
            )
        )
    eu = sorted({t.country for t in targets if is_eu(t.country)})
    if eu:
        for field, label, hint in (
            (
                "dsa_beneficiary",
                "beneficiary",
                CommandHint("campaign edit", f"{campaign.id} --dsa-beneficiary 'Organisation name'"),
            ),
            (
                "dsa_payor",
                "payor",
                CommandHint("campaign edit", f"{campaign.id} --dsa-payor 'Organisation name'"),
            ),
        ):
            if not (getattr(campaign, field) or "").strip():
                out.append(
                    Finding(
                        "refuse",
                        "dsa",
                        obj,
                        f"{field} is empty and the campaign targets the EU/EEA ({', '.join(eu)})",
                        f"set the campaign's DSA {label} organisation (Digital Services Act transparency)",
                        hint=hint,
                    )
                )
    return out


def local_today(now: dt.datetime, zones: list[str]) -> tuple[dt.date, str]:
    """The latest local date among ``zones`` at ``now`` (a day before it is past somewhere).

    >>> now = dt.datetime(2027, 1, 9, 23, 30, tzinfo=dt.UTC)
    >>> local_today(now, ["Africa/Lagos", "America/New_York"])
    (datetime.date(2027, 1, 10), 'Africa/Lagos')
    """
    best = (now.astimezone(dt.UTC).date(), "UTC")
    first = True
    for name in sorted(set(zones)):
        try:
            day = now.astimezone(ZoneInfo(name)).date()
        except (ZoneInfoNotFoundError, ValueError):
            continue  # an unknown zone is refused where slots are made
        if first or day > best[0]:
            best, first = (day, name), False
    return best


#: Statuses of a campaign whose posts have not gone out: a start in the past is refused.
NOT_STARTED = ("draft", "submitted", "approved")


def check_dates(campaign: Campaign, targets: Sequence[Target], now: dt.datetime) -> list[Finding]:
    """``dates_past``: a campaign that ended, or (before anything went out) starts before today,
    in the latest of its targets' time zones."""
    today, zone = local_today(now, [t.timezone for t in targets if t.timezone])
    obj = f"campaign {campaign.id} ({campaign.name})"
    hint = CommandHint("campaign edit", f"{campaign.id} --start YYYY-MM-DD --end YYYY-MM-DD")
    if campaign.ends_on is not None and campaign.ends_on < today:
        return [
            Finding(
                "refuse",
                "dates_past",
                obj,
                f"the campaign ended on {campaign.ends_on}, before today ({today} in {zone}): every day is past",
                "give it dates from today on",
                hint=hint,
            )
        ]
    if campaign.starts_on is not None and campaign.starts_on < today and campaign.status in NOT_STARTED:
        return [
            Finding(
                "refuse",
                "dates_past",
                obj,
                f"the campaign starts on {campaign.starts_on}, before today ({today} in {zone})",
                "move its start to today or later",
                hint=hint,
            )
        ]
    return []


def check_target(campaign: Campaign, target: Target) -> list[Finding]:
    out: list[Finding] = []
    obj = f"target {target.id} ({target.name})"
    problem = radius_problem(target.radius_km)
    if problem:
        out.append(Finding("refuse", "radius", obj, problem, "change the target's radius_km"))
    helpline = helpline_for(target.country)
    level: Level = "refuse" if is_live(campaign.channel) else "warn"
    if helpline is None:
        out.append(
            Finding(
                level,
                "helpline",
                obj,
                f"no helpline is listed for {target.country}: its copy names no one to call",
                "add the country's helpline (a number or address, its source and the day it was "
                "checked) to locales/helplines.toml",
            )
        )
    elif not helpline.verified:
        out.append(
            Finding(
                level,
                "helpline",
                obj,
                f"helpline {helpline.display!r} for {target.country} is not verified: {helpline.unverified_because}",
                f"confirm it ({helpline.about}), record its number or address, source and check date, "
                "and set verified = true in locales/helplines.toml",
            )
        )
    return out


def check_adset(adset: AdSet, target: Target | None, campaign: Campaign | None = None) -> list[Finding]:
    """Rules on one ad set and its targeting spec (``campaign``: also its budget's minimum)."""
    out: list[Finding] = []
    obj = _adset_label(adset, target)
    spec = adset.targeting or {}
    geo = spec.get("geo_locations", {}) or {}
    if adset.budget <= 0:
        out.append(
            Finding(
                "refuse",
                "budget",
                obj,
                f"the ad set's budget was {adset.budget:g}",
                "raise the campaign's budget or plan fewer targets, so that every ad set gets some",
                hint=None
                if campaign is None
                else CommandHint("campaign edit", f"{campaign.id} --budget AMOUNT"),
            )
        )
    elif campaign is not None:
        from campaigns.plan.budget import min_daily_budget, run_days

        days = run_days(campaign.starts_on, campaign.ends_on)
        try:
            daily = min_daily_budget(campaign.currency, campaign.objective)
        except CounterflowError as exc:
            out.append(Finding("refuse", "budget_min", obj, exc.problem, exc.fix))
        else:
            if round(adset.budget, 2) < round(daily * days, 2):
                out.append(
                    Finding(
                        "refuse",
                        "budget_min",
                        obj,
                        f"the ad set's budget, {adset.budget:,.2f} {campaign.currency} over {days} days "
                        f"({adset.budget / days:,.2f} a day), is under the platform's minimum of "
                        f"{daily:,.2f} {campaign.currency} a day: it would not be delivered",
                        "raise the campaign's budget (the ad sets are split again), or shorten it",
                        hint=CommandHint("campaign edit", f"{campaign.id} --budget AMOUNT"),
                    )
                )
    if adset.age_min < AGE_MIN or adset.age_max > AGE_MAX or adset.age_min > adset.age_max:
        out.append(
            Finding(
                "refuse",
                "age_bounds",
                obj,
                f"ages were {adset.age_min}-{adset.age_max}; they must lie within {AGE_MIN}-{AGE_MAX}",
                f"use an age range within {AGE_MIN}-{AGE_MAX}",
            )
        )
    if adset.age_min <= TEEN_MAX < adset.age_max:
        out.append(
            Finding(
                "refuse",
                "teen_split",
                obj,
                f"ages {adset.age_min}-{adset.age_max} mix 13-17-year-olds with adults",
                f"split into a {adset.age_min}-{TEEN_MAX} ad set (age and city only) and an "
                f"{TEEN_MAX + 1}-{adset.age_max} ad set",
            )
        )
    teen = adset.teen or adset.age_min <= TEEN_MAX
    if teen:
        pins = []
        if adset.genders or spec.get("genders"):
            pins.append("gender")
        if spec.get("locales"):
            pins.append("language (locales)")
        if geo.get("custom_locations") or any("radius" in c for c in geo.get("cities", [])):
            pins.append("radius (custom_locations)")
        if pins:
            out.append(
                Finding(
                    "refuse",
                    "teen_pins",
                    obj,
                    f"a 13-17 ad set pins {', '.join(pins)}",
                    "target 13-17-year-olds by age and a city or larger area only",
                )
            )
        if target is not None and is_eu(target.country):
            out.append(
                Finding(
                    "refuse",
                    "teen_eu",
                    obj,
                    f"a 13-17 ad set targets {target.country}, in the EU/EEA, where teen ads are paused",
                    "drop the teen ad set for this target (the planner does this) or raise age_min to 18",
                )
            )
        for city in geo.get("cities", []):
            if not city.get("key"):
                out.append(
                    Finding(
                        "warn",
                        "geo_key",
                        obj,
                        f"city {city.get('name')!r} has no platform key yet",
                        "the channel resolves it with the targeting search (type=adgeolocation) before sending",
                    )
                )
    for loc in geo.get("custom_locations", []):
        problem = radius_problem(float(loc.get("radius", 0)))
        if problem or loc.get("distance_unit", "kilometer") != "kilometer":
            out.append(
                Finding(
                    "refuse",
                    "radius",
                    obj,
                    problem or f"distance_unit was {loc.get('distance_unit')!r}",
                    "use distance_unit 'kilometer' and a radius between 1 and 80",
                )
            )
    known = known_platform_locale_ids()
    bad = [x for x in spec.get("locales", []) if not isinstance(x, int) or x not in known]
    if bad:
        out.append(
            Finding(
                "refuse",
                "locale_ids",
                obj,
                f"locales had {bad!r}; the platform takes numeric locale ids, not ISO codes",
                "map the language with campaigns.copy.localedata.platform_locale (e.g. en -> 1001)",
            )
        )
    pl = platform_locale(adset.locale)
    if not teen and not bad and spec.get("locales") and set(spec["locales"]) != set(pl.ids):
        out.append(
            Finding(
                "refuse",
                "locale_ids",
                obj,
                f"locales had {spec['locales']!r} but {adset.locale} maps to {list(pl.ids)!r}",
                "rebuild the targeting from the ad set's locale (plan again)",
            )
        )
    if not teen and not spec.get("locales") and not pl.ids:
        out.append(
            Finding(
                "warn",
                "locale_unpinned",
                obj,
                f"no platform locale for {pl.name} ({adset.locale}): targeted by geography only",
                pl.note or "add its id to locales/languages.toml once the platform has one",
            )
        )
    return out


def check_asset(campaign: Campaign, asset: Asset) -> list[Finding]:
    out: list[Finding] = []
    obj = f"asset {asset.id} ({asset.locale}, {asset.family})"
    for field, limit in COPY_LIMITS.items():
        text = getattr(asset, field) or ""
        n = len(text)
        if limit.hard is not None and n > limit.hard:
            out.append(
                Finding(
                    "refuse",
                    "copy_length",
                    obj,
                    f"{field} has {n} characters; the limit is {limit.hard}",
                    f"shorten the {asset.locale} translation of this {field}",
                )
            )
        elif limit.soft is not None and n > limit.soft:
            out.append(
                Finding(
                    "warn",
                    "copy_length",
                    obj,
                    f"{field} has {n} characters; {limit.soft} is recommended (the rest folds away)",
                    f"shorten the {asset.locale} translation of this {field} if you can",
                )
            )
        if PLACEHOLDER_RE.search(text):
            out.append(
                Finding(
                    "refuse",
                    "placeholder",
                    obj,
                    f"{field} has an unfilled placeholder: {PLACEHOLDER_RE.search(text).group(0)}",  # type: ignore[union-attr]
                    "re-render the campaign's assets from the current catalogs",
                    hint=CommandHint("assets", f"{campaign.id} --refresh"),
                )
            )
    code = asset.tracking_code or ""
    if not TRACKING_RE.match(code):
        out.append(
            Finding(
                "refuse",
                "tracking",
                obj,
                f"tracking_code was {code!r}; it must be 1-24 characters of A-Z a-z 0-9 _ -",
                "regenerate the assets",
            )
        )
    elif not (asset.link or "").endswith(f"/t/{code}"):
        out.append(
            Finding(
                "refuse",
                "tracking",
                obj,
                f"link was {asset.link!r}; it must end with /t/{code}",
                "regenerate the assets",
            )
        )
    if asset.family == "where_to_get_help" and (not asset.helpline or asset.helpline not in asset.body):
        out.append(
            Finding(
                "refuse",
                "helpline",
                obj,
                "where-to-get-help copy has no helpline",
                "add the country's helpline to locales/helplines.toml and regenerate the assets",
            )
        )
    return out


def check_locales_ready(campaign: Campaign, assets: Sequence[Asset]) -> list[Finding]:
    """Refuse locales whose copy is missing or fuzzy (unreviewed) for the families in use.

    A campaign on the dry-run outbox with ``allow_fuzzy`` gets a loud warn instead of the fuzzy
    refusal; missing copy is always refused.
    """
    from campaigns.copy.i18n import coverage, load_template

    template = load_template()
    used: dict[str, set[str]] = {}
    for a in assets:
        used.setdefault(a.locale, set()).update({a.family, "preview"})
    out: list[Finding] = []
    for locale in sorted(used):
        obj = f"locale {locale}"
        try:
            cov = coverage(locale, template=template)
        except CounterflowError as exc:
            out.append(Finding("refuse", "locale_missing", obj, exc.problem, exc.fix, hint=exc.hint))
            continue
        mine = [c for c in cov if c.family in used[locale]]
        for c in mine:
            if c.missing:
                out.append(
                    Finding(
                        "refuse",
                        "locale_missing",
                        f"{obj} / {c.family}",
                        f"{len(c.missing)} of {c.total} messages are not translated",
                        f"translate them in locales/{locale}/LC_MESSAGES/messages.po",
                    )
                )
        ready = {c.family for c in mine if c.ready}
        stale = [a for a in assets if a.locale == locale and a.fuzzy and a.family in ready]
        if stale:
            out.append(
                Finding(
                    "refuse",
                    "asset_stale",
                    obj,
                    f"{len(stale)} assets were rendered from draft copy that has since been reviewed",
                    "re-render them from the reviewed catalogs",
                    hint=CommandHint("assets", f"{campaign.id} --refresh"),
                )
            )
        drafts = [c for c in mine if c.fuzzy]
        if drafts:
            n_fuzzy, n_total = sum(c.fuzzy for c in drafts), sum(c.total for c in mine)
            families = ", ".join(c.family for c in drafts)
            dry_ok = campaign.allow_fuzzy and not is_live(campaign.channel)
            out.append(
                Finding(
                    "warn" if dry_ok else "refuse",
                    "locale_fuzzy",
                    obj,
                    (
                        f"UNREVIEWED COPY IN A DRY RUN (allow_fuzzy): {n_fuzzy} of {n_total} messages are fuzzy drafts ({families})"
                        if dry_ok
                        else f"{n_fuzzy} of {n_total} messages are fuzzy, not reviewed ({families})"
                    ),
                    f"have a native speaker check them, then mark the {locale} catalog as reviewed by them",
                    hint=CommandHint("locales review", f"{locale} --reviewer NAME"),
                )
            )
    return out


def preflight(
    campaign: Campaign,
    targets: Sequence[Target],
    adsets: Sequence[AdSet],
    assets: Sequence[Asset],
    *,
    now: dt.datetime | None = None,
) -> list[Finding]:
    """Every finding for a campaign; nothing may be scheduled while any has level ``refuse``.

    ``now`` (default: the clock) decides which dates are past."""
    by_id = {t.id: t for t in targets}
    out = [Finding.from_dict(n) for n in (campaign.plan_notes or [])]
    out += check_campaign(campaign, targets)
    out += check_dates(campaign, targets, now or dt.datetime.now(dt.UTC))
    for t in targets:
        out += check_target(campaign, t)
    for a in adsets:
        out += check_adset(a, by_id.get(a.target_id), campaign)
    for asset in assets:
        out += check_asset(campaign, asset)
    if not assets:
        out.append(
            Finding(
                "refuse",
                "assets",
                f"campaign {campaign.id}",
                "the campaign has no assets",
                "generate the campaign's assets",
                hint=CommandHint("assets", f"{campaign.id}"),
            )
        )
    out += check_locales_ready(campaign, assets)
    return out


def campaign_findings(
    session: Session, campaign: Campaign, *, now: dt.datetime | None = None
) -> list[Finding]:
    """Every platform-policy finding (:func:`preflight`, at ``now``: default the clock) for the
    campaign's stored rows, refusals first; raises nothing (the campaign page and the approval step show or refuse on them)."""
    from sqlmodel import select

    cid = campaign.id
    targets = session.exec(select(Target).where(Target.campaign_id == cid)).all()
    adsets = session.exec(select(AdSet).where(AdSet.campaign_id == cid)).all()
    assets = session.exec(select(Asset).where(Asset.campaign_id == cid)).all()
    findings = preflight(campaign, targets, adsets, assets, now=now)
    return sorted(findings, key=lambda f: f.level != "refuse")  # stable: each level keeps its order


def assert_approvable(findings: Sequence[Finding], campaign_id: int | None) -> None:
    """Refuse an approval while any refusal stands: nobody approves a campaign blind.

    The error names every refusal (rule, object and problem; the first five in full) and the fix.
    """
    refused = refusals(findings)
    if not refused:
        return
    shown = "; ".join(f"[{f.rule}] {f.object}: {f.problem}" for f in refused[:5])
    more = f"; and {len(refused) - 5} more" if len(refused) > 5 else ""
    cid = "CAMPAIGN_ID" if campaign_id is None else str(campaign_id)
    raise CounterflowError(
        f"campaign {campaign_id} cannot be approved while {len(refused)} preflight "
        f"refusal{'s' if len(refused) != 1 else ''} stand{'' if len(refused) != 1 else 's'}: {shown}{more}",
        f"fix each refusal first ({refused[0].fix}, ...), then approve; "
        "the campaign's preflight lists every finding with its fix",
        status=409,
        hint=CommandHint("preflight", f"{cid}"),
    )


def run_preflight(session: Session, campaign: Campaign, *, now: dt.datetime | None = None) -> list[Finding]:
    """The platform-policy findings (:func:`preflight`, at ``now``: default the clock) for the
    campaign's rows;
    raises the first refusal as a ``CounterflowError``. Returns every finding (warns included)."""
    cid = campaign.id
    findings = campaign_findings(session, campaign, now=now)
    assert_schedulable(findings, cid)
    warns = [f for f in findings if f.level == "warn"]
    if warns:
        # the planner's commands show every finding; here one line is enough
        log.info("campaign %s preflight: %d warnings, no refusal", cid, len(warns))
    return list(findings)
