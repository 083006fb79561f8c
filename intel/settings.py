"""One typed Settings for the whole product (env prefix ``COUNTERFLOW_``)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from cryptography.fernet import Fernet
from pydantic import SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from intel.errors import CommandHint, CounterflowError

PLACEHOLDER_SECRETS = {"", "changeme", "changethis", "secret", "xxx"}


class Settings(BaseSettings):
    """Settings read from ``COUNTERFLOW_*`` environment variables or a ``.env`` file.

    Every field is documented in the README (a test checks it).
    """

    model_config = SettingsConfigDict(env_prefix="COUNTERFLOW_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    """``production`` refuses placeholder secrets and a generated tip key."""
    home: Path = Path("counterflow-data")
    """Folder for the SQLite store, the outbox, maps and exports."""
    database_url: str | None = None
    """SQLAlchemy URL; default: an SQLite file ``counterflow.db`` in ``home``."""
    tip_key: SecretStr | None = None
    """Fernet key that encrypts tip text at rest; generated into ``home`` in development."""
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

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment != "production":
            return self
        for name in ("tip_key", "facebook_access_token", "facebook_app_secret"):
            value = getattr(self, name)
            if value is not None and value.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                raise CounterflowError(
                    f"COUNTERFLOW_{name.upper()} is a placeholder",
                    "set a real secret before running in production",
                )
        if self.tip_key is None:
            raise CounterflowError(
                "COUNTERFLOW_TIP_KEY is not set in production",
                "generate a new tip key and keep it in your secret store",
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

    def tip_fernet_key(self) -> bytes:
        """The tip encryption key; in development a key file in ``home`` is made once."""
        if self.tip_key is not None:
            return self.tip_key.get_secret_value().encode()
        path = self.home / "tip.key"
        if not path.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(Fernet.generate_key())
        return path.read_bytes().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
