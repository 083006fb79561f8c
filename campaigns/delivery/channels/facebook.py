"""Facebook through the real facebook-business SDK.

The only module that calls ``FacebookAdsApi.init`` (with ``crash_log=False``: otherwise the SDK
installs an excepthook that posts crash reports to the Graph API). Every value comes from
``Settings``; ``COUNTERFLOW_FACEBOOK_GRAPH_URL`` points the session at another Graph base URL (the
local fake server in tests). The SDK puts the access token in the query string of every request,
so error texts and logs go through :func:`campaigns.delivery.channels.redact.redact`.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlmodel import Session, select

from campaigns.delivery.channels.base import ChannelError, SendingChannel, TransientError, with_backoff
from campaigns.delivery.channels.outbox import describe_request, sdk_request
from campaigns.delivery.channels.redact import install_redaction, redact
from campaigns.delivery.channels.specs import ObjectSpec
from intel.errors import CommandHint, CounterflowError
from intel.models import Delivery
from intel.settings import Settings

log = logging.getLogger(__name__)

FATAL_CODES = {102, 190}  # session / access token invalid or expired
TRANSIENT_CODES = {1, 2, 4, 17, 32, 341, 613, 80000, 80004}
SHRINK_CODES = {1, 17}  # "reduce the amount of data" and rate limits: smaller pages help

INSIGHT_FIELDS = [
    "adset_id",
    "adset_name",
    "date_start",
    "date_stop",
    "reach",
    "impressions",
    "frequency",
    "clicks",
    "ctr",
    "unique_ctr",
    "spend",
    "conversions",
    "video_p25_watched_actions",
    "video_p50_watched_actions",
    "video_p75_watched_actions",
    "video_p100_watched_actions",
    "video_avg_time_watched_actions",
]


def required_settings(settings: Settings) -> tuple[str, str, str]:
    """(token, ad account, page) or a clear error naming the missing setting."""
    missing = [
        name
        for name, value in (
            ("COUNTERFLOW_FACEBOOK_ACCESS_TOKEN", settings.facebook_access_token),
            ("COUNTERFLOW_FACEBOOK_AD_ACCOUNT_ID", settings.facebook_ad_account_id),
            ("COUNTERFLOW_FACEBOOK_PAGE_ID", settings.facebook_page_id),
        )
        if not value
    ]
    if missing:
        raise CounterflowError(
            f"the facebook channel needs {', '.join(missing)}",
            "set them in the environment or .env (see the README's Publishing section), "
            "or publish to the dry-run outbox instead",
            hint=CommandHint("publish", "CAMPAIGN_ID --channel outbox"),
        )
    assert settings.facebook_access_token and settings.facebook_ad_account_id and settings.facebook_page_id
    account = settings.facebook_ad_account_id
    if not account.startswith("act_") or not account[4:].isdigit():
        raise CounterflowError(
            f"COUNTERFLOW_FACEBOOK_AD_ACCOUNT_ID was {account!r}", "it must look like act_1234567890"
        )
    return settings.facebook_access_token.get_secret_value(), account, settings.facebook_page_id


def classify(exc: Exception, *, method: str) -> ChannelError:
    """Turn an SDK or HTTP exception into a (redacted) channel error of the right kind."""
    import requests
    from facebook_business.exceptions import FacebookRequestError

    if isinstance(exc, FacebookRequestError):
        code = exc.api_error_code()
        sub = exc.api_error_subcode()
        body = exc.body() if isinstance(exc.body(), dict) else {}
        err = body.get("error", {}) if isinstance(body, dict) else {}
        text = f"(code {code}{f'/{sub}' if sub else ''}, HTTP {exc.http_status()}) {exc.api_error_message()}"
        if err.get("error_user_msg"):
            text += f": {err['error_user_msg']}"
        if code in FATAL_CODES:
            return ChannelError(f"access token rejected {text}", fatal=True, code=code)
        if (
            exc.api_transient_error()
            or code in TRANSIENT_CODES
            or (code is None and exc.http_status() >= 500)
        ):
            return TransientError(text, code=code)
        return ChannelError(text, code=code)
    if isinstance(exc, requests.exceptions.ConnectTimeout) or (
        isinstance(exc, requests.exceptions.ConnectionError) and "NewConnectionError" in repr(exc)
    ):
        return TransientError(f"cannot reach the Graph API: {type(exc).__name__}")
    if isinstance(exc, requests.exceptions.RequestException):
        # the request may have reached the platform: a create must look before sending again
        if method == "GET":
            return TransientError(f"network error: {type(exc).__name__}: {redact(str(exc))}")
        return ChannelError(f"outcome unknown: {type(exc).__name__}: {redact(str(exc))}", ambiguous=True)
    raise exc


class FacebookChannel(SendingChannel):
    """Campaign, ad sets, creatives and ads (all PAUSED) and scheduled Page posts, via the SDK."""

    name = "facebook"

    def __init__(
        self,
        settings: Settings,
        *,
        attempts: int = 5,
        base_delay: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        timeout: tuple[float, float] = (5.0, 60.0),
        sandbox: bool = False,
    ) -> None:
        from facebook_business.adobjects.adaccount import AdAccount
        from facebook_business.adobjects.page import Page
        from facebook_business.api import FacebookAdsApi

        token, account_id, page_id = required_settings(settings)
        install_redaction()
        if sandbox:
            # a sandbox ad account (or the local fake Graph API): the real SDK and protocol, no
            # real audience, so the policy treats it like the dry-run outbox
            self.name = "facebook-sandbox"
        self.settings = settings
        self.account_id = account_id
        self.page_id = page_id
        self.sleep = sleep
        self.attempts = attempts
        self.base_delay = base_delay
        secret = settings.facebook_app_secret.get_secret_value() if settings.facebook_app_secret else None
        self.api = FacebookAdsApi.init(
            app_id=settings.facebook_app_id,
            app_secret=secret,
            access_token=token,
            account_id=account_id,
            api_version=settings.facebook_api_version,
            timeout=timeout,
            crash_log=False,
        )
        if settings.facebook_graph_url:
            self.api._session.GRAPH = settings.facebook_graph_url.rstrip("/")
        self.account = AdAccount(account_id, api=self.api)
        self.page = Page(page_id, api=self.api)
        self.requests_sent = 0
        backoff = with_backoff(attempts=attempts, base_delay=base_delay, sleep=sleep)
        self._execute_post = backoff(self._execute_once("POST"))
        self._execute_get = backoff(self._execute_once("GET"))

    def _execute_once(self, method: str) -> Callable[[Callable[[], Any]], Any]:
        def call(thunk: Callable[[], Any]) -> Any:
            self.requests_sent += 1
            try:
                return thunk()
            except Exception as exc:
                raise classify(exc, method=method) from None

        return call

    # --- SendingChannel ---------------------------------------------------------------------------
    def describe(self, spec: ObjectSpec, params: dict[str, Any]) -> dict[str, Any]:
        request = sdk_request(spec, params, account_id=self.account_id, page_id=self.page_id)
        return describe_request(request, self.settings.facebook_api_version)

    def prepare(self, spec: ObjectSpec, params: dict[str, Any]) -> dict[str, Any]:
        return self._with_city_keys(params) if spec.kind == "adset" else params

    def create(self, spec: ObjectSpec, params: dict[str, Any], campaign_id: int) -> str:
        def send() -> Any:
            request = sdk_request(spec, params, account_id=self.account_id, page_id=self.page_id)
            request._api = self.api
            return request.execute()

        obj = self._execute_post(send)
        external_id = str(obj["id"])
        log.info("facebook %s created as %s", spec.key, external_id)
        return external_id

    def _with_city_keys(self, params: dict[str, Any]) -> dict[str, Any]:
        """Fill the platform key of each targeted city (teen ad sets target whole cities) from the
        targeting search; a city the platform does not know stops this ad set."""
        geo = (params.get("targeting") or {}).get("geo_locations") or {}
        cities = geo.get("cities") or []
        if all(c.get("key") for c in cities):
            return params
        resolved = []
        for city in cities:
            if city.get("key"):
                resolved.append(city)
                continue
            name, country = city.get("name", ""), city.get("country", "")
            query = {"type": "adgeolocation", "location_types": ["city"], "q": name, "country_code": country}

            def search(query: dict[str, Any] = query) -> Any:
                return self.api.call("GET", ("search",), params=query).json().get("data", [])

            hits = [h for h in self._execute_get(search) if h.get("type") == "city"]
            match = next((h for h in hits if str(h.get("country_code", "")).upper() == country.upper()), None)
            if match is None:
                raise ChannelError(
                    f"the platform's targeting search knows no city {name!r} in {country}: "
                    "set the target's city to a nearby city the search finds"
                )
            resolved.append({"key": str(match["key"])})
        targeting = {**params["targeting"], "geo_locations": {**geo, "cities": resolved}}
        return {**params, "targeting": targeting}

    def find(self, spec: ObjectSpec, campaign_id: int) -> str | None:
        if spec.kind == "post":
            return self._find_post(spec)
        lister = {
            "campaigns": self.account.get_campaigns,
            "adsets": self.account.get_ad_sets,
            "adcreatives": self.account.get_ad_creatives,
            "ads": self.account.get_ads,
        }[spec.edge]
        params = {"filtering": [{"field": "name", "operator": "CONTAIN", "value": spec.tag}], "limit": 100}

        def scan() -> str | None:
            for obj in lister(fields=["id", "name"], params=params):
                if spec.tag in str(obj.get("name", "")):
                    return str(obj["id"])
            return None

        return self._execute_get(scan)

    def _find_post(self, spec: ObjectSpec) -> str | None:
        when = int(spec.params["scheduled_publish_time"])
        message = spec.params["message"]

        def scan() -> str | None:
            for post in self.page.get_scheduled_posts(fields=["id", "message", "scheduled_publish_time"]):
                value = post.get("scheduled_publish_time")
                try:
                    at = int(value)
                except (TypeError, ValueError):
                    at = int(dt.datetime.fromisoformat(str(value).replace("+0000", "+00:00")).timestamp())
                if at == when and post.get("message") == message:
                    return str(post["id"])
            return None

        return self._execute_get(scan)

    # --- insights --------------------------------------------------------------------------------
    def insights(
        self, session: Session, *, campaign_id: int, since: dt.date, until: dt.date, page_size: int = 100
    ) -> list[dict[str, Any]]:
        """Daily rows per ad set (``level=adset``, ``time_increment=1``), paged; on rate limits and
        "reduce the amount of data" it backs off and halves the page size. Returns rows ready for
        :func:`campaigns.feedback.insights.upsert_metrics` (tracking code, day, metric fields);
        rows of ad sets we did not publish carry ``fb-adset-<id>`` as their tracking code."""
        from facebook_business.exceptions import FacebookRequestError

        deliveries = session.exec(
            select(Delivery).where(Delivery.campaign_id == campaign_id, Delivery.channel == self.name)
        ).all()
        ext_campaign = next(
            (d.external_id for d in deliveries if d.kind == "campaign" and d.external_id), None
        )
        if ext_campaign is None:
            raise CounterflowError(
                f"campaign {campaign_id} has not been published to facebook",
                "publish it to facebook first",
                hint=CommandHint("publish", f"{campaign_id} --channel {self.name}"),
            )
        ours = {
            d.external_id: int(d.key.split(":", 1)[1])
            for d in deliveries
            if d.kind == "adset" and d.external_id
        }
        params: dict[str, Any] = {
            "level": "adset",
            "time_increment": 1,
            "time_range": {"since": since.isoformat(), "until": until.isoformat()},
            "filtering": [{"field": "campaign.id", "operator": "EQUAL", "value": ext_campaign}],
            "limit": page_size,
        }
        rows: list[dict[str, Any]] = []
        cursor: Any = None  # the SDK's Cursor; pages are read one at a time to handle errors per page
        failures = 0
        while True:
            try:
                self.requests_sent += 1
                if cursor is None:
                    cursor = self.account.get_insights(fields=INSIGHT_FIELDS, params=params)
                else:
                    cursor.load_next_page()
                rows.extend(dict(r.export_all_data()) for r in cursor._queue)
                cursor._queue = []
                failures = 0
                if cursor._finished_iteration:
                    break
            except FacebookRequestError as exc:
                err = classify(exc, method="GET")
                if err.fatal or not isinstance(err, TransientError) or failures >= self.attempts:
                    raise CounterflowError(
                        f"facebook insights for campaign {campaign_id} failed: {err}",
                        "fetch the insights again later",
                        hint=CommandHint("insights", f"{campaign_id} --channel {self.name}"),
                    ) from None
                failures += 1
                if err.code in SHRINK_CODES:
                    params["limit"] = max(1, int(params["limit"]) // 2)
                    if cursor is not None:
                        cursor.params["limit"] = params["limit"]
                delay = min(60.0, self.base_delay * 2 ** (failures - 1))
                log.warning("insights: %s; page size %s, retry in %.2fs", err, params["limit"], delay)
                self.sleep(delay)
        from campaigns.feedback.insights import codes_by_adset, normalise_platform_row

        codes = codes_by_adset(session, campaign_id)
        out: list[dict[str, Any]] = []
        for row in rows:
            ext = str(row.get("adset_id"))
            if ours.get(ext) not in codes:
                # kept apart (fb-adset-<id>): outcomes never add it to the campaign's totals
                log.warning("insights row of ad set %s is not one of campaign %s's", ext, campaign_id)
            out.append(normalise_platform_row(row, adset_id=ours.get(ext), codes=codes))
        return out
