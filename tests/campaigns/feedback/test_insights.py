"""Insights into the Metric table: from the platform (paged, rate-limit aware), from an ads
results export, and simulated rows; every path is an idempotent upsert."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlmodel import Session, select

from campaigns.delivery.channels.outbox import OutboxChannel
from campaigns.delivery.publish import publish_campaign
from campaigns.feedback.insights import fetch_insights, import_ads_export, metric_count, upsert_metrics
from intel.errors import CounterflowError
from intel.models import Asset, Delivery, Metric, Reject
from sandbox.fakegraph import insight_row
from tests.factories import ADS_EXPORT_SAMPLE, Sleeps, facebook_channel, make_draft_campaign, ready_campaign


def test_platform_insights_land_in_the_store_once(engine, settings, fake_graph):
    channel = facebook_channel(settings, fake_graph)
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel)
        since, until = c.starts_on, c.starts_on + dt.timedelta(days=2)
        first = fetch_insights(s, campaign_id=c.id, channel=channel, since=since, until=until)
        s.commit()
        assert (first.rows_read, first.inserted, first.updated, first.unattributed) == (6, 6, 0, 0)
        again = fetch_insights(s, campaign_id=c.id, channel=channel, since=since, until=until)
        s.commit()
        assert (again.inserted, again.updated) == (0, 6)
        assert metric_count(s, campaign_id=c.id, source="platform") == 6
        # values are the platform's, attributed to the asset's tracking code
        adset_delivery = s.exec(select(Delivery).where(Delivery.kind == "adset")).first()
        asset = s.exec(select(Asset).where(Asset.adset_id == int(adset_delivery.key.split(":")[1]))).one()
        expected = insight_row(fake_graph.objects[adset_delivery.external_id], since)
        m = s.exec(
            select(Metric).where(Metric.tracking_code == asset.tracking_code, Metric.day == since)
        ).one()
        assert m.reach == int(expected["reach"]) and m.impressions == int(expected["impressions"])
        assert m.spend == pytest.approx(float(expected["spend"]))
        assert m.video_p25 == int(expected["video_p25_watched_actions"][0]["value"]) > m.video_p100 > 0
        assert m.video_avg_time_s == pytest.approx(
            float(expected["video_avg_time_watched_actions"][0]["value"])
        )
        assert m.adset_id == asset.adset_id and m.source == "platform" and not m.simulated


def test_rate_limits_and_reduce_data_shrink_the_page_and_back_off(engine, settings, fake_graph):
    sleeps = Sleeps()
    channel = facebook_channel(settings, fake_graph, sleeps)
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel)
        fake_graph.insights_max_limit = 12  # bigger pages: "Please reduce the amount of data"
        fake_graph.fail_next("rate_limit", path_contains="/insights")
        n = len(fake_graph.requests)
        result = fetch_insights(
            s, campaign_id=c.id, channel=channel, since=c.starts_on, until=c.starts_on + dt.timedelta(days=9)
        )
        assert result.inserted == 20  # 2 ad sets x 10 days, over two pages of 12 and 8
    limits = [int(r["params"]["limit"]) for r in fake_graph.requests[n:] if r["path"].endswith("/insights")]
    assert limits == [100, 50, 25, 12, 12]
    assert len(sleeps.calls) == 3


def test_an_expired_token_on_insights_is_a_clear_error(engine, settings, fake_graph):
    channel = facebook_channel(settings, fake_graph)
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel)
        fake_graph.expired = True
        with pytest.raises(CounterflowError, match="code 190"):
            fetch_insights(s, campaign_id=c.id, channel=channel, since=c.starts_on, until=c.starts_on)
        assert metric_count(s, campaign_id=c.id) == 0


def test_insights_before_publishing_say_what_to_do(engine, settings, fake_graph):
    channel = facebook_channel(settings, fake_graph)
    with Session(engine) as s:
        c = ready_campaign(s)
        with pytest.raises(CounterflowError, match="not been published") as info:
            fetch_insights(s, campaign_id=c.id, channel=channel, since=c.starts_on, until=c.starts_on)
        assert "publish it to facebook first" in info.value.fix
        assert str(info.value.hint).startswith(f"counterflow publish {c.id} --channel facebook")


def test_the_outbox_has_no_insights(engine, settings):
    with Session(engine) as s:
        c = ready_campaign(s)
        channel = OutboxChannel(settings)
        publish_campaign(s, campaign_id=c.id, channel=channel)
        result = fetch_insights(s, campaign_id=c.id, channel=channel, since=c.starts_on, until=c.ends_on)
        assert (result.rows_read, result.inserted) == (0, 0)


def test_simulated_rows_upsert_and_are_labelled(engine):
    with Session(engine) as s:
        c = make_draft_campaign(s)
        code = s.exec(select(Asset)).first().tracking_code
        rows = [{"tracking_code": code, "day": "2026-06-01", "reach": 100, "impressions": 150, "clicks": 3}]
        assert upsert_metrics(s, campaign_id=c.id, rows=rows, source="simulated") == (1, 0)
        rows[0]["clicks"] = 5
        assert upsert_metrics(s, campaign_id=c.id, rows=rows, source="simulated") == (0, 1)
        # the same day from another source is another row
        assert upsert_metrics(s, campaign_id=c.id, rows=rows, source="platform") == (1, 0)
        s.commit()
        sim = s.exec(select(Metric).where(Metric.source == "simulated")).one()
        assert sim.simulated and sim.clicks == 5 and sim.day == dt.date(2026, 6, 1)
        with pytest.raises(CounterflowError, match="row 0 has no tracking_code"):
            upsert_metrics(s, campaign_id=c.id, rows=[{"day": "2026-06-01"}], source="simulated")
        with pytest.raises(CounterflowError, match="source was 'guess'"):
            upsert_metrics(s, campaign_id=c.id, rows=rows, source="guess")


def test_import_the_ads_export_sample(engine, tmp_path):
    path = tmp_path / "export.csv"
    shutil.copy(ADS_EXPORT_SAMPLE, path)
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1))
        assets = s.exec(select(Asset).order_by(Asset.id)).all()
        # pretend two of our ad sets were published as the export's first two ad sets
        for ext, asset in (("103916", assets[0]), ("103917", assets[1])):
            s.add(
                Delivery(
                    campaign_id=c.id,
                    channel="facebook",
                    key=f"adset:{asset.adset_id}",
                    kind="adset",
                    external_id=ext,
                    status="sent",
                )
            )
        s.commit()
        result = import_ads_export(s, path=path, campaign_id=c.id)
        s.commit()
        assert result.rows_read == 40 and result.rejected == []
        ours = s.exec(select(Metric).where(Metric.tracking_code == assets[0].tracking_code)).one()
        assert (ours.impressions, ours.clicks, ours.day, ours.source) == (
            7350,
            1,
            dt.date(2026, 6, 1),
            "export",
        )
        assert ours.ctr == pytest.approx(100 / 7350)
        n = metric_count(s, campaign_id=c.id, source="export")
        assert result.unattributed == 38 and n == result.inserted
        again = import_ads_export(s, path=path, campaign_id=c.id)
        assert again.inserted == 0 and again.updated == n


def test_bad_export_rows_are_kept_as_rejects(engine, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "ad_id,fb_campaign_id,Impressions,Clicks,Spent\n1,555,100,2,1.5\n2,556,lots,1,0\n3,,10,0,0\n",
        encoding="utf-8",
    )
    with Session(engine) as s:
        cid = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1)).id
        result = import_ads_export(s, path=path, campaign_id=cid)
        s.commit()
        assert [line for line, _ in result.rejected] == [3, 4]
        rejects = s.exec(select(Reject).order_by(Reject.line)).all()
        assert [r.line for r in rejects] == [3, 4] and "lots" in rejects[0].reason
        assert result.inserted == 1
    (tmp_path / "nocol.csv").write_text("ad_id,Clicks\n1,2\n", encoding="utf-8")
    with Session(engine) as s, pytest.raises(CounterflowError, match="no impressions column"):
        import_ads_export(s, path=tmp_path / "nocol.csv", campaign_id=cid)
