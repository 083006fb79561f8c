"""Tip triage pages for analysts: the list (no text) and one tip (text, triage, audit trail)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import select

from campaigns.copy.i18n import direction
from campaigns.feedback.places import PlaceNotResolved, place_label
from campaigns.feedback.tips import list_tips, refer_tip, tip_audit, triage_tip
from campaigns.feedback.triage import Candidate, triage_form
from intel.errors import CounterflowError, NotFound
from intel.models import Campaign, Target, Tip
from intel.roles import ACTIONABLE_STATUSES, TipStatus
from web.deps import RowId, SessionDep, SettingsDep, UserDep
from web.readable import Page
from web.templating import render

router = APIRouter()
#: The decisions of the triage form: the statuses a tip can be triaged to.
DECISIONS = (TipStatus.ACTIONABLE, TipStatus.NOT_ACTIONABLE)
#: Tips per page of the triage list.
PER_PAGE = 25


@router.get("/tips", response_class=HTMLResponse)
def tips(
    request: Request, session: SessionDep, user: UserDep, status: str | None = None, page: int = 1
) -> HTMLResponse:
    """The triage list (text stays encrypted), newest first, a page at a time."""
    rows = list_tips(session, status=status)
    return render(
        request,
        "tips.html",
        user=user,
        tips=Page.of(rows, page=page, per_page=PER_PAGE),
        tip_status=status,
        statuses=list(TipStatus),
        campaign_names={c.id: c.name for c in session.exec(select(Campaign))},
        target_names={t.id: t.name for t in session.exec(select(Target))},
    )


def _tip_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    tip_id: int,
    *,
    status: int = 200,
    error: CounterflowError | None = None,
    entered: dict[str, Any] | None = None,
) -> HTMLResponse:
    """The tip page: its text (the reading is audited), the prefilled triage form, the audit trail.

    ``entered`` keeps what the analyst typed when the triage was refused; ``error`` says why,
    and a place that named no place or several offers its candidates as choices.
    """
    form = triage_form(session, tip_id=tip_id, actor=user, settings=settings)
    row = session.get(Tip, tip_id)
    if row is None:
        raise NotFound(f"tip {tip_id} does not exist", "pick a tip from /tips")
    if entered is not None:
        form.place = entered["place"]
        form.exploitation = entered["exploitation"]
        form.language = entered["language"]
        form.suggested = []
    if isinstance(error, PlaceNotResolved):
        # the candidates of the analyst's place first, then those of the tipster's
        offered = [Candidate(place_label(p), p.name, p.admin1, p.country_name) for p in error.candidates]
        labels = {c.label for c in offered}
        form.candidates = offered + [c for c in form.candidates if c.label not in labels]
    session.commit()
    return render(
        request,
        "tip.html",
        status=status,
        user=user,
        tip=row,
        form=form,
        error=error,
        use_target_area=bool(entered and entered["use_target_area"]),
        statuses=TipStatus,
        can_refer=row.status in ACTIONABLE_STATUSES,
        direction=direction(row.locale) if row.locale else "auto",
        campaign=session.get(Campaign, row.campaign_id) if row.campaign_id else None,
        target=form.target,
        audit=tip_audit(session, tip_id=tip_id),
    )


@router.get("/tips/{tip_id}", response_class=HTMLResponse)
def tip(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, tip_id: RowId
) -> HTMLResponse:
    """One tip: its text (the reading is audited), the prefilled triage form and the audit trail."""
    return _tip_page(request, session, settings, user, tip_id)


@router.post("/tips/{tip_id}/triage", response_model=None)
def triage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    tip_id: RowId,
    decision: Annotated[str, Form()],
    exploitation: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
    place_choice: Annotated[str, Form()] = "",
    target_area: Annotated[str, Form()] = "",
    language: Annotated[str, Form()] = "",
) -> Response:
    """Mark a tip actionable (it becomes a report) or not; a place that does not resolve, or any
    other value to correct, re-shows the form (422) with the error and the candidates."""
    if decision not in DECISIONS:
        raise CounterflowError(f"decision was {decision!r}", f"use {' or '.join(DECISIONS)}")
    # a candidate chosen from the list replaces the place typed before it was offered
    chosen = place_choice.strip() or place.strip()
    use_target_area = bool(target_area)
    try:
        triage_tip(
            session,
            tip_id=tip_id,
            actor=user,
            actionable=decision == TipStatus.ACTIONABLE,
            exploitation=exploitation or None,
            place=chosen or None,
            use_target_area=use_target_area,
            language=language or None,
            settings=settings,
        )
    except CounterflowError as err:
        if err.status not in (400, 422):
            raise  # not allowed, no such tip, already a report: the error page
        session.rollback()  # nothing of a refused triage is kept
        entered = {
            "place": chosen,
            "exploitation": exploitation,
            "language": language,
            "use_target_area": use_target_area,
        }
        return _tip_page(request, session, settings, user, tip_id, status=422, error=err, entered=entered)
    session.commit()
    return RedirectResponse(f"/tips/{tip_id}", status_code=303)


@router.post("/tips/{tip_id}/refer")
def refer(
    session: SessionDep, user: UserDep, tip_id: RowId, partner: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Record that an actionable tip went to a partner."""
    refer_tip(session, tip_id=tip_id, actor=user, partner=partner)
    session.commit()
    return RedirectResponse(f"/tips/{tip_id}", status_code=303)
