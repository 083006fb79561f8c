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
run sees it. It enters the store through the same door as every other report
(``intel.ingest.add_reports``: taxonomy codes, grading, fingerprint, incidents). Its grading:
source reliability ``F`` (an anonymous member of the public cannot be judged) and information
credibility ``3`` ("possibly true"): an analyst has read it and judged it actionable, but
nothing corroborates it yet. Each tip is its own source, so two tips about one incident
corroborate each other (the later report's ``duplicate_of`` is the first one).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from intel.errors import CommandHint, Conflict, CounterflowError, Forbidden, NotFound
from intel.models import Asset, AuditEvent, Report, Source, Target, Tip, User, utcnow
from intel.roles import ACTIONABLE_STATUSES, TIP_READERS, TipStatus
from intel.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from intel.gazetteer import GeoPlace

log = logging.getLogger(__name__)

MAX_TEXT = 5000
#: Decimal places kept of a tip's latitude/longitude: 0.1 degree is about 11 km.
COARSEN_DECIMALS = 1
SMALL_COUNT = 3
TIP_SOURCE_KIND = "campaign_tip"
TIP_RELIABILITY = "F"
TIP_CREDIBILITY = 3


class TipInvalid(CounterflowError):
    """A tip that cannot be accepted; ``code`` lets the public form say why in its own language."""

    status = 422

    def __init__(self, code: str, problem: str, fix: str, **values: Any) -> None:
        self.code = code
        self.values = values
        super().__init__(problem, fix)


class NoReportPlace(CounterflowError):
    """An actionable tip with nowhere to put its report (no location, town or target)."""

    status = 422


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
        raise NotFound(
            f"tip {tip_id} does not exist", "check the tip id in the list of tips", hint=CommandHint("tips")
        )
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


def exploitation_codes(value: str | list[str] | None) -> str:
    """An analyst's exploitation types as taxonomy codes, ``|``-joined, each once.

    Codes and labels are both understood, with the taxonomy's synonyms; a value the taxonomy
    does not know raises the taxonomy's own ``CounterflowError`` (naming the valid codes).

    >>> exploitation_codes("forced labor|Sexual exploitation|sexual")
    'forced_labour|sexual'
    >>> exploitation_codes(None)
    ''
    """
    from intel.taxonomy import normalise_code

    parts = value.split("|") if isinstance(value, str) else list(value or [])
    codes: list[str] = []
    for part in parts:
        if part.strip():
            code = normalise_code("exploitation", part.strip())
            if code not in codes:
                codes.append(code)
    return "|".join(codes)


def _analyst_place(place: str | None, country: str | None) -> GeoPlace | None:
    """The gazetteer's place for the place an analyst named: in the tip's country if it is there,
    else wherever the name (or "Town, Country") points. Raises the gazetteer's error otherwise."""
    from intel.gazetteer import get_gazetteer

    if not place or not place.strip():
        return None
    gazetteer = get_gazetteer()
    if country:
        try:
            return gazetteer.resolve(place, country)
        except CounterflowError:
            pass
    return gazetteer.resolve(place)


def _report_location(
    session: Session, tip: Tip, named: GeoPlace | None
) -> tuple[str | None, str | None, float | None, float | None]:
    """Where the report goes: the analyst's place, else the tip's, else the target's centre.

    A report names a place only by its gazetteer name: the public's free text ("the house of
    Mrs X on Sapele Road") stays in the encrypted tip and never reaches the store in clear.
    Coordinates are EPSG:4326, coarsened to 0.1 degree.
    """
    from intel.gazetteer import get_gazetteer

    if named is not None:
        return named.name, named.country, coarsen(named.lat), coarsen(named.lon)
    if tip.lat is not None and tip.lon is not None:
        near = get_gazetteer().nearest(tip.lat, tip.lon)
        return near.name, tip.country or near.country, coarsen(tip.lat), coarsen(tip.lon)
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


def tip_source_name(tip_id: int) -> str:
    """The source of a tip's report: each tip is its own anonymous source.

    So two tips about one incident corroborate each other under the store's incident rule (a
    source never corroborates itself), as two newspapers would.
    """
    return f"tip {tip_id}"


def _tip_report_row(
    session: Session, tip: Tip, named: GeoPlace | None, *, exploitation: str
) -> dict[str, Any]:
    """The report of an actionable tip, as ``Report`` fields for ``intel.ingest.add_reports``.

    No summary: the tip's words stay in the encrypted tip (``extra.tip_id`` links the two).
    """
    name, country, lat, lon = _report_location(session, tip, named)
    if lat is None or lon is None:
        raise NoReportPlace(
            f"tip {tip.id} has no place for its report: it came with no location, no town the "
            "gazetteer knows and no campaign target",
            "name the town where it happened when you triage it",
        )
    received = tip.received_at
    return {
        "observed_on": received.date() if isinstance(received, dt.datetime) else dt.date.today(),
        "language": tip.locale,
        "reliability": TIP_RELIABILITY,
        "credibility": TIP_CREDIBILITY,
        "exploitation": exploitation,
        "place": name,
        "country": country,
        "lat": lat,
        "lon": lon,
        "role": "incident",
        "simulated": tip.simulated,
        "extra": {"tip_id": tip.id, "campaign_id": tip.campaign_id, "target_id": tip.target_id},
    }


def _store_report(
    session: Session, tip: Tip, row: dict[str, Any], settings: Settings | None
) -> dict[str, Any]:
    """Put a tip's report through the one door into the store; what happened, for the audit.

    The tip's source (reliability F) is created first, so that it carries the tip's grade rather
    than the default grade of its kind.
    """
    from intel.ingest import add_reports

    name = tip_source_name(int(tip.id or 0))
    source = session.exec(select(Source).where(Source.kind == TIP_SOURCE_KIND, Source.name == name)).first()
    if source is None:
        session.add(Source(kind=TIP_SOURCE_KIND, name=name, reliability=TIP_RELIABILITY))
        session.flush()
    newest = session.exec(select(func.max(Report.id))).one() or 0
    (report_id,) = add_reports(
        session, rows=[row], source_kind=TIP_SOURCE_KIND, source_name=name, settings=settings
    )
    report = session.get(Report, report_id)
    detail: dict[str, Any] = {"report_id": report_id}
    if report_id <= newest:
        detail["report_existing"] = True  # an exact copy was already in the store: linked to it
    if report is not None and report.duplicate_of is not None:
        detail["duplicate_of"] = report.duplicate_of  # the first report of the same incident
    return detail


def triage_tip(
    session: Session,
    *,
    tip_id: int,
    actor: User | str,
    actionable: bool,
    exploitation: str | list[str] | None = None,
    place: str | None = None,
    settings: Settings | None = None,
) -> Tip:
    """Mark a tip actionable or not; an actionable tip becomes a ``Report``.

    The report enters the store through ``intel.ingest.add_reports``, like every other report:
    its exploitation types are taxonomy codes (labels such as "forced labor" become codes; an
    unknown one is refused with the taxonomy's message before anything changes), it is graded
    reliability F and credibility 3, fingerprinted, and merged into an incident already in the
    store (``duplicate_of``) when it corroborates one. It carries the coarsened location (the
    analyst's ``place``, which must be a place the gazetteer knows, else the tip's, else the
    target's centre), the day the tip arrived as its observed date, and no words of the tip.
    The audit event names the report, and the incident it joined.

    Triaging again is allowed until the tip has become a report; a tip that already became a
    report cannot be turned back (the report may have been used).
    """
    user = _require_reader(session, actor, action="triage", tip_id=tip_id)
    tip = _get_tip(session, tip_id)
    if tip.report_id is not None and not actionable:
        raise Conflict(
            f"tip {tip_id} already became report {tip.report_id}",
            "mark the report as a duplicate or correct it in the intelligence store instead",
        )
    # everything the analyst gave is checked before anything changes
    codes = exploitation_codes(exploitation)
    named = _analyst_place(place, tip.country)
    row = None
    if actionable and tip.report_id is None:
        row = _tip_report_row(session, tip, named, exploitation=codes or tip.exploitation)
    if codes:
        tip.exploitation = codes
    if named is not None:
        tip.place = named.name
    before = tip.status
    tip.status = (TipStatus.ACTIONABLE if actionable else TipStatus.NOT_ACTIONABLE).value
    tip.triaged_by = user.name
    tip.triaged_at = utcnow()
    stored: dict[str, Any] = {"report_id": tip.report_id}
    if row is not None:
        stored = _store_report(session, tip, row, settings)
        tip.report_id = stored["report_id"]
    session.add(tip)
    _audit(
        session,
        actor=user.name,
        action="tip.triaged",
        tip_id=tip_id,
        before=before,
        after=tip.status,
        exploitation=tip.exploitation,
        **stored,
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
    if tip.status not in ACTIONABLE_STATUSES:
        raise Conflict(
            f"tip {tip_id} is {tip.status}, not actionable",
            "triage it as actionable before referring it",
        )
    before = tip.status
    tip.status = TipStatus.REFERRED.value
    session.add(tip)
    _audit(session, actor=user.name, action="tip.referred", tip_id=tip_id, before=before, partner=name)
    session.flush()
    log.info("tip %s referred by %s", tip_id, user.name)
    return tip


def list_tips(session: Session, *, status: str | None = None, limit: int = 200) -> list[Tip]:
    """Tips newest first (their text stays encrypted), all or those with one ``TipStatus``."""
    if status is not None and status not in tuple(TipStatus):
        raise CounterflowError(f"tip status was {status!r}", f"use one of {', '.join(TipStatus)}")
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
