"""One typed Settings for the whole product (env prefix ``COUNTERFLOW_``)."""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from intel import tipkeys
from intel.errors import CommandHint, CounterflowError
from intel.tipkeys import KEY_FILE_NAME, parse_keys

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

PLACEHOLDER_SECRETS = {"", "changeme", "changethis", "secret", "xxx"}


class Settings(BaseSettings):
    """Settings read from ``COUNTERFLOW_*`` environment variables or a ``.env`` file.

    Every field is documented in the README (a test checks it).
    """

    model_config = SettingsConfigDict(env_prefix="COUNTERFLOW_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    """``production`` refuses placeholder secrets and a generated tip key."""
    home: Path = Path("counterflow-data")
    """Folder for the SQLite store, the outbox, maps, exports and (in development) the tip key;
    resolved to an absolute path when the settings are loaded."""
    database_url: str | None = None
    """SQLAlchemy URL; default: an SQLite file ``counterflow.db`` in ``home``."""
    tip_key: SecretStr | None = None
    """Fernet key(s) that encrypt tip text at rest, newest first, comma-separated; unset: the key
    file."""
    tip_key_file: Path | None = None
    """File holding the tip keys, one a line, newest first (e.g. a secret mounted by the platform);
    default ``home/tip.key``, created (mode 0600) on first use outside production."""
    channel: Literal["outbox", "facebook", "facebook-sandbox"] = "outbox"
    """Where approved posts go: the dry-run outbox (default), Facebook, or a Facebook sandbox account."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Base of tracking links and of the public tip form."""
    facebook_access_token: SecretStr | None = None
    """Marketing API access token (never logged)."""
    facebook_app_id: str | None = None
    """Facebook app id."""
    facebook_app_secret: SecretStr | None = None
    """Facebook app secret (never logged)."""
    facebook_ad_account_id: str | None = None
    """Ad account, as ``act_<digits>``."""
    facebook_page_id: str | None = None
    """Page that runs the ads and the scheduled posts."""
    facebook_graph_url: str | None = None
    """Graph API base URL override (a local fake server in tests)."""
    facebook_api_version: str = "v24.0"
    """Graph API version."""
    log_level: str = "INFO"
    """Logging level of the CLI and the web app."""
    sign_in: bool = True
    """Staff sign in with a password (or single sign-on); off, staff pages open only to a trusted
    proxy's header, and the web app listens on loopback only."""
    session_cookie_secure: bool | None = None
    """Mark the session cookie ``Secure``; default: when the request came over https."""
    trust_user_header: bool = False
    """Accept the signed-in user's name from the ``X-Counterflow-User`` header of a proxy that
    authenticates people; only requests from ``trusted_proxies`` may carry it."""
    trusted_proxies: Annotated[list[str], NoDecode] = []
    """Addresses or networks (e.g. ``10.0.0.5``, ``10.0.0.0/24``) of the proxies whose user header
    is trusted; JSON list or comma-separated."""
    oidc_issuer: str | None = None
    """OpenID Connect issuer URL (single sign-on); https, except a loopback issuer in tests."""
    oidc_client_id: str | None = None
    """OpenID Connect client id registered with the issuer."""
    oidc_client_secret: SecretStr | None = None
    """OpenID Connect client secret (never logged)."""
    oidc_username_claim: str = "preferred_username"
    """Claim of the ID token that names the counterflow user (who must exist in the store)."""
    partner_keep_days: int = Field(default=30, ge=1)
    """Days a partner's overlay (its records and scored results) is kept before ``counterflow
    overlay purge`` (and the daily purge deployment) deletes it."""

    @field_validator("home", "tip_key_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        # Resolved once, at load: a later change of working directory cannot move the store or
        # the key, and every message names the real place.
        return None if value is None else value.expanduser().resolve()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            if value.strip().startswith("["):
                return json.loads(value)
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise CounterflowError(
                    f"COUNTERFLOW_TRUSTED_PROXIES holds {item!r}, which is not an address or a network",
                    "list the proxies' addresses, e.g. 10.0.0.5,10.0.1.0/24",
                ) from None
        return value

    @model_validator(mode="after")
    def _check_sign_in(self) -> Settings:
        if self.trust_user_header and not self.trusted_proxies:
            raise CounterflowError(
                "COUNTERFLOW_TRUST_USER_HEADER is on but no proxy is trusted",
                "set COUNTERFLOW_TRUSTED_PROXIES to the addresses of the proxies that set the header",
            )
        oidc = {
            "COUNTERFLOW_OIDC_ISSUER": self.oidc_issuer,
            "COUNTERFLOW_OIDC_CLIENT_ID": self.oidc_client_id,
            "COUNTERFLOW_OIDC_CLIENT_SECRET": self.oidc_client_secret,
        }
        given = [k for k, v in oidc.items() if v]
        if given and len(given) < len(oidc):
            missing = ", ".join(k for k in oidc if k not in given)
            raise CounterflowError(
                f"single sign-on is half configured: {missing} is not set",
                "set the issuer, the client id and the client secret together, or none of them",
            )
        if self.oidc_issuer:
            url = urlsplit(self.oidc_issuer)
            loopback = url.hostname in {"127.0.0.1", "localhost", "::1"}
            if url.scheme != "https" and not (url.scheme == "http" and loopback):
                raise CounterflowError(
                    f"COUNTERFLOW_OIDC_ISSUER is {self.oidc_issuer!r}",
                    "use the issuer's https URL, e.g. https://login.example.org/realms/staff",
                )
        return self

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer)

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if (
            self.tip_key is not None
            and self.tip_key.get_secret_value().strip().lower() not in PLACEHOLDER_SECRETS
        ):
            parse_keys(self.tip_key.get_secret_value(), where="COUNTERFLOW_TIP_KEY")
        if self.environment != "production":
            return self
        for name in ("tip_key", "facebook_access_token", "facebook_app_secret", "oidc_client_secret"):
            value = getattr(self, name)
            if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise CounterflowError(
                    f"COUNTERFLOW_{name.upper()} is a placeholder",
                    "set a real secret before running in production",
                )
        if self.tip_key is None and self.tip_key_file is None:
            raise CounterflowError(
                "neither COUNTERFLOW_TIP_KEY nor COUNTERFLOW_TIP_KEY_FILE is set in production",
                "generate a tip key, keep it in your secret store, and give it to the server in the "
                "environment or as a secret file",
                hint=CommandHint("keygen"),
            )
        return self

    @property
    def db_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'counterflow.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.db_url.startswith("sqlite")

    @property
    def facebook_enabled(self) -> bool:
        return self.channel == "facebook"

    @property
    def tip_key_path(self) -> Path:
        """Where the tip keys are kept when they do not come from the environment."""
        return self.tip_key_file or self.home / KEY_FILE_NAME

    def tip_keys(self) -> list[bytes]:
        """The tip keys, newest first, checked; outside production a missing key file is created.

        Raises ``TipKeyError`` (saying what to do) for a malformed, empty or truncated key: a key
        file is never silently replaced, since tips may be encrypted under it.
        """
        if self.tip_key is not None:
            return parse_keys(self.tip_key.get_secret_value(), where="COUNTERFLOW_TIP_KEY")
        if self.environment == "production":
            return tipkeys.read(self.tip_key_path)
        return tipkeys.read_or_create(self.tip_key_path)

    def tip_fernet(self) -> MultiFernet:
        """Encrypts with the newest tip key and decrypts with any of them."""
        return tipkeys.multi(self.tip_keys())

    def tip_fernet_key(self) -> bytes:
        """The newest tip key (the one new tips are encrypted with)."""
        return self.tip_keys()[0]


@lru_cache
def get_settings() -> Settings:
    return Settings()
