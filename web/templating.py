"""Jinja2 rendering: one environment, autoescaped, gettext-ready.

Staff pages are English for now but every string goes through ``_`` so they can be translated;
the public tip form renders in the visitor's locale (``web.i18n``).
"""

from __future__ import annotations

import datetime as dt
import gettext
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from web.readable import detail_text, reasons_text, word

TEMPLATES = Path(__file__).parent / "templates"
_NULL = gettext.NullTranslations()


def _number(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{value:,.{digits}f}"


def _pct(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    return f"{100 * value:.{digits}f}%"


def _when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["number"] = _number
    env.filters["pct"] = _pct
    env.filters["when"] = _when
    env.filters["reasons"] = reasons_text
    env.filters["detail"] = detail_text
    env.filters["word"] = word
    env.filters["pretty"] = lambda v: json.dumps(v, indent=2, ensure_ascii=False, sort_keys=True, default=str)
    return env


def render(request: Request, name: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a template with the request, the user (if any) and ``_`` in its context."""
    context.setdefault("_", _NULL.gettext)
    context.setdefault("user", getattr(request.state, "user", None))
    context.setdefault("path", request.url.path)
    context.setdefault("csrf", getattr(request.state, "csrf", ""))
    html = environment().get_template(name).render(request=request, **context)
    return HTMLResponse(html, status_code=status)
