"""Approval on the web follows the approving roles of ``intel.roles``, as the command line does."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from intel.models import AuditEvent, Campaign
from tests.factories import Seeded, as_user


def test_a_director_approves_another_managers_campaign(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    cid = seeded.rows.campaign.id  # written by cam, a campaign manager
    page = client.get(f"/campaigns/{cid}", headers=as_user(client, "dina"))
    assert page.status_code == 200 and 'id="approve"' in page.text
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, "dina"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/campaigns/{cid}"
    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        assert (campaign.approved_by, campaign.status) == ("dina", "approved")
        assert campaign.approved_at is not None
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.approved")).all()
        assert [(e.actor, e.object_id) for e in events] == [("dina", cid)]
    assert 'id="approved-by">dina' in client.get(f"/campaigns/{cid}", headers=as_user(client, "cam")).text


@pytest.mark.parametrize(
    ("name", "status"),
    [("cleo", 303), ("dina", 303), ("root", 303), ("ana", 403)],
    ids=["campaign manager", "director", "admin", "analyst"],
)
def test_every_role_but_the_analyst_may_approve(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine, name: str, status: int
) -> None:
    cid = seeded.rows.campaign.id
    page = client.get(f"/campaigns/{cid}", headers=as_user(client, name))
    assert ('id="approve"' in page.text) is (status == 303)
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, name), follow_redirects=False)
    assert r.status_code == status
    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None
        assert campaign.approved_by == (name if status == 303 else None)
    if status == 403:
        assert "cannot approve" in page.text
        assert "campaign_manager, director or admin" in r.text  # who to ask instead


def test_a_run_waiting_for_approval_is_shown_and_a_stale_one_does_not_block_the_web_approval(
    client: TestClient, seeded: Seeded, sqlite_engine: Engine
) -> None:
    """A publish run noted as waiting shows on the campaign page; when Prefect no longer holds it
    paused (here: a run id Prefect has never seen), approving on the web approves directly."""
    import uuid

    from flows.steps.approval import WAITING

    cid = seeded.rows.campaign.id
    run_id = str(uuid.uuid4())
    with Session(sqlite_engine) as s:
        s.add(
            AuditEvent(
                actor="flow", action=WAITING, object_type="campaign", object_id=cid, detail={"flow_run_id": run_id}
            )
        )
        s.commit()
    page = client.get(f"/campaigns/{cid}", headers=as_user(client, "dina"))
    assert 'id="approval-waiting"' in page.text and run_id in page.text
    r = client.post(f"/campaigns/{cid}/approve", headers=as_user(client, "dina"), follow_redirects=False)
    assert r.status_code == 303
    with Session(sqlite_engine) as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None and (campaign.approved_by, campaign.status) == ("dina", "approved")
