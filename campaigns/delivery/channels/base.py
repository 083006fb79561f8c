"""The publishing channel protocol (preview -> publish -> insights) and its exactly-once engine.

A channel only knows how to send one object (:meth:`SendingChannel.create`) and how to look one
up by its name tag (:meth:`SendingChannel.find`). :meth:`SendingChannel.publish` does the rest
the same way for every channel:

1. write the object's ``Delivery`` row as *pending* and **commit** before the remote call;
2. send it; record its external id and commit;
3. on a rerun, an object with an external id is skipped; a pending one without an id is first
   looked up remotely (it may have been created just before a crash) and created only if absent.

Transient errors are retried with backoff inside the channel's network call; a permanent error
marks that object *failed* (with a redacted message), its dependants are not sent, and every
other object goes on. An expired or invalid token stops the run.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import random
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec, Protocol, TypeVar, runtime_checkable

from sqlmodel import Session, col, select

from campaigns.delivery.channels.redact import redact
from campaigns.delivery.channels.specs import CampaignRows, ObjectSpec, build_specs, resolve
from intel.errors import CommandHint, CounterflowError, NotFound
from intel.models import AdSet, Asset, Campaign, Delivery, ScheduledPost, Target, utcnow

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


class ChannelError(Exception):
    """A send that failed. ``fatal`` stops the whole run (bad token); ``ambiguous`` means the
    outcome is unknown (the request may have reached the platform)."""

    def __init__(
        self, message: str, *, fatal: bool = False, ambiguous: bool = False, code: int | None = None
    ):
        super().__init__(redact(message))
        self.fatal = fatal
        self.ambiguous = ambiguous
        self.code = code


class TransientError(ChannelError):
    """Worth retrying after a pause (rate limit, temporary platform error)."""


def with_backoff(
    *,
    attempts: int = 5,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[TransientError, int], None] | None = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Retry the decorated network call on :class:`TransientError`, with exponential backoff and
    jitter (``base_delay * 2**n``, capped at ``max_delay``); re-raise after ``attempts`` tries."""

    def deco(fn: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            for n in range(attempts):
                try:
                    return fn(*args, **kwargs)
                except TransientError as exc:
                    if n == attempts - 1:
                        raise
                    if on_retry is not None:
                        on_retry(exc, n)
                    delay = min(max_delay, base_delay * 2**n) * (0.5 + random.random() / 2)
                    log.warning("transient error (%s); retry %d/%d in %.2fs", exc, n + 1, attempts - 1, delay)
                    sleep(delay)
            raise AssertionError("unreachable")  # pragma: no cover

        return wrapper

    return deco


@dataclass
class PublishReport:
    """What one publish run did, per idempotency key."""

    channel: str
    campaign_id: int
    sent: list[tuple[str, str]] = field(default_factory=list)  # (key, external id)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # already sent earlier
    reconciled: list[tuple[str, str]] = field(default_factory=list)  # found remotely after a crash
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, reason)
    moved: list[int] = field(default_factory=list)  # scheduled posts moved off a past slot

    @property
    def ok(self) -> bool:
        return not self.failed


@runtime_checkable
class Channel(Protocol):
    """A publishing channel: look before sending, send exactly once, read results back."""

    name: str

    def preview(self, session: Session, *, campaign_id: int) -> list[dict[str, Any]]:
        """The requests a publish would send now (method, path, params), sending nothing."""
        ...

    def publish(self, session: Session, *, campaign_id: int) -> PublishReport:
        """Send every object not sent yet; commits the session after each object."""
        ...

    def insights(
        self, session: Session, *, campaign_id: int, since: dt.date, until: dt.date
    ) -> list[dict[str, Any]]:
        """Daily rows per ad set, ready for ``campaigns.feedback.insights.upsert_metrics``: ``tracking_code``,
        ``day``, ``adset_id`` (ours) and the metric fields (reach, impressions, ...)."""
        ...


def load_rows(session: Session, *, campaign_id: int) -> CampaignRows:
    """The campaign's rows that publishing reads (only still-scheduled or sent posts)."""
    from campaigns.delivery.schedule import schedule_windows

    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist",
            "list the campaigns to find its id",
            hint=CommandHint("campaigns"),
        )
    targets = {t.id: t for t in session.exec(select(Target).where(Target.campaign_id == campaign_id)).all()}
    adsets = list(
        session.exec(select(AdSet).where(AdSet.campaign_id == campaign_id).order_by(col(AdSet.id))).all()
    )
    assets = list(
        session.exec(select(Asset).where(Asset.campaign_id == campaign_id).order_by(col(Asset.id))).all()
    )
    posts = list(
        session.exec(
            select(ScheduledPost)
            .where(
                ScheduledPost.campaign_id == campaign_id,
                col(ScheduledPost.status).in_(["scheduled", "published"]),
            )
            .order_by(col(ScheduledPost.publish_at), col(ScheduledPost.id))
        ).all()
    )
    return CampaignRows(
        campaign=campaign,
        targets={k: v for k, v in targets.items() if k is not None},
        adsets=adsets,
        assets=assets,
        posts=posts,
        windows=schedule_windows(session, campaign_id=campaign_id),
    )


class SendingChannel(ABC):
    """Shared engine: subclasses give ``name``, ``page_id``, ``describe``, ``find``, ``create``
    and ``insights``."""

    name = "base"
    page_id = "0"

    # --- what subclasses provide ------------------------------------------------------------
    @abstractmethod
    def describe(self, spec: ObjectSpec, params: dict[str, Any]) -> dict[str, Any]:
        """What the request for ``spec`` is (method, path, fields), for previews and the outbox."""

    @abstractmethod
    def find(self, spec: ObjectSpec, campaign_id: int) -> str | None:
        """The external id of an object created by an earlier, interrupted run, if any."""

    def prepare(self, spec: ObjectSpec, params: dict[str, Any]) -> dict[str, Any]:
        """Final touches before sending (the facebook channel fills city keys); default: none."""
        return params

    @abstractmethod
    def create(self, spec: ObjectSpec, params: dict[str, Any], campaign_id: int) -> str:
        """Send ``spec`` and return the external id."""

    @abstractmethod
    def insights(
        self, session: Session, *, campaign_id: int, since: dt.date, until: dt.date
    ) -> list[dict[str, Any]]:
        """Daily rows per ad set, ready for ``campaigns.feedback.insights.upsert_metrics``."""

    # --- shared -------------------------------------------------------------------------------
    def specs(self, session: Session, *, campaign_id: int) -> list[ObjectSpec]:
        return build_specs(load_rows(session, campaign_id=campaign_id), page_id=self.page_id)

    def preview(self, session: Session, *, campaign_id: int) -> list[dict[str, Any]]:
        done = self._sent_ids(session, campaign_id)
        out = []
        for spec in self.specs(session, campaign_id=campaign_id):
            ids = {**{k: f"<{k}>" for k in spec.depends}, **done}
            out.append({"key": spec.key, "kind": spec.kind, **self.describe(spec, resolve(spec.params, ids))})
        return out

    def _sent_ids(self, session: Session, campaign_id: int) -> dict[str, str]:
        rows = session.exec(
            select(Delivery).where(Delivery.campaign_id == campaign_id, Delivery.channel == self.name)
        ).all()
        return {d.key: d.external_id for d in rows if d.external_id}

    def publish(self, session: Session, *, campaign_id: int) -> PublishReport:
        specs = self.specs(session, campaign_id=campaign_id)
        session.commit()
        # Deliveries are written through a session of their own: it commits twice per object,
        # and a small identity map keeps each commit cheap. The caller's session sees the
        # results afterwards (expire_all).
        with Session(session.get_bind(), expire_on_commit=False) as ws:
            report, fatal = self._publish(ws, specs, campaign_id)
        session.expire_all()
        if fatal is not None:
            raise CounterflowError(
                f"the {self.name} channel refused the credentials: {fatal}",
                "renew COUNTERFLOW_FACEBOOK_ACCESS_TOKEN and publish again (objects already sent are skipped)",
                hint=CommandHint("publish", f"{campaign_id} --channel {self.name}"),
            )
        return report

    def _publish(
        self, session: Session, specs: list[ObjectSpec], campaign_id: int
    ) -> tuple[PublishReport, ChannelError | None]:
        report = PublishReport(channel=self.name, campaign_id=campaign_id)
        ids: dict[str, str] = {}
        known = {
            d.key: d
            for d in session.exec(
                select(Delivery).where(Delivery.channel == self.name, Delivery.campaign_id == campaign_id)
            ).all()
        }
        blocked: set[str] = set()
        fatal: ChannelError | None = None
        for spec in specs:
            missing = [k for k in spec.depends if k in blocked or k not in ids]
            if missing or fatal is not None:
                reason = f"not sent: {fatal}" if fatal else f"not sent: {', '.join(missing)} failed"
                report.failed.append((spec.key, reason))
                blocked.add(spec.key)
                continue
            delivery = known.get(spec.key)
            if delivery is not None and delivery.external_id:
                ids[spec.key] = delivery.external_id
                report.skipped.append((spec.key, delivery.external_id))
                continue
            params = resolve(spec.params, ids)
            if delivery is None:
                delivery = Delivery(
                    campaign_id=campaign_id, channel=self.name, key=spec.key, kind=spec.kind, payload=params
                )
            else:
                # pending (a run died mid-way) or failed: it may exist remotely already
                found = self._find(spec, campaign_id)
                if found:
                    self._record(session, delivery, spec, found, params)
                    ids[spec.key] = found
                    report.reconciled.append((spec.key, found))
                    continue
                delivery.payload = params
            try:
                # e.g. look up platform keys; the pending row then holds exactly what is sent
                params = self.prepare(spec, params)
                delivery.payload = params
                delivery.status, delivery.error, delivery.updated_at = "pending", None, utcnow()
                session.add(delivery)
                session.commit()  # the intent is durable before the remote call
                external_id = self._create(spec, params, campaign_id)
            except ChannelError as exc:
                delivery.status = "pending" if exc.ambiguous else "failed"
                delivery.error = redact(str(exc))[:2000]
                delivery.updated_at = utcnow()
                session.add(delivery)
                session.commit()
                report.failed.append((spec.key, delivery.error))
                blocked.add(spec.key)
                log.error("%s %s failed: %s", self.name, spec.key, delivery.error)
                if exc.fatal:
                    fatal = exc
                continue
            self._record(session, delivery, spec, external_id, params)
            ids[spec.key] = external_id
            report.sent.append((spec.key, external_id))
        campaign = session.get(Campaign, campaign_id)
        if campaign is not None and report.ok and campaign.status != "published":
            campaign.status = "published"
            session.add(campaign)
            session.commit()
        return report, fatal

    def _find(self, spec: ObjectSpec, campaign_id: int) -> str | None:
        try:
            return self.find(spec, campaign_id)
        except ChannelError as exc:
            if exc.fatal:
                raise CounterflowError(
                    f"the {self.name} channel refused the credentials: {exc}",
                    "renew COUNTERFLOW_FACEBOOK_ACCESS_TOKEN and publish again (objects already sent are skipped)",
                    hint=CommandHint("publish", f"{campaign_id} --channel {self.name}"),
                ) from None
            raise

    def _create(self, spec: ObjectSpec, params: dict[str, Any], campaign_id: int) -> str:
        try:
            return self.create(spec, params, campaign_id)
        except ChannelError as exc:
            if not exc.ambiguous:
                raise
            # the request may have reached the platform: look before sending again, once
            found = self.find(spec, campaign_id)
            if found:
                return found
            return self.create(spec, params, campaign_id)

    def _record(
        self, session: Session, delivery: Delivery, spec: ObjectSpec, external_id: str, params: dict[str, Any]
    ) -> None:
        delivery.external_id = external_id
        delivery.status = "sent"
        delivery.error = None
        delivery.payload = params
        delivery.updated_at = utcnow()
        session.add(delivery)
        if spec.kind == "post":
            post = session.get(ScheduledPost, int(spec.key.split(":", 1)[1]))
            if post is not None:
                post.status = "published"
                session.add(post)
        session.commit()
