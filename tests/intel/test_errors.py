"""The one error type: problem and fix for every face, a command hint for the command line only,
and whole when it travels between processes."""

from __future__ import annotations

import pickle

import pytest
from fastapi.testclient import TestClient

from campaigns.feedback.tips import TipInvalid
from intel.errors import CommandHint, Conflict, CounterflowError, Forbidden, NotFound
from intel.gazetteer import AmbiguousPlace, GeoPlace
from intel.settings import Settings
from web.app import create_app


def test_a_hint_reads_as_the_command_line_to_run():
    assert str(CommandHint("approve", "12 --as NAME")) == "counterflow approve 12 --as NAME"
    assert str(CommandHint("users list")) == "counterflow users list"
    error = NotFound("campaign 12 does not exist", "list the campaigns", hint=CommandHint("campaigns"))
    assert error.hint == CommandHint("campaigns") and error.status == 404
    assert CounterflowError("p", "f").hint is None
    # the message and the web's dict are the same on every face: no command in them
    assert str(error) == "campaign 12 does not exist; list the campaigns"
    assert error.to_dict() == {
        "error": "campaign 12 does not exist",
        "fix": "list the campaigns",
        "status": 404,
    }


@pytest.mark.parametrize(
    "error",
    [
        CounterflowError("p", "f", status=418, hint=CommandHint("keygen")),
        NotFound("campaign 3 does not exist", "list the campaigns", hint=CommandHint("campaigns")),
        Forbidden("p", "f"),
        Conflict("p", "f", hint=CommandHint("approve", "3 --as NAME")),
        TipInvalid("too_long", "the tip text was 9000 characters long", "keep it short", length=9000),
        AmbiguousPlace("Tripoli", [GeoPlace("Tripoli", "LY", None, 32.9, 13.2, 1_000_000)]),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_error_travels_whole_between_processes(error):
    """The import worker sends its errors through a pipe, pickled; subclasses with their own
    ``__init__`` (TipInvalid, AmbiguousPlace) come back as well."""
    back = pickle.loads(pickle.dumps(error, protocol=5))
    assert type(back) is type(error)
    assert (back.problem, back.fix, back.status, back.hint) == (
        error.problem,
        error.fix,
        error.status,
        error.hint,
    )
    assert str(back) == str(error) and back.__dict__ == error.__dict__


def test_the_web_shows_problem_and_fix_without_the_command(sqlite_settings: Settings, sqlite_engine):
    """An error with a command hint, met on the web: the page and the JSON say what to do in
    words, and name no command or option (the author approving her own campaign)."""
    from tests.factories import as_user, seed

    cid = seed(sqlite_engine).rows.campaign.id  # written by cam
    with TestClient(create_app(sqlite_settings)) as client:
        headers = as_user(client, "cam")
        page = client.post(f"/campaigns/{cid}/approve", headers=headers)
        data = client.post(
            f"/campaigns/{cid}/approve", headers={**headers, "Accept": "application/json"}
        ).json()
    assert page.status_code == 403
    assert "cam is the author" in page.text and "another user with an approving role" in page.text
    assert "counterflow approve" not in page.text and "--as" not in page.text
    assert set(data) == {"error", "fix", "status"}
    assert "approving role" in data["fix"] and "--" not in data["fix"]
