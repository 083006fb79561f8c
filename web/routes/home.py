"""The home page (what counterflow is, links per role, sign-in) and the first-steps page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import Session, col, select

from intel.models import Campaign, User
from web.deps import OptionalUserDep, SessionDep
from web.templating import render

router = APIRouter()


def anyone_can_sign_in(session: Session) -> bool:
    """Whether any user has a password yet (a store fresh from ``counterflow upgrade`` has none)."""
    return (
        session.exec(select(User.id).where(col(User.password_hash).is_not(None)).limit(1)).first() is not None
    )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: OptionalUserDep) -> HTMLResponse:
    """Home: what counterflow is, where each role starts, and sign-in for the public."""
    campaigns = (
        session.exec(select(Campaign).order_by(col(Campaign.id).desc()).limit(10)).all() if user else []
    )
    first_run = user is None and not anyone_can_sign_in(session)
    return render(request, "home.html", user=user, campaigns=campaigns, anyone_can_sign_in=not first_run)


@router.get("/welcome", response_class=HTMLResponse)
def welcome(request: Request, session: SessionDep, user: OptionalUserDep) -> HTMLResponse:
    """First steps: how to sign in (users add, set-password, the one-time link) and what each
    role does next."""
    return render(request, "welcome.html", user=user, anyone_can_sign_in=anyone_can_sign_in(session))
