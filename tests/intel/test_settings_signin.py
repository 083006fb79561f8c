"""The sign-in settings refuse what would open the store: a half single sign-on configuration,
an issuer that is not https, a trusted header without proxies, a proxy that is not an address."""

from __future__ import annotations

from pathlib import Path

import pytest

from intel.errors import CounterflowError
from intel.settings import Settings


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        (
            {"oidc_issuer": "https://login.example.org"},
            "COUNTERFLOW_OIDC_CLIENT_ID, COUNTERFLOW_OIDC_CLIENT_SECRET is not set",
        ),
        (
            {"oidc_client_id": "cf", "oidc_client_secret": "s3cr3t-value"},
            "COUNTERFLOW_OIDC_ISSUER is not set",
        ),
        (
            {
                "oidc_issuer": "http://login.example.org",
                "oidc_client_id": "cf",
                "oidc_client_secret": "s3cr3t-value",
            },
            "COUNTERFLOW_OIDC_ISSUER is 'http://login.example.org'",
        ),
        ({"trust_user_header": True}, "no proxy is trusted"),
        ({"trusted_proxies": "10.0.0.5,proxy.internal"}, "'proxy.internal', which is not an address"),
    ],
)
def test_unsafe_sign_in_settings_are_refused(tmp_path: Path, values: dict[str, object], needle: str) -> None:
    with pytest.raises(CounterflowError, match=None) as err:
        Settings(environment="test", home=tmp_path, **values)  # type: ignore[arg-type]
    assert needle in str(err.value)


def test_good_sign_in_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COUNTERFLOW_TRUSTED_PROXIES", "10.0.0.5, 10.0.1.0/24")
    monkeypatch.setenv("COUNTERFLOW_TRUST_USER_HEADER", "true")
    s = Settings(environment="test", home=tmp_path)
    assert s.trusted_proxies == ["10.0.0.5", "10.0.1.0/24"] and s.sign_in is True
    local = Settings(
        environment="test",
        home=tmp_path,
        oidc_issuer="http://127.0.0.1:9000",  # a loopback issuer (tests) may be plain http
        oidc_client_id="cf",
        oidc_client_secret="s3cr3t-value",  # type: ignore[arg-type]
    )
    assert local.oidc_enabled
