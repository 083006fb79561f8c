"""Contract tests: the dry-run outbox and the facebook channel pass the same tests."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from campaigns.delivery.channels.base import Channel
from campaigns.delivery.channels.outbox import read_outbox
from campaigns.delivery.publish import publish_campaign
from intel.errors import CounterflowError, Forbidden
from intel.models import Campaign, Delivery, ScheduledPost
from tests.factories import ENGLISH_ONLY, ChannelCase, make_draft_campaign, ready_campaign


def _sent_objects(case: ChannelCase, campaign_id: int) -> list[str]:
    """What reached the other side: outbox lines, or objects on the fake server."""
    if case.fake is None:
        return [line["key"] for line in read_outbox(case.settings, campaign_id)]
    return [o["kind"] for o in case.fake.objects.values()]


def test_each_channel_is_a_channel(channel_case):
    assert isinstance(channel_case.channel, Channel)


def test_preview_sends_nothing_and_lists_every_object(engine, channel_case):
    with Session(engine) as s:
        c = ready_campaign(s)
        cid = c.id
        preview = channel_case.channel.preview(s, campaign_id=cid)
        n_posts = len(s.exec(select(ScheduledPost)).all())
    kinds = [p["kind"] for p in preview]
    # 1 campaign, 2 ad sets (one per target x English), a creative and an ad per asset, the posts
    assert kinds[:3] == ["campaign", "adset", "adset"]
    assert kinds.count("creative") == kinds.count("ad") == 2
    assert kinds.count("post") == n_posts > 0
    assert _sent_objects(channel_case, cid) == []
    campaign_req = preview[0]
    assert campaign_req["method"] == "POST" and campaign_req["path"].endswith("/campaigns")
    assert campaign_req["params"]["status"] == "PAUSED"
    assert campaign_req["params"]["special_ad_categories"] == ["ISSUES_ELECTIONS_POLITICS"]


def test_publish_sends_each_object_once_and_a_rerun_sends_nothing(engine, channel_case):
    with Session(engine) as s:
        c = ready_campaign(s)
        first = publish_campaign(s, campaign_id=c.id, channel=channel_case.channel)
        assert first.ok and first.failed == []
        n = len(first.sent)
        assert n == len(_sent_objects(channel_case, c.id))
        second = publish_campaign(s, campaign_id=c.id, channel=channel_case.channel)
        assert second.sent == [] and len(second.skipped) == n
        assert len(_sent_objects(channel_case, c.id)) == n
        deliveries = s.exec(select(Delivery).where(Delivery.channel == channel_case.channel.name)).all()
        assert len(deliveries) == n
        assert all(d.status == "sent" and d.external_id for d in deliveries)
        assert len({d.external_id for d in deliveries}) == n
        assert s.get(Campaign, c.id).status == "published"
        assert {p.status for p in s.exec(select(ScheduledPost)).all()} == {"published"}


def test_ad_objects_reference_their_parents_by_external_id(engine, channel_case):
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel_case.channel)
        rows = {d.key: d for d in s.exec(select(Delivery)).all()}
        campaign_ext = rows[f"campaign:{c.id}"].external_id
    adsets = [d for d in rows.values() if d.kind == "adset"]
    assert {d.payload["campaign_id"] for d in adsets} == {campaign_ext}
    for ad in (d for d in rows.values() if d.kind == "ad"):
        asset_id = ad.key.split(":")[1]
        assert ad.payload["creative"] == {"creative_id": rows[f"creative:{asset_id}"].external_id}
        assert str(ad.payload["adset_id"]) in {d.external_id for d in adsets}
        assert ad.payload["status"] == "PAUSED"


def test_an_interrupted_object_is_recovered_not_duplicated(engine, channel_case):
    """A run that died after the remote create but before recording the id: the rerun finds it."""
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel_case.channel)
        before = len(_sent_objects(channel_case, c.id))
        lost = s.exec(select(Delivery).where(Delivery.kind.in_(["adset", "ad", "post"]))).all()  # type: ignore[attr-defined]
        lost_ids = {d.key: d.external_id for d in lost}
        for d in lost:
            d.external_id, d.status = None, "pending"
            s.add(d)
        s.commit()
        report = publish_campaign(s, campaign_id=c.id, channel=channel_case.channel)
        assert report.sent == []
        assert dict(report.reconciled) == lost_ids
        assert len(_sent_objects(channel_case, c.id)) == before
    if channel_case.fake is not None:
        assert channel_case.fake.duplicates() == {}


def test_unapproved_campaign_is_refused_and_nothing_sent(engine, channel_case):
    with Session(engine) as s:
        c = make_draft_campaign(s, targets=ENGLISH_ONLY)
        cid = c.id
        with pytest.raises(Forbidden, match=r"not approved.*must approve it first"):
            publish_campaign(s, campaign_id=cid, channel=channel_case.channel)
        assert s.exec(select(Delivery)).all() == []
    assert _sent_objects(channel_case, cid) == []


def test_insights_shape(engine, channel_case):
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel_case.channel)
        start = c.starts_on
        rows = channel_case.channel.insights(
            s, campaign_id=c.id, since=start, until=start + dt.timedelta(days=1)
        )
    if channel_case.fake is None:
        assert rows == []  # a dry run reaches nobody
    else:
        assert len(rows) == 2 * 2  # two ad sets, two days
        assert all(isinstance(r["adset_id"], int) and r["tracking_code"] for r in rows)


def test_the_outbox_records_exactly_what_the_facebook_channel_sends(engine, settings):
    """Same campaign, both channels: every recorded params dict equals the one the SDK sent,
    once the platform's ids stand in for the outbox's."""
    from campaigns.delivery.channels.outbox import OutboxChannel
    from sandbox.fakegraph import start_fake_graph
    from tests.factories import facebook_channel

    fake = start_fake_graph()
    try:
        fb = facebook_channel(settings, fake)
        outbox = OutboxChannel(settings.model_copy(update=fake.settings_update()))
        with Session(engine) as s:
            cid = ready_campaign(s).id
            publish_campaign(s, campaign_id=cid, channel=outbox)
            publish_campaign(s, campaign_id=cid, channel=fb)
            rows = s.exec(select(Delivery)).all()
        fb_ids = {d.key: d.external_id for d in rows if d.channel == "facebook"}
        ob_ids = {d.key: d.external_id for d in rows if d.channel == "outbox"}
        swap = {ob_ids[k]: fb_ids[k] for k in ob_ids}
        recorded = {line["key"]: line for line in read_outbox(settings, cid)}
        sent = [r for r in fake.requests if r["method"] == "POST"]
        assert len(sent) == len(recorded)
        for req, (key, line) in zip(sent, recorded.items(), strict=True):
            assert req["path"] == line["path"], key
            form = {k: swap.get(v, v) if isinstance(v, str) else v for k, v in line["form"].items()}
            for k, v in form.items():
                if isinstance(v, str):
                    for old, new in swap.items():
                        v = v.replace(f'"{old}"', f'"{new}"')
                form[k] = str(v) if not isinstance(v, bool) else str(v).lower()
            assert form == req["params"], key
    finally:
        fake.stop()


def test_a_campaign_whose_days_are_past_is_not_published(engine, settings):
    """The issue's 2020 campaign published 742 objects with past dates to the outbox: a campaign
    whose last day is past is refused before anything is sent."""
    from campaigns.delivery.channels.outbox import OutboxChannel

    with Session(engine) as s:
        c = ready_campaign(s)  # starts tomorrow, runs three days
        cid = c.id
        later = dt.datetime.combine(c.ends_on + dt.timedelta(days=2), dt.time(12), tzinfo=dt.UTC)
        with pytest.raises(CounterflowError, match=f"ended on {c.ends_on}, before today") as err:
            publish_campaign(s, campaign_id=cid, channel=OutboxChannel(settings), now=later)
        assert str(err.value.hint).startswith(f"counterflow campaign edit {cid} --start")
        assert s.exec(select(Delivery)).all() == []


def test_the_outbox_labels_unreviewed_copy_in_every_record(engine, settings):
    """A dry run with drafts (allow_fuzzy): every line says how its copy was reviewed, and every
    line that carries a fuzzy asset's words says, in words, that it is an unreviewed draft."""
    from campaigns.delivery.channels.outbox import OutboxChannel
    from intel.models import Asset
    from tests.factories import TARGETS

    with Session(engine) as s:
        c = ready_campaign(s, targets=TARGETS)  # English plus the local languages
        cid = c.id
        assets = {a.id: a for a in s.exec(select(Asset).where(Asset.campaign_id == cid)).all()}
        for a in assets.values():  # the local-language copy is an unreviewed draft
            a.fuzzy = a.locale != "en"
            s.add(a)
        s.commit()
        assert any(a.fuzzy for a in assets.values()) and any(not a.fuzzy for a in assets.values())
        assert publish_campaign(s, campaign_id=cid, channel=OutboxChannel(settings)).ok
        posts = {p.id: p.asset_id for p in s.exec(select(ScheduledPost)).all()}
        drafts = {i: (a.locale, a.fuzzy) for i, a in assets.items()}
    lines = read_outbox(settings, cid)
    assert lines and all("copy_review" in line for line in lines)
    seen = set()
    for line in lines:
        kind, _, ident = line["key"].partition(":")
        if kind in ("campaign", "adset"):
            assert line["copy_review"] == "no copy" and "unreviewed_copy" not in line
            continue
        locale, fuzzy = drafts[posts[int(ident)] if kind == "post" else int(ident)]
        seen.add(line["copy_review"])
        if fuzzy:
            assert line["copy_review"] == "UNREVIEWED"
            assert line["unreviewed_copy"].startswith(f"DRAFT COPY ({locale})")
        else:
            assert line["copy_review"] == "reviewed" and "unreviewed_copy" not in line
    assert seen == {"UNREVIEWED", "reviewed"}
