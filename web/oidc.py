"""Single sign-on through OpenID Connect: the authorization code flow with PKCE, state and nonce.

Authlib's Starlette client (``authlib.integrations.starlette_client``) does the protocol: it
reads the issuer's metadata (``/.well-known/openid-configuration``), builds the authorization
URL (with a PKCE S256 challenge, a random ``state`` and ``nonce``), exchanges the code at the
token endpoint (with the client secret), and checks the ID token's signature against the
issuer's JWKS (fetched again once when a key id is unknown, so the issuer can rotate keys).

Authlib would keep state, nonce and the PKCE verifier in Starlette's cookie session; this app
has no such session (the staff session lives in the store and begins only after sign-in). They
travel instead in one short-lived cookie ``counterflow_oidc`` (HttpOnly, SameSite=Lax, path
``/signin/oidc``), encrypted and authenticated with Fernet under a key derived from the client
secret, and refused after ``PENDING_LIFETIME``. So an answer from the issuer is accepted only in
the browser that started the sign-in, only once (the cookie is cleared), and only soon.

The ID token must carry this client in ``aud``, the issuer of the metadata in ``iss`` (which must
be the configured issuer), the sign-in's nonce, and an ``exp`` in the future (one minute of
leeway for clocks). Its claim ``oidc_username_claim`` names the counterflow user: single sign-on
never creates a user or grants a role; the role stays in the store.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.starlette_client import OAuth
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc.errors import JoseError

from intel.errors import CounterflowError
from intel.settings import Settings

log = logging.getLogger(__name__)

PENDING_COOKIE = "counterflow_oidc"
PENDING_PATH = "/signin/oidc"
PENDING_LIFETIME = 600  # seconds between leaving for the issuer and coming back
SCOPE = "openid profile email"
#: Signature algorithms accepted for an ID token: asymmetric only ("none" and HMAC never).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
LEEWAY = 60  # seconds of clock difference allowed for exp, iat and nbf
TIMEOUT = 10.0


class _NoVerifier(logging.Filter):
    """Authlib logs each PKCE verifier at DEBUG; it is a secret of the sign-in, so drop that line."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "code_verifier" not in str(record.msg)


logging.getLogger("authlib.integrations.base_client.sync_app").addFilter(_NoVerifier())


class SignOnRefused(CounterflowError):
    """Single sign-on did not prove who the person is (401 unless said otherwise)."""

    status = 401


@dataclass(frozen=True)
class Pending:
    """What the browser carries to the issuer and back (inside the encrypted cookie)."""

    state: str
    nonce: str
    code_verifier: str
    redirect_uri: str
    next_path: str


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"counterflow oidc pending").derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(key))


class SingleSignOn:
    """The app's OpenID Connect client, built once from the settings (``create_app``)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.oidc_issuer and settings.oidc_client_id and settings.oidc_client_secret
        self.issuer = settings.oidc_issuer
        self.client_id = settings.oidc_client_id
        self.username_claim = settings.oidc_username_claim
        secret = settings.oidc_client_secret.get_secret_value()
        #: Shown on the sign-in button: "Sign in with login.example.org".
        self.host = urlsplit(self.issuer).netloc
        self._pending = _fernet(secret)
        oauth = OAuth()
        self.client: Any = oauth.register(
            "counterflow",
            client_id=self.client_id,
            client_secret=secret,
            server_metadata_url=self.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": SCOPE, "code_challenge_method": "S256", "timeout": TIMEOUT},
        )

    # --- the pending sign-in, in the browser ----------------------------------------------------

    def seal(self, pending: Pending) -> str:
        return self._pending.encrypt(json.dumps(pending.__dict__).encode()).decode()

    def unseal(self, cookie: str | None) -> Pending:
        if not cookie:
            raise SignOnRefused(
                f"this answer from {self.host} does not belong to a sign-in started in this browser",
                "start again with the sign-in button (within 10 minutes, in the same browser)",
                status=400,
            )
        try:
            data = json.loads(self._pending.decrypt(cookie.encode(), ttl=PENDING_LIFETIME))
            return Pending(**data)
        except (InvalidToken, ValueError, TypeError):
            raise SignOnRefused(
                f"the sign-in with {self.host} took longer than 10 minutes or its cookie was altered",
                "start again with the sign-in button",
                status=400,
            ) from None

    # --- the protocol -----------------------------------------------------------------------------

    async def _metadata(self) -> dict[str, Any]:
        try:
            metadata: dict[str, Any] = await self.client.load_server_metadata()
        except (httpx.HTTPError, ValueError) as err:
            self.client.server_metadata.pop("_loaded_at", None)
            log.warning("single sign-on: the issuer's metadata could not be read (%s)", type(err).__name__)
            raise SignOnRefused(
                f"the sign-in service {self.host} did not answer",
                "try again in a minute, or sign in with your password; an admin can check the "
                "COUNTERFLOW_OIDC_ISSUER setting",
                status=502,
            ) from None
        if metadata.get("issuer", "").rstrip("/") != self.issuer.rstrip("/"):
            self.client.server_metadata.pop("_loaded_at", None)
            log.warning("single sign-on: the metadata names another issuer than COUNTERFLOW_OIDC_ISSUER")
            raise SignOnRefused(
                f"the sign-in service at {self.host} names another issuer in its metadata",
                "an admin must set COUNTERFLOW_OIDC_ISSUER to the issuer exactly as its metadata says",
                status=502,
            )
        # The client secret goes in HTTP Basic, or in the form where the issuer takes only that.
        methods = metadata.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
        usable = [m for m in ("client_secret_basic", "client_secret_post") if m in methods]
        if not usable:
            raise SignOnRefused(
                f"the sign-in service {self.host} takes no client secret ({', '.join(map(str, methods))})",
                "an admin must register this server there as a confidential client with a secret",
                status=502,
            )
        self.client.client_kwargs["token_endpoint_auth_method"] = usable[0]
        # Only asymmetric signatures, whatever the metadata offers.
        offered = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [a for a in offered if a in ALGORITHMS]
        return metadata

    async def start(self, *, redirect_uri: str, next_path: str) -> tuple[str, str]:
        """The issuer's authorization URL and the sealed pending sign-in for the cookie."""
        await self._metadata()
        verifier = generate_token(48)
        nonce = generate_token(24)
        made = await self.client.create_authorization_url(
            redirect_uri, code_verifier=verifier, nonce=nonce, state=generate_token(30)
        )
        pending = Pending(
            state=made["state"],
            nonce=nonce,
            code_verifier=verifier,
            redirect_uri=redirect_uri,
            next_path=next_path,
        )
        return made["url"], self.seal(pending)

    async def finish(self, *, params: dict[str, str], pending: Pending) -> str:
        """The user name the issuer vouches for, after every check; else ``SignOnRefused``."""
        state = params.get("state") or ""
        if not hmac.compare_digest(state.encode(), pending.state.encode()):
            raise SignOnRefused(
                f"the answer from {self.host} does not match this sign-in (its state differs)",
                "start again with the sign-in button",
                status=400,
            )
        if params.get("error"):
            error = params["error"][:100]
            described = (params.get("error_description") or "")[:200]
            raise SignOnRefused(
                f"{self.host} did not sign you in ({error}{': ' + described if described else ''})",
                "try again, or sign in with your password",
                status=401,
            )
        code = params.get("code")
        if not code:
            raise SignOnRefused(
                f"the answer from {self.host} carries no code", "start again with the sign-in button", status=400
            )
        await self._metadata()
        try:
            token = await self.client.fetch_access_token(
                redirect_uri=pending.redirect_uri, code=code, code_verifier=pending.code_verifier
            )
        except AuthlibBaseError as err:
            log.info("single sign-on: the token endpoint refused the code (%s)", err.error)
            raise SignOnRefused(
                f"{self.host} refused to exchange the sign-in code ({err.error})",
                "start again with the sign-in button",
            ) from None
        except (httpx.HTTPError, ValueError) as err:
            log.warning("single sign-on: the token endpoint failed (%s)", type(err).__name__)
            raise SignOnRefused(
                f"the sign-in service {self.host} did not answer", "try again in a minute", status=502
            ) from None
        if not isinstance(token, dict) or "id_token" not in token:
            raise SignOnRefused(
                f"{self.host} sent no identity token", "an admin must allow the 'openid' scope for this client"
            )
        metadata = await self._metadata()
        options = {
            "iss": {"essential": True, "value": metadata["issuer"]},
            "aud": {"essential": True, "value": self.client_id},
        }
        try:
            claims = await self.client.parse_id_token(
                token, nonce=pending.nonce, claims_options=options, leeway=LEEWAY
            )
        except (JoseError, ValueError, KeyError, TypeError) as err:
            reason: str = getattr(err, "error", None) or type(err).__name__
            claim = getattr(err, "claim", None)
            if claim:
                reason += f" {claim!r}"
            log.info("single sign-on: an identity token was refused (%s)", reason)
            raise SignOnRefused(
                f"the identity token from {self.host} is not valid ({reason})",
                "start again with the sign-in button; if it persists, an admin should check the "
                "issuer's keys and this client's id",
            ) from None
        except httpx.HTTPError as err:
            log.warning("single sign-on: the issuer's keys could not be read (%s)", type(err).__name__)
            raise SignOnRefused(
                f"the sign-in service {self.host} did not answer", "try again in a minute", status=502
            ) from None
        name = claims.get(self.username_claim) if claims else None
        if not isinstance(name, str) or not name.strip():
            raise SignOnRefused(
                f"the identity token from {self.host} has no {self.username_claim!r} claim",
                "an admin must set COUNTERFLOW_OIDC_USERNAME_CLAIM to a claim the issuer sends",
                status=403,
            )
        return name.strip()
