"""The outbox as the chat side sees it: a message posted in answer to someone, and what the
sender does with the rows (claim what is due, word the notices into their calls, keep its
claims, record how sending went). Every call runs the same statement as before, in the
caller's transaction, so the sender's claim stays one transaction."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from storage import outbox as rows
from storage import signals
from storage.engine import SessionFactory, transaction
from storage.models import OutboxMessage as Message
from storage.outbox import FAILED, NOTICE, PENDING, SENT, UNDELIVERABLE, Claim
from storage.types import utcnow
from triage.units import Session

__all__ = ["FAILED", "NOTICE", "PENDING", "SENT", "UNDELIVERABLE", "Claim", "Message"]

Calls = Sequence[tuple[str, dict[str, Any]]]  # a notice's Bot API calls: (method, payload)


async def post(
    sessions: SessionFactory,
    *,
    chat_id: int,
    method: str,
    payload: dict[str, Any],
    priority: int,
    report_id: int | None = None,
) -> None:
    """A message to a chat, sent by the sender when its turn comes (in the update's unit of
    work when there is one: it goes out only if the update commits). `report_id`: the report
    a task card shows (the sender remembers the card, to edit it when the report changes)."""
    # The notices' shape: in an update's unit of work both go out in one INSERT.
    row = rows.pending(
        chat_id, method, payload, priority=priority, now=utcnow(), report_id=report_id
    )
    async with transaction(sessions) as session:
        await rows.enqueue_values(session=session, rows=[row])


def arrivals() -> asyncio.Event:
    """Set whenever rows are written (here or, on PostgreSQL, by another instance)."""
    return signals.waiter(signals.OUTBOX)


def forget(arrival: asyncio.Event) -> None:
    signals.forget(arrival)


async def claim(
    session: Session,
    *,
    now: datetime,
    limit: int,
    stale_after: timedelta,
    by: str,
    more_urgent_than: int | None,
    held: Mapping[int, int],
    best_held: Mapping[int, int],
    per_chat: int,
) -> Claim:
    """Due rows in priority order for the sender `by`, each chat's share bounded (see
    storage.outbox.claim)."""
    return await rows.claim(
        session=session,
        now=now,
        limit=limit,
        stale_after=stale_after,
        by=by,
        more_urgent_than=more_urgent_than,
        held=held,
        best_held=best_held,
        per_chat=per_chat,
    )


async def word(
    session: Session, *, notices: Sequence[tuple[Message, Calls]], now: datetime, by: str
) -> list[Message]:
    """Each claimed notice replaced by its calls, claimed by the same sender."""
    return await rows.expand(session=session, notices=notices, now=now, by=by)


async def next_due(session: Session, *, after: datetime) -> datetime | None:
    """When the next row put off (a retry, a backoff) falls due."""
    return await rows.next_attempt_at(session=session, after=after)


async def take_back(session: Session) -> None:
    """Every claim given back: a sender starting finds only a dead sender's claims."""
    await rows.release(session=session)


async def keep(session: Session, *, ids: Sequence[int], now: datetime, by: str) -> None:
    """The sender still holds these rows: their claims must not go stale."""
    await rows.renew(session=session, ids=ids, now=now, by=by)


async def record(
    session: Session,
    *,
    ids: Sequence[int],
    status: str,
    now: datetime,
    error: str | None,
    retry_at: datetime | None,
    failed_attempt: bool,
    by: str,
) -> None:
    """How sending went, for the rows the sender `by` still holds."""
    await rows.settle(
        session=session,
        ids=ids,
        status=status,
        now=now,
        error=error,
        retry_at=retry_at,
        failed_attempt=failed_attempt,
        by=by,
    )
