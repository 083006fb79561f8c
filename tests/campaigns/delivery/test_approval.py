"""Approval: only a user other than the author; recorded; publishing refuses unapproved campaigns."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from campaigns.delivery.approval import approve_campaign, require_approved
from intel.errors import Conflict, Forbidden
from intel.models import AuditEvent, Campaign, User
from intel.users import add_user
from tests.factories import make_draft_campaign


def test_author_cannot_approve_and_another_user_can(engine):
    with Session(engine) as s:
        for name in ("amara", "bello", "chidi"):
            add_user(s, name=name, role="campaign_manager")
        c = make_draft_campaign(s, author="amara")
        cid = c.id
        with pytest.raises(Forbidden, match="Amara is the author"):
            approve_campaign(s, campaign_id=c.id, approver=" Amara ")
        with pytest.raises(Forbidden, match="not approved"):
            require_approved(c)
        approve_campaign(s, campaign_id=c.id, approver="bello")
        s.commit()
    with Session(engine) as s:
        c2 = s.get(Campaign, cid)
        assert c2.approved_by == "bello" and c2.approved_at is not None and c2.status == "approved"
        require_approved(c2)
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.approved")).all()
        assert [(e.actor, e.object_id, e.detail["author"]) for e in events] == [("bello", cid, "amara")]
        # the same approver again is a no-op; someone else is told who approved
        approve_campaign(s, campaign_id=cid, approver="bello")
        with pytest.raises(Conflict, match="already approved by bello"):
            approve_campaign(s, campaign_id=cid, approver="chidi")


def test_a_name_that_is_not_a_registered_user_cannot_approve(engine):
    with Session(engine) as s:
        add_user(s, name="bello", role="campaign_manager")
        c = make_draft_campaign(s)
        with pytest.raises(Forbidden, match="'belo' is not a registered user") as err:
            approve_campaign(s, campaign_id=c.id, approver="belo")
        assert "have an admin add them" in err.value.fix and str(err.value.hint) == "counterflow users list"
        assert c.approved_by is None and c.status == "draft"
        approve_campaign(s, campaign_id=c.id, approver="bello")
        assert c.approved_by == "bello"


def test_a_registered_user_without_the_role_cannot_approve(engine):
    with Session(engine) as s:
        s.add(User(name="dana", role="analyst"))
        c = make_draft_campaign(s)
        with pytest.raises(Forbidden, match="role 'analyst'"):
            approve_campaign(s, campaign_id=c.id, approver="dana")
