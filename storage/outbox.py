"""The outbox: every message to send, kept until Telegram took it or never will.

Rows are claimed in priority order (FOR UPDATE SKIP LOCKED on PostgreSQL, so instances never
take the same row); a claim that outlives its sender is taken back after a while.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import OutboxMessage
from storage.signals import OUTBOX, touch

PENDING, SENDING, SENT, EXPANDED, FAILED, UNDELIVERABLE = (
    "pending",
    "sending",
    "sent",
    "expanded",
    "failed",
    "undeliverable",
)
NOTICE = "notice"  # a domain notice, turned into its Bot API calls when first claimed


async def enqueue(*, session: AsyncSession, rows: Sequence[OutboxMessage]) -> None:
    if rows:
        session.add_all(rows)
        await session.flush()
        await touch(session, OUTBOX)


async def claim(
    *,
    session: AsyncSession,
    now: datetime,
    limit: int,
    stale_after: timedelta,
    more_urgent_than: int | None = None,
) -> list[OutboxMessage]:
    """Due rows in priority order; with more_urgent_than, only rows that would jump a queue
    already held in memory (a task arriving during a bulk send)."""
    await session.exec(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING, col(OutboxMessage.claimed_at) < now - stale_after)
        .values(status=PENDING, claimed_at=None)
    )
    statement = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, col(OutboxMessage.next_attempt_at) <= now)
        .order_by(col(OutboxMessage.priority), col(OutboxMessage.id))
        .limit(limit)
    )
    if more_urgent_than is not None:
        statement = statement.where(col(OutboxMessage.priority) < more_urgent_than)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True)
    rows = list((await session.exec(statement)).all())
    for row in rows:
        row.status, row.claimed_at = SENDING, now
    await session.flush()
    return rows


async def expand(
    *,
    session: AsyncSession,
    notice: OutboxMessage,
    calls: Sequence[tuple[str, dict[str, Any]]],
    now: datetime,
) -> list[OutboxMessage]:
    """Replace a notice by its calls, claimed by the same sender, in the order given."""
    parts = [
        OutboxMessage(
            chat_id=notice.chat_id,
            method=method,
            payload=payload,
            priority=notice.priority,
            report_id=notice.report_id,
            status=SENDING,
            claimed_at=now,
            created_at=notice.created_at,
            next_attempt_at=now,
        )
        for method, payload in calls
    ]
    session.add_all(parts)
    notice.status = EXPANDED
    await session.flush()
    return parts


async def settle(
    *,
    session: AsyncSession,
    ids: Sequence[int],
    status: str,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    failed_attempt: bool = True,
) -> None:
    """Record how sending went: sent, retry later (pending again), failed or undeliverable."""
    values: dict[str, Any] = {"status": status, "claimed_at": None}
    if status == SENT:
        values["sent_at"] = now
    if error is not None:
        values["last_error"] = error[:500]
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    if retry_at is not None and failed_attempt:  # waiting out a 429 is not a failure
        values["attempts"] = OutboxMessage.attempts + 1
    for chunk in _chunks(ids):
        await session.exec(
            update(OutboxMessage).where(col(OutboxMessage.id).in_(chunk)).values(**values)
        )


async def renew(*, session: AsyncSession, ids: Sequence[int], now: datetime) -> None:
    """Keep the claims on rows a sender still holds, so they are never taken as stale."""
    for chunk in _chunks(ids):
        await session.exec(
            update(OutboxMessage)
            .where(col(OutboxMessage.id).in_(chunk), OutboxMessage.status == SENDING)
            .values(claimed_at=now)
        )


def _chunks(ids: Sequence[int], size: int = 1000) -> list[list[int]]:
    """IN lists of bounded size (asyncpg takes at most 32,767 parameters a statement)."""
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


async def next_attempt_at(*, session: AsyncSession) -> datetime | None:
    result = await session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(OutboxMessage.status == PENDING)
    )
    return result.one()


async def undeliverable(*, session: AsyncSession, limit: int = 50) -> Sequence[OutboxMessage]:
    result = await session.exec(
        select(OutboxMessage)
        .where(col(OutboxMessage.status).in_([UNDELIVERABLE, FAILED]))
        .order_by(col(OutboxMessage.id).desc())
        .limit(limit)
    )
    return result.all()


async def counts(*, session: AsyncSession) -> dict[str, int]:
    result = await session.exec(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    return dict(result.all())
