"""Tips from the public: submission, protected reading, triage, aggregated export.

Data protection rules, enforced here and tested:

- tip text is encrypted with Fernet (the newest of ``Settings.tip_keys()``; older keys still
  decrypt, so tips stay readable after a key rotation) before it touches the
  store and is never written to a log (not even at DEBUG);
- a tip's location is coarsened to 0.1 degree (about 10 km) before it is stored;
- the place a person typed is encrypted with the text and never logged; only the gazetteer's
  town (and its country) is kept in clear, when it names exactly one place
  (``campaigns.feedback.places``: never looked up inside the campaign target's country only);
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
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from campaigns.feedback.places import (
    PlaceNotResolved,
    resolve_named_place,
    target_precision,
    with_place_given,
)
from intel.errors import CommandHint, Conflict, CounterflowError, Forbidden, NotFound
from intel.models import Asset, AuditEvent, Report, Source, Target, Tip, User, utcnow
from intel.partner import PARTNER_K, check_k, suppress
from intel.roles import ACTIONABLE_STATUSES, TIP_READERS, TipStatus
from intel.settings import Settings

if TYPE_CHECKING:
    import pandas as pd

    from intel.gazetteer import GeoPlace, PlaceMatch

log = logging.getLogger(__name__)

MAX_TEXT = 5000
#: Decimal places kept of a tip's latitude/longitude: 0.1 degree is about 11 km.
COARSEN_DECIMALS = 1
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


def _fernet(settings: Settings) -> MultiFernet:
    return settings.tip_fernet()


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


def _country_at(lat: float | None, lon: float | None) -> str | None:
    """The country of a tip's (coarsened) location, or None without one or at sea."""
    if lat is None or lon is None:
        return None
    from intel.gazetteer import country_at

    return country_at(lat, lon)


def _town(place: str | None, lat: float | None, lon: float | None) -> GeoPlace | None:
    """The gazetteer's place for a place the public typed, or None (never the typed text).

    Resolved like any other place, with no campaign target's country as a filter; the country
    of the tip's own location settles an ambiguous name. A place that names no place or several
    leaves no town in clear: the analyst sees the typed text and the candidates at triage.
    """
    if not place:
        return None
    try:
        match = resolve_named_place(place, hint=lambda: (_country_at(lat, lon), "the tip's location"))
    except PlaceNotResolved:
        return None
    return match.place


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
    unattributed. The typed ``place`` is encrypted with the text; when it names exactly one place
    (the tip's own location may settle an ambiguous name, the campaign target never does), that
    town and its country are kept in clear, else none: the tip is accepted all the same. The
    submission is audited as actor ``public``; neither the text nor the place is ever logged.
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
    # The place as the person wrote it is as sensitive as the text: it is encrypted with it.
    # Only a gazetteer name (a town) and its country are kept in clear, for triage lists and maps.
    town = _town(place_given, lat_c, lon_c)
    stored = with_place_given(clean, place_given)
    tip = Tip(
        tracking_code=code,
        campaign_id=who.campaign_id,
        target_id=who.target_id,
        locale=who.locale or (locale or None),
        text_encrypted=_fernet(settings).encrypt(stored.encode("utf-8")),
        place=town.name if town else None,
        country=town.country if town else None,
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
            "give the server the key the tip was stored with (older keys may follow the newest)",
            status=500,
        ) from exc
    _audit(session, actor=user.name, action="tip.read", tip_id=tip_id)
    session.flush()
    return text


def reencrypt_tips(session: Session, *, settings: Settings, batch: int = 500) -> int:
    """Re-encrypt every tip under the newest key (after a rotation); returns how many.

    Each tip is decrypted with whichever key it was stored under and encrypted with the newest
    (``MultiFernet.rotate``); the text never leaves this function. Once every tip has been
    re-encrypted, the older keys are needed only to read backups made before.
    """
    fernet = _fernet(settings)
    done = 0
    last = 0
    while True:
        rows = session.exec(select(Tip).where(col(Tip.id) > last).order_by(col(Tip.id)).limit(batch)).all()
        if not rows:
            return done
        for tip in rows:
            try:
                tip.text_encrypted = fernet.rotate(tip.text_encrypted)
            except InvalidToken as exc:
                raise CounterflowError(
                    f"tip {tip.id} cannot be decrypted with any of the configured keys",
                    "give the server every key tips were stored with (older keys after the newest)",
                ) from exc
            session.add(tip)
            done += 1
            last = tip.id or last
        session.flush()


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


def tipster_country(tip: Tip) -> tuple[str | None, str]:
    """The tipster's own country, and what it comes from: the tip's location, else the country
    of the town the tipster named (never the campaign target's)."""
    if tip.lat is not None and tip.lon is not None:
        return _country_at(tip.lat, tip.lon), "the tip's location"
    if tip.place and tip.country:
        return tip.country, "the town the tipster named"
    return None, ""


def _analyst_place(place: str | None, tip: Tip) -> PlaceMatch | None:
    """The gazetteer's place for the place an analyst named, resolved like any other place.

    No campaign target's country filters it; the tipster's own country settles an ambiguous
    name (and the match says so). Raises ``PlaceNotResolved`` with the candidates otherwise.
    """
    if not place or not place.strip():
        return None
    return resolve_named_place(place.strip(), tip_id=tip.id, hint=lambda: tipster_country(tip))


@dataclass(frozen=True)
class ReportPlace:
    """Where an actionable tip's report goes (EPSG:4326, coarsened) and how it was chosen.

    ``source`` is ``analyst`` (the place named at triage), ``target_area`` (the campaign
    target's centre, chosen explicitly), ``tip_location`` or ``tip_place`` (the town the
    tipster named); ``precision`` is the report's place precision (district, town, region).
    """

    name: str
    admin1: str | None
    country: str | None
    lat: float | None
    lon: float | None
    precision: str
    source: str
    note: str


def _report_place(
    session: Session, tip: Tip, named: PlaceMatch | None, *, use_target_area: bool
) -> ReportPlace | None:
    """Where the report goes: the analyst's place, else the target's area when the analyst chose
    it, else the tip's location, else the town the tipster named; None when there is none.

    Never the target's centre unless the analyst chose it: a tip attributed to a campaign may
    be about anywhere. A report names a place only by its gazetteer name: the public's free text
    ("the house of Mrs X on Sapele Road") stays in the encrypted tip.
    """
    from intel.gazetteer import get_gazetteer

    if named is not None:
        p = named.place
        return ReportPlace(p.name, p.admin1, p.country, coarsen(p.lat), coarsen(p.lon), named.precision,
                           "analyst", named.describe())  # fmt: skip
    if use_target_area:
        target = session.get(Target, tip.target_id) if tip.target_id is not None else None
        if target is None:
            raise NoReportPlace(
                f"tip {tip.id} came through no campaign target, so it has no target's area",
                "name the town where it happened",
                hint=CommandHint("triage", f"{tip.id} --actionable --as NAME --place TOWN"),
            )
        precision = target_precision(target.radius_km)
        note = f"the area of the campaign target {target.name} ({target.radius_km:g} km), chosen at triage"
        return ReportPlace(target.name, None, target.country, coarsen(target.lat), coarsen(target.lon),
                           precision, "target_area", note)  # fmt: skip
    if tip.lat is not None and tip.lon is not None:
        near = get_gazetteer().nearest(tip.lat, tip.lon)
        country = _country_at(tip.lat, tip.lon) or near.country
        return ReportPlace(near.name, near.admin1, country, coarsen(tip.lat), coarsen(tip.lon), "town",
                           "tip_location", f"the tip's location, near {near.name}")  # fmt: skip
    if tip.place and tip.country:
        try:
            # the tip's own town, in its own country (the country was kept with the town)
            found = get_gazetteer().resolve_with_alternatives(tip.place, tip.country, warn=False)[0]
        except CounterflowError:
            return None
        return ReportPlace(found.name, found.admin1, found.country, coarsen(found.lat), coarsen(found.lon),
                           "town", "tip_place", f"{found.name}, the town the tipster named")  # fmt: skip
    return None


def tip_source_name(tip_id: int) -> str:
    """The source of a tip's report: each tip is its own anonymous source.

    So two tips about one incident corroborate each other under the store's incident rule (a
    source never corroborates itself), as two newspapers would.
    """
    return f"tip {tip_id}"


def _tip_report_row(
    session: Session,
    tip: Tip,
    named: PlaceMatch | None,
    *,
    exploitation: str,
    language: str | None,
    use_target_area: bool,
) -> tuple[dict[str, Any], ReportPlace]:
    """The report of an actionable tip, as ``Report`` fields for ``intel.ingest.add_reports``.

    No summary: the tip's words stay in the encrypted tip (``extra.tip_id`` links the two). The
    place precision and where the place came from are kept in ``extra``.
    """
    where = _report_place(session, tip, named, use_target_area=use_target_area)
    if where is None or where.lat is None or where.lon is None:
        target = f" or choose the campaign target's area ({tip.target_id})" if tip.target_id else ""
        raise NoReportPlace(
            f"tip {tip.id} has no place for its report: it came with no location and no town "
            "the gazetteer knows",
            f"name the town where it happened{target}",
            hint=CommandHint("triage", f"{tip.id} --actionable --as NAME --place TOWN"),
        )
    received = tip.received_at
    row = {
        "observed_on": received.date() if isinstance(received, dt.datetime) else dt.date.today(),
        "language": language or tip.locale,
        "reliability": TIP_RELIABILITY,
        "credibility": TIP_CREDIBILITY,
        "exploitation": exploitation,
        "place": where.name,
        "country": where.country,
        "lat": where.lat,
        "lon": where.lon,
        "place_precision": where.precision,
        "role": "incident",
        "simulated": tip.simulated,
        "extra": {
            "tip_id": tip.id,
            "campaign_id": tip.campaign_id,
            "target_id": tip.target_id,
            "place_from": where.source,
        },
    }
    return row, where


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


#: A language code as reports keep it: "en", "pcm", "pt-BR", "ar_LY".
_LANGUAGE = re.compile(r"[a-z]{2,3}([_-][A-Za-z0-9]{2,8})*")


def _language(value: str | None) -> str | None:
    clean = (value or "").strip()
    if not clean:
        return None
    if len(clean) > 16 or not _LANGUAGE.fullmatch(clean):
        raise CounterflowError(
            f"the language was {clean[:20]!r}", "give a language code such as en, pcm, ha or ar"
        )
    return clean


@dataclass(frozen=True)
class Triaged:
    """A triaged tip, and where its report went and why (``place_note``, in gazetteer names)."""

    tip: Tip
    report_id: int | None
    place_note: str | None


def triage_tip(
    session: Session,
    *,
    tip_id: int,
    actor: User | str,
    actionable: bool,
    exploitation: str | list[str] | None = None,
    place: str | None = None,
    use_target_area: bool = False,
    language: str | None = None,
    settings: Settings | None = None,
) -> Triaged:
    """Mark a tip actionable or not; an actionable tip becomes a ``Report``.

    The report enters the store through ``intel.ingest.add_reports``, like every other report:
    its exploitation types are taxonomy codes (labels such as "forced labor" become codes; an
    unknown one is refused with the taxonomy's message before anything changes), it is graded
    reliability F and credibility 3, fingerprinted, and merged into an incident already in the
    store (``duplicate_of``) when it corroborates one. It carries no words of the tip, the day
    the tip arrived as its observed date, ``language`` (default: the tip's locale) and a
    coarsened place:

    - the analyst's ``place``, resolved like any other place ("Town", "Town, Region", "Town,
      Country", "District, Town"), with no campaign target's country as a filter; a place that
      names no place or several raises ``PlaceNotResolved`` with the candidates;
    - else the campaign target's area, only when the analyst chose it (``use_target_area``);
    - else the tip's own location, else the town the tipster named;
    - else ``NoReportPlace``: never a silent guess.

    Nothing changes unless all of it is valid. ``extra`` of the report records its place
    precision and where the place came from; the audit event names the report, its place and
    the incident it joined.

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
    if use_target_area and place and place.strip():
        raise CounterflowError(
            "both a place and the campaign target's area were given",
            "name the place where it happened, or choose the target's area, not both",
        )
    # everything the analyst gave is checked before anything changes
    codes = exploitation_codes(exploitation)
    lang = _language(language)
    named = _analyst_place(place, tip)
    row, where = None, None
    if actionable and tip.report_id is None:
        row, where = _tip_report_row(
            session, tip, named, exploitation=codes or tip.exploitation, language=lang,
            use_target_area=use_target_area,
        )  # fmt: skip
    if codes:
        tip.exploitation = codes
    if named is not None:
        tip.place, tip.country = named.place.name, named.place.country
    before = tip.status
    tip.status = (TipStatus.ACTIONABLE if actionable else TipStatus.NOT_ACTIONABLE).value
    tip.triaged_by = user.name
    tip.triaged_at = utcnow()
    stored: dict[str, Any] = {"report_id": tip.report_id}
    if row is not None:
        stored = _store_report(session, tip, row, settings)
        tip.report_id = stored["report_id"]
    if where is not None:
        # gazetteer names only: the place as the analyst or the tipster typed it is not kept
        stored.update(place=where.name, place_precision=where.precision, place_from=where.source)
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
    note = where.note if where is not None else (named.describe() if named is not None else None)
    return Triaged(tip=tip, report_id=tip.report_id, place_note=note)


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


#: HXL hashtags of the tips export's columns (https://hxlstandard.org).
TIPS_HXL: dict[str, str] = {
    "campaign_id": "#activity+id",
    "target_id": "#loc+target+id",
    "locale": "#meta+lang",
    "status": "#status",
    "week": "#date+week",
    "tips": "#affected+tips",
    "simulated": "#meta+simulated",
}


def export_tips_aggregated(session: Session, *, campaign_id: int, k: int = PARTNER_K) -> pd.DataFrame:
    """Tip counts for partners: per campaign, target, locale, status and ISO week.

    Returns
    -------
    pandas.DataFrame
        Columns ``campaign_id, target_id, locale, status, week, tips, simulated``. ``tips`` is
        a string: counts below ``k`` (11 by default, ``intel.partner.PARTNER_K``) are shown as
        ``"<11"`` so that no small group of tipsters can be singled out. No text, place or
        coordinates leave this function (a target is the campaign's area, not a tip's place).
    """
    import pandas as pd

    check_k(k)
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
    grouped["tips"] = suppress(grouped["n"], k=k)
    return grouped[columns].sort_values(["week", "target_id", "locale", "status"]).reset_index(drop=True)
