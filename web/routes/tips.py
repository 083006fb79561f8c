"""Tip triage pages for analysts: the list (no text) and one tip (text, triage, audit trail)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlmodel import select

from campaigns.copy.i18n import direction
from campaigns.feedback.tips import list_tips, read_tip_text, refer_tip, tip_audit, triage_tip
from intel.errors import CounterflowError, NotFound
from intel.models import Campaign, Target, Tip
from intel.roles import ACTIONABLE_STATUSES, TipStatus
from web.deps import SessionDep, SettingsDep, UserDep
from web.templating import render

router = APIRouter()
#: The decisions of the triage form: the statuses a tip can be triaged to.
DECISIONS = (TipStatus.ACTIONABLE, TipStatus.NOT_ACTIONABLE)


@router.get("/tips", response_class=HTMLResponse)
def tips(request: Request, session: SessionDep, user: UserDep, status: str | None = None) -> HTMLResponse:
    """The triage list (text stays encrypted)."""
    rows = list_tips(session, status=status)
    return render(
        request,
        "tips.html",
        user=user,
        tips=rows,
        statuses=list(TipStatus),
        campaign_names={c.id: c.name for c in session.exec(select(Campaign))},
        target_names={t.id: t.name for t in session.exec(select(Target))},
    )


@router.get("/tips/{tip_id}", response_class=HTMLResponse)
def tip(
    request: Request, session: SessionDep, settings: SettingsDep, user: UserDep, tip_id: int
) -> HTMLResponse:
    """One tip: its text (the reading is audited), triage and the audit trail."""
    text = read_tip_text(session, tip_id=tip_id, actor=user, settings=settings)
    row = session.get(Tip, tip_id)
    if row is None:
        raise NotFound(f"tip {tip_id} does not exist", "pick a tip from /tips")
    session.commit()
    return render(
        request,
        "tip.html",
        user=user,
        tip=row,
        text=text,
        statuses=TipStatus,
        can_refer=row.status in ACTIONABLE_STATUSES,
        direction=direction(row.locale) if row.locale else "auto",
        campaign=session.get(Campaign, row.campaign_id) if row.campaign_id else None,
        target=session.get(Target, row.target_id) if row.target_id else None,
        audit=tip_audit(session, tip_id=tip_id),
    )


@router.post("/tips/{tip_id}/triage")
def triage(
    session: SessionDep,
    settings: SettingsDep,
    user: UserDep,
    tip_id: int,
    decision: Annotated[str, Form()],
    exploitation: Annotated[str, Form()] = "",
    place: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Mark a tip actionable (it becomes a report) or not."""
    if decision not in DECISIONS:
        raise CounterflowError(f"decision was {decision!r}", f"use {' or '.join(DECISIONS)}")
    triage_tip(
        session,
        tip_id=tip_id,
        actor=user,
        actionable=decision == TipStatus.ACTIONABLE,
        exploitation=exploitation or None,
        place=place or None,
        settings=settings,
    )
    session.commit()
    return RedirectResponse(f"/tips/{tip_id}", status_code=303)


@router.post("/tips/{tip_id}/refer")
def refer(
    session: SessionDep, user: UserDep, tip_id: int, partner: Annotated[str, Form()] = ""
) -> RedirectResponse:
    """Record that an actionable tip went to a partner."""
    refer_tip(session, tip_id=tip_id, actor=user, partner=partner)
    session.commit()
    return RedirectResponse(f"/tips/{tip_id}", status_code=303)
