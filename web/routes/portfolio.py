"""The director's portfolio: every campaign's outcomes side by side, top first, and per month."""

from __future__ import annotations

from gettext import gettext as _

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from web.charts import bar_chart
from web.deps import SessionDep, UserDep
from web.readable import Page
from web.templating import render

router = APIRouter()

PER_PAGE = 25
#: Campaigns in the "reach by campaign" chart (the top of the table).
CHART_TOP = 10
#: Characters of a campaign's name that fit the chart's label column (the table has it whole).
LABEL = 24
#: Seconds a request spends working out campaigns whose figures changed; a background thread
#: does the rest (the page says how many are still missing).
BUDGET: float | None = 0.15


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(request: Request, session: SessionDep, user: UserDep, page: int = 1) -> HTMLResponse:
    """Reach, click-through, tips per 100k reached, cost per actionable tip and the change at
    targeted hotspots of every campaign (from its outcomes), and the same per month."""
    from campaigns.feedback.portfolio import CACHE, by_month, top_first  # pandas: on first use

    ready = CACHE.portfolio(session, budget=BUDGET)
    rows = top_first(ready.rows)
    months = by_month(rows)
    shown = Page.of(rows, page=page, per_page=PER_PAGE)
    labels = [m.month for m in months]
    simulated = any(r.simulated for r in rows)
    top = rows[:CHART_TOP]
    charts = [
        bar_chart(
            [r.name if len(r.name) <= LABEL else r.name[: LABEL - 1] + "…" for r in top],
            [r.reach for r in top],
            title=_("Reach of the top campaigns (upper bound)"),
            simulated=simulated,
        ),
        bar_chart(
            labels, [m.reach for m in months], title=_("Reach per month of start"), simulated=simulated
        ),
        *(
            bar_chart(
                labels,
                [getattr(m, field) for m in months],
                title=title,
                unit=unit,
                digits=digits,
                simulated=simulated,
            )
            for field, title, unit, digits in (
                ("ctr", _("Click-through per month"), "%", 2),
                ("tips_per_100k", _("Tips per 100k reached, per month"), "", 1),
                ("cost_per_actionable_tip", _("Cost per actionable tip, per month"), "", 2),
                ("did", _("Change at targeted hotspots (mean), per month"), "", 2),
            )
        ),
    ]
    return render(
        request,
        "portfolio.html",
        user=user,
        p=shown,
        months=months,
        charts=charts,
        simulated=simulated,
        pending=ready.pending,
        total=ready.total,
        undated=sum(1 for r in rows if r.starts_on is None),
    )
