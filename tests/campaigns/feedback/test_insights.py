"""Insights into the Metric table: from the platform (paged, rate-limit aware), from an ads
results export, and simulated rows; every path is an idempotent upsert."""

from __future__ import annotations

import csv
import datetime as dt
import shutil

import pytest
from sqlmodel import Session, select

from campaigns.delivery.channels.outbox import OutboxChannel
from campaigns.delivery.publish import publish_campaign
from campaigns.feedback.insights import fetch_insights, import_ads_export, metric_count, upsert_metrics
from intel.errors import CounterflowError
from intel.models import Asset, Delivery, ImportBatch, Metric, Reject
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


def _publish_as(s, campaign_id, pairs):
    """Record that our ad sets were published as these platform ad set ids."""
    for ext, asset in pairs:
        s.add(
            Delivery(
                campaign_id=campaign_id,
                channel="facebook",
                key=f"adset:{asset.adset_id}",
                kind="adset",
                external_id=ext,
                status="sent",
            )
        )
    s.commit()


def test_import_the_ads_export_sample(engine, tmp_path):
    """Every row of the real sample is stored or rejected with a reason; its conversions are
    kept; its missing reach is unknown; other ad sets' spend is counted apart."""
    path = tmp_path / "export.csv"
    shutil.copy(ADS_EXPORT_SAMPLE, path)
    # the expected figures, read independently with the csv module
    with ADS_EXPORT_SAMPLE.open(newline="", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    others = [r for r in raw if r["fb_campaign_id"] not in ("103916", "103917")]
    other_spend = sum(float(r["Spent"]) for r in others)
    groups = {r["fb_campaign_id"] for r in raw}  # one day: one metric row per ad set
    day = dt.date(2026, 6, 1)
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 5, 20))
        assets = s.exec(select(Asset).order_by(Asset.id)).all()
        # pretend two of our ad sets were published as the export's first two ad sets
        _publish_as(s, c.id, (("103916", assets[0]), ("103917", assets[1])))
        result = import_ads_export(s, path=path, campaign_id=c.id, day=day)
        s.commit()
        assert result.rows_read == len(raw) == 40
        assert result.rejected == []  # every row stored: 40 read = 40 stored + 0 rejected
        batch = s.exec(select(ImportBatch).where(ImportBatch.spec == "ads_export")).one()
        assert (batch.rows_read, batch.rows_stored, batch.rows_rejected) == (40, 40, 0)
        assert result.columns["conversions"] == "Total_Conversion"
        assert "Approved_Conversion" in result.columns_not_stored and "reach" not in result.columns
        ours = s.exec(select(Metric).where(Metric.tracking_code == assets[0].tracking_code)).one()
        # line 2: 708746,916,103916,30-34,M,15,7350,1,1.429999948,2,1
        assert (ours.impressions, ours.clicks, ours.conversions, ours.day, ours.source) == (
            7350,
            1,
            2,
            day,
            "export",
        )
        assert ours.spend == pytest.approx(1.43)
        assert ours.reach is None and ours.frequency is None  # no reach column: unknown, not 0
        assert ours.ctr == pytest.approx(100 / 7350)
        n = metric_count(s, campaign_id=c.id, source="export")
        assert n == result.inserted == len(groups)
        assert result.unattributed == len(others) == 38
        assert result.unattributed_spend == pytest.approx(round(other_spend, 2))
        stored = s.exec(select(Metric).where(Metric.source == "export")).all()
        assert sum(m.conversions for m in stored) == sum(int(r["Total_Conversion"]) for r in raw)
        assert sum(m.impressions for m in stored) == sum(int(r["Impressions"]) for r in raw)
        again = import_ads_export(s, path=path, campaign_id=c.id, day=day)
        assert again.inserted == 0 and again.updated == n


def test_an_export_without_dates_is_refused_unless_a_day_is_given(engine, tmp_path):
    """Rows without a date are never dated at the campaign start: refused, or on the given day."""
    path = tmp_path / "export.csv"
    path.write_text("fb_campaign_id,Impressions,Clicks,Spent\n555,100,2,1.5\n", encoding="utf-8")
    with Session(engine) as s:
        cid = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1)).id
        with pytest.raises(CounterflowError, match="no date column") as info:
            import_ads_export(s, path=path, campaign_id=cid)
        assert "--day" in str(info.value.hint)
        assert metric_count(s, campaign_id=cid) == 0
        result = import_ads_export(s, path=path, campaign_id=cid, day=dt.date(2026, 6, 3))
        s.commit()
        assert result.inserted == 1
        assert s.exec(select(Metric)).one().day == dt.date(2026, 6, 3)


HAND_EXPORT = """Reporting starts,Ad set ID,Age,Impressions,Reach,Link clicks,Amount spent (USD),Results
2026-06-01,111,18-24,1000,800,10,5.00,2
2026-06-01,111,25-34,500,,5,2.50,1
2026-06-02,111,18-24,2000,1500,20,10.00,
,111,18-24,100,90,1,0.50,0
2026-06-01,999,18-24,3000,2500,30,40.00,3
2026-06-02,111,25-34,abc,1,1,1,1
"""


def test_a_hand_made_export_keeps_unknowns_conversions_and_other_ad_sets_apart(engine, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(HAND_EXPORT, encoding="utf-8")
    with Session(engine) as s:
        c = make_draft_campaign(s, starts_on=dt.date(2026, 5, 20))
        asset = s.exec(select(Asset).order_by(Asset.id)).first()
        _publish_as(s, c.id, (("111", asset),))
        result = import_ads_export(s, path=path, campaign_id=c.id)
        s.commit()
        assert result.rows_read == 6
        assert [line for line, _ in result.rejected] == [5, 7]
        assert "no date" in result.rejected[0][1] and "'abc' is not a number" in result.rejected[1][1]
        assert (result.unattributed, result.unattributed_spend) == (1, 40.0)
        assert result.columns["conversions"] == "Results" and result.columns_not_stored == ["Age"]
        rows = {
            (m.tracking_code, m.day): m
            for m in s.exec(select(Metric).where(Metric.campaign_id == c.id)).all()
        }
        code = asset.tracking_code
        d1, d2 = dt.date(2026, 6, 1), dt.date(2026, 6, 2)
        first = rows[(code, d1)]  # two breakdown rows: 1000 + 500 impressions, one without reach
        assert (first.impressions, first.clicks, first.conversions) == (1500, 15, 3)
        assert first.spend == pytest.approx(7.5) and first.ctr == pytest.approx(1.0)
        assert first.reach is None and first.frequency is None  # 800 would pass for the whole
        assert any("reach of" in n and "1 of its 2 rows" in n for n in result.notes)
        second = rows[(code, d2)]  # a blank Results cell is unknown, not 0
        assert (second.impressions, second.reach, second.conversions) == (2000, 1500, None)
        assert second.frequency == pytest.approx(2000 / 1500)
        other = rows[("fb-adset-999", d1)]
        assert (other.spend, other.adset_id, other.conversions) == (40.0, None, 3)
        assert len(rows) == 3
        # with the day given, the undated row counts for that day
        again = import_ads_export(s, path=path, campaign_id=c.id, day=dt.date(2026, 6, 5))
        s.commit()
        assert [line for line, _ in again.rejected] == [7]
        late = s.exec(select(Metric).where(Metric.day == dt.date(2026, 6, 5))).one()
        assert (late.impressions, late.reach, late.conversions) == (100, 90, 0)


def test_platform_conversions_are_stored_once_per_event(engine, settings, fake_graph):
    """The SDK asks for conversions; the fake lists each event as a roll-up and its part (and
    leaves the list out on a day without any), and each event counts once."""
    channel = facebook_channel(settings, fake_graph)
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel)
        since, until = c.starts_on, c.starts_on + dt.timedelta(days=9)
        n = len(fake_graph.requests)
        fetch_insights(s, campaign_id=c.id, channel=channel, since=since, until=until)
        s.commit()
        asked = [r for r in fake_graph.requests[n:] if r["path"].endswith("/insights")]
        assert "conversions" in str(asked[0]["params"]["fields"]).split(",")
        by_ext = {
            d.external_id: int(d.key.split(":")[1])
            for d in s.exec(select(Delivery).where(Delivery.kind == "adset")).all()
        }
        seen = []
        for ext, adset_id in by_ext.items():
            code = s.exec(select(Asset).where(Asset.adset_id == adset_id)).one().tracking_code
            for i in range(10):
                day = since + dt.timedelta(days=i)
                expected = insight_row(fake_graph.objects[ext], day).get("conversions")
                want = int(expected[0]["value"]) if expected else 0  # the contact_total roll-up
                m = s.exec(select(Metric).where(Metric.tracking_code == code, Metric.day == day)).one()
                assert m.conversions == want
                seen.append(want)
        assert max(seen) > 0 and min(seen) == 0  # both a day with conversions and one without


def test_platform_rows_of_ad_sets_we_did_not_publish_are_kept_apart(engine, settings, fake_graph):
    """An ad set someone added to the campaign on the platform: its rows are stored under
    fb-adset-<id>, counted as unattributed, and outcomes leave its spend out of the totals."""
    from campaigns.feedback.outcomes import campaign_outcomes

    channel = facebook_channel(settings, fake_graph)
    with Session(engine) as s:
        c = ready_campaign(s)
        publish_campaign(s, campaign_id=c.id, channel=channel)
        first = fake_graph.of_kind("adset")[0]
        added = fake_graph._create("adset", dict(first["params"], name="added in Ads Manager"))["id"]
        since = c.starts_on
        result = fetch_insights(s, campaign_id=c.id, channel=channel, since=since, until=since)
        s.commit()
        row = insight_row(fake_graph.objects[added], since)
        assert (result.rows_read, result.unattributed) == (3, 1)
        assert result.unattributed_spend == pytest.approx(float(row["spend"]))
        kept = s.exec(select(Metric).where(Metric.tracking_code == f"fb-adset-{added}")).one()
        assert kept.adset_id is None and kept.spend == pytest.approx(float(row["spend"]))
        out = campaign_outcomes(s, campaign_id=c.id)
        ours = s.exec(select(Metric).where(Metric.tracking_code != f"fb-adset-{added}")).all()
        assert out.totals["spend"] == pytest.approx(sum(m.spend for m in ours))
        assert out.unattributed is not None and out.unattributed["spend"] == pytest.approx(kept.spend)


def test_bad_export_rows_are_kept_as_rejects(engine, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "ad_id,fb_campaign_id,Impressions,Clicks,Spent\n1,555,100,2,1.5\n2,556,lots,1,0\n3,,10,0,0\n",
        encoding="utf-8",
    )
    with Session(engine) as s:
        cid = make_draft_campaign(s, starts_on=dt.date(2026, 6, 1)).id
        result = import_ads_export(s, path=path, campaign_id=cid, day=dt.date(2026, 6, 1))
        s.commit()
        assert [line for line, _ in result.rejected] == [3, 4]
        rejects = s.exec(select(Reject).order_by(Reject.line)).all()
        assert [r.line for r in rejects] == [3, 4] and "lots" in rejects[0].reason
        assert result.inserted == 1
    (tmp_path / "nocol.csv").write_text("ad_id,Ad set ID\n1,2\n", encoding="utf-8")
    with Session(engine) as s, pytest.raises(CounterflowError, match="no measure column"):
        import_ads_export(s, path=tmp_path / "nocol.csv", campaign_id=cid)
