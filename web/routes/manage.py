"""The campaign manager's pages: plan a campaign from a hotspot run, edit a draft with its
preflight shown as fields change, review the copy per locale, see the schedule as a calendar,
submit for approval and publish once approved.

Every change goes through the same steps as the command line (``flows.steps``: ``plan``,
``edit``, ``review_copy``, ``schedule``, ``submit``, ``publish``). A preview (the preflight of a
form not yet saved, the calendar of a campaign not yet scheduled) runs those steps in the
request's transaction and rolls it back: the same code, nothing saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from campaigns.policy import Finding, campaign_findings, refusals
from intel.errors import Conflict, CounterflowError, NotFound
from intel.hotspot_store import route_of_run
from intel.models import Asset, Campaign, Hotspot, HotspotRun, User
from intel.settings import Settings
from web.deps import RowId, SessionDep, SettingsDep, UserDep
from web.monthgrid import month_grid, week_grid
from web.planform import Plan, current_values, read_edit, read_plan
from web.readable import Page
from web.templating import render

router = APIRouter()

#: Statuses in which a campaign is edited here (an approved one goes back to draft on the CLI).
EDITABLE = ("draft", "submitted")
#: Proposed targets offered on the plan form (the planner's ``top``).
TOP = 8
#: Assets of one locale per page of the copy review.
COPY_PAGE = 12


def _run(session: Session, run_id: int) -> HotspotRun:
    run = session.get(HotspotRun, run_id)
    if run is None:
        raise NotFound(f"hotspot run {run_id} does not exist", "pick a run from /hotspots")
    return run


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(f"campaign {campaign_id} does not exist", "pick a campaign from /campaigns")
    return campaign


def candidates(session: Session, run: HotspotRun, origins: str = "") -> list[dict[str, Any]]:
    """The targets the planner proposes on ``run`` (its ``choose_targets``), with their languages."""
    from campaigns.copy.localedata import audience_languages
    from campaigns.plan.planner import choose_targets

    hotspots = list(session.exec(select(Hotspot).where(Hotspot.run_id == run.id)).all())
    plans, _ = choose_targets(hotspots, top_n=TOP)
    origin_list = [o.strip().upper() for o in origins.split(",") if o.strip()]
    out = []
    for p in plans:
        try:
            langs = audience_languages(p.country, p.admin1, origin_list)
        except CounterflowError:
            langs = audience_languages(p.country, p.admin1)
        out.append(
            {
                "hotspot_id": p.hotspot.id,
                "name": p.name,
                "country": p.country,
                "radius_km": p.radius_km,
                "rank": p.hotspot.rank,
                "z": p.hotspot.z,
                "languages": langs,
                "merged": len(p.merged),
            }
        )
    return out


def plan_draft(
    session: Session, settings: Settings, *, run: HotspotRun, plan: Plan, author: str
) -> dict[str, Any]:
    """Plan the draft through ``flows.steps.plan`` (as ``counterflow plan``), then drop the
    proposed targets the form unticked through ``flows.steps.edit``; returns the plan's summary."""
    from flows import steps

    route = route_of_run(session, run)
    assert plan.starts_on is not None and plan.ends_on is not None
    summary = steps.plan(
        session,
        settings=settings,
        route=route.name if route else "",
        name=plan.name,
        author=author,
        ages=plan.ages,
        genders=plan.genders,
        languages=plan.languages,
        origins=plan.origins,
        budget=plan.budget,
        currency=plan.currency,
        starts_on=plan.starts_on,
        ends_on=plan.ends_on,
        top=TOP,
        run_id=run.id,
        paid_for_by=plan.paid_for_by,
        dsa_beneficiary=plan.dsa_beneficiary,
        dsa_payor=plan.dsa_payor,
        allow_fuzzy=plan.allow_fuzzy,
    )
    kept = set(plan.keep)
    by_hotspot = {t["pick"]["hotspot_id"]: t["id"] for t in summary["targets"] if t["pick"]}
    drop = [tid for hid, tid in by_hotspot.items() if hid not in kept]
    merge = [(by_hotspot[a], by_hotspot[b]) for a, b in plan.merge if a in by_hotspot and b in by_hotspot]
    if plan.merge and not merge:
        raise CounterflowError(
            "the two targets to merge are not both in the plan",
            "choose two of the proposed targets to merge (the budget may have left one out)",
        )
    languages = {by_hotspot[h]: langs for h, langs in plan.languages_of.items() if h in by_hotspot}
    if drop or plan.add or merge or languages:
        summary = steps.edit(
            session,
            campaign_id=summary["campaign_id"],
            editor=author,
            settings=settings,
            drop_targets=drop,
            add_targets=plan.add,
            merge_targets=merge,
            target_languages={t: langs for t, langs in languages.items() if t not in drop},
        )
    return summary


def _place_errors(exc: CounterflowError) -> dict[str, str]:
    """A typed place the gazetteer could not settle, as the field's error naming the candidates."""
    from intel.gazetteer import AmbiguousPlace, UnknownPlace

    if isinstance(exc, AmbiguousPlace | UnknownPlace):
        return {"add_place": f"{exc.problem}: {exc.fix}"}
    return {}


def _findings(summary: dict[str, Any]) -> list[Finding]:
    found = [Finding.from_dict(f) for f in summary["findings"]]
    return sorted(found, key=lambda f: f.level != "refuse")


def _fragment(
    request: Request, findings: list[Finding], errors: dict[str, str], problem: CounterflowError | None
) -> HTMLResponse:
    return render(
        request,
        "_preflight.html",
        findings=findings,
        refused=refusals(findings),
        errors=errors,
        problem=problem,
    )


async def _form(request: Request) -> Any:
    return await request.form()


def _plan_page(
    request: Request,
    session: Session,
    user: User,
    run: HotspotRun,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    problem: CounterflowError | None = None,
    status: int = 200,
) -> HTMLResponse:
    proposed = candidates(session, run, str(values.get("origins", "")))
    if "keep" not in values:
        values["keep"] = [str(c["hotspot_id"]) for c in proposed]
    return render(
        request,
        "campaign_plan.html",
        status=status,
        user=user,
        run=run,
        route=route_of_run(session, run),
        proposed=proposed,
        merge_options=[(c["hotspot_id"], c["name"]) for c in proposed],
        values=values,
        errors=errors or {},
        problem=problem,
        findings=[],
        refused=[],
    )


@router.get("/campaigns/new", response_class=HTMLResponse)
def new_campaign(
    request: Request, session: SessionDep, user: UserDep, run: int | None = None
) -> HTMLResponse:
    """The plan form on a hotspot run: its proposed targets, audience, budget, dates, disclosures."""
    if run is None or not 1 <= run <= 2**31 - 1:
        runs = session.exec(select(HotspotRun).order_by(col(HotspotRun.id).desc()).limit(20)).all()
        return render(request, "campaign_plan_pick.html", user=user, runs=runs)
    today = dt.datetime.now(dt.UTC).date()
    values: dict[str, Any] = {
        "name": "",
        "ages": "18-35",
        "genders": "all",
        "languages": "local",
        "origins": "",
        "budget": "",
        "currency": "USD",
        "starts": (today + dt.timedelta(days=7)).isoformat(),
        "ends": (today + dt.timedelta(days=36)).isoformat(),
        "paid_for_by": "",
        "dsa_beneficiary": "",
        "dsa_payor": "",
        "allow_fuzzy": False,
    }
    return _plan_page(request, session, user, _run(session, run), values)


def _run_of(form: Any, session: Session) -> HotspotRun:
    text = form.get("run")
    if not isinstance(text, str) or not text.isdigit() or len(text) > 9:
        raise CounterflowError(
            f"the hotspot run was {text!r}", "open the plan form from a hotspot run's page", status=422
        )
    return _run(session, int(text))


@router.post("/campaigns", response_class=HTMLResponse)
async def create_campaign(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep
) -> Response:
    """Plan the draft (``flows.steps.plan``) and open it; bad input shows the form again (422)."""
    form = await _form(request)
    # the step's database work runs in the thread pool, never on the event loop
    return await run_in_threadpool(_create_campaign, form, request, session, settings, user)


def _create_campaign(
    form: Any, request: Request, session: Session, settings: Settings, user: Any
) -> Response:
    run = _run_of(form, session)
    read = read_plan(form)
    if read.errors:
        return _plan_page(request, session, user, run, read.values, errors=read.errors, status=422)
    try:
        summary = plan_draft(session, settings, run=run, plan=read.plan, author=user.name)
    except CounterflowError as exc:
        session.rollback()  # nothing half-saved
        errors = _place_errors(exc)
        return _plan_page(
            request,
            session,
            user,
            run,
            read.values,
            errors=errors,
            problem=None if errors else exc,
            status=422,
        )
    session.commit()  # before the redirect: the next page must see the change
    return RedirectResponse(f"/campaigns/{summary['campaign_id']}", status_code=303)


@router.post("/campaigns/preflight", response_class=HTMLResponse)
async def plan_preflight(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep
) -> HTMLResponse:
    """The preflight findings of the plan form as it stands (HTML fragment); nothing is saved."""
    form = await _form(request)
    # the step's database work runs in the thread pool, never on the event loop
    return await run_in_threadpool(_plan_preflight, form, request, session, settings, user)


def _plan_preflight(
    form: Any, request: Request, session: Session, settings: Settings, user: Any
) -> HTMLResponse:
    run = _run_of(form, session)
    read = read_plan(form)
    if read.errors:
        return _fragment(request, [], read.errors, None)
    try:
        findings = _findings(plan_draft(session, settings, run=run, plan=read.plan, author=user.name))
        return _fragment(request, findings, {}, None)
    except CounterflowError as exc:
        errors = _place_errors(exc)
        return _fragment(request, [], errors, None if errors else exc)
    finally:
        session.rollback()


def _editable(campaign: Campaign) -> None:
    if campaign.status not in EDITABLE or campaign.approved_by:
        raise Conflict(
            f"campaign {campaign.id} is {campaign.status}: only a draft is edited here",
            "plan a new campaign for the changes, or ask an admin to withdraw the approval",
        )


def _edit_page(
    request: Request,
    session: Session,
    user: User,
    campaign: Campaign,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    problem: CounterflowError | None = None,
    status: int = 200,
) -> HTMLResponse:
    from campaigns.crud import list_targets

    findings = campaign_findings(session, campaign)
    targets = list_targets(session, campaign_id=campaign.id or 0)
    return render(
        request,
        "campaign_edit.html",
        status=status,
        user=user,
        campaign=campaign,
        targets=targets,
        merge_options=[(t.id, t.name) for t in targets],
        values=values,
        errors=errors or {},
        problem=problem,
        findings=findings,
        refused=refusals(findings),
    )


@router.get("/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
def edit_form(request: Request, session: SessionDep, user: UserDep, campaign_id: RowId) -> HTMLResponse:
    """The edit form of a draft, with its preflight findings."""
    campaign = _campaign(session, campaign_id)
    _editable(campaign)
    return _edit_page(request, session, user, campaign, current_values(campaign))


@router.post("/campaigns/{campaign_id}/edit", response_class=HTMLResponse)
async def edit_campaign(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, campaign_id: RowId
) -> Response:
    """Save the edit through ``flows.steps.edit`` (as ``counterflow campaign edit``)."""
    form = await _form(request)
    # the step's database work runs in the thread pool, never on the event loop
    return await run_in_threadpool(_edit_campaign, form, request, session, settings, user, campaign_id)


def _edit_campaign(
    form: Any, request: Request, session: Session, settings: Settings, user: Any, campaign_id: int
) -> Response:
    from flows import steps

    campaign = _campaign(session, campaign_id)
    _editable(campaign)
    read = read_edit(form, campaign)
    if read.errors:
        return _edit_page(request, session, user, campaign, read.values, errors=read.errors, status=422)
    try:
        steps.edit(session, campaign_id=campaign_id, editor=user.name, settings=settings, **read.changes)
    except CounterflowError as exc:
        session.rollback()
        errors = _place_errors(exc)
        if not errors and exc.status in (401, 403, 404, 409):
            raise
        campaign = _campaign(session, campaign_id)
        return _edit_page(
            request,
            session,
            user,
            campaign,
            read.values,
            errors=errors,
            problem=None if errors else exc,
            status=422,
        )
    session.commit()  # before the redirect: the next page must see the change
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/preflight", response_class=HTMLResponse)
async def edit_preflight(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, campaign_id: RowId
) -> HTMLResponse:
    """The preflight findings of the edit form as it stands (HTML fragment); nothing is saved."""
    form = await _form(request)
    # the step's database work runs in the thread pool, never on the event loop
    return await run_in_threadpool(_edit_preflight, form, request, session, settings, user, campaign_id)


def _edit_preflight(
    form: Any, request: Request, session: Session, settings: Settings, user: Any, campaign_id: int
) -> HTMLResponse:
    from flows import steps

    campaign = _campaign(session, campaign_id)
    read = read_edit(form, campaign)
    errors = {k: v for k, v in read.errors.items() if k != "form"}
    if errors:
        return _fragment(request, [], errors, None)
    try:
        if not read.changes:
            return _fragment(request, campaign_findings(session, campaign), {}, None)
        summary = steps.edit(
            session, campaign_id=campaign_id, editor=user.name, settings=settings, **read.changes
        )
        return _fragment(request, _findings(summary), {}, None)
    except CounterflowError as exc:
        errors = _place_errors(exc)
        return _fragment(request, [], errors, None if errors else exc)
    finally:
        session.rollback()


@router.get("/campaigns/{campaign_id}/copy", response_class=HTMLResponse)
def copy_locales(request: Request, session: SessionDep, user: UserDep, campaign_id: RowId) -> HTMLResponse:
    """The campaign's locales with their review state (the catalog's and this campaign's)."""
    from campaigns.copy.review import reviews

    campaign = _campaign(session, campaign_id)
    return render(
        request,
        "campaign_copy.html",
        user=user,
        campaign=campaign,
        locales=reviews(session, campaign_id=campaign_id),
    )


def _english(session: Session, campaign_id: int, assets: list[Asset]) -> dict[int, Asset | None]:
    english = session.exec(select(Asset).where(Asset.campaign_id == campaign_id, Asset.locale == "en")).all()
    same = {(a.target_id, a.family): a for a in english}
    family = {a.family: a for a in english}
    return {a.id or 0: same.get((a.target_id, a.family)) or family.get(a.family) for a in assets}


@router.get("/campaigns/{campaign_id}/copy/{locale}", response_class=HTMLResponse)
def copy_locale(
    request: Request, session: SessionDep, user: UserDep, campaign_id: RowId, locale: str, page: int = 1
) -> HTMLResponse:
    """Each asset of one locale beside its English, right-to-left where the locale is."""
    from campaigns.copy.review import reviews
    from campaigns.crud import list_targets

    campaign = _campaign(session, campaign_id)
    state = next((r for r in reviews(session, campaign_id=campaign_id) if r.locale == locale), None)
    if state is None:
        raise NotFound(
            f"campaign {campaign_id} has no copy in locale {locale!r}",
            f"pick a locale on /campaigns/{campaign_id}/copy",
        )
    assets = list(
        session.exec(
            select(Asset)
            .where(Asset.campaign_id == campaign_id, Asset.locale == locale)
            .order_by(col(Asset.target_id), col(Asset.family), col(Asset.id))
        ).all()
    )
    shown = Page.of(assets, page=page, per_page=COPY_PAGE)
    return render(
        request,
        "campaign_copy_locale.html",
        user=user,
        campaign=campaign,
        locale=locale,
        state=state,
        assets=shown,
        english=_english(session, campaign_id, list(shown.rows)),
        target_names={t.id: t.name for t in list_targets(session, campaign_id=campaign_id)},
    )


@router.post("/campaigns/{campaign_id}/copy/{locale}/review")
def review_locale(session: SessionDep, user: UserDep, campaign_id: RowId, locale: str) -> RedirectResponse:
    """Record that the signed-in user read this locale's copy (``flows.steps.review_copy``)."""
    from flows import steps

    steps.review_copy(session, campaign_id=campaign_id, locale=locale, reviewer=user.name)
    session.commit()  # before the redirect: the next page must see the change
    return RedirectResponse(f"/campaigns/{campaign_id}/copy", status_code=303)


def calendar(
    session: Session, settings: Settings, campaign: Campaign
) -> tuple[list[dict[str, Any]], bytes, bool, CounterflowError | None]:
    """The campaign's posts (calendar rows), its iCalendar file, whether they are a preview, and
    why there are none. A campaign not scheduled yet is laid out by ``flows.steps.schedule`` (as
    ``counterflow schedule``) in a transaction that is rolled back."""
    from campaigns.delivery.schedule import calendar_ics, calendar_rows
    from flows import steps

    cid = campaign.id or 0
    if campaign.status in ("scheduled", "published"):
        return calendar_rows(session, campaign_id=cid), calendar_ics(session, campaign_id=cid), False, None
    try:
        steps.schedule(session, campaign_id=cid, settings=settings)
        return calendar_rows(session, campaign_id=cid), calendar_ics(session, campaign_id=cid), True, None
    except CounterflowError as exc:
        return [], b"", True, exc
    finally:
        session.rollback()


@router.get("/campaigns/{campaign_id}/schedule", response_class=HTMLResponse)
def schedule_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    campaign_id: RowId,
    month: str | None = None,
    week: str | None = None,
) -> HTMLResponse:
    """The posts as a month calendar (or one week, ``?week=YYYY-MM-DD``), in each target's local
    time with its time zone named."""
    campaign = _campaign(session, campaign_id)
    rows, _, preview, problem = calendar(session, settings, campaign)
    campaign = _campaign(session, campaign_id)
    return render(
        request,
        "campaign_schedule.html",
        user=user,
        campaign=campaign,
        grid=week_grid(rows, week) if week is not None else month_grid(rows, month),
        view="week" if week is not None else "month",
        preview=preview,
        problem=problem,
        zones=sorted({(r["target"], r["timezone"]) for r in rows}),
        total=len(rows),
    )


@router.get("/campaigns/{campaign_id}/schedule.ics")
def schedule_ics(session: SessionDep, settings: SettingsDep, user: UserDep, campaign_id: RowId) -> Response:
    """The schedule as an iCalendar file (the file ``counterflow schedule --ics`` writes)."""
    campaign = _campaign(session, campaign_id)
    _, ics, _, problem = calendar(session, settings, campaign)
    if problem is not None:
        raise problem
    return Response(
        ics,
        media_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campaign-{campaign_id}.ics"'},
    )


@router.post("/campaigns/{campaign_id}/submit")
def submit(session: SessionDep, user: UserDep, campaign_id: RowId) -> RedirectResponse:
    """Hand the draft to the approvers (``flows.steps.submit``); refused while a refusal stands."""
    from flows import steps

    steps.submit(session, campaign_id=campaign_id, by=user.name)
    session.commit()  # before the redirect: the next page must see the change
    return RedirectResponse(f"/campaigns/{campaign_id}", status_code=303)


@router.post("/campaigns/{campaign_id}/publish")
def publish(
    session: SessionDep, settings: SettingsDep, user: UserDep, campaign_id: RowId
) -> RedirectResponse:
    """Schedule and publish an approved campaign through the configured channel (as
    ``counterflow schedule`` then ``publish``); the outbox is on the campaign page."""
    from flows import steps

    campaign = _campaign(session, campaign_id)
    if not campaign.approved_by:
        raise Conflict(
            f"campaign {campaign_id} is not approved: nothing is published before a second person approves",
            "submit it for approval, then publish once a director or another manager approved it",
        )
    steps.schedule(session, campaign_id=campaign_id, settings=settings)
    steps.publish(session, campaign_id=campaign_id, channel=None, settings=settings)
    session.commit()  # before the redirect: the next page must see the change
    return RedirectResponse(f"/campaigns/{campaign_id}#outbox", status_code=303)
