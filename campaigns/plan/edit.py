"""Editing a campaign that has not gone out: disclosures, budget, dates, audience and targets.

Who: the campaign's author, or a campaign manager (each proves who they are to a face first).
What: ``paid_for_by``, ``dsa_beneficiary``, ``dsa_payor`` are set as given (an empty DSA field
takes a new ``paid_for_by``, as when planning). A change of budget,
dates, languages, ages, genders, a dropped target, a target added by hand or two targets merged
(:mod:`campaigns.plan.targets`), or languages chosen for one target (kept by later re-plans)
**re-plans the ad sets** of the targets that remain (the same rules as the planner: :func:`campaigns.plan.planner.adset_specs` and the budget
split of :mod:`campaigns.plan.budget`), and their assets are made again; slots that were
scheduled are removed (schedule again). A target the budget dropped at planning time does not
come back: plan again for that.
A submitted campaign goes back to draft (submit it again); so does an approved (or scheduled)
one: its approval is withdrawn and an ``AuditEvent`` ("campaign.approval_withdrawn") records who approved it and what changed; every
edit is recorded as "campaign.edited". A campaign with anything sent, measured or tipped is
refused: plan a new one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from campaigns import crud
from campaigns.copy.i18n import LOCALES
from campaigns.plan.budget import min_daily_budget
from campaigns.plan.planner import (
    GENDER_IDS,
    Audience,
    adset_specs,
    pick_findings,
    store_adsets,
    teen_eu_note,
)
from campaigns.plan.reach import estimate_reach
from campaigns.plan.targets import NewTarget, added_target, merge_into
from campaigns.policy import TEEN_MAX, local_today
from intel.errors import CommandHint, Conflict, CounterflowError, Forbidden
from intel.models import (
    AdSet,
    Asset,
    AuditEvent,
    Campaign,
    Delivery,
    Metric,
    ScheduledPost,
    Target,
    Tip,
    User,
)
from intel.roles import Role

#: The planner's notes that a re-plan makes again (the others stay).
REPLANNED_RULES = frozenset(
    {"budget_target_dropped", "budget_adsets_dropped", "teen_eu_dropped", "not_significant", "left_out"}
)


@dataclass
class Edit:
    """What to change; ``None`` (or empty) leaves a field as it is."""

    paid_for_by: str | None = None
    dsa_beneficiary: str | None = None
    dsa_payor: str | None = None
    budget: float | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    languages: str | None = None
    ages: str | None = None
    genders: str | None = None
    drop_targets: list[int] = field(default_factory=list)
    add_targets: list[NewTarget] = field(default_factory=list)
    #: ``(keep, absorbed)`` target ids: the first grows to cover the second, which goes
    merge_targets: list[tuple[int, int]] = field(default_factory=list)
    #: target id -> the languages chosen for it (kept by later re-plans instead of the audience's)
    target_languages: dict[int, list[str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return all(v in (None, [], {}) for v in vars(self).values())


def _may_edit(session: Session, campaign: Campaign, editor: str) -> None:
    if editor.strip().casefold() == campaign.author.strip().casefold():
        return
    user = session.exec(select(User).where(User.name == editor)).first()
    if user is None or user.role != Role.CAMPAIGN_MANAGER:
        raise Forbidden(
            f"{editor} may not edit campaign {campaign.id}: only its author ({campaign.author}) or a "
            "campaign manager may",
            "ask its author or a campaign manager to make the change",
        )


def _refuse_if_out(session: Session, campaign_id: int) -> None:
    for model, what in ((Delivery, "sent objects"), (Metric, "metrics"), (Tip, "tips")):
        if session.exec(select(model).where(model.campaign_id == campaign_id)).first() is not None:  # type: ignore[attr-defined]
            raise Conflict(
                f"campaign {campaign_id} has {what} already: it went out and cannot be edited",
                "plan a new campaign with the changes",
                hint=CommandHint("plan", "--route ROUTE ..."),
            )


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, dt.date) else value


def _text(value: str) -> str:
    text = value.strip()
    if not text:
        raise CounterflowError("an organisation name was empty", "give the organisation's full name")
    return text


CHOSEN = "languages_chosen"


def chosen_languages(target: Target) -> list[str] | None:
    """The languages chosen for this target by hand (a note on it), if any."""
    return next((list(n["languages"]) for n in target.notes or [] if n.get("rule") == CHOSEN), None)


def _choose_languages(
    campaign_id: int,
    edit: Edit,
    by_id: dict[int | None, Target],
    gone: set[int],
    editor: str,
    changes: dict[str, list[Any]],
) -> None:
    """Record the languages chosen per target (a note each); the re-plan makes their ad sets."""
    old: dict[str, list[str]] = {}
    new: dict[str, list[str]] = {}
    for tid, langs in edit.target_languages.items():
        target = by_id.get(tid)
        if target is None or tid in gone:
            raise CounterflowError(
                f"campaign {campaign_id} keeps no target {tid} to choose languages for",
                "choose languages for one of the targets that stay",
            )
        unknown = [code for code in langs if code not in LOCALES]
        if unknown or not langs:
            raise CounterflowError(
                f"the languages for {target.name} were {', '.join(langs) or '(none)'}",
                f"give at least one of the languages with a catalog: {', '.join(LOCALES)}",
            )
        before = target.languages.split("|") if target.languages else []
        if langs != before:
            old[target.name], new[target.name] = before, list(langs)
            notes = [n for n in target.notes or [] if n.get("rule") != CHOSEN]
            target.notes = [*notes, {"rule": CHOSEN, "languages": list(langs), "by": editor}]
    if new:
        changes["target_languages"] = [old, new]


def edit_campaign(
    session: Session,
    *,
    campaign_id: int,
    editor: str,
    edit: Edit,
    settings: Any,
    now: dt.datetime | None = None,
) -> tuple[Campaign, dict[str, list[Any]], list[dict[str, Any]]]:
    """Apply ``edit`` to the campaign as ``editor``; returns (campaign, changes, budget findings).

    ``changes`` maps each changed field to ``[old, new]``. Raises ``Forbidden`` for someone who
    may not edit, ``Conflict`` for a campaign that went out, ``CounterflowError`` for bad values.
    The caller owns the transaction.
    """
    from campaigns.copy.assets import generate_assets

    campaign = crud.get_campaign(session, campaign_id=campaign_id)
    _may_edit(session, campaign, editor)
    if edit.empty():
        raise CounterflowError(
            f"nothing to change in campaign {campaign_id}",
            "name at least one thing to change",
            hint=CommandHint("campaign edit", f"{campaign_id} --budget AMOUNT"),
        )
    _refuse_if_out(session, campaign_id)
    now = now or dt.datetime.now(dt.UTC)
    changes: dict[str, list[Any]] = {}

    def change(name: str, new: Any) -> None:
        old = getattr(campaign, name)
        if new != old:
            changes[name] = [_plain(old), _plain(new)]
            setattr(campaign, name, new)

    for name in ("paid_for_by", "dsa_beneficiary", "dsa_payor"):
        value = getattr(edit, name)
        if value is not None:
            change(name, _text(value))
        elif name != "paid_for_by" and edit.paid_for_by is not None and not getattr(campaign, name):
            change(name, _text(edit.paid_for_by))  # as when planning: the payer, unless told otherwise
    targets = crud.list_targets(session, campaign_id=campaign_id)
    by_id = {t.id: t for t in targets}
    unknown = [i for i in edit.drop_targets if i not in by_id]
    if unknown:
        raise CounterflowError(
            f"campaign {campaign_id} has no target {', '.join(map(str, unknown))}",
            f"name one of its targets: {', '.join(f'{t.id} ({t.name})' for t in targets)}",
        )
    for pair in edit.merge_targets:
        wrong = [i for i in pair if i not in by_id or i in edit.drop_targets]
        if wrong or pair[0] == pair[1]:
            raise CounterflowError(
                f"targets {pair[0]} and {pair[1]} cannot be merged in campaign {campaign_id}",
                "name two different targets that stay: "
                + ", ".join(f"{t.id} ({t.name})" for t in targets if t.id not in edit.drop_targets),
            )
    gone = set(edit.drop_targets) | {b for _, b in edit.merge_targets}
    remaining = [t for t in targets if t.id not in gone]
    if not remaining:
        raise CounterflowError(
            f"dropping targets {', '.join(map(str, edit.drop_targets))} would leave campaign {campaign_id} without targets",
            "keep at least one target, or plan a new campaign",
        )
    if edit.budget is not None:
        if edit.budget <= 0:
            raise CounterflowError(
                f"budget was {edit.budget:g}", "give a positive lifetime budget, e.g. 5000"
            )
        change("budget", float(edit.budget))
    starts = edit.starts_on or campaign.starts_on
    ends = edit.ends_on or campaign.ends_on
    if edit.starts_on is not None or edit.ends_on is not None:
        if starts is not None and ends is not None and ends <= starts:
            raise CounterflowError(
                f"the campaign would end on {ends} but start on {starts}", "give an end date after the start"
            )
        today, zone = local_today(now, [t.timezone for t in remaining])
        if starts is not None and starts < today:
            raise CounterflowError(
                f"the campaign would start on {starts}, before today ({today} in {zone})",
                "give a start date from today on",
                hint=CommandHint("campaign edit", f"{campaign_id} --start YYYY-MM-DD"),
            )
        change("starts_on", starts)
        change("ends_on", ends)
    old_audience = dict(campaign.audience or {})
    audience = Audience.parse(
        ages=edit.ages or f"{old_audience.get('age_min', 18)}-{old_audience.get('age_max', 35)}",
        genders=edit.genders
        or (",".join(g for g in old_audience.get("genders", []) if g in GENDER_IDS) or "all"),
        languages=edit.languages
        or (
            "local"
            if old_audience.get("languages", "local") == "local"
            else ",".join(old_audience.get("languages", []))
        ),
        origins=",".join(old_audience.get("origins", [])),
    )
    new_audience = audience.as_dict()
    if any(v is not None for v in (edit.ages, edit.genders, edit.languages)) and any(
        old_audience.get(k) != v for k, v in new_audience.items()
    ):
        changes["audience"] = [old_audience, new_audience]
        campaign.audience = {**old_audience, **new_audience}
    if edit.drop_targets:
        changes["targets_dropped"] = [
            [f"{t.id} ({t.name})" for t in targets if t.id in set(edit.drop_targets)],
            None,
        ]
    _choose_languages(campaign_id, edit, by_id, gone, editor, changes)
    merge_notes = [merge_into(by_id[a], by_id[b], audience) for a, b in edit.merge_targets]
    if merge_notes:
        changes["targets_merged"] = [
            [f"{by_id[b].name} into {by_id[a].name}" for a, b in edit.merge_targets],
            None,
        ]
    added = [added_target(campaign_id, new, audience) for new in edit.add_targets]
    if added:
        changes["targets_added"] = [[f"{t.name} ({t.radius_km:g} km)" for t in added], None]
        for t in added:
            session.add(t)
        session.flush()
        remaining += added
    if not changes:
        raise CounterflowError(
            f"campaign {campaign_id} already has these values: nothing changed",
            "name a value that differs from the campaign's",
        )
    replan = bool(
        {
            "budget",
            "starts_on",
            "ends_on",
            "audience",
            "targets_dropped",
            "targets_merged",
            "targets_added",
            "target_languages",
        }
        & set(changes)
    )
    budget_notes: list[dict[str, Any]] = []
    if replan:
        min_daily_budget(campaign.currency, campaign.objective)
        for post in session.exec(select(ScheduledPost).where(ScheduledPost.campaign_id == campaign_id)).all():
            session.delete(post)
        session.flush()
        for asset in session.exec(select(Asset).where(Asset.campaign_id == campaign_id)).all():
            session.delete(asset)
        session.flush()
        for adset in session.exec(select(AdSet).where(AdSet.campaign_id == campaign_id)).all():
            session.delete(adset)
        session.flush()
        for t in targets:
            if t.id in gone:
                session.delete(t)
        session.flush()
        rows = []
        for t in remaining:
            langs = chosen_languages(t) or audience.languages_at(t.country, t.admin1)
            t.languages = "|".join(langs)
            if "audience" in changes:
                t.reach_estimate = estimate_reach(
                    lat=t.lat,
                    lon=t.lon,
                    radius_km=t.radius_km,
                    country=t.country,
                    age_min=audience.age_min,
                    age_max=audience.age_max,
                    genders=audience.genders,
                ).estimate
            session.add(t)
            rows.append((t, adset_specs(t, audience, langs)))
        if not any(specs for _, specs in rows):
            raise CounterflowError(
                "no ad set is left: every target is in the EU/EEA and the audience is 13-17 only",
                "include ages 18+ or targets outside the EU/EEA",
            )
        budget_notes = store_adsets(session, campaign, [r for r in rows if r[1]], budget=campaign.budget)
        for t, specs in rows:
            if not specs:
                session.delete(t)
        session.flush()
        left = {t.id for t in crud.list_targets(session, campaign_id=campaign_id)}
        kept_notes = [
            n
            for n in (campaign.plan_notes or [])
            if n.get("rule") not in REPLANNED_RULES
            and not any(n.get("object", "").startswith(f"target {i} ") for i in set(by_id) - left)
        ]
        kept_targets = crud.list_targets(session, campaign_id=campaign_id)
        teen_notes = [teen_eu_note(t) for t in kept_targets if t.is_eu and audience.age_min <= TEEN_MAX]
        pick_notes = (
            pick_findings(
                campaign_id,
                kept_targets,
                crud.run_hotspots(session, run_id=campaign.hotspot_run_id),
                {t.hotspot_id for t in kept_targets if t.hotspot_id is not None},
                len(targets),
            )
            if campaign.hotspot_run_id is not None
            else []
        )
        added_notes = [n for t in added for n in t.notes or []]
        campaign.plan_notes = kept_notes + teen_notes + budget_notes + pick_notes + merge_notes + added_notes
        campaign.special_ad_category_country = sorted({t.country for t in kept_targets})
    withdrawn = campaign.approved_by
    if withdrawn or campaign.status in ("approved", "scheduled"):
        session.add(
            AuditEvent(
                actor=editor,
                action="campaign.approval_withdrawn",
                object_type="campaign",
                object_id=campaign_id,
                detail={
                    "approved_by": withdrawn,
                    "approved_at": str(campaign.approved_at) if campaign.approved_at else None,
                    "status": campaign.status,
                    "reason": "the campaign was edited",
                    "changed": sorted(changes),
                },
            )
        )
        campaign.approved_by = None
        campaign.approved_at = None
        campaign.status = "draft"
        for post in session.exec(
            select(ScheduledPost).where(
                ScheduledPost.campaign_id == campaign_id, col(ScheduledPost.status) == "scheduled"
            )
        ).all():
            session.delete(post)
    if campaign.status == "submitted":
        campaign.status = "draft"  # the approvers saw another campaign: submit it again
        changes["status"] = ["submitted", "draft"]
    session.add(campaign)
    session.add(
        AuditEvent(
            actor=editor,
            action="campaign.edited",
            object_type="campaign",
            object_id=campaign_id,
            detail={"changes": dict(changes), "replanned": replan},
        )
    )
    session.flush()
    if replan:
        generate_assets(session, campaign_id=campaign_id, settings=settings)
    return campaign, changes, budget_notes
