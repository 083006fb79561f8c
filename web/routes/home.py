"""The home page: what counterflow is, with links per role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlmodel import col, select

from intel.models import Campaign
from web.deps import OptionalUserDep, SessionDep
from web.templating import render

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: OptionalUserDep) -> HTMLResponse:
    """Home: what counterflow is and where each role starts."""
    campaigns = (
        session.exec(select(Campaign).order_by(col(Campaign.id).desc()).limit(10)).all() if user else []
    )
    return render(request, "home.html", user=user, campaigns=campaigns)
