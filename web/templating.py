"""Jinja2 rendering: one environment, autoescaped, gettext-ready.

Staff pages are English for now but every string goes through ``_`` so they can be translated;
the public tip form renders in the visitor's locale (``web.i18n``).
"""

from __future__ import annotations

import datetime as dt
import gettext
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

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


#: Runs of digits (with the signs and spaces of a phone number) that keep their order in RTL text.
_NUMBER = re.compile(r"\+?\d[\d\s().-]*\d|\d")


def _bdi(value: Any) -> Markup:
    """Text (escaped) with every number isolated in ``<bdi>``, so it reads the same inside
    right-to-left copy: ``"Call +218 91 000"`` -> ``Call <bdi>+218 91 000</bdi>``."""
    text = str(escape("" if value is None else value))
    return Markup(_NUMBER.sub(lambda m: f"<bdi>{m.group(0)}</bdi>", text))


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
    env.filters["bdi"] = _bdi
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
