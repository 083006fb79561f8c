"""Publishing through the real SDK against the fake Graph API: retries, permanent errors, an
expired token, and secrets kept out of logs and error texts."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr
from sqlmodel import Session, select

from campaigns.delivery.channels.facebook import FacebookChannel
from campaigns.delivery.channels.redact import RedactSecretsFilter, install_redaction, redact
from campaigns.delivery.publish import publish_campaign
from intel.errors import CounterflowError
from intel.models import Campaign, Delivery
from sandbox.fakegraph import start_fake_graph
from tests.factories import Sleeps, facebook_channel, ready_campaign


def _objects(fake):
    return sorted(o["kind"] for o in fake.objects.values())


def test_transient_errors_and_rate_limits_are_retried_with_backoff(engine, settings, fake_graph):
    sleeps = Sleeps()
    channel = facebook_channel(settings, fake_graph, sleeps)
    fake_graph.fail_next("transient", times=2, path_contains="/adsets", method="POST")
    fake_graph.fail_next("rate_limit", path_contains="/adcreatives", method="POST")
    with Session(engine) as s:
        c = ready_campaign(s)
        report = publish_campaign(s, campaign_id=c.id, channel=channel)
        assert report.ok, report.failed
    assert len(sleeps.calls) == 3
    assert sleeps.calls[1] > sleeps.calls[0] * 0.9  # exponential (with jitter between 50% and 100%)
    assert fake_graph.duplicates() == {}
    assert _objects(fake_graph).count("adset") == 2


def test_a_permanent_error_stops_that_object_and_its_dependants_only(engine, settings, fake_graph):
    channel = facebook_channel(settings, fake_graph)
    fake_graph.fail_next("invalid_parameter", path_contains="/adsets", method="POST")
    with Session(engine) as s:
        c = ready_campaign(s)
        report = publish_campaign(s, campaign_id=c.id, channel=channel)
        failed = dict(report.failed)
        first_adset = next(k for k in failed if k.startswith("adset:"))
        assert (
            "Invalid parameter" in failed[first_adset]
            and "budget for this ad set is too low" in failed[first_adset]
        )
        blocked = [k for k, why in failed.items() if why == f"not sent: {first_adset} failed"]
        assert [k.split(":")[0] for k in blocked] == ["ad"]  # its ad; its creative has no parent
        row = s.exec(select(Delivery).where(Delivery.key == first_adset)).one()
        assert row.status == "failed" and row.external_id is None and fake_graph.token not in row.error
        assert s.get(Campaign, c.id).status != "published"
        # everything else went out
        assert _objects(fake_graph).count("adset") == 1 and _objects(fake_graph).count("ad") == 1
        assert _objects(fake_graph).count("creative") == 2
        # the rerun sends the rest, and nothing twice
        again = publish_campaign(s, campaign_id=c.id, channel=channel)
        assert again.ok and sorted(k for k, _ in again.sent) == sorted([first_adset, *blocked])
        assert s.get(Campaign, c.id).status == "published"
    assert fake_graph.duplicates() == {}


def test_an_expired_token_stops_the_run_with_the_fix(engine, settings, fake_graph):
    channel = facebook_channel(settings, fake_graph)
    fake_graph.fail_next("expired_token", path_contains="/adsets", method="POST")
    with Session(engine) as s:
        c = ready_campaign(s)
        with pytest.raises(CounterflowError, match="access token") as info:
            publish_campaign(s, campaign_id=c.id, channel=channel)
        assert "COUNTERFLOW_FACEBOOK_ACCESS_TOKEN" in info.value.fix
        n_before = len(fake_graph.objects)
        assert n_before == 1  # only the campaign: nothing was sent after the token failed
        report = publish_campaign(s, campaign_id=c.id, channel=channel)
        assert report.ok and report.skipped == [(f"campaign:{c.id}", next(iter(fake_graph.objects)))]
    assert fake_graph.duplicates() == {}


def test_app_secret_proof_is_sent_and_checked(engine, settings):
    fake = start_fake_graph(app_secret="app-secret-1")
    try:
        channel = facebook_channel(settings, fake)
        with Session(engine) as s:
            c = ready_campaign(s)
            assert publish_campaign(s, campaign_id=c.id, channel=channel).ok
    finally:
        fake.stop()


def test_missing_settings_are_named(settings):
    with pytest.raises(CounterflowError, match="COUNTERFLOW_FACEBOOK_ACCESS_TOKEN") as info:
        FacebookChannel(settings)
    assert "dry-run outbox" in info.value.fix
    assert str(info.value.hint) == "counterflow publish CAMPAIGN_ID --channel outbox"
    bad = settings.model_copy(
        update={
            "facebook_access_token": SecretStr("x"),
            "facebook_ad_account_id": "1234",
            "facebook_page_id": "1",
        }
    )
    with pytest.raises(CounterflowError, match="'1234'"):
        FacebookChannel(bad)


def test_the_token_never_reaches_logs_or_errors_when_the_network_fails(engine, settings, caplog):
    secret = "EAAB-SUPER-SECRET-TOKEN"
    unreachable = settings.model_copy(
        update={
            "facebook_access_token": SecretStr(secret),
            "facebook_ad_account_id": "act_1001",
            "facebook_page_id": "2002",
            "facebook_graph_url": "http://127.0.0.1:9",  # discard port: connection refused
        }
    )
    channel = FacebookChannel(unreachable, base_delay=0.001, sleep=Sleeps(), attempts=2)
    caplog.set_level(logging.DEBUG)
    with Session(engine) as s:
        c = ready_campaign(s)
        report = publish_campaign(s, campaign_id=c.id, channel=channel)
        errors = [d.error or "" for d in s.exec(select(Delivery)).all()]
    assert report.failed and "cannot reach the Graph API" in report.failed[0][1]
    assert secret not in caplog.text
    assert all(secret not in e for e in errors)


def test_redact_scrubs_query_strings_and_json():
    text = (
        "GET http://x/v24.0/act_1/ads?access_token=EAAB123&appsecret_proof=abc123&limit=5 "
        '{"access_token": "EAAB123"} access_token%3DEAAB123'
    )
    clean = redact(text)
    assert "EAAB123" not in clean and "abc123" not in clean
    assert "limit=5" in clean and clean.count("[redacted]") == 4
    assert redact(clean) == clean


def test_the_logging_filter_redacts_messages_args_and_tracebacks(caplog):
    logger = logging.getLogger("tests.redact")
    caplog.set_level(logging.INFO)
    install_redaction()
    handler_filters = [f for h in logging.getLogger().handlers for f in h.filters]
    assert any(isinstance(f, RedactSecretsFilter) for f in handler_filters)
    logger.info("calling %s", "https://graph/v24.0/me?access_token=TOPSECRET")
    try:
        raise RuntimeError("Max retries exceeded with url: /v24.0/act_1?access_token=TOPSECRET")
    except RuntimeError:
        logger.exception("failed")
    assert "TOPSECRET" not in caplog.text
    assert "access_token=[redacted]]" not in caplog.text  # idempotent: filtering twice changes nothing
    assert caplog.text.count("access_token=[redacted]") >= 2


def test_teen_ad_sets_get_their_city_key_from_the_targeting_search(engine, settings, fake_graph):
    from tests.factories import ENGLISH_ONLY

    nigeria = [ENGLISH_ONLY[0], dict(ENGLISH_ONLY[0], name="Nowhere Junction", city="Nowhere Junction")]
    channel = facebook_channel(settings, fake_graph)
    with Session(engine) as s:
        c = ready_campaign(s, targets=nigeria, teen=True)
        report = publish_campaign(s, campaign_id=c.id, channel=channel)
    searches = [r for r in fake_graph.requests if r["path"].endswith("/search")]
    assert {r["params"]["q"] for r in searches} == {"Benin City", "Nowhere Junction"}
    adsets = fake_graph.of_kind("adset")
    assert len(adsets) == 1
    targeting = adsets[0]["params"]["targeting"]
    assert targeting["age_min"] == 13 and "genders" not in targeting and "locales" not in targeting
    assert targeting["geo_locations"]["cities"][0]["key"].isdigit()
    failed = dict(report.failed)
    (unknown,) = [k for k, why in failed.items() if "knows no city 'Nowhere Junction'" in why]
    assert unknown.startswith("adset:")
    with Session(engine) as s:
        sent = s.exec(select(Delivery).where(Delivery.kind == "adset", Delivery.status == "sent")).one()
    # the store holds exactly what was sent: the city as its platform key
    assert sent.payload["targeting"] == targeting
