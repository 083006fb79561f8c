"""Ads about social issues carry the campaign's "Paid for by" disclaimer on every creative."""

from __future__ import annotations

from campaigns.delivery.channels.base import load_rows
from campaigns.delivery.channels.specs import build_specs
from intel.db import session_scope
from tests.factories import make_draft_campaign


def test_every_creative_says_who_paid(sqlite_engine):
    with session_scope(sqlite_engine) as s:
        c = make_draft_campaign(s)
        specs = build_specs(load_rows(s, campaign_id=c.id), page_id="2002")
        creatives = [sp for sp in specs if sp.kind == "creative"]
        assert len(creatives) == 4  # one per asset: 2 targets x 2 languages
        for sp in creatives:
            assert sp.params["ad_disclaimer_spec"] == {"title": "Paid for by Counterflow Test Foundation"}
        c.paid_for_by = None
        s.add(c)
        s.flush()
        creatives = [
            sp for sp in build_specs(load_rows(s, campaign_id=c.id), page_id="2002") if sp.kind == "creative"
        ]
        assert len(creatives) == 4 and all("ad_disclaimer_spec" not in sp.params for sp in creatives)


def test_an_organic_post_does_not_print_a_headline_its_body_begins_with(sqlite_engine):
    import datetime as dt

    from campaigns.delivery.schedule import schedule_campaign

    with session_scope(sqlite_engine) as s:
        c = make_draft_campaign(s)
        schedule_campaign(s, campaign_id=c.id, windows=[(8, 0)], now=dt.datetime.now(dt.UTC))
        rows = load_rows(s, campaign_id=c.id)
        first, second = rows.assets[:2]
        first.headline, first.body = "Offered a job abroad?", "Offered a job abroad? Check who is behind it."
        second.headline, second.body = "Help is free", "Traffickers promise work."
        said = [sp.params["message"] for sp in build_specs(rows, page_id="2002") if "message" in sp.params]
        mine = [m for m in said if "Check who is behind it." in m]
        assert mine and all(m.count("Offered a job abroad?") == 1 for m in mine)
        theirs = [m for m in said if "Traffickers promise work." in m]
        assert theirs and all(m.startswith("Help is free") for m in theirs)  # a different headline stays
