"""A fake OpenID Connect issuer on loopback HTTP, for the single sign-on tests.

A small Starlette app, served by uvicorn in a thread, that does what a real issuer does for the
authorization code flow: it publishes its metadata (``/.well-known/openid-configuration``) and
its keys (``/jwks``, an RSA key made at start), signs people in at ``/authorize`` (it consents at
once, as ``user``, and sends the browser back with a code and the state), and at ``/token``
checks the code (once only, for the same client and redirect URI, within a minute), the PKCE
verifier against the S256 challenge, and the client secret (HTTP Basic or in the form) before it
answers with an ID token signed with its key that carries the nonce::

    fake = start_fake_issuer(client_id="counterflow", client_secret="...")
    fake.user = "ana"                # who signs in next
    fake.misbehave = "wrong_key"     # the next ID token is signed with a key not in the JWKS
    ...
    fake.stop()

``misbehave`` (one ID token, then back to normal): ``wrong_key``, ``wrong_audience``,
``wrong_issuer``, ``wrong_nonce``, ``expired``, ``no_nonce``, ``alg_none``. ``deny`` (the next
``/authorize`` answers ``error=access_denied``). ``auth_methods``: how the client may send its
secret (``client_secret_basic``, ``client_secret_post``; published in the metadata). Every request to ``/token`` is kept in
``token_requests`` (what was checked and why it failed) for the tests.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

MISBEHAVIOURS = frozenset(
    {"wrong_key", "wrong_audience", "wrong_issuer", "wrong_nonce", "expired", "no_nonce", "alg_none"}
)


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    nonce: str | None
    user: str
    made: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class FakeIssuer:
    client_id: str
    client_secret: str
    url: str = ""
    user: str = "ana"
    username_claim: str = "preferred_username"
    misbehave: str | None = None
    deny: bool = False
    auth_methods: list[str] = field(default_factory=lambda: ["client_secret_basic", "client_secret_post"])
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    verifiers: list[str] = field(default_factory=list)
    _key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    _codes: dict[str, _Grant] = field(default_factory=dict)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    # --- the issuer's endpoints ----------------------------------------------------------------

    async def _metadata(self, request: Request) -> Response:
        return JSONResponse(
            {
                "issuer": self.url,
                "authorization_endpoint": f"{self.url}/authorize",
                "token_endpoint": f"{self.url}/token",
                "jwks_uri": f"{self.url}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": self.auth_methods,
                "code_challenge_methods_supported": ["S256"],
                "scopes_supported": ["openid", "profile", "email"],
            }
        )

    async def _jwks(self, request: Request) -> Response:
        return JSONResponse(KeySet([self._key]).as_dict(private=False))

    async def _authorize(self, request: Request) -> Response:
        q = request.query_params
        redirect_uri = q.get("redirect_uri", "")
        if q.get("client_id") != self.client_id or not redirect_uri:
            return JSONResponse({"error": "invalid_request", "error_description": "unknown client"}, 400)
        back: dict[str, str] = {"state": q.get("state", "")}
        if self.deny:
            self.deny = False
            back.update(error="access_denied", error_description="the user said no")
        elif (
            q.get("response_type") != "code"
            or "openid" not in q.get("scope", "").split()
            or q.get("code_challenge_method") != "S256"
            or not q.get("code_challenge")
        ):
            back.update(error="invalid_request", error_description="code flow with openid and PKCE S256 only")
        else:
            code = secrets.token_urlsafe(24)
            self._codes[code] = _Grant(
                client_id=self.client_id,
                redirect_uri=redirect_uri,
                challenge=q["code_challenge"],
                method=q["code_challenge_method"],
                nonce=q.get("nonce"),
                user=self.user,
                made=time.time(),
            )
            back["code"] = code
        sep = "&" if "?" in redirect_uri else "?"
        return RedirectResponse(f"{redirect_uri}{sep}{urlencode(back)}", status_code=302)

    def _client_of(self, request: Request, form: dict[str, str]) -> tuple[str | None, str | None, str]:
        header = request.headers.get("authorization", "")
        if header.lower().startswith("basic "):
            decoded = base64.b64decode(header[6:]).decode()
            cid, _, secret = decoded.partition(":")
            return unquote(cid), unquote(secret), "client_secret_basic"
        return form.get("client_id"), form.get("client_secret"), "client_secret_post"

    async def _token(self, request: Request) -> Response:
        form = {k: str(v) for k, v in (await request.form()).items()}
        cid, secret, how = self._client_of(request, form)
        record: dict[str, Any] = {"auth": how, "grant_type": form.get("grant_type")}
        self.token_requests.append(record)

        def refuse(error: str, why: str, status: int = 400) -> Response:
            record["refused"] = why
            return JSONResponse({"error": error, "error_description": why}, status)

        if how not in self.auth_methods:
            return refuse("invalid_client", f"{how} is not accepted here", 401)
        if cid != self.client_id or not hmac.compare_digest((secret or "").encode(), self.client_secret.encode()):
            return refuse("invalid_client", "wrong client id or secret", 401)
        if form.get("grant_type") != "authorization_code":
            return refuse("unsupported_grant_type", "authorization_code only")
        grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or time.time() - grant.made > 60:
            return refuse("invalid_grant", "unknown, used or expired code")
        if form.get("redirect_uri") != grant.redirect_uri:
            return refuse("invalid_grant", "redirect_uri differs from the authorization request")
        verifier = form.get("code_verifier", "")
        self.verifiers.append(verifier)
        if _b64(hashlib.sha256(verifier.encode()).digest()) != grant.challenge:
            return refuse("invalid_grant", "PKCE verifier does not match the challenge")
        record["ok"] = True
        return JSONResponse(
            {
                "access_token": secrets.token_urlsafe(24),
                "token_type": "Bearer",
                "expires_in": 300,
                "id_token": self._id_token(grant),
            },
            headers={"Cache-Control": "no-store"},
        )

    def _id_token(self, grant: _Grant) -> str:
        how, self.misbehave = self.misbehave, None
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": f"sub-{grant.user}",
            "aud": grant.client_id,
            "iat": now,
            "exp": now + 300,
            self.username_claim: grant.user,
        }
        if grant.nonce and how != "no_nonce":
            claims["nonce"] = grant.nonce
        if how == "wrong_audience":
            claims["aud"] = "another-client"
        elif how == "wrong_issuer":
            claims["iss"] = "http://127.0.0.1:1"
        elif how == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif how == "expired":
            claims["iat"], claims["exp"] = now - 3600, now - 600
        if how == "alg_none":
            header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
            return f"{header}.{_b64(json.dumps(claims).encode())}."
        key = self._key
        if how == "wrong_key":  # same key id, another key: the signature cannot verify
            key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    # --- serving -----------------------------------------------------------------------------

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self._metadata),
                Route("/jwks", self._jwks),
                Route("/authorize", self._authorize),
                Route("/token", self._token, methods=["POST"]),
            ]
        )

    def start(self) -> FakeIssuer:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(self.app(), access_log=False, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]}, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the fake issuer did not start")
            time.sleep(0.02)
        self._sock = sock
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        sock = getattr(self, "_sock", None)
        if sock is not None:
            sock.close()


def start_fake_issuer(*, client_id: str, client_secret: str, user: str = "ana") -> FakeIssuer:
    """A fake issuer serving on a free loopback port (``.url``); ``.stop()`` when done."""
    return FakeIssuer(client_id=client_id, client_secret=client_secret, user=user).start()
