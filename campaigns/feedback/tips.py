"""Tips from the public: submission, protected reading, triage, aggregated export.

Data protection rules, enforced here and tested:

- tip text is encrypted with Fernet (``Settings.tip_fernet_key()``) before it touches the
  store and is never written to a log (not even at DEBUG);
- a tip's location is coarsened to 0.1 degree (about 10 km) before it is stored;
- only analysts and admins read tip text or triage tips, and every read and change is an
  ``AuditEvent``;
- exports are aggregated (counts per campaign, target, locale, status and week), with small
  counts suppressed.

A tip whose tracking code is unknown is still accepted and stored unattributed: a tip is never
lost because a link was mistyped.

An actionable tip becomes a ``Report`` (source kind ``campaign_tip``) so that the next hotspot
run sees it. Its grading: source reliability ``F`` (an anonymous member of the public cannot be
judged) and information credibility ``3`` ("possibly true"): an analyst has read it and judged
it actionable, but nothing corroborates it yet.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from intel.errors import Conflict, CounterflowError, Forbidden, NotFound
from intel.models import Asset, AuditEvent, Report, Source, Target, Tip, User, utcnow
from intel.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

MAX_TEXT = 5000
#: Decimal places kept of a tip's latitude/longitude: 0.1 degree is about 11 km.
COARSEN_DECIMALS = 1
TIP_READERS = frozenset({"analyst", "admin"})
SMALL_COUNT = 3
TIP_SOURCE_KIND = "campaign_tip"
TIP_SOURCE_NAME = "counterflow tips"
TIP_RELIABILITY = "F"
TIP_CREDIBILITY = 3
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class TipInvalid(CounterflowError):
    """A tip that cannot be accepted; ``code`` lets the public form say why in its own language."""

    status = 422

    def __init__(self, code: str, problem: str, fix: str, **values: Any) -> None:
        self.code = code
        self.values = values
        super().__init__(problem, fix)


@dataclass(frozen=True)
class Attribution:
    campaign_id: int | None
    target_id: int | None
    locale: str | None


def coarsen(value: float | None) -> float | None:
    """Round a latitude or longitude to 0.1 degree (about 10 km)."""
    return None if value is None else round(float(value), COARSEN_DECIMALS)


def attribute(session: Session, tracking_code: str | None) -> Attribution:
    """Campaign, target and locale of a tracking code; all None when it is unknown."""
    if not tracking_code:
        return Attribution(None, None, None)
    asset = session.exec(select(Asset).where(Asset.tracking_code == tracking_code)).first()
    if asset is None:
        return Attribution(None, None, None)
    return Attribution(asset.campaign_id, asset.target_id, asset.locale)


def _fernet(settings: Settings) -> Fernet:
    return Fernet(settings.tip_fernet_key())


def _audit(session: Session, *, actor: str, action: str, tip_id: int | None, **detail: Any) -> None:
    session.add(AuditEvent(actor=actor, action=action, object_type="tip", object_id=tip_id, detail=detail))


def _validate_text(text: str | None) -> str:
    clean = (text or "").strip()
    if not clean:
        raise TipInvalid("empty", "the tip text was empty", "write what happened before sending")
    if len(clean) > MAX_TEXT:
        raise TipInvalid(
            "too_long",
            f"the tip text was {len(clean)} characters long",
            f"keep it under {MAX_TEXT} characters",
            length=len(clean),
            limit=MAX_TEXT,
        )
    return clean


def _validate_location(lat: float | None, lon: float | None) -> tuple[float | None, float | None]:
    if (lat is None) != (lon is None):
        raise TipInvalid("bad_location", "only one of lat and lon was given", "give both or neither")
    if lat is not None and lon is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise TipInvalid(
            "bad_location",
            f"the location ({lat}, {lon}) is not on Earth",
            "latitude must be within -90..90 and longitude within -180..180",
        )
    return coarsen(lat), coarsen(lon)


#: Label of the place the person gave, inside the encrypted text.
PLACE_GIVEN = "place given"


def _town(place: str | None, country: str | None) -> str | None:
    """The gazetteer's name for a place the public typed, or None (never the typed text)."""
    if not place:
        return None
    from intel.gazetteer import get_gazetteer

    try:
        return get_gazetteer().resolve(place, country).name
    except CounterflowError:
        return None


def submit_tip(
    session: Session,
    *,
    text: str,
    settings: Settings,
    tracking_code: str | None = None,
    locale: str | None = None,
    place: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    simulated: bool = False,
) -> Tip:
    """Store a tip: text encrypted, location coarsened, attributed from its tracking code.

    An unknown tracking code is kept on the tip (for later matching) but leaves it
    unattributed. The submission is audited as actor ``public``; the text is never logged.
    """
    clean = _validate_text(text)
    lat_c, lon_c = _validate_location(lat, lon)
    code = (tracking_code or "").strip() or None
    if code is not None and len(code) > 64:
        raise TipInvalid(
            "bad_code", f"the tracking code was {len(code)} characters long", "use the code from the link"
        )
    who = attribute(session, code)
    place_given = (place or "").strip()[:200] or None
    country = None
    if who.target_id is not None:
        target = session.get(Target, who.target_id)
        country = target.country if target else None
    # The place as the person wrote it is as sensitive as the text: it is encrypted with it.
    # Only a gazetteer name (a town) is kept in clear, for triage lists and maps.
    town = _town(place_given, country)
    stored = clean if place_given is None else f"{clean}\n\n[{PLACE_GIVEN}: {place_given}]"
    tip = Tip(
        tracking_code=code,
        campaign_id=who.campaign_id,
        target_id=who.target_id,
        locale=who.locale or (locale or None),
        text_encrypted=_fernet(settings).encrypt(stored.encode("utf-8")),
        place=town,
        country=country,
        lat=lat_c,
        lon=lon_c,
        simulated=simulated,
    )
    session.add(tip)
    session.flush()
    _audit(
        session,
        actor="public",
        action="tip.submitted",
        tip_id=tip.id,
        attributed=who.campaign_id is not None,
        simulated=simulated,
    )
    log.info("tip %s received (campaign %s, target %s)", tip.id, tip.campaign_id, tip.target_id)
    return tip


def _actor_user(session: Session, actor: User | str) -> User:
    if isinstance(actor, User):
        return actor
    user = session.exec(select(User).where(User.name == actor)).first()
    if user is None:
        raise Forbidden(f"user {actor!r} is not known", "ask an admin to add you as a user")
    return user


def _require_reader(session: Session, actor: User | str, *, action: str, tip_id: int) -> User:
    user = _actor_user(session, actor)
    if user.role not in TIP_READERS:
        raise Forbidden(
            f"user {user.name!r} has the role {user.role!r}, which may not {action} tips",
            "ask an analyst or an admin",
        )
    return user


def _get_tip(session: Session, tip_id: int) -> Tip:
    tip = session.get(Tip, tip_id)
    if tip is None:
        raise NotFound(f"tip {tip_id} does not exist", "check the tip id in `counterflow tips`")
    return tip


def read_tip_text(session: Session, *, tip_id: int, actor: User | str, settings: Settings) -> str:
    """Decrypt a tip's text for an analyst or admin; the read is audited."""
    user = _require_reader(session, actor, action="read", tip_id=tip_id)
    tip = _get_tip(session, tip_id)
    try:
        text = _fernet(settings).decrypt(tip.text_encrypted).decode("utf-8")
    except InvalidToken as exc:
        raise CounterflowError(
            f"tip {tip_id} cannot be decrypted with the configured key",
            "set COUNTERFLOW_TIP_KEY to the key the tip was stored with",
            status=500,
        ) from exc
    _audit(session, actor=user.name, action="tip.read", tip_id=tip_id)
    session.flush()
    return text


def tip_audit(session: Session, *, tip_id: int) -> list[AuditEvent]:
    """The audit trail of one tip, oldest first."""
    rows = session.exec(
        select(AuditEvent)
        .where(AuditEvent.object_type == "tip", AuditEvent.object_id == tip_id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    return list(rows)


def _tip_source(session: Session) -> Source:
    source = session.exec(
        select(Source).where(Source.kind == TIP_SOURCE_KIND, Source.name == TIP_SOURCE_NAME)
    ).first()
    if source is None:
        source = Source(kind=TIP_SOURCE_KIND, name=TIP_SOURCE_NAME, reliability=TIP_RELIABILITY)
        session.add(source)
        session.flush()
    return source


def _report_location(
    session: Session, tip: Tip, place: str | None
) -> tuple[str | None, str | None, float | None, float | None]:
    """Where the report goes: the analyst's place, else the tip's, else the target's centre.

    A report names a place only by its gazetteer name: the public's free text ("the house of
    Mrs X on Sapele Road") stays in the encrypted tip and never reaches the store in clear.
    """
    from intel.gazetteer import get_gazetteer

    if place:
        try:
            found = get_gazetteer().resolve(place, tip.country)
        except CounterflowError:
            found = None
        if found is not None:
            return found.name, found.country, coarsen(found.lat), coarsen(found.lon)
    if tip.lat is not None and tip.lon is not None:
        near = get_gazetteer().nearest(tip.lat, tip.lon)
        return near.name, tip.country or near.country, tip.lat, tip.lon
    if tip.place:
        try:
            found = get_gazetteer().resolve(tip.place, tip.country)
            return found.name, found.country, coarsen(found.lat), coarsen(found.lon)
        except CounterflowError:
            pass
    if tip.target_id is not None:
        target = session.get(Target, tip.target_id)
        if target is not None:
            return target.name, target.country, coarsen(target.lat), coarsen(target.lon)
    return None, tip.country, None, None


def _exploitation_codes(value: str | list[str] | None) -> str:
    if value is None:
        return ""
    parts = value.split("|") if isinstance(value, str) else list(value)
    codes = [p.strip().lower() for p in parts if p.strip()]
    for code in codes:
        if not _CODE.match(code):
            raise CounterflowError(
                f"exploitation code {code!r} is not a taxonomy code",
                "use lower-case codes such as sexual, labour, domestic_servitude, joined by |",
            )
    return "|".join(codes)


def _tip_report(session: Session, tip: Tip, place: str | None) -> Report:
    name, country, lat, lon = _report_location(session, tip, place)
    source = _tip_source(session)
    received = tip.received_at
    observed = received.date() if isinstance(received, dt.datetime) else dt.date.today()
    return Report(
        source_id=source.id,
        observed_on=observed,
        language=tip.locale,
        summary=f"campaign tip {tip.id} (text held in the tip store)",
        reliability=TIP_RELIABILITY,
        credibility=TIP_CREDIBILITY,
        exploitation=tip.exploitation,
        place=name,
        country=(country or None) and country[:2].upper(),
        lat=lat,
        lon=lon,
        role="incident",
        fingerprint=hashlib.sha256(f"{TIP_SOURCE_KIND}:{tip.id}".encode()).hexdigest(),
        simulated=tip.simulated,
        extra={"tip_id": tip.id, "campaign_id": tip.campaign_id, "target_id": tip.target_id},
    )


def triage_tip(
    session: Session,
    *,
    tip_id: int,
    actor: User | str,
    actionable: bool,
    exploitation: str | list[str] | None = None,
    place: str | None = None,
) -> Tip:
    """Mark a tip actionable or not; an actionable tip becomes a ``Report``.

    The report carries the coarsened location (the analyst's ``place`` resolved with the
    gazetteer, else the tip's, else the target's centre), the day the tip arrived as its
    observed date, reliability F and credibility 3. Triaging again is allowed until the tip
    has become a report; a tip that already became a report cannot be turned back (the report
    may have been used).
    """
    user = _require_reader(session, actor, action="triage", tip_id=tip_id)
    tip = _get_tip(session, tip_id)
    if tip.report_id is not None and not actionable:
        raise Conflict(
            f"tip {tip_id} already became report {tip.report_id}",
            "mark the report as a duplicate or correct it in the intelligence store instead",
        )
    codes = _exploitation_codes(exploitation)
    if codes:
        tip.exploitation = codes
    before = tip.status
    tip.status = "actionable" if actionable else "not_actionable"
    tip.triaged_by = user.name
    tip.triaged_at = utcnow()
    if place and place.strip():
        tip.place = place.strip()[:200]
    if actionable and tip.report_id is None:
        report = _tip_report(session, tip, place)
        session.add(report)
        session.flush()
        tip.report_id = report.id
    session.add(tip)
    _audit(
        session,
        actor=user.name,
        action="tip.triaged",
        tip_id=tip_id,
        before=before,
        after=tip.status,
        report_id=tip.report_id,
        exploitation=tip.exploitation,
    )
    session.flush()
    log.info("tip %s triaged %s by %s", tip_id, tip.status, user.name)
    return tip


def refer_tip(session: Session, *, tip_id: int, actor: User | str, partner: str) -> Tip:
    """Record that an actionable tip was referred to a partner or law enforcement (audited).

    The partner's name is kept in the audit event; the tip's text does not travel with it.
    """
    user = _require_reader(session, actor, action="refer", tip_id=tip_id)
    name = (partner or "").strip()
    if not name or len(name) > 120:
        raise CounterflowError(
            f"the partner's name was {name[:40]!r}" if name else "the partner's name was empty",
            "name the partner or agency the tip goes to (at most 120 characters)",
        )
    tip = _get_tip(session, tip_id)
    if tip.status not in ("actionable", "referred"):
        raise Conflict(
            f"tip {tip_id} is {tip.status}, not actionable",
            "triage it as actionable before referring it",
        )
    before = tip.status
    tip.status = "referred"
    session.add(tip)
    _audit(session, actor=user.name, action="tip.referred", tip_id=tip_id, before=before, partner=name)
    session.flush()
    log.info("tip %s referred by %s", tip_id, user.name)
    return tip


def list_tips(session: Session, *, status: str | None = None, limit: int = 200) -> list[Tip]:
    """Tips newest first (their text stays encrypted)."""
    query = select(Tip).order_by(col(Tip.received_at).desc(), col(Tip.id).desc()).limit(limit)
    if status:
        query = query.where(Tip.status == status)
    return list(session.exec(query))


def _suppress(n: int) -> str:
    return f"<{SMALL_COUNT}" if n < SMALL_COUNT else str(n)


def export_tips_aggregated(session: Session, *, campaign_id: int) -> pd.DataFrame:
    """Tip counts for partners: per campaign, target, locale, status and ISO week.

    Returns
    -------
    pandas.DataFrame
        Columns ``campaign_id, target_id, locale, status, week, tips, simulated``. ``tips`` is
        a string: counts below 3 are shown as ``"<3"`` so that no single tip can be singled
        out. No text, place or coordinates leave this function.
    """
    import pandas as pd

    rows = session.execute(
        sa_select(
            col(Tip.campaign_id),
            col(Tip.target_id),
            col(Tip.locale),
            col(Tip.status),
            col(Tip.received_at),
            col(Tip.simulated),
        ).where(col(Tip.campaign_id) == campaign_id)
    ).all()
    columns = ["campaign_id", "target_id", "locale", "status", "week", "tips", "simulated"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(
        rows, columns=["campaign_id", "target_id", "locale", "status", "received_at", "simulated"]
    )
    iso = pd.to_datetime(frame["received_at"], utc=True).dt.isocalendar()
    frame["week"] = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    frame["target_id"] = frame["target_id"].astype("Int64")
    frame["locale"] = frame["locale"].fillna("")
    grouped = (
        frame.groupby(["campaign_id", "target_id", "locale", "status", "week"], dropna=False)
        .agg(n=("status", "size"), simulated=("simulated", "max"))
        .reset_index()
    )
    grouped["tips"] = grouped["n"].map(_suppress)
    return grouped[columns].sort_values(["week", "target_id", "locale", "status"]).reset_index(drop=True)
