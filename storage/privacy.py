"""Queries for personal data: one person's rows, and what retention purges or anonymises."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    InboxUpdate,
    OutboxMessage,
    PendingInput,
    Report,
    ReportEvent,
)

# The outbox rows nobody will send again (storage.outbox's states, by value: no import of
# its internals). Rows still pending or in a sender's hands are left alone.
FINISHED = ("sent", "expanded", "failed", "undeliverable")
# Where an update names the person who sent it (Bot API update types the bot receives).
_SENDERS = ("message", "edited_message", "callback_query", "my_chat_member")


def _from_person(telegram_id: int):
    return or_(
        *(
            InboxUpdate.payload[(kind, "from", "id")].as_integer() == telegram_id
            for kind in _SENDERS
        )
    )


# --- one person ------------------------------------------------------------------------


async def reports_of(*, session: AsyncSession, resident_id: int) -> Sequence[Report]:
    result = await session.exec(
        select(Report).where(Report.resident_id == resident_id).order_by(col(Report.id))
    )
    return result.all()


async def events_by_report(
    *, session: AsyncSession, report_ids: Sequence[int]
) -> dict[int, list[ReportEvent]]:
    found: dict[int, list[ReportEvent]] = {i: [] for i in report_ids}
    if not report_ids:
        return found
    result = await session.exec(
        select(ReportEvent)
        .where(col(ReportEvent.report_id).in_(list(report_ids)))
        .order_by(col(ReportEvent.id))
    )
    for event in result.all():
        found[event.report_id].append(event)
    return found


async def updates_from(*, session: AsyncSession, telegram_id: int) -> Sequence[InboxUpdate]:
    result = await session.exec(
        select(InboxUpdate).where(_from_person(telegram_id)).order_by(col(InboxUpdate.update_id))
    )
    return result.all()


async def delete_updates_from(*, session: AsyncSession, telegram_id: int) -> int:
    result = await session.exec(delete(InboxUpdate).where(_from_person(telegram_id)))
    return max(result.rowcount, 0)


async def messages_to(*, session: AsyncSession, chat_id: int) -> Sequence[OutboxMessage]:
    result = await session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.chat_id == chat_id)
        .order_by(col(OutboxMessage.id))
    )
    return result.all()


async def delete_messages_to(
    *, session: AsyncSession, chat_id: int, report_ids: Sequence[int]
) -> int:
    """The messages to the chat that are sent or given up, and those still to send about
    these reports. Others still to send stay: the person may be staff too, with tasks."""
    about = col(OutboxMessage.report_id).in_(list(report_ids)) & (OutboxMessage.status == "pending")
    result = await session.exec(
        delete(OutboxMessage).where(
            OutboxMessage.chat_id == chat_id, col(OutboxMessage.status).in_(FINISHED) | about
        )
    )
    return max(result.rowcount, 0)


async def pending_input_of(*, session: AsyncSession, telegram_id: int) -> PendingInput | None:
    return await session.get(PendingInput, telegram_id)


# --- retention -------------------------------------------------------------------------


async def purge_handled_updates(*, session: AsyncSession, before: datetime) -> int:
    """Handled updates received before the cutoff; an update not yet handled always stays."""
    result = await session.exec(
        delete(InboxUpdate).where(
            col(InboxUpdate.processed_at).is_not(None), col(InboxUpdate.received_at) < before
        )
    )
    return max(result.rowcount, 0)


async def purge_finished_messages(*, session: AsyncSession, before: datetime) -> int:
    """Messages sent (or given up) before the cutoff; a broadcast's tips stay, they are its
    tally and carry no one's words but the coordinator's."""
    result = await session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.status).in_(FINISHED),
            col(OutboxMessage.created_at) < before,
            col(OutboxMessage.broadcast_id).is_(None),
        )
    )
    return max(result.rowcount, 0)


async def reports_to_anonymise(
    *, session: AsyncSession, closed_before: datetime, limit: int
) -> Sequence[Report]:
    """Closed (or merged) reports settled before the cutoff, not anonymised yet."""
    closed = (Report.status == "closed") & (col(Report.closed_at) < closed_before)
    merged = (Report.status == "merged") & (col(Report.created_at) < closed_before)
    result = await session.exec(
        select(Report)
        .where(col(Report.anonymised_at).is_(None), or_(closed, merged))
        .order_by(col(Report.id))
        .limit(limit)
    )
    return result.all()


async def delete_finished_messages_about(*, session: AsyncSession, report_id: int) -> int:
    """The task cards and notices about a report that are sent: they quote the resident."""
    result = await session.exec(
        delete(OutboxMessage).where(
            OutboxMessage.report_id == report_id, col(OutboxMessage.status).in_(FINISHED)
        )
    )
    return max(result.rowcount, 0)


async def delete_pending_edits_about(*, session: AsyncSession, report_ids: Sequence[int]) -> int:
    """Edits of task cards about these reports still to send: they quote the resident (the
    cards are drawn again from the report as it is now)."""
    if not report_ids:
        return 0
    result = await session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.report_id).in_(list(report_ids)),
            OutboxMessage.method == "editMessageText",
            OutboxMessage.status == "pending",
        )
    )
    return max(result.rowcount, 0)


async def delete_inputs_about(*, session: AsyncSession, report_ids: Sequence[int]) -> int:
    """What staff were writing to the resident about these reports."""
    if not report_ids:
        return 0
    result = await session.exec(
        delete(PendingInput).where(col(PendingInput.report_id).in_(list(report_ids)))
    )
    return max(result.rowcount, 0)


# Where someone else's update quotes a message of the bot's: a staff button press carries the
# task card it was pressed on, a staff reply the card it answers.
_QUOTES = (("callback_query", "message", "text"), ("message", "reply_to_message", "text"))


async def delete_handled_updates_quoting(
    *, session: AsyncSession, references: Sequence[str]
) -> int:
    """Handled updates (staff's, mostly) whose quoted message names one of these reports."""
    if not references:
        return 0
    quoted = []
    for path in _QUOTES:
        text = InboxUpdate.payload[path].as_string()
        quoted += [text.contains(reference, autoescape=True) for reference in references]
    result = await session.exec(
        delete(InboxUpdate).where(col(InboxUpdate.processed_at).is_not(None), or_(*quoted))
    )
    return max(result.rowcount, 0)


async def reported_by_others_too(*, session: AsyncSession, report_ids: Sequence[int]) -> set[int]:
    """Which of these reports others' duplicates were merged into."""
    if not report_ids:
        return set()
    result = await session.exec(
        select(Report.merged_into_id).where(col(Report.merged_into_id).in_(list(report_ids)))
    )
    return {i for i in result.all() if i is not None}
