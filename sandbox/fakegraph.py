"""A fake Graph API server on loopback HTTP, for tests and the offline demo.

It answers the requests the facebook-business SDK makes for our objects (ad campaigns, ad sets,
ad creatives, ads, Page feed posts, listings with name filters and cursor paging, insights) and
checks each one the way the platform does: the access token, required fields, the targeting
rules (ages 13-65; for 13-17-year-olds no gender, language or radius pins; no
``location_types``), ``special_ad_categories``, budgets and day-parting, scheduled-post times.
It adds one rule of ours: ad objects must be created ``PAUSED``.

It can answer with the platform's real errors, in the platform's JSON shape::

    fake = start_fake_graph()
    fake.fail_next("rate_limit", times=2, path_contains="/adsets")
    ...
    fake.stop()

Error kinds: ``rate_limit`` (#17), ``reduce_data`` (code 1), ``expired_token`` (190),
``transient`` (code 2, ``is_transient``), and a permanent ``invalid_parameter`` (100). :meth:`FakeGraph.hold_at` freezes the Nth request (the
kill-and-retry test kills the publisher while it waits).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import itertools
import json
import random
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

OBJECTIVES = {
    "OUTCOME_AWARENESS",
    "OUTCOME_TRAFFIC",
    "OUTCOME_ENGAGEMENT",
    "OUTCOME_LEADS",
    "OUTCOME_SALES",
    "OUTCOME_APP_PROMOTION",
}
SPECIAL_AD_CATEGORIES = {
    "NONE",
    "EMPLOYMENT",
    "HOUSING",
    "CREDIT",
    "ISSUES_ELECTIONS_POLITICS",
    "ONLINE_GAMBLING_AND_GAMING",
    "FINANCIAL_PRODUCTS_SERVICES",
}
JSON_PARAMS = {
    "targeting",
    "special_ad_categories",
    "adset_schedule",
    "pacing_type",
    "object_story_spec",
    "creative",
    "filtering",
    "time_range",
    "fields_json",
}
EDGE_KIND = {"campaigns": "campaign", "adsets": "adset", "adcreatives": "creative", "ads": "ad"}

ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "rate_limit": (
        400,
        {
            "message": "(#17) User request limit reached",
            "type": "OAuthException",
            "is_transient": True,
            "code": 17,
            "error_subcode": 2446079,
        },
    ),
    "reduce_data": (
        500,
        {"message": "Please reduce the amount of data you're asking for, then retry your request", "code": 1},
    ),
    "expired_token": (
        400,
        {
            "message": "Error validating access token: Session has expired on Saturday, 28-Nov-26 10:00:00 PST.",
            "type": "OAuthException",
            "code": 190,
            "error_subcode": 463,
        },
    ),
    "invalid_parameter": (
        400,
        {
            "message": "Invalid parameter",
            "type": "OAuthException",
            "code": 100,
            "is_transient": False,
            "error_user_title": "Budget too low",
            "error_user_msg": "The budget for this ad set is too low for its schedule.",
        },
    ),
    "transient": (
        500,
        {
            "message": "An unexpected error has occurred. Please retry your request later.",
            "type": "OAuthException",
            "is_transient": True,
            "code": 2,
        },
    ),
}


class GraphError(Exception):
    def __init__(self, status: int, error: dict[str, Any]):
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def invalid(message: str, *, user_title: str = "Invalid parameter", subcode: int | None = None) -> GraphError:
    """The platform's answer to a bad parameter (code 100)."""
    err: dict[str, Any] = {
        "message": "Invalid parameter",
        "type": "OAuthException",
        "code": 100,
        "is_transient": False,
        "error_user_title": user_title,
        "error_user_msg": message,
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    return GraphError(400, err)


def required(name: str) -> GraphError:
    return GraphError(
        400, {"message": f"(#100) The parameter {name} is required", "type": "OAuthException", "code": 100}
    )


@dataclass
class _Injected:
    kind: str
    times: int
    path_contains: str | None
    method: str | None


@dataclass
class FakeGraph:
    """A running fake Graph API. ``url`` is the base to put in ``COUNTERFLOW_FACEBOOK_GRAPH_URL``."""

    token: str = "fake-token"
    account_id: str = "act_1001"
    page_id: str = "2002"
    app_secret: str | None = None
    insights_max_limit: int | None = None  # larger pages get "reduce the amount of data"
    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)
    now: Any = None  # callable returning the server's "now" (UTC); default: the clock
    _errors: list[_Injected] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(120_210_000_000_001))
    _hold: tuple[int, bool] | None = None
    _held: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    expired: bool = False

    # --- control ------------------------------------------------------------------------------
    def fail_next(
        self, kind: str, *, times: int = 1, path_contains: str | None = None, method: str | None = None
    ) -> None:
        """Answer the next ``times`` matching requests with the platform error ``kind``."""
        if kind not in ERRORS:
            raise ValueError(f"error kind was {kind!r}; use one of {sorted(ERRORS)}")
        with self._lock:
            self._errors.append(_Injected(kind, times, path_contains, method))

    def hold_at(self, n: int, *, after_processing: bool = True) -> threading.Event:
        """Freeze the ``n``-th request (1-based, counting every request). With
        ``after_processing`` the object is created first and the answer withheld (the client
        never learns its id); otherwise the request waits unprocessed. Returns an event set
        when the request is being held."""
        self._hold = (n, after_processing)
        self._held.clear()
        self._release.clear()
        return self._held

    def release(self) -> None:
        self._hold = None
        self._release.set()

    def stop(self) -> None:
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def settings_env(self) -> dict[str, str]:
        """Environment variables that point counterflow's facebook channel at this server."""
        env = {
            "COUNTERFLOW_FACEBOOK_GRAPH_URL": self.url,
            "COUNTERFLOW_FACEBOOK_ACCESS_TOKEN": self.token,
            "COUNTERFLOW_FACEBOOK_AD_ACCOUNT_ID": self.account_id,
            "COUNTERFLOW_FACEBOOK_PAGE_ID": self.page_id,
        }
        if self.app_secret:
            env["COUNTERFLOW_FACEBOOK_APP_SECRET"] = self.app_secret
        return env

    def settings_update(self) -> dict[str, Any]:
        """Field values for ``Settings.model_copy(update=...)`` that point at this server."""
        from pydantic import SecretStr

        upd: dict[str, Any] = {
            "facebook_graph_url": self.url,
            "facebook_access_token": SecretStr(self.token),
            "facebook_ad_account_id": self.account_id,
            "facebook_page_id": self.page_id,
        }
        if self.app_secret:
            upd["facebook_app_secret"] = SecretStr(self.app_secret)
        return upd

    # --- inspection ---------------------------------------------------------------------------
    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["kind"] == kind]

    def duplicates(self) -> dict[str, int]:
        """Names (or post message + link + time) held by more than one object: should be empty."""
        seen: dict[str, int] = {}
        for o in self.objects.values():
            p = o["params"]
            key = (
                o["kind"]
                + ":"
                + (p.get("name") or f"{p.get('message')}|{p.get('link')}@{p.get('scheduled_publish_time')}")
            )
            seen[key] = seen.get(key, 0) + 1
        return {k: v for k, v in seen.items() if v > 1}

    # --- request handling ---------------------------------------------------------------------
    def _now(self) -> dt.datetime:
        return self.now() if self.now else dt.datetime.now(dt.UTC)

    def _injected(self, method: str, path: str) -> tuple[int, dict[str, Any]] | None:
        with self._lock:
            for inj in self._errors:
                if inj.method and inj.method != method:
                    continue
                if inj.path_contains and inj.path_contains not in path:
                    continue
                inj.times -= 1
                if inj.times <= 0:
                    self._errors.remove(inj)
                return ERRORS[inj.kind]
        return None

    def _check_token(self, query: dict[str, str]) -> None:
        token = query.get("access_token")
        if not token:
            raise GraphError(
                400,
                {
                    "message": "An active access token must be used to query information about the current user.",
                    "type": "OAuthException",
                    "code": 2500,
                },
            )
        if self.expired:
            raise GraphError(*ERRORS["expired_token"])
        if not hmac.compare_digest(token, self.token):
            raise GraphError(
                400,
                {
                    "message": "Invalid OAuth access token - Cannot parse access token",
                    "type": "OAuthException",
                    "code": 190,
                },
            )
        if self.app_secret:
            proof = hmac.new(self.app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(query.get("appsecret_proof", ""), proof):
                raise GraphError(
                    400,
                    {
                        "message": "Invalid appsecret_proof provided in the API argument",
                        "type": "GraphMethodException",
                        "code": 100,
                    },
                )

    def handle(self, method: str, raw_path: str, body: str) -> tuple[int, dict[str, Any], Any]:
        """Process one request; returns (status, json body, deferred action or None)."""
        parts = urlsplit(raw_path)
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        form = dict(parse_qsl(body, keep_blank_values=True)) if body else {}
        params = {**query, **form}
        has_token = "access_token" in query
        for secret in ("access_token", "appsecret_proof"):
            params.pop(secret, None)
        with self._lock:
            n = len(self.requests) + 1
            entry = {"n": n, "method": method, "path": parts.path, "params": params, "token": has_token}
            self.requests.append(entry)
        try:
            self._check_token(query)
            injected = self._injected(method, parts.path)
            if injected is not None:
                raise GraphError(injected[0], dict(injected[1]))
            decoded = self._decode(params)
            status, out = self._route(method, parts.path, decoded, raw_path)
        except GraphError as exc:
            err = dict(exc.error)
            err["fbtrace_id"] = base64.b64encode(hashlib.sha1(f"{n}".encode()).digest()[:9]).decode()
            status, out = exc.status, {"error": err}
        entry["status"] = status
        return status, out, None

    def _decode(self, params: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in params.items():
            if k in JSON_PARAMS:
                try:
                    out[k] = json.loads(v)
                except json.JSONDecodeError:
                    raise invalid(f"{k} must be JSON, got {v[:40]!r}") from None
            else:
                out[k] = v
        return out

    def _route(self, method: str, path: str, p: dict[str, Any], raw_path: str) -> tuple[int, dict[str, Any]]:
        segs = [s for s in path.split("/") if s]
        if not segs or not re.fullmatch(r"v\d+\.\d+", segs[0]):
            raise GraphError(
                400, {"message": "Unknown path components", "type": "OAuthException", "code": 2500}
            )
        segs = segs[1:]
        if len(segs) == 2 and segs[0].startswith("act_"):
            if segs[0] != self.account_id:
                raise self._no_object(segs[0], method)
            edge = segs[1]
            if method == "POST" and edge in EDGE_KIND:
                return 200, self._create(EDGE_KIND[edge], p)
            if method == "GET" and edge in EDGE_KIND:
                return 200, self._list(self.of_kind(EDGE_KIND[edge]), p, raw_path)
            if method == "GET" and edge == "insights":
                return 200, self._insights(p, raw_path)
        if len(segs) == 2 and segs[0] == self.page_id:
            if method == "POST" and segs[1] == "feed":
                return 200, self._create("post", p)
            if method == "GET" and segs[1] == "scheduled_posts":
                posts = [o for o in self.of_kind("post") if o["params"].get("published") is False]
                return 200, self._list(posts, p, raw_path)
        if segs == ["search"] and method == "GET":
            return 200, self._search(p)
        if len(segs) == 1 and method == "GET" and segs[0] in self.objects:
            return 200, self._fields(self.objects[segs[0]], p)
        raise self._no_object("/".join(segs), method)

    def _no_object(self, what: str, method: str) -> GraphError:
        return GraphError(
            400,
            {
                "message": f"Unsupported {method.lower()} request. Object with ID '{what}' does not exist, "
                "cannot be loaded due to missing permissions, or does not support this operation.",
                "type": "GraphMethodException",
                "code": 100,
                "error_subcode": 33,
            },
        )

    # --- objects ------------------------------------------------------------------------------
    def _create(self, kind: str, p: dict[str, Any]) -> dict[str, Any]:
        getattr(self, f"_check_{kind}")(p)
        if kind == "post" and "published" in p:
            p["published"] = str(p["published"]).lower() == "true"
        if kind == "post" and "scheduled_publish_time" in p:
            p["scheduled_publish_time"] = int(p["scheduled_publish_time"])
        with self._lock:
            oid = str(next(self._ids))
            if kind == "post":
                oid = f"{self.page_id}_{oid}"
            self.objects[oid] = {
                "id": oid,
                "kind": kind,
                "params": p,
                "created_time": self._now().isoformat(),
            }
        return {"id": oid}

    def _check_campaign(self, p: dict[str, Any]) -> None:
        for name in ("name", "objective"):
            if not p.get(name):
                raise required(name)
        if p["objective"] not in OBJECTIVES:
            raise invalid(f"objective {p['objective']!r} is not valid; use one of {sorted(OBJECTIVES)}")
        if "special_ad_categories" not in p:
            raise invalid(
                "special_ad_categories is required: declare [] or the categories that apply",
                user_title="Special ad categories required",
            )
        cats = p["special_ad_categories"]
        if not isinstance(cats, list) or any(c not in SPECIAL_AD_CATEGORIES for c in cats):
            raise invalid(f"special_ad_categories {cats!r} is not valid")
        self._check_paused(p)
        if (
            "daily_budget" not in p
            and "lifetime_budget" not in p
            and "is_adset_budget_sharing_enabled" not in p
        ):
            raise invalid(
                "Must specify True or False in is_adset_budget_sharing_enabled field if you are not using "
                "campaign budget",
                subcode=4834011,
            )

    def _check_paused(self, p: dict[str, Any]) -> None:
        if p.get("status") != "PAUSED":
            raise invalid(
                f"status was {p.get('status')!r}: counterflow creates every ad object PAUSED until approved",
                user_title="Objects must be created paused",
            )

    def _ref(self, oid: Any, kind: str, name: str) -> None:
        obj = self.objects.get(str(oid))
        if obj is None or obj["kind"] != kind:
            raise invalid(f"{name} {oid!r} is not a {kind} of this account")

    def _check_adset(self, p: dict[str, Any]) -> None:
        for name in ("name", "campaign_id", "billing_event", "optimization_goal", "targeting"):
            if p.get(name) in (None, ""):
                raise required(name)
        self._ref(p["campaign_id"], "campaign", "campaign_id")
        self._check_paused(p)
        budgets = [b for b in ("daily_budget", "lifetime_budget") if b in p]
        if len(budgets) != 1:
            raise invalid("set exactly one of daily_budget and lifetime_budget", subcode=1885621)
        try:
            amount = int(p[budgets[0]])
        except ValueError:
            raise invalid(f"{budgets[0]} must be an integer in minor units, got {p[budgets[0]]!r}") from None
        if amount <= 0:
            raise invalid(f"{budgets[0]} must be positive, got {amount}")
        start = _parse_time(p.get("start_time")) or self._now()
        end = _parse_time(p.get("end_time"))
        if budgets[0] == "lifetime_budget" and end is None:
            raise invalid("end_time is required with a lifetime_budget", subcode=1487108)
        if end is not None and (end <= start or end <= self._now()):
            raise invalid("end_time must be after start_time and in the future", subcode=1487222)
        pacing = p.get("pacing_type") or []
        if "day_parting" in pacing:
            if budgets[0] != "lifetime_budget":
                raise invalid("day_parting pacing needs a lifetime_budget", subcode=1487245)
            sched = p.get("adset_schedule")
            if not sched:
                raise invalid("adset_schedule is required with day_parting pacing")
            for block in sched:
                s, e = int(block.get("start_minute", -1)), int(block.get("end_minute", -1))
                if s % 60 or e % 60 or not 0 <= s < e <= 1440:
                    raise invalid(f"adset_schedule block {block} must cover whole hours within a day")
                if not set(block.get("days", [])) <= set(range(7)) or not block.get("days"):
                    raise invalid(f"adset_schedule block {block} needs days 0-6")
        _check_targeting(p["targeting"])

    def _check_creative(self, p: dict[str, Any]) -> None:
        if not p.get("name"):
            raise required("name")
        spec = p.get("object_story_spec")
        if not isinstance(spec, dict):
            raise required("object_story_spec")
        if str(spec.get("page_id")) != self.page_id:
            raise invalid(f"object_story_spec.page_id {spec.get('page_id')!r} is not a page of this account")
        link = spec.get("link_data") or {}
        if not str(link.get("link", "")).startswith(("http://", "https://")):
            raise invalid("object_story_spec.link_data.link must be an http(s) URL")
        if not link.get("message"):
            raise invalid("object_story_spec.link_data.message is required")

    def _check_ad(self, p: dict[str, Any]) -> None:
        for name in ("name", "adset_id", "creative"):
            if not p.get(name):
                raise required(name)
        self._ref(p["adset_id"], "adset", "adset_id")
        creative = p["creative"]
        if not isinstance(creative, dict) or "creative_id" not in creative:
            raise invalid("creative must be {'creative_id': ...}")
        self._ref(creative["creative_id"], "creative", "creative_id")
        self._check_paused(p)

    def _check_post(self, p: dict[str, Any]) -> None:
        if not p.get("message") and not p.get("link"):
            raise required("message")
        if str(p.get("published", "true")).lower() == "false":
            if "scheduled_publish_time" not in p:
                raise invalid("scheduled_publish_time is required for an unpublished scheduled post")
            try:
                at = dt.datetime.fromtimestamp(int(p["scheduled_publish_time"]), dt.UTC)
            except ValueError:
                raise invalid("scheduled_publish_time must be a UNIX timestamp") from None
            now = self._now()
            if not now + dt.timedelta(minutes=10) <= at <= now + dt.timedelta(days=75):
                raise invalid(
                    "The specified scheduled publish time is invalid: it must be between 10 minutes and "
                    "75 days from now",
                    subcode=1363003,
                )
        if "targeting" in p:
            t = p["targeting"]
            if not isinstance(t, dict) or not t.get("geo_locations"):
                raise invalid("post targeting needs geo_locations")
            if int(t.get("age_min", 13)) < 13:
                raise invalid("targeting.age_min must be at least 13")

    # --- listing and insights -------------------------------------------------------------------
    def _fields(self, obj: dict[str, Any], p: dict[str, Any]) -> dict[str, Any]:
        wanted = [f for f in str(p.get("fields", "")).split(",") if f] or ["id", "name"]
        out = {"id": obj["id"]}
        for f in wanted:
            if f in obj["params"]:
                out[f] = obj["params"][f]
            elif f in obj:
                out[f] = obj[f]
        return out

    def _page(self, rows: list[dict[str, Any]], p: dict[str, Any], raw_path: str) -> dict[str, Any]:
        limit = max(1, int(p.get("limit", 25)))
        start = int(base64.b64decode(p["after"]).decode()) if p.get("after") else 0
        page = rows[start : start + limit]
        out: dict[str, Any] = {"data": page}
        end = start + len(page)
        cursors = {
            "before": base64.b64encode(str(start).encode()).decode(),
            "after": base64.b64encode(str(end).encode()).decode(),
        }
        out["paging"] = {"cursors": cursors}
        if end < len(rows):
            parts = urlsplit(raw_path)
            q = dict(parse_qsl(parts.query))
            q.pop("access_token", None)
            q.pop("appsecret_proof", None)
            q["after"] = cursors["after"]
            out["paging"]["next"] = f"{self.url}{parts.path}?{urlencode(q)}"
        return out

    def _list(self, objs: list[dict[str, Any]], p: dict[str, Any], raw_path: str) -> dict[str, Any]:
        for flt in p.get("filtering") or []:
            field_, op, value = flt.get("field"), flt.get("operator"), flt.get("value")
            if field_ != "name" or op not in ("CONTAIN", "EQUAL"):
                raise invalid(f"filtering on {field_} {op} is not supported here")
            objs = [
                o
                for o in objs
                if (
                    value in o["params"].get("name", "")
                    if op == "CONTAIN"
                    else o["params"].get("name") == value
                )
            ]
        rows = [self._fields(o, p) for o in objs]
        out = self._page(rows, p, raw_path)
        if str(p.get("summary", "")).lower() == "true":
            out["summary"] = {"total_count": len(rows)}
        return out

    def _search(self, p: dict[str, Any]) -> dict[str, Any]:
        """The targeting search for cities (``type=adgeolocation``): a deterministic key per
        (name, country); names starting with "Nowhere" are not found."""
        if p.get("type") != "adgeolocation":
            raise invalid(f"search type {p.get('type')!r} is not supported here")
        q, cc = str(p.get("q", "")).strip(), str(p.get("country_code", "")).upper()
        if not q or q.lower().startswith("nowhere"):
            return {"data": []}
        key = str(int(hashlib.sha1(f"{q.lower()}|{cc}".encode()).hexdigest()[:7], 16))
        return {"data": [{"key": key, "name": q, "type": "city", "country_code": cc, "supports_city": True}]}

    def _insights(self, p: dict[str, Any], raw_path: str) -> dict[str, Any]:
        if p.get("level") not in ("adset", "ad", "campaign", "account"):
            raise invalid(f"level {p.get('level')!r} is not valid")
        tr = p.get("time_range")
        if not isinstance(tr, dict) or "since" not in tr or "until" not in tr:
            raise invalid("time_range {'since', 'until'} is required here")
        since, until = dt.date.fromisoformat(tr["since"]), dt.date.fromisoformat(tr["until"])
        if until < since:
            raise invalid("time_range.until is before since")
        limit = int(p.get("limit", 25))
        if self.insights_max_limit is not None and limit > self.insights_max_limit:
            raise GraphError(*ERRORS["reduce_data"])
        campaign_filter = None
        for flt in p.get("filtering") or []:
            if flt.get("field") == "campaign.id":
                campaign_filter = str(flt.get("value"))
        adsets = [
            o
            for o in self.of_kind("adset")
            if campaign_filter is None or str(o["params"]["campaign_id"]) == campaign_filter
        ]
        # like the platform: only the fields asked for (the dates always), unknown ones refused
        wanted = [f for f in str(p.get("fields") or "").split(",") if f] or list(INSIGHT_DEFAULT_FIELDS)
        unknown = [f for f in wanted if f not in INSIGHT_FIELDS_SERVED]
        if unknown:
            raise invalid(f"{', '.join(unknown)} is not a valid insights field")
        keep = set(wanted) | {"date_start", "date_stop"}
        rows = []
        for o in adsets:
            for i in range((until - since).days + 1):
                full = insight_row(o, since + dt.timedelta(days=i))
                rows.append({k: v for k, v in full.items() if k in keep})
        return self._page(rows, {**p, "limit": limit}, raw_path)

    # --- lifecycle ----------------------------------------------------------------------------
    def _serve(self, port: int) -> None:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return  # the default writes request lines (with the token) to stderr

            def _do(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                hold = fake._hold
                number = len(fake.requests) + 1
                if hold is not None and hold[0] == number and not hold[1]:
                    with fake._lock:
                        fake.requests.append(
                            {"n": number, "method": method, "path": self.path.split("?")[0], "held": True}
                        )
                    fake._held.set()
                    fake._release.wait()
                    self.close_connection = True
                    return
                status, out, _ = fake.handle(method, self.path, body)
                if hold is not None and hold[0] == number:
                    fake._held.set()
                    fake._release.wait()
                data = json.dumps(out).encode()
                try:
                    # status line, headers and body in one write: split writes on a kept-alive
                    # connection meet the client's delayed ACK and cost 40 ms per request
                    reason = self.responses.get(status, ("",))[0]
                    head = (
                        f"HTTP/1.1 {status} {reason}\r\n"
                        "Content-Type: application/json; charset=UTF-8\r\n"
                        f"Content-Length: {len(data)}\r\n\r\n"
                    )
                    self.wfile.write(head.encode("latin-1") + data)
                except OSError:
                    pass  # the client went away (killed while we held its request)

            def do_GET(self) -> None:
                self._do("GET")

            def do_POST(self) -> None:
                self._do("POST")

            def do_DELETE(self) -> None:
                self._do("DELETE")

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        self._server = server
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-graph", daemon=True
        )
        self._thread.start()


def _parse_time(value: Any) -> dt.datetime | None:
    if value in (None, ""):
        return None
    text = str(value)
    if text.isdigit():
        return dt.datetime.fromtimestamp(int(text), dt.UTC)
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise invalid(f"time {value!r} is not ISO 8601") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _check_targeting(t: Any) -> None:
    if not isinstance(t, dict):
        raise invalid("targeting must be a JSON object")
    geo = t.get("geo_locations")
    if not geo:
        raise invalid("targeting.geo_locations is required", user_title="Missing location")
    if "location_types" in geo or "location_types" in t:
        raise invalid(
            "location_types is no longer supported: everyone living in or recently in a location is reached",
            subcode=1870227,
        )
    age_min, age_max = int(t.get("age_min", 18)), int(t.get("age_max", 65))
    if age_min < 13:
        raise invalid(f"targeting.age_min was {age_min}; it must be at least 13", subcode=1870183)
    if age_max > 65:
        raise invalid(f"targeting.age_max was {age_max}; it must be at most 65", subcode=1870184)
    if age_min > age_max:
        raise invalid(f"targeting.age_min {age_min} is above age_max {age_max}")
    if age_min < 18:
        for banned in ("genders", "locales"):
            if t.get(banned):
                raise invalid(
                    f"ads to people under 18 cannot be targeted by {banned}",
                    user_title="Teen targeting restricted",
                )
        if geo.get("custom_locations"):
            raise invalid(
                "ads to people under 18 can be targeted by city or larger locations only, not by a radius",
                user_title="Teen targeting restricted",
            )
    for city in geo.get("cities") or []:
        if not city.get("key"):
            raise invalid(f"geo_locations.cities entry {city!r} needs the key from the targeting search")
        if age_min < 18 and "radius" in city:
            raise invalid(
                "ads to people under 18 cannot use a radius around a city",
                user_title="Teen targeting restricted",
            )
    for loc in geo.get("custom_locations") or []:
        unit = loc.get("distance_unit", "mile")
        radius = float(loc.get("radius", 0))
        km = radius if unit == "kilometer" else radius * 1.609344
        if not 1.0 <= km <= 80.0:
            raise invalid(f"custom_locations radius {radius} {unit} must be between 1 and 80 km")
        if "latitude" not in loc or "longitude" not in loc:
            raise invalid("custom_locations needs latitude and longitude")
    for loc in t.get("locales") or []:
        if not isinstance(loc, int):
            raise invalid(f"locales takes the platform's numeric locale ids, got {loc!r}")
    for g in t.get("genders") or []:
        if g not in (1, 2):
            raise invalid(f"genders takes 1 (men) and 2 (women), got {g!r}")


#: the insights fields the fake serves; the platform's default when none are asked for
INSIGHT_FIELDS_SERVED = frozenset(
    {
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
    }
)
INSIGHT_DEFAULT_FIELDS = ("impressions", "spend")


def insight_row(adset: dict[str, Any], day: dt.date) -> dict[str, Any]:
    """A deterministic daily insights row for ``adset``, shaped like the platform's (strings),
    with every field the fake serves (``conversions`` only on a day with some)."""
    rng = random.Random(f"{adset['id']}:{day.isoformat()}")
    reach = rng.randint(200, 5000)
    impressions = int(reach * rng.uniform(1.1, 2.5))
    clicks = rng.randint(0, max(1, impressions // 50))
    unique_clicks = max(0, clicks - rng.randint(0, max(0, clicks // 5)))
    p25 = int(impressions * rng.uniform(0.2, 0.5))
    p50, p75 = int(p25 * 0.7), int(p25 * 0.45)
    p100 = int(p75 * 0.6)

    def act(v: int | float) -> list[dict[str, str]]:
        return [{"action_type": "video_view", "value": str(v)}]

    row: dict[str, Any] = {
        "adset_id": adset["id"],
        "adset_name": adset["params"].get("name", ""),
        "date_start": day.isoformat(),
        "date_stop": day.isoformat(),
        "reach": str(reach),
        "impressions": str(impressions),
        "frequency": f"{impressions / reach:.6f}",
        "clicks": str(clicks),
        "ctr": f"{100 * clicks / impressions:.6f}",
        "unique_ctr": f"{100 * unique_clicks / reach:.6f}",
        "spend": f"{impressions * 0.0021:.2f}",
        "video_p25_watched_actions": act(p25),
        "video_p50_watched_actions": act(p50),
        "video_p75_watched_actions": act(p75),
        "video_p100_watched_actions": act(p100),
        "video_avg_time_watched_actions": act(round(rng.uniform(2.0, 14.0), 1)),
    }
    # drawn last, so the other values stay what they were before conversions were served
    conversions = rng.randint(0, max(0, clicks // 5))
    if conversions:  # the platform leaves an action list out of a row when nothing happened
        # one event as a roll-up and its part, as the platform lists them
        row["conversions"] = [
            {"action_type": "contact_total", "value": str(conversions)},
            {"action_type": "contact_website", "value": str(conversions)},
        ]
    return row


def start_fake_graph(port: int = 0, **options: Any) -> FakeGraph:
    """Start a fake Graph API on 127.0.0.1 (``port=0``: any free port) in a daemon thread."""
    fake = FakeGraph(**options)
    fake._serve(port)
    return fake
