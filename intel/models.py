"""The tables of the store (one schema for SQLite and PostgreSQL).

Multi-valued controlled-vocabulary fields (exploitation types, means of control,
recruitment, transport) are stored as ``|``-joined taxonomy codes: they never
contain ``|``, they bulk-load at full speed and pandas splits them in one call.
Free-form structured values (reasons, payloads, params) are JSON.

Times are timezone-aware UTC; ``observed_on`` is a calendar date.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _ts(**kw: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kw)  # type: ignore[call-overload]


def _json(default: Any = None) -> Any:
    if default is None:
        return Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    return Field(default_factory=lambda: list(default), sa_column=Column(JSON, nullable=False))


# --- intelligence ----------------------------------------------------------------


class Source(SQLModel, table=True):
    """Where intelligence comes from, graded on the Admiralty reliability scale A-F."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(
        index=True
    )  # news, court, ngo_report, un_report, law_enforcement, spreadsheet, app_tip, campaign_tip
    name: str = Field(index=True)
    reliability: str = Field(default="F", max_length=1)  # A (reliable) .. F (cannot be judged)

    __table_args__ = (UniqueConstraint("kind", "name"),)


class ImportBatch(SQLModel, table=True):
    """One import of one file: what was read, stored, merged and rejected."""

    id: int | None = Field(default=None, primary_key=True)
    file_name: str
    sha256: str = Field(index=True)
    spec: str = "reports"
    status: str = "running"  # running, done, failed
    started_at: dt.datetime = _ts()
    finished_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # type: ignore[call-overload]
    rows_read: int = 0
    rows_stored: int = 0
    rows_duplicate: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0  # exact copies of reports already in the store (same fingerprint)
    rejects_path: str | None = None  # the rejects CSV written next to the store
    source_kind: str | None = None


class Report(SQLModel, table=True):
    """One piece of intelligence, with its main place and the route it describes.

    Indexed only where a query looks rows up: ``observed_on`` (every period query and the
    import's look-back), ``fingerprint`` (re-imports) and ``duplicate_of`` (an incident's
    corroborating reports; only the rows that have one). No query selects reports by source,
    import or country, and each index costs about a fifth of the bulk-write speed.
    """

    __table_args__ = (
        Index(
            "ix_report_duplicate_of",
            "duplicate_of",
            sqlite_where=text("duplicate_of IS NOT NULL"),
            postgresql_where=text("duplicate_of IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: int | None = Field(default=None, foreign_key="source.id")
    import_id: int | None = Field(default=None, foreign_key="importbatch.id")
    line: int | None = None  # line in the imported file
    observed_on: dt.date = Field(index=True)
    received_at: dt.datetime = _ts()
    language: str | None = None
    summary: str | None = None
    reliability: str = Field(default="F", max_length=1)  # A-F, from the source, editable
    credibility: int = 6  # 1 (confirmed) .. 6 (cannot be judged)
    exploitation: str = ""  # |-joined taxonomy codes
    recruitment: str = ""
    control: str = ""
    transport: str = ""
    age_band: str | None = None
    gender: str | None = None
    victim_count: int = 1
    is_aggregate: bool = False  # statistical aggregate (e.g. UNODC), never an individual case
    # an aggregate's figure and what it counts (intel.measures): None on an individual report,
    # which counts as one incident naming ``victim_count`` victims. ``figure`` is the least the
    # source's value can mean and ``figure_high`` the most ("<5": 1 and 4; "120": 120 and 120)
    measure: str | None = None
    figure: int | None = None
    figure_high: int | None = None
    # main place (where it happened / was observed), EPSG:4326
    place: str | None = None
    admin1: str | None = None
    country: str | None = Field(default=None, max_length=2)  # ISO 3166-1 alpha-2
    lat: float | None = None
    lon: float | None = None
    # how precisely the place and the date are known (intel.precision): a report feeds a hotspot
    # cell only when its place is as precise as the cell; a year-only date is not 1 January
    place_precision: str = Field(
        default="point", max_length=11, sa_column_kwargs={"server_default": "point"}
    )  # point, town, district, region, country, unspecified
    date_precision: str = Field(default="day", max_length=5, sa_column_kwargs={"server_default": "day"})
    role: str = "incident"  # incident, exploitation, origin, transit, destination
    # the movement it describes: place names or ISO-2 codes
    origin: str | None = None
    transit: str = ""  # |-joined, in order
    destination: str | None = None
    fingerprint: str = Field(index=True)  # content hash: re-imports add nothing
    duplicate_of: int | None = Field(default=None, foreign_key="report.id")
    simulated: bool = False  # made by the demo scenario, never real intelligence
    extra: dict[str, Any] = _json()


class Reject(SQLModel, table=True):
    """A row that could not be imported, kept with its reason."""

    id: int | None = Field(default=None, primary_key=True)
    import_id: int | None = Field(default=None, foreign_key="importbatch.id", index=True)
    file_name: str
    line: int
    reason: str
    raw: str
    created_at: dt.datetime = _ts()


class Place(SQLModel, table=True):
    """A gazetteer entry the store refers to (copied from the offline gazetteer)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    country: str = Field(max_length=2)
    admin1: str | None = None
    lat: float
    lon: float
    population: int = 0
    timezone: str | None = None


class Route(SQLModel, table=True):
    """Named ordered waypoints and a corridor width."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    waypoints: list[dict[str, Any]] = _json([])  # [{"name", "lat", "lon", "country"}]
    corridor_km: float = 150.0
    created_at: dt.datetime = _ts()


# --- hotspots --------------------------------------------------------------------


class HotspotRun(SQLModel, table=True):
    """A dated hotspot analysis: its parameters and the reports it saw."""

    id: int | None = Field(default=None, primary_key=True)
    created_at: dt.datetime = _ts()
    route_id: int | None = Field(default=None, foreign_key="route.id")
    method: str = "gistar-h3"
    resolution: int | None = None
    n_reports: int = 0
    n_cells: int = 0
    n_significant: int = 0
    params: dict[str, Any] = _json()
    map_path: str | None = None


class Hotspot(SQLModel, table=True):
    """A cell or place of a run, with its statistics and its reasons."""

    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="hotspotrun.id", index=True)
    cell: str  # H3 index or place key
    lat: float
    lon: float
    place: str | None = None
    admin1: str | None = None
    country: str | None = None
    count: int = 0
    weight: float = 0.0
    z: float = 0.0
    p: float = 1.0
    bin: int = 0  # -3..3, FDR-corrected confidence (ArcGIS Gi_Bin)
    trend: str | None = None  # emerging hot spot category
    rank: int | None = None  # rank along the route, 1 = first pick
    segment: int | None = None
    distance_km: float | None = None  # distance along the route
    extent_km: float | None = None  # radius that covers the cell's reports
    reasons: dict[str, Any] = _json()


# --- campaigns -------------------------------------------------------------------


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    role: str  # an intel.roles.Role: campaign_manager, analyst, director, admin, partner
    password_hash: str | None = None  # Argon2 (pwdlib); None until the person sets one
    password_set_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # type: ignore[call-overload]


class StaffSession(SQLModel, table=True):
    """A signed-in browser: the cookie holds a random token, the store only its SHA-256."""

    id: str = Field(primary_key=True)  # sha256 hex of the cookie's token
    user_id: int = Field(foreign_key="user.id", index=True)
    created_at: dt.datetime = _ts()
    expires_at: dt.datetime = Field(sa_type=DateTime(timezone=True))  # type: ignore[call-overload]
    last_seen_at: dt.datetime = _ts()


class Credential(SQLModel, table=True):
    """A secret given to one person, kept as its SHA-256 only.

    ``kind`` is ``set_password`` (a one-time link an admin hands over), ``token`` (a personal
    token for the command line, from ``counterflow login``) or ``grant`` (a one-use permission,
    made after the person's password or token was checked, that a flow run spends to act for
    that person; its id, not a secret, is the flow's parameter).
    """

    id: int | None = Field(default=None, primary_key=True)
    secret_hash: str | None = Field(default=None, unique=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    kind: str
    purpose: str | None = None  # of a grant: plan, approve, triage
    created_at: dt.datetime = _ts()
    expires_at: dt.datetime = Field(sa_type=DateTime(timezone=True))  # type: ignore[call-overload]
    used_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # type: ignore[call-overload]


class Campaign(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str
    route_id: int | None = Field(default=None, foreign_key="route.id")
    hotspot_run_id: int | None = Field(default=None, foreign_key="hotspotrun.id")
    status: str = "draft"  # draft, submitted, approved, scheduled, published, finished
    author: str
    approved_by: str | None = None
    approved_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # type: ignore[call-overload]
    audience: dict[str, Any] = _json()  # {"age_min", "age_max", "genders", "languages"}
    budget: float = 0.0  # lifetime budget in `currency`
    currency: str = "USD"
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    objective: str = "OUTCOME_AWARENESS"
    channel: str = "outbox"
    allow_fuzzy: bool = False  # dry-run only: schedule drafted (fuzzy) copy, said loudly
    created_at: dt.datetime = _ts()
    # platform policy (campaigns.policy): social-issue ads, disclaimer, EU DSA transparency
    special_ad_categories: list[str] = _json([])  # e.g. ["ISSUES_ELECTIONS_POLITICS"]
    special_ad_category_country: list[str] = _json([])  # ISO-2 codes of the targeted countries
    paid_for_by: str | None = None  # the "Paid for by" disclaimer
    dsa_beneficiary: str | None = None  # EU Digital Services Act: who benefits from the ads
    dsa_payor: str | None = None  # EU Digital Services Act: who pays for the ads
    plan_notes: list[dict[str, Any]] = _json([])  # planner findings (merged targets, dropped teen ad sets)


class Target(SQLModel, table=True):
    """A radius around one hotspot, with its languages and audience."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    hotspot_id: int | None = Field(default=None, foreign_key="hotspot.id")
    name: str
    lat: float
    lon: float
    radius_km: float
    country: str
    admin1: str | None = None
    timezone: str = "UTC"
    languages: str = ""  # |-joined locale codes
    population: int = 0
    reach_estimate: int = 0
    is_eu: bool = False
    city: str | None = None  # city-or-larger place for teen ad sets (no radius pin)
    notes: list[dict[str, Any]] = _json([])  # merged hotspots, overlaps with other targets


class AdSet(SQLModel, table=True):
    """One ad set per target x language x age group: the unit of delivery and insights."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    target_id: int = Field(foreign_key="target.id", index=True)
    locale: str
    age_min: int
    age_max: int
    genders: str = ""  # |-joined: 1 men, 2 women; empty = all
    teen: bool = False
    targeting: dict[str, Any] = _json()  # the platform targeting spec
    budget: float = 0.0


class Asset(SQLModel, table=True):
    """Localised copy for one ad set, with its tracking code."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    target_id: int = Field(foreign_key="target.id", index=True)
    adset_id: int | None = Field(default=None, foreign_key="adset.id")
    locale: str
    family: str = "recruitment_fraud"
    tracking_code: str = Field(unique=True)
    headline: str
    body: str
    cta: str
    link: str
    helpline: str | None = None
    direction: str = "ltr"
    fuzzy: bool = False
    description: str = ""  # link description (placement limit 30 characters)


class ScheduledPost(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    asset_id: int = Field(foreign_key="asset.id", index=True)
    publish_at: dt.datetime = Field(sa_type=DateTime(timezone=True))  # type: ignore[call-overload]  # UTC
    local_time: str  # ISO local time with offset, as shown to the manager
    timezone: str
    status: str = "scheduled"  # scheduled, published, failed, cancelled


class Delivery(SQLModel, table=True):
    """One object sent to a channel, keyed so that a retried publish never posts twice."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    channel: str
    key: str  # idempotency key, e.g. "adset:12"
    kind: str  # campaign, adset, creative, ad, post
    status: str = "pending"  # pending, sent, failed
    external_id: str | None = None
    payload: dict[str, Any] = _json()
    error: str | None = None
    created_at: dt.datetime = _ts()
    updated_at: dt.datetime = _ts()

    __table_args__ = (UniqueConstraint("channel", "key"),)


class Metric(SQLModel, table=True):
    """Daily delivery insights per ad set (or post).

    Every measure is nullable: NULL means the source did not give it (an export without a reach
    column, a blank cell), which is not the same as 0. ``conversions`` are the platform's
    conversion events (an export's "Results" or "Conversions"). A row whose tracking code is
    ``fb-adset-<platform id>`` matched no ad set of the campaign: outcomes show it apart.
    """

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    adset_id: int | None = Field(default=None, foreign_key="adset.id")
    tracking_code: str | None = Field(default=None, index=True)
    day: dt.date
    reach: int | None = None
    impressions: int | None = None
    frequency: float | None = None
    clicks: int | None = None
    ctr: float | None = None
    unique_ctr: float | None = None
    spend: float | None = None
    conversions: int | None = None
    video_p25: int | None = None
    video_p50: int | None = None
    video_p75: int | None = None
    video_p100: int | None = None
    video_avg_time_s: float | None = None
    source: str = "platform"  # platform, export, simulated
    simulated: bool = False

    __table_args__ = (UniqueConstraint("campaign_id", "tracking_code", "day", "source"),)


class Tip(SQLModel, table=True):
    """A tip from the public: text encrypted at rest, location coarsened."""

    id: int | None = Field(default=None, primary_key=True)
    received_at: dt.datetime = _ts()
    tracking_code: str | None = Field(default=None, index=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    target_id: int | None = Field(default=None, foreign_key="target.id")
    locale: str | None = None
    text_encrypted: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    place: str | None = None
    # the country of the town in `place` (older tips may hold their target's: read only with a place)
    country: str | None = None
    lat: float | None = None  # coarsened (about 10 km) before storing
    lon: float | None = None
    exploitation: str = ""
    status: str = "new"  # an intel.roles.TipStatus: new, actionable, not_actionable, referred
    triaged_by: str | None = None
    triaged_at: dt.datetime | None = Field(default=None, sa_type=DateTime(timezone=True))  # type: ignore[call-overload]
    report_id: int | None = Field(default=None, foreign_key="report.id")
    simulated: bool = False


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: dt.datetime = _ts()
    actor: str
    action: str
    object_type: str
    object_id: int | None = None
    detail: dict[str, Any] = _json()

    __table_args__ = (Index("ix_audit_object", "object_type", "object_id"),)


# --- partner overlays --------------------------------------------------------------


class PartnerUpload(SQLModel, table=True):
    """One overlay a partner ran: whose it is, what it held, its summary and rejects.

    Partner rows never enter the intelligence tables; these two tables hold them for their owner
    only, and ``counterflow overlay purge`` deletes them after ``partner_keep_days``.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)  # the unguessable name of the result in its address
    owner_id: int = Field(foreign_key="user.id", index=True)  # the partner account that uploaded it
    kind: str  # sites or transactions
    file_name: str
    run_id: int | None = None  # the hotspot run sites were scored against
    created_at: dt.datetime = _ts(index=True)
    n_records: int = 0
    summary: list[dict[str, Any]] = _json([])
    rejects: list[list[Any]] = _json([])  # [line, id, reason]
    notes: list[str] = _json([])


class PartnerRecord(SQLModel, table=True):
    """One scored record of a partner's upload: its rank, score and the whole ranked row."""

    id: int | None = Field(default=None, primary_key=True)
    upload_id: int = Field(foreign_key="partnerupload.id", index=True)
    rank: int
    record_id: str
    score: float
    row: dict[str, Any] = _json()


# --- the store's own bookkeeping -------------------------------------------------


class StoreRevision(SQLModel, table=True):
    """SQLite: one row whose ``token`` a trigger sets to a random number whenever a report or a
    source is changed or deleted, or a source added (``intel.snapshot``). Added reports are seen
    from the report table's row count and highest id instead: a trigger per added row would
    slow a bulk import by a fifth."""

    __tablename__ = "store_revision"

    id: int | None = Field(default=None, primary_key=True)
    token: int = Field(default=0, sa_type=BigInteger)  # type: ignore[call-overload]


class StoreChange(SQLModel, table=True):
    """PostgreSQL: a row with a random ``token`` per statement that writes reports or sources,
    added by statement-level triggers (``intel.snapshot``): the committed changes a reader sees
    are its rows, so their count and the sum of their tokens name that state of the store.
    Rows are only ever added; adding one takes no lock another writer waits on."""

    __tablename__ = "store_change"

    id: int | None = Field(default=None, primary_key=True, sa_type=BigInteger)  # type: ignore[call-overload]
    token: int = Field(sa_type=BigInteger)  # type: ignore[call-overload]
