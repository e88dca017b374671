"""Queries on broadcasts (a coordinator's tip to the subscribed residents), as keyword-only
functions. Each state change is guarded, so a double press or a second instance does it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, exists, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import outbox
from storage.models import Broadcast, GridCell, OutboxMessage, PendingInput, Report, Resident
from storage.residents import pending_input

DRAFT, SENDING, DONE, CANCELLED = "draft", "sending", "done", "cancelled"
PROGRESS_METHOD = "editMessageText"  # the author's progress message; every other row is a tip
COMPOSING = "broadcast"  # the PendingInput purpose: the next text is a broadcast's tip


async def add(*, session: AsyncSession, broadcast: Broadcast) -> Broadcast:
    session.add(broadcast)
    await session.flush()
    return broadcast


async def communities(*, session: AsyncSession, street: str | None = None) -> list[str]:
    """The district's communities in a stable order (of one street, when given)."""
    statement = select(GridCell.community).distinct().order_by(col(GridCell.community))
    if street is not None:
        statement = statement.where(GridCell.street == street)
    return list((await session.exec(statement)).all())


def _subscribed(community: str | None):
    """Residents subscribed to tips; of a community: those who reported something there."""
    statement = select(Resident.chat_id, Resident.language).where(col(Resident.subscribed_tips))
    if community is not None:
        statement = statement.where(
            exists().where(
                col(Report.resident_id) == Resident.id, col(Report.community) == community
            )
        )
    return statement


async def count_subscribers(*, session: AsyncSession, community: str | None) -> int:
    subscribed = _subscribed(community).subquery()
    return (await session.exec(select(func.count()).select_from(subscribed))).one()


async def subscribers(*, session: AsyncSession, community: str | None) -> list[tuple[int, str]]:
    """(chat id, language) of each subscriber, in the order they joined."""
    statement = _subscribed(community).order_by(col(Resident.id))
    return [tuple(row) for row in (await session.exec(statement)).all()]


async def change(
    *, session: AsyncSession, broadcast_id: int, from_status: str, values: dict[str, Any]
) -> bool:
    """Applies only while the broadcast is still in from_status: exactly one racer wins."""
    result = await session.exec(
        update(Broadcast)
        .where(col(Broadcast.id) == broadcast_id, col(Broadcast.status) == from_status)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def record_progress(
    *, session: AsyncSession, seen: Broadcast, delivered: int, failed: int, now: datetime
) -> bool:
    """New counts, only if nobody recorded any since `seen` was read (one edit per change)."""
    result = await session.exec(
        update(Broadcast)
        .where(
            col(Broadcast.id) == seen.id,
            col(Broadcast.status) == SENDING,
            col(Broadcast.delivered) == seen.delivered,
            col(Broadcast.failed) == seen.failed,
        )
        .values(delivered=delivered, failed=failed, progress_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def sending(*, session: AsyncSession) -> Sequence[Broadcast]:
    result = await session.exec(
        select(Broadcast).where(Broadcast.status == SENDING).order_by(col(Broadcast.id))
    )
    return result.all()


async def enqueue_tips(
    *,
    session: AsyncSession,
    broadcast_id: int,
    calls: Sequence[tuple[int, str, dict]],
    now: datetime,
    priority: int,
) -> int:
    """One outbox row per (chat id, method, payload), all in one statement."""
    return await outbox.enqueue_values(
        session=session,
        rows=[
            outbox.pending(*call, priority=priority, now=now, broadcast_id=broadcast_id)
            for call in calls
        ],
    )


async def tally(*, session: AsyncSession, broadcast_id: int) -> dict[str, int]:
    """How the broadcast's tips stand: rows by outbox status."""
    result = await session.exec(
        select(OutboxMessage.status, func.count())
        .where(
            OutboxMessage.broadcast_id == broadcast_id,
            col(OutboxMessage.method) != PROGRESS_METHOD,
        )
        .group_by(OutboxMessage.status)
    )
    return dict(result.all())


async def show_progress(
    *,
    session: AsyncSession,
    broadcast: Broadcast,
    call: tuple[int, str, dict[str, Any]],
    priority: int,
) -> None:
    """Queue the edit of the progress message (chat id, method, payload); an older edit not
    yet sent is dropped, so a late retry can never show older numbers over newer ones."""
    chat_id, method, payload = call
    assert method == PROGRESS_METHOD, method  # what tally() leaves out of the tips
    await session.exec(
        delete(OutboxMessage).where(
            col(OutboxMessage.broadcast_id) == broadcast.id,
            col(OutboxMessage.method) == PROGRESS_METHOD,
            col(OutboxMessage.status) == outbox.PENDING,
        )
    )
    row = OutboxMessage(
        chat_id=chat_id,
        method=PROGRESS_METHOD,
        payload=payload,
        priority=priority,
        broadcast_id=broadcast.id,
    )
    await outbox.enqueue(session=session, rows=[row])


async def expect_text(*, session: AsyncSession, telegram_id: int, now: datetime) -> None:
    """The author's next message is the tip (replacing whatever else the bot awaited)."""
    pending = await session.get(PendingInput, telegram_id)
    if pending is None:
        pending = PendingInput(telegram_id=telegram_id, purpose=COMPOSING)
        session.add(pending)
    pending.purpose, pending.report_id, pending.detail, pending.created_at = (
        COMPOSING,
        None,
        {},
        now,
    )
    await session.flush()


async def take_composing(*, session: AsyncSession, telegram_id: int) -> PendingInput | None:
    """The awaited tip, removed as it is taken (so it is taken once); None if none awaited."""
    pending = await pending_input(session=session, telegram_id=telegram_id)
    if pending is None or pending.purpose != COMPOSING:
        return None
    await session.delete(pending)
    await session.flush()
    return pending
