"""One handler renders every error as a page or as JSON.

``CounterflowError`` carries its own presentation (problem, fix, status); its command hint is
for the command line and is never shown here. Other HTTP errors and
request validation errors are turned into the same shape; anything unexpected becomes a 500
that names no internals. JSON is chosen for ``/api/`` paths and for clients that ask for it.
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from intel.errors import CounterflowError

log = logging.getLogger(__name__)


def wants_json(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render_error(request: Request, error: CounterflowError) -> Response:
    # an error page may describe what was sent: never cached, never sent on as a referrer
    headers = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}
    if error.status == 401 and request.method == "GET" and not wants_json(request):
        # a browser that is not signed in goes to the sign-in form, and comes back after it
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303, headers=headers)
    if wants_json(request):
        return JSONResponse(error.to_dict(), status_code=error.status, headers=headers)
    from web.templating import render

    response = render(request, "error.html", status=error.status, error=error)
    if headers:
        response.headers.update(headers)
    return response


#: Fields whose bad value an error may repeat back.
ECHOABLE = frozenset(
    {"lat", "lon", "locale", "tracking_code", "page", "kind", "status", "limit", "run_id", "campaign_id"}
)


def _validation_error(exc: RequestValidationError) -> CounterflowError:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x not in ("body", "query", "path"))
        value = err.get("input")
        # Only short, non-sensitive fields are echoed: a tip's text, a typed place, or a whole
        # body that could not be parsed never come back in an error.
        echoable = where.split(".")[-1] in ECHOABLE
        shown = ""
        if value is not None and not isinstance(value, dict | list | bytes) and echoable:
            shown = f" (was {str(value)[:60]!r})"
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}{shown}")
    problem = "the request is not valid: " + "; ".join(parts)
    return CounterflowError(problem, "correct the named fields and send it again", status=422)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(CounterflowError)
    async def _counterflow(request: Request, exc: CounterflowError) -> Response:
        return render_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            error = CounterflowError(
                f"there is no page at {request.url.path}", "start from the home page /", status=404
            )
        elif exc.status_code == 405:
            error = CounterflowError(
                f"{request.method} is not allowed on {request.url.path}",
                "use the page's form or link",
                status=405,
            )
        else:
            error = CounterflowError(
                str(exc.detail), "try again or go back to the home page /", status=exc.status_code
            )
        return render_error(request, error)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # Never echo a tip's text back into logs; only the field names and short values go out.
        return render_error(request, _validation_error(exc))

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, exc: OverflowError) -> Response:
        # an id or page number too large for the store's integers: no such object
        error = CounterflowError(
            f"a number in {request.url.path} is too large", "use an id from a list page", status=404
        )
        return render_error(request, error)

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # A value the store cannot hold or compare (PostgreSQL: a NUL byte in text, a number
        # beyond its column): the request's fault, said without the statement or its values.
        log.warning(
            "a value of %s %s was refused by the store (%s)",
            request.method,
            request.url.path,
            type(exc.orig).__name__,
        )
        error = CounterflowError(
            "a value in the request cannot be stored or looked up (a NUL byte, or a number too large)",
            "correct the value and send it again",
            status=422,
        )
        return render_error(request, error)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.error(
            "unexpected error on %s %s: %s",
            request.method,
            request.url.path,
            type(exc).__name__,
            exc_info=exc,
        )
        error = CounterflowError(
            "something went wrong on our side",
            "try again; if it persists, tell an admin the time it happened",
            status=500,
        )
        return render_error(request, error)
