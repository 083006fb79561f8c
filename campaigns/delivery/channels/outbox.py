"""The dry-run outbox (the default channel): records exactly what the SDK would send.

Each object is built as a real facebook-business ``FacebookRequest`` (``pending=True``: built and
type-checked by the SDK, never executed) and appended as one JSON line to
``<home>/outbox/campaign-<id>.jsonl``: the method, the Graph path, the ``params`` dict handed to
the SDK and the form fields it would put on the wire. Every line says how its copy was reviewed
(``copy_review``: ``reviewed``, ``UNREVIEWED`` or ``no copy``); a line carrying an unreviewed
draft also has ``unreviewed_copy``, a warning in words, so no one mistakes it for copy that may
go out. The ``Delivery`` rows get synthetic ids
(``outbox-adset-12``) so that a rerun skips what is already recorded, like the real channel.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from pathlib import Path
from typing import Any

from sqlmodel import Session

from campaigns.delivery.channels.base import SendingChannel
from campaigns.delivery.channels.specs import ObjectSpec
from intel.models import utcnow
from intel.settings import Settings

DRY_RUN_ACCOUNT = "act_0"
DRY_RUN_PAGE = "0"


def sdk_request(spec: ObjectSpec, params: dict[str, Any], *, account_id: str, page_id: str) -> Any:
    """The SDK's own pending request for ``spec`` (no network; no API instance needed).

    The SDK's parameter type warnings are kept on the request as ``sdk_warnings``.
    """
    from facebook_business.adobjects.adaccount import AdAccount
    from facebook_business.adobjects.page import Page

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if spec.node == "page":
            request = Page(page_id).create_feed(params=params, pending=True)
        else:
            account = AdAccount(account_id)
            create = {
                "campaigns": account.create_campaign,
                "adsets": account.create_ad_set,
                "adcreatives": account.create_ad_creative,
                "ads": account.create_ad,
            }[spec.edge]
            request = create(params=params, pending=True)
    request.sdk_warnings = [str(w.message) for w in caught]
    return request


def describe_request(request: Any, api_version: str) -> dict[str, Any]:
    """Method, path, params and wire form of an SDK request (secrets are never part of it)."""
    from facebook_business.api import _top_level_param_json_encode

    params = request.get_params()
    out = {
        "method": request._method,
        "path": "/" + "/".join([api_version, *map(str, request._path)]),
        "params": params,
        "form": _top_level_param_json_encode(params),
    }
    if getattr(request, "sdk_warnings", None):
        out["sdk_warnings"] = request.sdk_warnings
    return out


def outbox_path(settings: Settings, campaign_id: int) -> Path:
    return settings.home / "outbox" / f"campaign-{campaign_id}.jsonl"


def read_outbox(settings: Settings, campaign_id: int) -> list[dict[str, Any]]:
    """The recorded lines of a campaign's outbox (empty if nothing was recorded)."""
    path = outbox_path(settings, campaign_id)
    if not path.exists():
        return []
    lines = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        if raw.strip():
            lines.append(json.loads(raw))
    return lines


class OutboxChannel(SendingChannel):
    """Dry run: builds every SDK request and records it; sends nothing."""

    name = "outbox"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.account_id = settings.facebook_ad_account_id or DRY_RUN_ACCOUNT
        self.page_id = settings.facebook_page_id or DRY_RUN_PAGE

    def describe(self, spec: ObjectSpec, params: dict[str, Any]) -> dict[str, Any]:
        request = sdk_request(spec, params, account_id=self.account_id, page_id=self.page_id)
        return describe_request(request, self.settings.facebook_api_version)

    def find(self, spec: ObjectSpec, campaign_id: int) -> str | None:
        for line in read_outbox(self.settings, campaign_id):
            if line.get("key") == spec.key:
                return str(line["external_id"])
        return None

    def create(self, spec: ObjectSpec, params: dict[str, Any], campaign_id: int) -> str:
        external_id = f"outbox-{spec.key.replace(':', '-')}"
        record = {
            "key": spec.key,
            "kind": spec.kind,
            "external_id": external_id,
            "recorded_at": utcnow().isoformat(),
            "dry_run": True,
            "copy_review": spec.copy_review,
            **self.describe(spec, params),
        }
        if spec.copy_review == "UNREVIEWED":
            record["unreviewed_copy"] = (
                f"DRAFT COPY ({spec.copy_locale}): not reviewed by a native speaker; never for the public"
            )
        path = outbox_path(self.settings, campaign_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
            fh.flush()  # in the OS before the Delivery row says "sent": a killed process loses nothing
        return external_id

    def insights(
        self, session: Session, *, campaign_id: int, since: dt.date, until: dt.date
    ) -> list[dict[str, Any]]:
        """A dry run reaches nobody: no rows (the demo's simulator writes ``simulated`` metrics)."""
        return []
