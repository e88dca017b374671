"""Personal data (PIPL): what one resident can see and erase, and how long anything is kept.

- export: everything stored about one who, as plain data (JSON-ready).
- forget: their words, places, photos and name go; what they reported stays countable. Their
  open reports are withdrawn first (closed, with an event), so no worker chases a task about
  someone who asked to be forgotten, and no deadline or follow-up names them again; except a
  report others' duplicates were merged into: the hazard is theirs too, and stays open.
- retention: handled raw updates and sent messages are purged after `raw_updates` days;
  the personal fields of reports closed `anonymise_after` days ago are replaced. Kind,
  category, severity, grid, community, status, times and events stay, so statistics hold.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import cards
from storage import labels as label_rows
from storage import privacy as rows
from storage import residents as resident_rows
from storage import surveys as survey_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, ReportDraft, ReportEvent, Resident
from storage.types import utcnow
from triage.actors import SYSTEM, Actor, resident_actor
from triage.escalation.policy import Policy
from triage.intake import residents
from triage.intake.drafts import Intake
from triage.intake.reply import Reply
from triage.lifecycle import Action, Lifecycle, allowed_from
from triage.reports.notices import cards_changed, post

ANONYMISED = "[已匿名]"
GRID_DECIMALS = 2  # coordinates kept to about a kilometre: the map's heat, not the door
ANONYMISE_BATCH = 200  # reports per transaction, so a first pass over years does not stall
# An event's detail keys that carry someone's words, place or pictures (tasks, front desk).
_WORDS = ("text", "note", "reason", "address", "before", "after")  # "edited": before/after
_PLACES = ("location",)
_PICTURES = {"photo": None, "photos": []}


class UnknownResident(Exception):
    """No resident with that Telegram id has written to the bot."""


@dataclass(frozen=True)
class Retention:
    raw_updates: timedelta = timedelta(days=30)
    anonymise_after: timedelta = timedelta(days=365)

    @property
    def values(self) -> dict[str, Any]:
        """The numbers as the chat says them."""
        return {
            "raw_days": _days(self.raw_updates),
            "anonymise_days": _days(self.anonymise_after),
        }


@dataclass(frozen=True)
class Forgotten:
    reports: int = 0
    withdrawn: int = 0
    updates: int = 0
    messages: int = 0


@dataclass(frozen=True)
class Purged:
    updates: int = 0
    messages: int = 0
    anonymised: int = 0
    reports: list[str] = field(default_factory=list)


def _days(span: timedelta) -> str:
    days = span.total_seconds() / 86400
    return f"{days:g}"


# --- anonymising one report ------------------------------------------------------------


def anonymise(report: Report, events: Sequence[ReportEvent], now: datetime) -> None:
    """Replace the report's personal fields in place; its labels, place in the grid, status,
    times and history stay."""
    report.text = ANONYMISED
    report.address = None
    report.photos = []
    report.sources = {}  # which messages said what: the words again
    report.contact = {}  # an Open311 requester's name, phone, email
    report.media_url = None
    if report.latitude is not None and report.longitude is not None:
        report.latitude = round(report.latitude, GRID_DECIMALS)
        report.longitude = round(report.longitude, GRID_DECIMALS)
    report.anonymised_at = now
    for event in events:
        event.detail = _scrubbed(event.detail)


def _scrubbed(detail: dict[str, Any]) -> dict[str, Any]:
    clean = dict(detail)
    for key in _WORDS:
        if clean.get(key):
            clean[key] = ANONYMISED
    for key in _PLACES:
        if key in clean:
            clean[key] = None
    for key, empty in _PICTURES.items():
        if key in clean:
            clean[key] = empty
    return clean


async def _anonymise_all(session: AsyncSession, reports: Sequence[Report], now: datetime) -> None:
    history = await rows.events_by_report(session=session, report_ids=[r.id for r in reports])
    for report in reports:
        anonymise(report, history[report.id], now)
        await rows.delete_finished_messages_about(session=session, report_id=report.id)
    await session.flush()
    # The cards in staff chats quote the words too: drawn again, anonymised
    ids = [r.id for r in reports]
    await rows.delete_pending_edits_about(session=session, report_ids=ids)
    shown = await cards.shown(session=session, report_ids=ids, per_chat=1)
    await post(session, cards_changed(sorted(shown)))


# --- export ----------------------------------------------------------------------------


async def export_resident(sessions: SessionFactory, telegram_id: int) -> dict[str, Any]:
    """Everything stored about one who, as JSON-ready data."""
    async with transaction(sessions) as session:
        resident = await resident_rows.resident_by_telegram_id(
            session=session, telegram_id=telegram_id
        )
        if resident is None:
            raise UnknownResident(f"no resident with Telegram id {telegram_id}")
        reports = await rows.reports_of(session=session, resident_id=resident.id)
        history = await rows.events_by_report(session=session, report_ids=[r.id for r in reports])
        draft = await session.get(ReportDraft, resident.id)
        pending = await rows.pending_input_of(session=session, telegram_id=telegram_id)
        updates = await rows.updates_from(session=session, telegram_id=telegram_id)
        messages = await rows.messages_to(session=session, chat_id=resident.chat_id)
        asked = await label_rows.of(session=session, resident_id=resident.id)
        consent = await survey_rows.consent_of(session=session, resident_id=resident.id)
        answers = await survey_rows.answers_of_resident(session=session, resident_id=resident.id)

    def with_history(report: Report) -> dict[str, Any]:
        return {**_plain(report), "events": [_plain(e) for e in history[report.id]]}

    return {
        "resident": _plain(resident),
        "subscriptions": {
            "tips": resident.subscribed_tips,
            "surveys": consent.agreed if consent is not None else None,
        },
        "reports": [with_history(r) for r in reports if r.kind != "question"],
        "questions": [with_history(r) for r in reports if r.kind == "question"],
        "draft": _plain(draft) if draft else None,
        "pending_input": _plain(pending) if pending else None,
        "raw_updates": [_plain(u) for u in updates],
        "messages_to_them": [_plain(m) for m in messages],
        "asked_what_it_was": [_plain(a) for a in asked],
        "survey_answers": [_plain(a) for a in answers],
    }


def _plain(row: SQLModel) -> dict[str, Any]:
    return row.model_dump(mode="json")


# --- forget ----------------------------------------------------------------------------


async def forget_resident(
    sessions: SessionFactory,
    telegram_id: int,
    *,
    actor: str = "system",
    default_language: str = "zh",
    now: datetime | None = None,
) -> Forgotten:
    """Erase one person's personal data, in one transaction."""
    now = now or utcnow()
    async with transaction(sessions) as session:
        resident = await resident_rows.resident_by_telegram_id(
            session=session, telegram_id=telegram_id
        )
        if resident is None:
            raise UnknownResident(f"no resident with Telegram id {telegram_id}")
        reports = list(await rows.reports_of(session=session, resident_id=resident.id))
        shared = await rows.reported_by_others_too(
            session=session, report_ids=[r.id for r in reports]
        )
        withdrawn = 0
        who = resident_actor(resident) if actor.startswith("resident:") else SYSTEM
        for report in reports:  # a hazard others reported too stays theirs to follow
            if report.id not in shared:
                withdrawn += await _withdraw(session, report, who, now)
        await _anonymise_all(session, reports, now)
        for report in reports:  # nothing links the reports back to the person
            report.resident_id = None
        await _drop_in_progress(session, resident, [r.id for r in reports])
        updates = await rows.delete_updates_from(session=session, telegram_id=telegram_id)
        updates += await rows.delete_handled_updates_quoting(
            session=session, references=[r.reference for r in reports if r.reference]
        )
        messages = await rows.delete_messages_to(
            session=session, chat_id=resident.chat_id, report_ids=[r.id for r in reports]
        )
        _blank(resident, default_language)
        if await survey_rows.forget_words_of(
            session=session, resident_id=resident.id, replacement=ANONYMISED, now=now
        ):
            await survey_rows.record(
                session=session, resident_id=resident.id, action="forgotten", actor=actor, at=now
            )
        await session.flush()
    return Forgotten(len(reports), withdrawn, updates, messages)


async def _withdraw(session: AsyncSession, report: Report, actor: Actor, now: datetime) -> int:
    """Close an unsettled report as withdrawn; 1 if it was."""
    if report.status not in allowed_from(Action.WITHDRAW):
        return 0
    moved = await Lifecycle(Policy(), lambda: now).transition(
        session,
        report,
        Action.WITHDRAW,
        actor,
        detail={"why": "resident asked to be forgotten"},
    )
    return 1 if moved.won else 0


async def _drop_in_progress(session: AsyncSession, resident: Resident, report_ids: list[int]):
    """The half-written report, what the bot waits for from them, and what staff were about
    to ask them about their reports."""
    draft = await session.get(ReportDraft, resident.id)
    if draft is not None:
        await session.delete(draft)
    pending = await rows.pending_input_of(session=session, telegram_id=resident.telegram_id)
    if pending is not None:
        await session.delete(pending)
    await rows.delete_inputs_about(session=session, report_ids=report_ids)
    await label_rows.forget_of(session=session, resident_id=resident.id)  # their words


def _blank(resident: Resident, default_language: str) -> None:
    resident.name = ""
    resident.username = None
    resident.language = default_language
    resident.language_chosen = False
    resident.subscribed_tips = False
    resident.last_latitude = resident.last_longitude = resident.located_at = None


# --- retention -------------------------------------------------------------------------


async def apply_retention(
    sessions: SessionFactory, retention: Retention, now: datetime | None = None
) -> Purged:
    """One pass: purge old raw updates and sent messages, anonymise old closed reports."""
    now = now or utcnow()
    async with transaction(sessions) as session:
        updates = await rows.purge_handled_updates(
            session=session, before=now - retention.raw_updates
        )
        messages = await rows.purge_finished_messages(
            session=session, before=now - retention.raw_updates
        )
        await cards.forget_older(session=session, before=now - retention.raw_updates)
    references: list[str] = []
    while True:
        async with transaction(sessions) as session:
            batch = await rows.reports_to_anonymise(
                session=session,
                closed_before=now - retention.anonymise_after,
                limit=ANONYMISE_BATCH,
            )
            await _anonymise_all(session, batch, now)
        references += [r.reference or str(r.id) for r in batch]
        if len(batch) < ANONYMISE_BATCH:
            return Purged(updates, messages, len(references), references)


# --- the chat ----------------------------------------------------------------------------


class PrivacyDesk:
    """/privacy and /forget: what is kept and for how long, and erasing it on request."""

    def __init__(
        self,
        sessions: SessionFactory,
        intake: Intake,
        retention: Retention,
        *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.intake = intake
        self.retention = retention
        self.clock = clock

    async def explain(self, who: Actor) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
        return Reply("privacy.explain", resident, values=self.retention.values)

    async def ask_to_forget(self, who: Actor) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
        return Reply("privacy.forget_confirm", resident)

    async def keep(self, who: Actor) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
        return Reply("privacy.forget_kept", resident)

    async def forget(self, who: Actor) -> Reply:
        """The confirmed /forget. The reply keeps the language they were spoken to in."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            said = Resident(telegram_id=resident.telegram_id, chat_id=resident.chat_id)
            said.language = resident.language
        done = await forget_resident(
            self.sessions,
            who.telegram_id,
            actor=f"resident:{resident.id}",
            default_language=self.intake.default_language,
            now=self.clock(),
        )
        return Reply("privacy.forget_done", said, values={"reports": done.reports})
