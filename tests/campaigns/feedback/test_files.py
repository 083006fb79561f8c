"""Feedback files: metrics and tips with tracking codes, attributed; bad rows kept with reasons."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from campaigns.feedback.files import load_feedback
from intel.db import session_scope
from intel.errors import CounterflowError
from intel.models import Metric, Reject, Report, Tip
from intel.users import add_user
from sandbox.feedback import simulate_feedback
from tests.factories import make_draft_campaign


@pytest.fixture
def campaign(engine):
    with session_scope(engine) as s:
        add_user(s, name="chidi", role="analyst")
        # a campaign that ran over the past two weeks (simulated results are never in the future)
        c = make_draft_campaign(s, starts_on=dt.date.today() - dt.timedelta(days=14), days=12)
        codes = sorted(a.tracking_code for a in c_assets(s, c.id))
        return c.id, codes


def c_assets(session, campaign_id):
    from intel.models import Asset

    return session.exec(select(Asset).where(Asset.campaign_id == campaign_id)).all()


def test_metrics_file_is_attributed_and_bad_rows_are_kept(engine, settings, campaign, tmp_path):
    cid, codes = campaign
    path = tmp_path / "metrics.csv"
    path.write_text(
        "tracking_code,day,reach,impressions,clicks,spend\n"
        f"{codes[0]},2027-01-10,1000,2000,100,12.5\n"
        f"{codes[1]},2027-01-10,500,900,40,6\n"
        f"nosuchcode,2027-01-10,5,5,1,0\n"
        f"{codes[0]},10/01/2027,1,1,1,0\n"
        f"{codes[0]},2027-01-11,10,5,9,0\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        out = load_feedback(s, campaign_id=cid, settings=settings, metrics_path=path)
    assert (out.metrics_read, out.metrics_stored, out.rejected) == (5, 2, 3)
    reasons = [r[2] for r in out.reject_rows]
    assert "nosuchcode" in reasons[0]
    assert "10/01/2027" in reasons[1] and "YYYY-MM-DD" in reasons[1]
    assert "clicks (9) exceed impressions (5)" in reasons[2]
    assert out.rejects_path is not None and out.rejects_path.exists()
    with session_scope(engine) as s:
        rows = s.exec(select(Metric).where(Metric.campaign_id == cid)).all()
        assert sorted((m.tracking_code, m.reach, m.clicks) for m in rows) == sorted(
            [(codes[0], 1000, 100), (codes[1], 500, 40)]
        )
        assert len(s.exec(select(Reject)).all()) == 3
    # loading the same file again updates the same rows: nothing is counted twice
    with session_scope(engine) as s:
        load_feedback(s, campaign_id=cid, settings=settings, metrics_path=path)
    with session_scope(engine) as s:
        assert len(s.exec(select(Metric).where(Metric.campaign_id == cid)).all()) == 2


def test_a_metrics_file_keeps_missing_measures_unknown(engine, settings, campaign, tmp_path):
    """No reach column, a blank clicks cell: unknown (NULL), not 0, and no traceback."""
    cid, codes = campaign
    path = tmp_path / "metrics.csv"
    path.write_text(
        "tracking_code,day,impressions,clicks,conversions\n"
        f"{codes[0]},2027-01-10,2000,,3\n"
        f"{codes[0]},2027-01-11,,40,\n"
        f"{codes[1]},2027-01-10,1000,50,0\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        out = load_feedback(s, campaign_id=cid, settings=settings, metrics_path=path)
    assert (out.metrics_read, out.metrics_stored, out.rejected) == (3, 3, 0)
    with session_scope(engine) as s:
        got = {
            (m.tracking_code, m.day.isoformat()): (m.reach, m.impressions, m.clicks, m.conversions, m.ctr)
            for m in s.exec(select(Metric).where(Metric.campaign_id == cid)).all()
        }
    assert got == {
        (codes[0], "2027-01-10"): (None, 2000, None, 3, None),
        (codes[0], "2027-01-11"): (None, None, 40, None, None),
        (codes[1], "2027-01-10"): (None, 1000, 50, 0, 5.0),
    }
    (tmp_path / "none.csv").write_text(f"tracking_code,day\n{codes[0]},2027-01-10\n", encoding="utf-8")
    with session_scope(engine) as s, pytest.raises(CounterflowError, match="no measure column"):
        load_feedback(s, campaign_id=cid, settings=settings, metrics_path=tmp_path / "none.csv")


def test_tips_file_attributes_triages_and_creates_reports(engine, settings, campaign, tmp_path):
    cid, codes = campaign
    path = tmp_path / "tips.csv"
    secret = "The madam at the salon keeps the girls' passports"
    # tips of the past three days (a report is never dated in the future)
    d1, d2, d3 = (dt.date.today() - dt.timedelta(days=n) for n in (3, 2, 1))
    path.write_text(
        "tracking_code,text,received_on,actionable,lat,lon\n"
        f'{codes[0]},"{secret}",{d1},yes,6.34,5.63\n'
        f"{codes[1]},Nothing to add,{d2},no,,\n"
        f",Unattributed but kept,{d2},,,\n"
        f"{codes[0]},Bad decision,{d2},maybe,,\n"
        f'{codes[0]},"",{d2},no,,\n'
        # a comma without quotes shifts the tip's words into the other columns
        f"{codes[1]},they hold the girls,near the old market,{d3},no,,\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        n_reports = len(s.exec(select(Report)).all())
        out = load_feedback(s, campaign_id=cid, settings=settings, tips_path=path, triage_as="chidi")
    assert (out.tips_read, out.tips_stored, out.tips_attributed) == (6, 3, 2)
    assert (out.tips_actionable, out.reports_created, out.rejected) == (1, 1, 3)
    assert "'maybe'" in out.reject_rows[0][2] and "yes or no" in out.reject_rows[0][2]
    # refused rows keep their line, reason and columns, but none of a tip's words
    kept = out.rejects_path.read_text(encoding="utf-8")
    for words in ("Bad decision", "near the old market", "they hold the girls"):
        assert words not in kept
    assert [r[1] for r in out.reject_rows] == [5, 6, 7]
    with session_scope(engine) as s:
        tips = s.exec(select(Tip).order_by(Tip.id)).all()
        assert [t.status for t in tips] == ["actionable", "not_actionable", "new"]
        assert tips[0].received_at.date() == d1
        assert secret.encode() not in tips[0].text_encrypted
        assert len(s.exec(select(Report)).all()) == n_reports + 1
    # the same file again would count every tip twice: refused, nothing added
    with session_scope(engine) as s, pytest.raises(CounterflowError) as err:
        load_feedback(s, campaign_id=cid, settings=settings, tips_path=path, triage_as="chidi")
    assert "already loaded" in err.value.problem
    with session_scope(engine) as s:
        assert len(s.exec(select(Tip)).all()) == 3


def test_an_actionable_tip_whose_place_does_not_resolve_is_kept_for_an_analyst_to_place(
    sqlite_engine, sqlite_settings, tmp_path
):
    with session_scope(sqlite_engine) as s:
        add_user(s, name="chidi", role="analyst")
        c = make_draft_campaign(s, starts_on=dt.date.today() - dt.timedelta(days=14), days=12)
        cid, code = c.id, sorted(a.tracking_code for a in c_assets(s, c.id))[0]
    path = tmp_path / "tips.csv"
    day = dt.date.today() - dt.timedelta(days=1)
    path.write_text(
        "tracking_code,text,received_on,actionable,place\n"
        f"{code},They keep girls in a hotel,{day},yes,Ekpoma\n"
        f"{code},They keep girls in a bar,{day},yes,Ekpomma\n"  # no such place: no guess
        f"{code},They keep girls in a house,{day},yes,Tripoli\n",  # Libya or Lebanon
        encoding="utf-8",
    )
    with session_scope(sqlite_engine) as s:
        out = load_feedback(s, campaign_id=cid, settings=sqlite_settings, tips_path=path, triage_as="chidi")
    assert (out.tips_stored, out.tips_actionable, out.reports_created, out.rejected) == (3, 1, 1, 0)
    assert out.left_for_triage == [3, 4]
    assert out.as_dict()["left_for_triage"] == [3, 4]
    with session_scope(sqlite_engine) as s:
        tips = s.exec(select(Tip).order_by(Tip.id)).all()
        assert [(t.status, t.place) for t in tips] == [("actionable", "Ekpoma"), ("new", None), ("new", None)]
        (report,) = s.exec(select(Report).where(Report.id == tips[0].report_id)).all()
        assert (report.place, report.country) == ("Ekpoma", "NG")


def test_metric_values_must_be_finite(engine, settings, campaign, tmp_path):
    cid, codes = campaign
    path = tmp_path / "m.csv"
    path.write_text(
        f"tracking_code,day,reach,impressions,clicks,spend\n{codes[0]},2027-01-10,inf,10,1,1\n"
        f"{codes[0]},2027-01-11,5,10,1,nan\n",
        encoding="utf-8",
    )
    with session_scope(engine) as s:
        out = load_feedback(s, campaign_id=cid, settings=settings, metrics_path=path)
    assert (out.metrics_stored, out.rejected) == (0, 2)
    assert all("finite" in r[2] for r in out.reject_rows)


def test_missing_columns_name_the_fix(engine, settings, campaign, tmp_path):
    cid, _ = campaign
    path = tmp_path / "m.csv"
    path.write_text("code,date\nx,2027-01-01\n", encoding="utf-8")
    with session_scope(engine) as s, pytest.raises(CounterflowError) as err:
        load_feedback(s, campaign_id=cid, settings=settings, metrics_path=path)
    assert "tracking_code" in err.value.problem and "columns" in err.value.fix


def test_nothing_is_simulated_before_a_campaign_starts(engine, settings):
    with session_scope(engine) as s:
        add_user(s, name="chidi", role="analyst")
        cid = make_draft_campaign(s, starts_on=dt.date.today() + dt.timedelta(days=3)).id
    with session_scope(engine) as s, pytest.raises(CounterflowError) as err:
        simulate_feedback(s, campaign_id=cid, settings=settings, analyst="chidi")
    assert "no results to simulate yet" in err.value.problem


def test_simulated_feedback_is_labelled(engine, settings, campaign):
    cid, codes = campaign
    with session_scope(engine) as s:
        out = simulate_feedback(s, campaign_id=cid, settings=settings, analyst="chidi", days=10)
    assert out.simulated and out.metrics_stored == 10 * len(codes)
    # the simulated spend stays within the campaign's budget (it is shared by an ad set's assets)
    with session_scope(engine) as s:
        from intel.models import Campaign

        budget = s.get(Campaign, cid).budget
        spent = sum(m.spend for m in s.exec(select(Metric).where(Metric.campaign_id == cid)).all())
    assert 0 < spent <= budget * 1.1
    with session_scope(engine) as s:
        metrics = s.exec(select(Metric).where(Metric.campaign_id == cid)).all()
        assert metrics and all(m.source == "simulated" for m in metrics)
        tips = s.exec(select(Tip)).all()
        assert all(t.simulated for t in tips)
        assert sum(t.status == "actionable" for t in tips) == out.tips_actionable
    # simulating again would double every count: refused
    with session_scope(engine) as s, pytest.raises(CounterflowError):
        simulate_feedback(s, campaign_id=cid, settings=settings, analyst="chidi", days=10)
