"""schemathesis against the app's own OpenAPI schema: no operation answers a server error.

The schema is loaded in process from ``/api/openapi.json`` of an app on a real store, once on
SQLite and once on PostgreSQL (skipped without a server, as the rest of the suite), holding the
web tests' demo-like rows: users of every role, a hotspot run, a campaign with its targets,
assets and metrics, one tip; single sign-on is configured against the fake issuer, so its routes
are fuzzed too. Every operation of the schema (the pages, the forms, the JSON API, the public tip
API) gets a bounded number of generated requests, valid and invalid, each sent as the public, as
an admin and as an analyst (a public route that never looks at the session, once), and the same
again with the ids of real rows in its path, so that the routes reach their data instead of
stopping at 404. The check is schemathesis's ``not_a_server_error``: a 5xx, or an exception the
app let through, fails. Generation is derandomised: every run sends the same requests.

The tip limits and the sign-in throttle are set far above what the test sends, so no answer
depends on how many requests came before (a 429 is no server error, but it would stop those
routes from being exercised).

Found and fixed (PostgreSQL): an id beyond the store's integer in a path (``/campaigns/2147483648``),
a page far past the last (``?page=2**62``) and a NUL byte in a query (``?kind=%00``) failed their
queries (tests in ``tests/web/test_app.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from pydantic import SecretStr
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup, ServerError

from intel.db import get_engine, make_engine, migrate
from intel.settings import Settings
from sandbox.fakeoidc import FakeIssuer, start_fake_issuer
from tests.conftest import _truncate_all
from tests.factories import Seeded, as_user, seed
from web import permissions
from web.app import create_app
from web.auth import USER_AWARE_PUBLIC, SignInThrottle
from web.tipform import TipLimiter

pytestmark = pytest.mark.slow
#: Who sends each generated request (None: the public).
WHO = (None, "root", "ana")
#: Generated requests per operation and mode; COUNTERFLOW_FUZZ_EXAMPLES=200 for a deeper run.
EXAMPLES = int(os.environ.get("COUNTERFLOW_FUZZ_EXAMPLES", "5"))



@pytest.fixture(scope="module")
def issuer() -> Iterator[FakeIssuer]:
    fake = start_fake_issuer(client_id="counterflow", client_secret="fuzz-client-secret-0123456789")
    yield fake
    fake.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, issuer: FakeIssuer
) -> tuple[FastAPI, dict[str, str]]:
    home: Path = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{home / 'store.db'}"
    if request.param == "postgresql":  # a fresh database of this run (skipped without a server)
        url = request.getfixturevalue("postgres_url")
        engine = make_engine(url)
        migrate(engine)
        _truncate_all(engine)
        engine.dispose()
    settings = Settings(
        environment="test",
        home=home,
        database_url=url,
        oidc_issuer=issuer.url,  # single sign-on on, so its routes are fuzzed too
        oidc_client_id=issuer.client_id,
        oidc_client_secret=SecretStr(issuer.client_secret),
    )
    seeded: Seeded = seed(get_engine(settings))
    app = create_app(settings)
    # Limits far above what the test sends: every answer is the same whatever ran before it.
    app.state.tip_limiter = TipLimiter(per_client=10**9, invalid_per_client=10**9, ceiling=10**9)
    app.state.signin_throttle = SignInThrottle(per_account=10**9, per_client=10**9)
    client = TestClient(app)
    code = seeded.rows.assets[(seeded.rows.targets[0].id, "en")].tracking_code
    r = client.post("/api/tips", json={"text": "seen at the bus station", "tracking_code": code})
    assert r.status_code == 201, r.text
    real = {
        "run_id": str(seeded.run.id),
        "campaign_id": str(seeded.rows.campaign.id),
        "tip_id": "1",
        "code": code,
    }
    return app, real


class Signed:
    """Session headers per user, made once and made again after a generated sign-out ended them."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.headers: dict[str, dict[str, str]] = {}

    def __call__(self, who: str | None) -> dict[str, str]:
        if who is None:
            return {}
        if who not in self.headers:
            self.headers[who] = as_user(self.client, who)
        return self.headers[who]


def _whos(operation: Any) -> tuple[str | None, ...]:
    key = permissions.key(operation.method, operation.path)
    # a public route that never looks at the session answers everyone alike: sent once, as the public
    everyone = permissions.TABLE.get(key) is permissions.PUBLIC and key not in USER_AWARE_PUBLIC
    return (None,) if everyone else WHO


def _fuzz(strategy: Any, whos: tuple[str | None, ...], signed: Signed, sent: list[int]) -> None:
    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # the same requests on every run: a failure is reproducible, never flaky
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
    )
    def run(case: Any) -> None:
        for who in whos:
            headers = signed(who)
            response = case.call(headers=headers, allow_redirects=False)
            sent.append(response.status_code)
            if case.operation.path == "/signout":
                signed.headers.clear()
            case.validate_response(response, checks=[not_a_server_error], headers=headers)

    run()


def test_no_operation_answers_a_server_error(fuzzed: tuple[FastAPI, dict[str, str]]) -> None:
    app, real = fuzzed
    signed = Signed(TestClient(app))
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app)
    failures: list[str] = []
    sent: list[int] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 34  # every route of the app is in the schema
    for operation in operations:
        names = [p.name for p in operation.path_parameters]
        strategies = [operation.as_strategy(mode) for mode in GenerationMode]
        if names:  # the same again on rows that exist, so the routes reach their data
            fixed = {n: real[n] for n in names if n in real}
            strategies += [operation.as_strategy(mode, path_parameters=fixed) for mode in GenerationMode]
        for strategy in strategies:
            try:
                _fuzz(strategy, _whos(operation), signed, sent)
            except Unsatisfiable:
                pass  # nothing to make invalid (an operation without parameters): no negative case
            except Exception as err:  # every operation is fuzzed; all failures are reported at the end
                failures.append(f"{operation.label}: {err}")
                break
    statuses = sorted(set(sent))
    assert not failures, "\n\n".join(failures)
    assert len(sent) > 34 * EXAMPLES and 200 in statuses and 201 in statuses, statuses


def test_the_fuzzing_finds_a_server_error_where_there_is_one() -> None:
    """The harness itself: an operation that answers 500 for some values of its query fails it."""
    app = FastAPI()

    @app.get("/api/items")
    def items(n: int = 0) -> JSONResponse:
        return JSONResponse({"n": n}, status_code=500 if n > 2 else 200)

    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    [operation] = [result.ok() for result in schema.get_all_operations()]
    sent: list[int] = []
    with pytest.raises(FailureGroup) as caught:
        _fuzz(operation.as_strategy(), (None,), Signed(TestClient(app)), sent)
    assert [type(e) for e in caught.value.exceptions] == [ServerError]
    assert 500 in sent and 200 in sent
