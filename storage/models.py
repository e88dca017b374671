"""The tables, in one place. Times are aware UTC; deadlines are columns, never timers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime, utcnow


class Table(SQLModel):
    """A table's model, its objects built as SQLModel builds them (the values given, each
    missing field's default; no validation, as for any table model) but put in the object's
    dict at once. SQLModel sets each value through SQLAlchemy's attribute events: ≈ 55 µs
    an object against ≈ 5, five objects a report (issue 14). What those events record on a
    new object (each attribute changed from nothing) its INSERT does not use: the flush
    writes its dict. A model these events matter to (an attribute's own listener, a
    relationship, a field under an alias) and values that are not its fields are built
    SQLModel's way."""

    def __init__(self, **values: Any) -> None:
        defaults = _defaults(type(self))
        if defaults is None or not values.keys() <= defaults.keys():
            super().__init__(**values)
            return
        fields = {
            name: values[name] if name in values else default()
            for name, default in defaults.items()
            if name in values or default is not None
        }
        self.__dict__.update(fields)
        object.__setattr__(self, "__pydantic_fields_set__", set(values))


_DEFAULTS: dict[type, dict[str, Callable[[], Any] | None] | None] = {}


def _defaults(model: type[SQLModel]) -> dict[str, Callable[[], Any] | None] | None:
    """Each field's default, as a function to call (None: required), if `model`'s objects
    may be built in their dict at once (see Table); None if they may not."""
    if model not in _DEFAULTS:
        _DEFAULTS[model] = _defaults_of(model)
    return _DEFAULTS[model]


def _defaults_of(model: type[SQLModel]) -> dict[str, Callable[[], Any] | None] | None:
    manager = getattr(model, "_sa_class_manager", None)
    if manager is None or model.__sqlmodel_relationships__ or model.__pydantic_post_init__:
        return None
    if model.model_config.get("extra") == "allow":
        return None
    defaults: dict[str, Callable[[], Any] | None] = {}
    for name, field in model.model_fields.items():
        attribute = manager.get(name)
        if field.alias or attribute is None or attribute.dispatch.set:
            return None
        if field.default_factory is not None:
            if field.default_factory_takes_validated_data:
                return None  # a factory given the values validated so far: pydantic's
            defaults[name] = field.default_factory
        elif field.is_required():
            defaults[name] = None
        else:
            defaults[name] = functools.partial(field.get_default, call_default_factory=False)
    return defaults


def _time(*, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=True, index=index)


def _no_items() -> list:
    """An empty list, as default_factory=list gives, but 4 µs a field where list cost 70:
    pydantic reads a default factory's signature at every object built, and the builtin's
    from its text (issue 14: a quarter of building a report's rows)."""
    return []


def _created() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def _telegram_id(*, unique: bool = False, index: bool = False) -> Any:
    return Field(sa_type=BigInteger, nullable=False, unique=unique, index=index)


class Resident(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _telegram_id(unique=True)
    chat_id: int = Field(sa_type=BigInteger, nullable=False)
    name: str = ""
    username: str | None = None
    language: str = "zh"
    language_chosen: bool = False  # /lang was used: stop following Telegram's language_code
    subscribed_tips: bool = False
    created_at: datetime = _created()
    # Marked abusive (标记骚扰 confirmed, or `firecircle residents block`): their messages are
    # kept in the inbox but create no tasks; an emergency is still answered and alerted.
    blocked_at: datetime | None = _time()
    blocked_by: str | None = None  # "staff:3", or "cli"
    blocked_reason: str | None = Field(default=None, sa_type=Text)
    # Where they last shared their location: "where can I refill…" is answered without asking
    # again. Erased by /forget.
    last_latitude: float | None = None
    last_longitude: float | None = None
    located_at: datetime | None = _time()


class ResidentQuota(Table, table=True):
    """A resident's messages in the current one-minute window, and when they were last told
    to try later about reports: one row each, updated in the message's own transaction, so a
    restart or a second instance counts on where the first left off."""

    resident_id: int = Field(foreign_key="resident.id", primary_key=True, ondelete="CASCADE")
    window_started_at: datetime = _created()
    messages: int = 0
    warned: bool = False  # told to try later (or that they are blocked) in this window
    reports_warned_at: datetime | None = _time()


class Staff(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = _telegram_id(unique=True)
    name: str
    role: str  # worker | coordinator | officer | admin
    community: str | None = None
    street: str | None = None
    language: str = "zh"
    active: bool = True
    created_at: datetime = _created()


class GridCell(Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True)
    name: str
    community: str = Field(index=True)
    street: str
    geometry: str = Field(sa_type=Text)  # GeoJSON Polygon/MultiPolygon, lon/lat (WGS 84)
    created_at: datetime = _created()
    updated_at: datetime = _created()  # lets a running service notice a re-import


class GridDuty(Table, table=True):
    """Who works a grid cell, in order: position 0 is on duty, the rest are backups."""

    __table_args__ = (UniqueConstraint("grid_id", "staff_id"),)

    id: int | None = Field(default=None, primary_key=True)
    grid_id: int = Field(foreign_key="gridcell.id", index=True, ondelete="CASCADE")
    staff_id: int = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")
    position: int = 0
    duty_start: str | None = None  # "HH:MM" local time; both None means all day
    duty_end: str | None = None


class ApiClient(Table, table=True):
    """Another system filing and reading reports through Open311, known by its key's hash."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    key_hash: str = Field(unique=True)  # sha256 of the key: the key itself is shown once
    created_at: datetime = _created()
    last_used_at: datetime | None = _time()
    revoked_at: datetime | None = _time()
    # Requests in the current minute (a fixed window, counted in the row: every instance
    # shares it)
    window_start: datetime | None = _time()
    window_count: int = 0


class DirectoryVersion(Table, table=True):
    """One row: moved by triggers on every change to staff, gridduty and gridcell (migration
    0019), so a process may hold them in memory and check this number (storage.directory)."""

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=BigInteger)


class Report(Table, table=True):
    __table_args__ = (
        Index("ix_report_status_next_deadline", "status", "next_deadline_at"),
        Index("ix_report_resident_created", "resident_id", "created_at"),
        Index("ix_report_created_at", "created_at"),  # a period's reports (statistics)
    )

    id: int | None = Field(default=None, primary_key=True)
    reference: str | None = Field(default=None, unique=True)  # "FC-000123", set from id
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    language: str = "zh"
    text: str = Field(sa_type=Text)
    kind: str = "hazard"
    category: str | None = None
    severity: str | None = None
    cues: list[str] = Field(default_factory=_no_items, sa_type=JSON)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    community: str | None = None
    grid_id: int | None = Field(default=None, foreign_key="gridcell.id", index=True)
    status: str = Field(default="new", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="staff.id", index=True)
    escalation_level: int = 0
    merged_into_id: int | None = Field(default=None, foreign_key="report.id")
    photos: list[str] = Field(default_factory=_no_items, sa_type=JSON)  # Telegram file ids
    # The resident's messages the text is made of: a reference the chat gives each one (opaque
    # here) → the words it added, so an edit of one changes those words.
    sources: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    # Where it came from: "resident" (the chat), "open311" (another system, by its API key),
    # "patrol" (staff or a volunteer on patrol, /patrol), "campaign" (a checklist's answer)
    source: str = Field(default="resident", sa_column_kwargs={"server_default": "resident"})
    # Found at a site during a campaign's visit (source "campaign")
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id")
    client_id: int | None = Field(default=None, foreign_key="apiclient.id", index=True)
    # What an Open311 client sent besides the words: the requester's contact (personal: shown
    # to staff, never read back out, cleared on anonymising), a photo's URL, the attributes
    contact: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    media_url: str | None = Field(default=None, sa_type=Text)
    attributes: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    supervised: bool = False  # 挂牌督办: a rectification deadline was missed
    reopen_count: int = 0
    rating: int | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()
    assigned_at: datetime | None = _time()
    ack_deadline_at: datetime | None = _time()
    acknowledged_at: datetime | None = _time()
    rectify_deadline_at: datetime | None = _time()
    resolved_at: datetime | None = _time()
    closed_at: datetime | None = _time()
    anonymised_at: datetime | None = _time()  # personal fields replaced (retention, forget)
    # The earliest pending deadline of any kind: what the scheduler selects on.
    next_deadline_at: datetime | None = _time()


# The number an event's detail holds that the statistics count: an escalation's level, a
# rating's stars
LEVELS = {"escalated": "level", "rated": "stars"}


def event_level(action: str | None, detail: dict[str, Any] | None) -> int | None:
    """The level an event's history row keeps: from the detail of an `escalated` or `rated`
    event, None for others."""
    key = LEVELS.get(action or "")
    value = (detail or {}).get(key) if key else None
    return int(value) if value is not None else None


def _event_level(context) -> int | None:
    """Copied from the detail by whoever inserts the row without giving it."""
    row = context.get_current_parameters()
    return event_level(row.get("action"), row.get("detail"))


class ReportEvent(Table, table=True):
    """Append-only history of a report: who did what, when, from which state to which."""

    # A report's history read from the index alone (statistics over a year of events)
    __table_args__ = (
        Index(
            "ix_reportevent_history",
            "report_id",
            "at",
            "action",
            "from_status",
            "to_status",
            "level",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    at: datetime = _created()
    actor: str  # "resident:12", "staff:3", "system"
    action: str  # created, assigned, acknowledged, escalated, …
    from_status: str | None = None
    to_status: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The level an `escalated` event reached, the stars a `rated` one gave (from the detail,
    # filled in on insert): in the history index, so the statistics count escalations by level
    # and read ratings without reading the rows
    level: int | None = Field(default=None, sa_column_kwargs={"default": _event_level})


class ReportDraft(Table, table=True):
    """A report being written in the chat; kept here so it survives a restart."""

    resident_id: int = Field(foreign_key="resident.id", primary_key=True)
    step: str  # description | location | photos
    text: str | None = Field(default=None, sa_type=Text)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    community: str | None = None
    photos: list[str] = Field(default_factory=_no_items, sa_type=JSON)
    sources: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # as Report.sources
    started_at: datetime = _created()
    updated_at: datetime = _created()


class InboxUpdate(Table, table=True):
    """Every Telegram update as received, stored before it is confirmed."""

    __table_args__ = (  # the waiting updates of each chat, in order (a pass takes a few each)
        Index(
            "ix_inbox_waiting_by_chat",
            "chat_id",
            "update_id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
    )

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The chat it belongs to (None: it names none): a chat's updates go in order, and each
    # pass takes only a few of one chat, so one that floods holds up no other.
    chat_id: int | None = Field(default=None, sa_type=BigInteger)
    received_at: datetime = _created()
    # Set by the transaction that handled it, which commits it with the work: on SQLite when
    # that transaction began (bot.inbox), on PostgreSQL, and wherever it failed, at its end.
    processed_at: datetime | None = _time(index=True)
    error: str | None = Field(default=None, sa_type=Text)


class OutboxMessage(Table, table=True):
    """A message to send, kept until Telegram accepted it or it can never be delivered."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "priority", "next_attempt_at"),
        Index("ix_outbox_broadcast", "broadcast_id", "status"),  # a broadcast's progress
        Index("ix_outbox_subject", "subject"),  # a message withdrawn by what it is about
    )

    id: int | None = Field(default=None, primary_key=True)
    chat_id: int = Field(sa_type=BigInteger, index=True)
    method: str = "sendMessage"
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    priority: int = 50  # lower goes first: emergency 0 … bulk 90
    # pending | sending | sent | expanded (a notice turned into its calls) | failed | undeliverable
    status: str = "pending"
    attempts: int = 0
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id")
    # What it is about, where it may have to be found again: "survey_recipient:123"
    subject: str | None = None
    created_at: datetime = _created()
    next_attempt_at: datetime = _created()
    sent_at: datetime | None = _time()
    claimed_at: datetime | None = _time()  # when a sender took it; stale claims are retaken
    claimed_by: str | None = None  # which sender: only it records how sending went
    last_error: str | None = Field(default=None, sa_type=Text)


class CardMessage(Table, table=True):
    """A task card the bot sent to a staff chat: drawn again there (edited) whenever its
    report changes, so an old card never offers a press that would fail."""

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True, ondelete="CASCADE")
    chat_id: int = Field(sa_type=BigInteger)
    message_id: int = Field(sa_type=BigInteger)
    sent_at: datetime = _created()


class PendingInput(Table, table=True):
    """What the bot is waiting for someone to type or send next, about a report.

    One at a time per person: a worker writing a question for the resident, the resident's
    answer, a resolution note and photo, a hand-over reason, an emergency's location; or a
    coordinator's tip for /broadcast (about no report).
    """

    telegram_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    purpose: str
    report_id: int | None = Field(default=None, foreign_key="report.id")
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = _created()


class TriageLabel(Table, table=True):
    """A message the bot was not sure of, and what the resident said it was when asked (one
    tap): it decides the message's path, and is kept as a label to retrain the classifier."""

    id: int | None = Field(default=None, primary_key=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    text: str = Field(sa_type=Text)
    source: str | None = None  # the chat's reference to the message (see Report.sources)
    reading: str  # what the classifier made of it (a kind)
    chosen: str | None = None  # hazard | question | out_of_scope, once answered
    asked_at: datetime = _created()
    answered_at: datetime | None = _time()


class FaqEntry(Table, table=True):
    """One question and answer of the fire-safety knowledge base, in Chinese and English.

    `slug` is the entry's id in the plain file (`firecircle faq import|export`); the short
    answer fits a phone screen, `more_*` is the longer one behind a button (may be missing).
    """

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(unique=True)
    topic: str = Field(index=True)
    question_zh: str = Field(default="", sa_type=Text)
    question_en: str = Field(default="", sa_type=Text)
    variants_zh: list[str] = Field(default_factory=_no_items, sa_type=JSON)
    variants_en: list[str] = Field(default_factory=_no_items, sa_type=JSON)
    answer_zh: str = Field(default="", sa_type=Text)
    answer_en: str = Field(default="", sa_type=Text)
    more_zh: str | None = Field(default=None, sa_type=Text)
    more_en: str | None = Field(default=None, sa_type=Text)
    keywords_zh: list[str] = Field(default_factory=_no_items, sa_type=JSON)
    active: bool = True
    source: str = "file"  # file (imported) | staff (promoted from a staff reply)
    # What the answer rests on, e.g. "GB 50016《建筑设计防火规范》; 应急管理部消防救援局 科普"
    source_ref: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Broadcast(Table, table=True):
    """A fire-safety tip a coordinator sends to the residents subscribed with /tips (all of
    them, or one community's). The preview message it was confirmed from shows its progress.
    """

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="staff.id", index=True)
    # Where the preview it was confirmed from is, as the chat side put it (set on confirm):
    # kept and handed back, never read here or in the domain.
    preview: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    language: str = "zh"  # the author's, for the progress message
    text: str = Field(sa_type=Text)
    community: str | None = None  # None: every subscriber
    status: str = Field(default="draft", index=True)  # draft | sending | done | cancelled
    total: int = 0
    delivered: int = 0
    failed: int = 0  # failed or undeliverable (e.g. the resident blocked the bot)
    created_at: datetime = _created()
    sent_at: datetime | None = _time()
    progress_at: datetime | None = _time()  # when the progress message was last updated
    finished_at: datetime | None = _time()


class Team(Table, table=True):
    """A patrol team (巡逻队) that meets a fire before the brigade arrives."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    street: str = Field(index=True)
    community: str | None = Field(default=None, index=True)
    base_latitude: float | None = None
    base_longitude: float | None = None
    duty_start: str | None = None  # "HH:MM" local time; both None means all day
    duty_end: str | None = None
    active: bool = True
    created_at: datetime = _created()


class TeamMember(Table, table=True):
    __table_args__ = (UniqueConstraint("team_id", "staff_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True, ondelete="CASCADE")
    staff_id: int = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")


class TeamCall(Table, table=True):
    """A team sent to an emergency, and how it went: the times are the figures."""

    __table_args__ = (UniqueConstraint("report_id", "team_id"),)

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    round: int = 1  # 1 for the first team called, 2 for the next one, …
    status: str = "called"  # called, departed, arrived, handled, passed (nobody set off)
    called_at: datetime = _created()
    # Until someone presses 出发: then the next team is called (a column, like every deadline)
    depart_deadline_at: datetime | None = _time(index=True)
    departed_at: datetime | None = _time()
    departed_by: int | None = Field(default=None, foreign_key="staff.id")
    arrived_at: datetime | None = _time()
    handled_at: datetime | None = _time()
    support_at: datetime | None = _time()


class Place(Table, table=True):
    """A fire-safety service point residents can walk to (咨询点, 微型消防站, …)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    type: str = Field(index=True)
    address: str
    phone: str | None = None
    hours: str | None = None  # "08:00-20:00", "20:00-08:00", None: always open
    latitude: float
    longitude: float
    community: str | None = None
    updated_at: datetime = _created()


class WebLogin(Table, table=True):
    """A one-time link into the web console for a staff member, and the session it opened.
    Only hashes of the secrets are kept: a copy of the database logs no one in."""

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(unique=True)  # the link's secret, hashed
    created_at: datetime = _created()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = _time()  # a link works once
    session_hash: str | None = Field(default=None, unique=True)  # the cookie's secret, hashed
    session_expires_at: datetime | None = _time()


class Site(Table, table=True):
    """A building or premises campaigns visit (`firecircle sites import`)."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    address: str
    type: str = Field(index=True)  # residential, shop, three_in_one (三合一), warehouse, …
    latitude: float | None = None
    longitude: float | None = None
    grid_id: int = Field(foreign_key="gridcell.id", index=True)
    community: str | None = None
    created_at: datetime = _created()
    updated_at: datetime = _created()


class Campaign(Table, table=True):
    """An inspection campaign (专项排查): a checklist taken to every site of some grid cells
    by a date. `remind_at` is when the coordinators are next told of cells falling behind:
    a column, moved by one guarded update, so one instance reminds, once."""

    id: int | None = Field(default=None, primary_key=True)
    title: str
    checklist: list[dict[str, Any]] = Field(default_factory=_no_items, sa_type=JSON)
    grids: list[str] = Field(default_factory=_no_items, sa_type=JSON)  # the cells' codes
    site_type: str | None = None  # only sites of this type (None: every site of the cells)
    starts_at: datetime = _created()
    ends_at: datetime = Field(sa_type=UTCDateTime, nullable=False)  # local midnight after --until
    remind_at: datetime | None = _time(index=True)
    created_at: datetime = _created()


class CampaignVisit(Table, table=True):
    """A site of a campaign: waiting, being visited (its answers so far), or done."""

    __table_args__ = (UniqueConstraint("campaign_id", "site_id"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    grid_id: int = Field(foreign_key="gridcell.id", index=True)
    status: str = "waiting"  # waiting | visiting | done
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    answers: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)  # item index → answer
    hazards: int = 0  # failing answers, each a report
    started_at: datetime | None = _time()
    done_at: datetime | None = _time()


class Survey(Table, table=True):
    """A questionnaire (征询意见, 满意度调查) sent to residents who agreed to be asked. Its
    questions are fixed once created: a list of {"type": choice | rating | text, "text":
    {"zh", "en"}, "options": [{"zh", "en"}, …]} (options for choice only)."""

    id: int | None = Field(default=None, primary_key=True)
    title: dict[str, str] = Field(default_factory=dict, sa_type=JSON)  # {"zh": …, "en": …}
    intro: dict[str, str] = Field(default_factory=dict, sa_type=JSON)
    questions: list[dict[str, Any]] = Field(default_factory=_no_items, sa_type=JSON)
    status: str = "open"  # open | closed
    created_at: datetime = _created()
    closes_at: datetime | None = _time()  # answers after this are refused
    closed_at: datetime | None = _time()


class SurveyRecipient(Table, table=True):
    """One resident a survey was sent to, and how far they got: `position` is the question
    they are on (the number of questions once finished)."""

    __table_args__ = (UniqueConstraint("survey_id", "resident_id"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    resident_id: int = Field(foreign_key="resident.id", index=True)
    position: int = 0
    sent_at: datetime = _created()
    answered_at: datetime | None = _time()  # the last answer
    finished_at: datetime | None = _time()


class SurveyAnswer(Table, table=True):
    """One answer: a choice (the option's index), a rating (1–5), a text, or skipped."""

    __table_args__ = (UniqueConstraint("recipient_id", "question"),)

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int = Field(foreign_key="survey.id", index=True)
    recipient_id: int = Field(foreign_key="surveyrecipient.id")
    question: int
    choice: int | None = None
    rating: int | None = None
    text: str | None = Field(default=None, sa_type=Text)
    skipped: bool = False
    answered_at: datetime = _created()


class SurveyConsent(Table, table=True):
    """Whether a resident agreed to be sent questionnaires: asked once (after a return visit),
    changed any time with /subscribe and /unsubscribe."""

    resident_id: int = Field(foreign_key="resident.id", primary_key=True, ondelete="CASCADE")
    agreed: bool | None = None  # None: asked, not answered yet
    asked_at: datetime | None = _time()
    changed_at: datetime | None = _time()


class SurveyEvent(Table, table=True):
    """Append-only history of the questionnaires: created, sent, answered, finished, closed,
    and residents' consent (asked, opted in, opted out)."""

    id: int | None = Field(default=None, primary_key=True)
    survey_id: int | None = Field(default=None, foreign_key="survey.id", index=True)
    resident_id: int | None = Field(default=None, foreign_key="resident.id", index=True)
    at: datetime = _created()
    actor: str  # "resident:12", "cli", "system"
    action: str
    detail: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
