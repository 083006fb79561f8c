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


def test_nobody_approves_while_a_preflight_refusal_stands(engine):
    """The rule lives in the approval step, so the web, the command line and the flows share it."""
    from intel.errors import CounterflowError

    with Session(engine) as s:
        add_user(s, name="bello", role="campaign_manager")
        c = make_draft_campaign(s, author="amara")  # passes preflight (warnings only)
        c.paid_for_by = ""  # a social-issue ad without its "Paid for by" disclaimer
        c.special_ad_category_country = ["NG"]  # Rome Termini is in Italy: IT is missing
        s.add(c)
        s.flush()
        with pytest.raises(CounterflowError) as refused:
            approve_campaign(s, campaign_id=c.id, approver="bello")
        error = refused.value
        assert error.status == 409
        assert error.problem.startswith(
            f"campaign {c.id} cannot be approved while 2 preflight refusals stand: "
        )
        assert "[special_country]" in error.problem and "misses IT" in error.problem
        assert "[paid_for_by]" in error.problem and "paid_for_by is empty" in error.problem
        assert "fix each refusal first" in error.fix
        assert str(error.hint) == f"counterflow preflight {c.id}"
        assert (c.approved_by, c.status) == (None, "draft")
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.approved")).all() == []
        # fixed: the approval goes through
        c.paid_for_by = "Counterflow Test Foundation"
        c.special_ad_category_country = ["IT", "NG"]
        s.add(c)
        s.flush()
        approve_campaign(s, campaign_id=c.id, approver="bello")
        assert (c.approved_by, c.status) == ("bello", "approved")


def test_one_refusal_reads_in_the_singular_and_many_are_counted(engine):
    from campaigns.policy import Finding, assert_approvable
    from intel.errors import CounterflowError

    one = [Finding("refuse", "assets", "campaign 4", "the campaign has no assets", "generate them")]
    with pytest.raises(CounterflowError, match="while 1 preflight refusal stands: \\[assets\\] campaign 4"):
        assert_approvable(one, 4)
    seven = [Finding("refuse", "radius", f"ad set {i}", "radius_km was 0", "use 1..80") for i in range(7)]
    with pytest.raises(CounterflowError) as many:
        assert_approvable(seven + [Finding("warn", "geo_key", "x", "y", "z")], 4)
    assert many.value.problem.startswith("campaign 4 cannot be approved while 7 preflight refusals stand: ")
    assert many.value.problem.endswith("[radius] ad set 4: radius_km was 0; and 2 more")  # five shown
    assert_approvable([Finding("warn", "geo_key", "x", "y", "z")], 4)  # warnings never block
