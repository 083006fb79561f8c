"""Ads about social issues carry the campaign's "Paid for by" disclaimer on every creative."""

from __future__ import annotations

from campaigns.delivery.channels.base import load_rows
from campaigns.delivery.channels.specs import build_specs
from intel.db import session_scope
from tests.campaigns.factories_publish import make_campaign


def test_every_creative_says_who_paid(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        c = make_campaign(s)
        specs = build_specs(load_rows(s, campaign_id=c.id), page_id="2002")
        creatives = [sp for sp in specs if sp.kind == "creative"]
        assert creatives
        for sp in creatives:
            assert sp.params["ad_disclaimer_spec"] == {"title": "Paid for by Counterflow Test Foundation"}
        c.paid_for_by = None
        s.add(c)
        s.flush()
        specs = build_specs(load_rows(s, campaign_id=c.id), page_id="2002")
        assert all("ad_disclaimer_spec" not in sp.params for sp in specs if sp.kind == "creative")
