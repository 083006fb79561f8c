"""A limit on the size of request bodies, checked before the body is read.

A body announced larger than the limit (``Content-Length``) is refused at once, and a body that
grows past it while it streams in (no ``Content-Length``, chunked, or a length that lies) is
refused as soon as it does: at most ``max_bytes`` of a request are ever held in memory. The
answer is 413 in the usual error shape (JSON ``{"error", "fix", "status"}`` for the API, the error
page for forms).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intel.errors import CommandHint, CounterflowError

#: A tip is at most 5,000 characters: as JSON escapes or percent-encoded UTF-8 that is under 64 KiB.
MAX_BODY = 128 * 1024
#: A file uploaded to import (``POST /imports``) or to overlay (``POST /overlay``): larger files go
#: through the command line.
MAX_UPLOAD = 32 * 2**20


class BodyLimit:
    """Pure ASGI middleware: refuse any request body larger than ``max_bytes``."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int = MAX_BODY, larger: dict[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        #: exact paths that accept a larger body (a file upload) -> their limit
        self.larger = dict(larger or {})

    def _too_large(self, size: str, max_bytes: int) -> CounterflowError:
        if max_bytes != self.max_bytes:
            limit = f"{max_bytes / 2**20:g} MiB"
            fix = f"upload a file of at most {limit}; import a larger one from the command line"
            hint = CommandHint("ingest", "FILE")
        else:
            limit = f"{max_bytes // 1024} KiB"
            fix = f"send a shorter request (at most {limit}); a tip is at most 5,000 characters"
            hint = None
        return CounterflowError(
            f"the request body is {size}; this server accepts at most {limit}", fix, status=413, hint=hint
        )

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: CounterflowError) -> None:
        from web import errors

        response = errors.render_error(Request(scope), error)
        response.headers["Connection"] = "close"  # the rest of the body is never read
        await response(scope, receive, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope.get("path", ""), self.max_bytes)
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length > max_bytes:
                await self._refuse(scope, receive, send, self._too_large(f"{length:,} bytes", max_bytes))
                return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away mid-body: answer anyway (nobody reads it), so that the
                # middleware around this one sees a response and logs no error.
                await Response(status_code=400)(scope, receive, send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > max_bytes:
                await self._refuse(
                    scope, receive, send, self._too_large(f"more than {max_bytes:,} bytes", max_bytes)
                )
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
