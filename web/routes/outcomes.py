"""Outcome page for directors, with inline SVG charts."""

from __future__ import annotations

from gettext import gettext as _

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.charts import bar_chart
from web.deps import RowId, SessionDep, UserDep
from web.templating import render

router = APIRouter()


def _none(v: object) -> float | None:
    if v is None or (isinstance(v, float) and v != v):
        return None
    return float(v)  # type: ignore[arg-type]


@router.get("/outcomes/{campaign_id}", response_class=HTMLResponse)
def outcomes(request: Request, session: SessionDep, user: UserDep, campaign_id: RowId) -> HTMLResponse:
    """A campaign's outcome metrics with charts."""
    from campaigns.feedback.portfolio import CACHE  # pandas: imported on first use

    out = CACHE.outcomes(session, campaign_id=campaign_id)
    rows = out.to_dict()["rows"]
    labels = [f"{r['target']} · {r['locale']}" for r in rows]
    sim = out.simulated
    return render(
        request,
        "outcomes.html",
        user=user,
        out=out,
        rows=rows,
        reach_chart=bar_chart(
            labels, [_none(r["reach"]) for r in rows], title=_("Reach (upper bound)"), simulated=sim
        ),
        ctr_chart=bar_chart(
            labels,
            [_none(r["ctr"]) for r in rows],
            title=_("Click-through rate"),
            unit="%",
            digits=2,
            simulated=sim,
        ),
        tips_chart=bar_chart(
            labels,
            [_none(r["tips_per_100k"]) for r in rows],
            title=_("Tips per 100k reached"),
            digits=1,
            simulated=sim,
        ),
    )
