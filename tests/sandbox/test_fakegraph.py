"""The fake Graph API checks requests as the platform does, through the real SDK."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
import requests
from facebook_business.adobjects.adaccount import AdAccount
from facebook_business.adobjects.page import Page
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError

from sandbox.fakegraph import FakeGraph, start_fake_graph


def _api(fake: FakeGraph, token: str | None = None) -> FacebookAdsApi:
    api = FacebookAdsApi.init(access_token=token or fake.token, api_version="v24.0", crash_log=False)
    api._session.GRAPH = fake.url
    return api


def _campaign(fake: FakeGraph, api: FacebookAdsApi, **over) -> str:
    params = {
        "name": "c",
        "objective": "OUTCOME_AWARENESS",
        "status": "PAUSED",
        "special_ad_categories": ["ISSUES_ELECTIONS_POLITICS"],
        "is_adset_budget_sharing_enabled": False,
        **over,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return AdAccount(fake.account_id, api=api).create_campaign(params=params)["id"]


def _adset_params(campaign_id: str, **targeting_over) -> dict:
    end = (dt.datetime.now(dt.UTC) + dt.timedelta(days=5)).isoformat()
    targeting = {
        "age_min": 18,
        "age_max": 35,
        "genders": [2],
        "geo_locations": {
            "custom_locations": [
                {"latitude": 6.3, "longitude": 5.6, "radius": 10, "distance_unit": "kilometer"}
            ]
        },
        **targeting_over,
    }
    return {
        "name": "a",
        "campaign_id": campaign_id,
        "status": "PAUSED",
        "billing_event": "IMPRESSIONS",
        "optimization_goal": "REACH",
        "lifetime_budget": 5000,
        "end_time": end,
        "targeting": {k: v for k, v in targeting.items() if v is not None},
    }


def _error(call) -> FacebookRequestError:
    with pytest.raises(FacebookRequestError) as info:
        call()
    return info.value


def test_a_valid_adset_is_created(fake_graph):
    api = _api(fake_graph)
    cid = _campaign(fake_graph, api)
    adset = AdAccount(fake_graph.account_id, api=api).create_ad_set(params=_adset_params(cid))
    assert fake_graph.objects[adset["id"]]["kind"] == "adset"
    assert all(r["token"] for r in fake_graph.requests)
    assert all("access_token" not in r["params"] for r in fake_graph.requests)


ADSET_RULES = [
    # (targeting override, budget/schedule override, expected text in error_user_msg)
    ({"age_min": 12}, {}, "at least 13"),
    ({"age_max": 66}, {}, "at most 65"),
    ({"age_min": 13, "age_max": 17}, {}, "cannot be targeted by genders"),
    ({"age_min": 13, "age_max": 17, "genders": None, "locales": [1001]}, {}, "cannot be targeted by locales"),
    ({"age_min": 13, "age_max": 17, "genders": None}, {}, "not by a radius"),
    ({"geo_locations": {"countries": ["NG"], "location_types": ["home"]}}, {}, "location_types"),
    ({"locales": ["en_US"]}, {}, "numeric locale ids"),
    ({"geo_locations": {"cities": [{"name": "Benin City", "country": "NG"}]}}, {}, "needs the key"),
    (
        {
            "geo_locations": {
                "custom_locations": [
                    {"latitude": 1, "longitude": 1, "radius": 90, "distance_unit": "kilometer"}
                ]
            }
        },
        {},
        "between 1 and 80 km",
    ),
    ({}, {"status": "ACTIVE"}, "PAUSED"),
    ({}, {"end_time": None}, "end_time is required"),
    (
        {},
        {
            "lifetime_budget": None,
            "daily_budget": 500,
            "pacing_type": ["day_parting"],
            "adset_schedule": [{"start_minute": 480, "end_minute": 600, "days": [1]}],
        },
        "lifetime_budget",
    ),
    (
        {},
        {
            "pacing_type": ["day_parting"],
            "adset_schedule": [{"start_minute": 490, "end_minute": 600, "days": [1]}],
        },
        "whole hours",
    ),
    ({}, {"daily_budget": 100}, "exactly one"),
]


@pytest.mark.parametrize("targeting, over, needle", ADSET_RULES)
def test_adset_rules(fake_graph, targeting, over, needle):
    api = _api(fake_graph)
    cid = _campaign(fake_graph, api)
    params = {**_adset_params(cid, **targeting), **over}
    params = {k: v for k, v in params.items() if v is not None}
    err = _error(lambda: AdAccount(fake_graph.account_id, api=api).create_ad_set(params=params))
    assert err.api_error_code() == 100
    assert needle in (err.body()["error"].get("error_user_msg") or err.api_error_message())
    assert not any(o["kind"] == "adset" for o in fake_graph.objects.values())


@pytest.mark.parametrize(
    "over, needle",
    [
        ({"special_ad_categories": None}, "special_ad_categories is required"),
        ({"status": "ACTIVE"}, "PAUSED"),
        ({"objective": "REACH"}, "objective"),
        ({"is_adset_budget_sharing_enabled": None}, "is_adset_budget_sharing_enabled"),
    ],
)
def test_campaign_rules(fake_graph, over, needle):
    api = _api(fake_graph)
    err = _error(lambda: _campaign(fake_graph, api, **over))
    assert needle in (err.body()["error"].get("error_user_msg") or "")
    assert fake_graph.objects == {}


def test_scheduled_post_time_window(fake_graph):
    api = _api(fake_graph)
    page = Page(fake_graph.page_id, api=api)
    soon = int((dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)).timestamp())
    err = _error(
        lambda: page.create_feed(params={"message": "m", "published": False, "scheduled_publish_time": soon})
    )
    assert err.body()["error"]["error_subcode"] == 1363003
    later = int((dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)).timestamp())
    post = page.create_feed(params={"message": "m", "published": False, "scheduled_publish_time": later})
    listed = list(page.get_scheduled_posts(fields=["id", "scheduled_publish_time"]))
    assert [p["id"] for p in listed] == [post["id"]]
    assert listed[0]["scheduled_publish_time"] == later


@pytest.mark.parametrize("token, code", [("wrong", 190), ("", 2500)])
def test_token_is_checked(fake_graph, token, code):
    api = _api(fake_graph, token=token or "x")
    if not token:
        api._session.requests.params.pop("access_token")
    err = _error(lambda: _campaign(fake_graph, api))
    assert err.api_error_code() == code
    assert err.api_error_type() == "OAuthException"


@pytest.mark.parametrize(
    "kind, code, transient, status",
    [
        ("rate_limit", 17, True, 400),
        ("reduce_data", 1, False, 500),
        ("expired_token", 190, False, 400),
        ("transient", 2, True, 500),
    ],
)
def test_injected_errors_have_the_platform_shape(fake_graph, kind, code, transient, status):
    api = _api(fake_graph)
    fake_graph.fail_next(kind, path_contains="/campaigns")
    err = _error(lambda: _campaign(fake_graph, api))
    assert (err.api_error_code(), err.api_transient_error(), err.http_status()) == (code, transient, status)
    assert err.body()["error"]["fbtrace_id"]
    assert _campaign(fake_graph, api)  # only the next request failed


def test_listing_filters_by_name_and_pages(fake_graph):
    api = _api(fake_graph)
    for i in range(7):
        _campaign(fake_graph, api, name=f"camp {i} [cf campaign:{i}]")
    account = AdAccount(fake_graph.account_id, api=api)
    every = list(account.get_campaigns(fields=["id", "name"], params={"limit": 3}))
    assert len(every) == 7
    assert sum(1 for r in fake_graph.requests if r["method"] == "GET") == 3  # 3 + 3 + 1
    hit = list(
        account.get_campaigns(
            fields=["name"],
            params={"filtering": [{"field": "name", "operator": "CONTAIN", "value": "[cf campaign:4]"}]},
        )
    )
    assert [h["name"] for h in hit] == ["camp 4 [cf campaign:4]"]


def test_hold_freezes_the_nth_request_after_creating_it(fake_graph):
    api = _api(fake_graph)
    held = fake_graph.hold_at(1)
    done: list[str] = []
    t = threading.Thread(target=lambda: done.append(_campaign(fake_graph, api)), daemon=True)
    t.start()
    assert held.wait(5)
    assert len(fake_graph.objects) == 1 and done == []  # created, answer withheld
    fake_graph.release()
    t.join(5)
    assert done == list(fake_graph.objects)


def test_the_default_request_log_never_prints_the_token(capfd):
    fake = start_fake_graph(token="SECRET-TOKEN-123")
    try:
        requests.get(
            f"{fake.url}/v24.0/act_1001/campaigns", params={"access_token": "SECRET-TOKEN-123"}, timeout=5
        )
    finally:
        fake.stop()
    out, err = capfd.readouterr()
    assert "SECRET-TOKEN-123" not in out + err
    assert "SECRET-TOKEN-123" not in json.dumps(fake.requests)


def test_insights_answer_only_the_fields_asked_for(fake_graph):
    """Like the platform: the fields asked for and the dates, an unknown field refused, and the
    conversions list left out of a day without conversions."""
    api = _api(fake_graph)
    cid = _campaign(fake_graph, api)
    AdAccount(fake_graph.account_id, api=api).create_ad_set(params=_adset_params(cid))
    account = AdAccount(fake_graph.account_id, api=api)
    params = {
        "level": "adset",
        "time_increment": 1,
        "time_range": {"since": "2026-06-01", "until": "2026-06-20"},
    }
    rows = [dict(r) for r in account.get_insights(fields=["impressions", "conversions"], params=params)]
    assert len(rows) == 20
    assert all({"impressions", "date_start", "date_stop"} <= set(r) for r in rows)
    assert all(set(r) <= {"impressions", "conversions", "date_start", "date_stop"} for r in rows)
    with_conversions = [r for r in rows if "conversions" in r]
    assert 0 < len(with_conversions) < len(rows)
    assert all(int(r["conversions"][0]["value"]) > 0 for r in with_conversions)
    err = _error(lambda: list(account.get_insights(fields=["impressions", "results_guess"], params=params)))
    assert err.api_error_code() == 100 and "results_guess" in err.body()["error"]["error_user_msg"]
