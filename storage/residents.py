"""Residents, the report each is writing, and what the bot waits for them to send."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, event, exists
from sqlalchemy.orm import Session
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled, directory, surveys
from storage.engine import forget_missing, keep, known_missing, remember_missing
from storage.models import (
    DirectoryVersion,
    PendingInput,
    Report,
    ReportDraft,
    Resident,
    SurveyRecipient,
)

# Built once: read at every update, it is not built and keyed again each time.
_BY_TELEGRAM_ID = select(Resident).where(col(Resident.telegram_id) == bindparam("telegram_id"))


# Who wrote, what the bot waits for from them, the report they are writing, whether a
# questionnaire waits for their answer and the directory's version, in one statement at the
# start of an update (issue 14: each was a read of its own, some of them twice; the
# directory's version is the check a cache in process would need anyway). Built once.
_VERSION = DirectoryVersion.__table__.c.version
_ASKED = exists().where(
    col(SurveyRecipient.resident_id) == col(Resident.id),
    col(SurveyRecipient.finished_at).is_(None),
)
_VISITOR = (
    select(_VERSION, Resident, PendingInput, ReportDraft, _ASKED)
    .select_from(DirectoryVersion.__table__)
    .outerjoin(Resident, col(Resident.telegram_id) == bindparam("telegram_id"))
    .outerjoin(PendingInput, col(PendingInput.telegram_id) == bindparam("telegram_id"))
    .outerjoin(ReportDraft, col(ReportDraft.resident_id) == col(Resident.id))
    .where(DirectoryVersion.__table__.c.id == 1)
)


async def visitor(*, session: AsyncSession, telegram_id: int) -> Resident | None:
    """The resident with this Telegram id, read together with what later steps of the update
    ask for: their draft and pending input (held by the session, or remembered as missing),
    whether a questionnaire is theirs to finish (storage.surveys) and the directory's version
    (storage.directory takes it instead of reading it)."""
    rows = await compiled.read(session, _VISITOR, {"telegram_id": telegram_id})
    found = rows[0] if rows else None
    if found is None:  # no directoryversion row: a database the migrations never reached
        return await resident_by_telegram_id(session=session, telegram_id=telegram_id)
    version, resident, pending, draft, asked = found
    directory.seen(session, version)
    _remember(session, _NO_PENDING, telegram_id, pending)
    if resident is not None:
        keep(session, resident)
        _remember(session, _NO_DRAFT, resident.id, draft)
        (forget_missing if asked else remember_missing)(session, surveys.NOT_ASKED, resident.id)
    return resident


def _remember(session: AsyncSession, kind: str, key: int, row: object | None) -> None:
    """A row found is held by the session and no longer missing; a miss is remembered."""
    if row is None:
        remember_missing(session, kind, key)
    else:
        keep(session, row)
        forget_missing(session, kind, key)


async def resident_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Resident | None:
    result = await session.exec(_BY_TELEGRAM_ID, params={"telegram_id": telegram_id})
    return result.first()


# Misses the session remembers (storage.engine.remember_missing): a first message asks for
# the draft twice (the front desk, then the step that begins the report).
_NO_DRAFT = "residents_without_draft"
_NO_PENDING = "telegram_ids_without_pending_input"


async def draft_of(*, session: AsyncSession, resident_id: int) -> ReportDraft | None:
    if known_missing(session, _NO_DRAFT, resident_id):
        return None
    draft = await session.get(ReportDraft, resident_id)
    if draft is None:
        remember_missing(session, _NO_DRAFT, resident_id)
    return draft


def made(session: AsyncSession, resident: Resident) -> None:
    """A resident just added and flushed: they have no draft and no questionnaire to read."""
    remember_missing(session, _NO_DRAFT, resident.id)
    remember_missing(session, surveys.NOT_ASKED, resident.id)


@event.listens_for(Session, "transient_to_pending")
def _draft_added(session: Session, instance: object) -> None:
    """A draft or pending input added to the session is no longer missing (they are only
    added this way)."""
    if isinstance(instance, ReportDraft):
        forget_missing(session, _NO_DRAFT, instance.resident_id)
    elif isinstance(instance, PendingInput):
        forget_missing(session, _NO_PENDING, instance.telegram_id)


async def delete_draft(*, session: AsyncSession, resident_id: int) -> bool:
    result = await session.exec(delete(ReportDraft).where(ReportDraft.resident_id == resident_id))
    return result.rowcount > 0


# Built once: read at every change a resident is told of.
_FOLLOWERS = (
    select(Resident)
    .join(Report, col(Report.resident_id) == Resident.id)
    .where(
        (Report.id == bindparam("report_id")) | (Report.merged_into_id == bindparam("report_id"))
    )
    .distinct()
)


async def followers_of(*, session: AsyncSession, report_id: int) -> list[Resident]:
    """Residents of the report and of the reports merged into it, each once."""
    return await compiled.read(session, _FOLLOWERS, {"report_id": report_id})


async def pending_input(*, session: AsyncSession, telegram_id: int) -> PendingInput | None:
    if known_missing(session, _NO_PENDING, telegram_id):
        return None
    return await session.get(PendingInput, telegram_id)


async def expect_input(
    *,
    session: AsyncSession,
    telegram_id: int,
    purpose: str,
    report_id: int,
    detail: dict[str, Any],
    now: datetime,
) -> PendingInput:
    """Remember what to do with this person's next message (one thing at a time)."""
    pending = await pending_input(session=session, telegram_id=telegram_id)
    if pending is None:
        pending = PendingInput(telegram_id=telegram_id, purpose=purpose, report_id=report_id)
        session.add(pending)
    pending.purpose, pending.report_id, pending.detail, pending.created_at = (
        purpose,
        report_id,
        detail,
        now,
    )
    await session.flush()
    return pending
