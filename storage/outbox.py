"""The outbox: every message to send, kept until Telegram took it or never will.

Rows are claimed in priority order (FOR UPDATE SKIP LOCKED on PostgreSQL, so instances never
take the same row); a claim that outlives its sender is taken back after a while.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Integer, bindparam, func, or_, true, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled
from storage.bulk import any_of, bound_params, bound_values, chunks, insert_with_ids, values_of
from storage.engine import insert_soon
from storage.models import OutboxMessage
from storage.signals import OUTBOX, touch
from storage.types import UTCDateTime, utcnow

PENDING, SENDING, SENT, EXPANDED, FAILED, UNDELIVERABLE = (
    "pending",
    "sending",
    "sent",
    "expanded",
    "failed",
    "undeliverable",
)
WITHDRAWN = "withdrawn"  # taken back before it went (a questionnaire after /unsubscribe)
NOTICE = "notice"  # a domain notice, turned into its Bot API calls when first claimed
# A notice addressed to no one chat (a report's cards, wherever they are): its calls carry
# their chats. A claim takes a bounded number of them: each is read from the database.
NO_CHAT, NO_CHAT_PER_CLAIM = 0, 20


async def enqueue(*, session: AsyncSession, rows: Sequence[OutboxMessage]) -> None:
    """Messages as table objects (not attached; ids not read back)."""
    if rows:
        await insert_soon(session, OutboxMessage, [values_of(row) for row in rows])
        await touch(session, OUTBOX)


def pending(
    chat_id: int, method: str, payload: dict[str, Any], *, priority: int, now: datetime, **more
) -> dict[str, Any]:
    """A new row's values for `enqueue_values`; `more`: broadcast_id, report_id, subject."""
    return {
        "chat_id": chat_id,
        "method": method,
        "payload": payload,
        "priority": priority,
        "status": PENDING,
        "attempts": 0,
        "created_at": now,
        "next_attempt_at": now,
        **more,
    }


async def enqueue_values(*, session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Rows of `pending` values (each with the same keys), all in one statement: executemany
    writes tens of thousands in about a second, where table objects cost a flush each and a
    literal multi-row VALUES six times more. How many."""
    if rows:
        await insert_soon(session, OutboxMessage, rows)
        await touch(session, OUTBOX)
    return len(rows)


async def enqueue_notices(
    *, session: AsyncSession, notices: Sequence[tuple[int, int, int | None, dict[str, Any]]]
) -> None:
    """Notices as (chat, priority, report, payload), written without building table objects
    (hundreds at a time when deadlines fall together)."""
    now = utcnow()
    await enqueue_values(
        session=session,
        rows=[
            pending(chat_id, NOTICE, payload, priority=priority, now=now, report_id=report_id)
            for chat_id, priority, report_id, payload in notices
        ],
    )


def _due(postgresql: bool):
    statement = (
        select(OutboxMessage)
        .where(
            OutboxMessage.status == PENDING,
            col(OutboxMessage.next_attempt_at) <= bindparam("b_now", type_=UTCDateTime()),
        )
        # The order of ix_outbox_due: read straight off the index, never a sort of the backlog.
        .order_by(
            col(OutboxMessage.priority), col(OutboxMessage.next_attempt_at), col(OutboxMessage.id)
        )
        .limit(bindparam("b_limit", type_=Integer()))
    )
    return statement.with_for_update(skip_locked=True) if postgresql else statement


# The due rows' read, built once (the conditions below are added to it when needed).
_DUE = {False: _due(False), True: _due(True)}


@dataclass
class Claim:
    rows: list[OutboxMessage]
    exhausted: bool  # fewer due rows than the limit were there: none is left behind


async def claim(
    *,
    session: AsyncSession,
    now: datetime,
    limit: int,
    stale_after: timedelta | None,
    by: str | None = None,
    more_urgent_than: int | None = None,
    held: Mapping[int, int] | None = None,
    best_held: Mapping[int, int] | None = None,
    per_chat: int | None = None,
) -> Claim:
    """Due rows in priority order, claimed for the sender `by`; with more_urgent_than, only
    rows that would jump a queue already held in memory (a task arriving during a bulk send).
    With per_chat, a chat holds at most that many rows (counting `held`, what the sender has
    of it already, whose most urgent is `best_held`), unless a row is more urgent than any it
    holds (the 119 advice behind a flood of replies): one chat that floods must not fill the
    claim while others wait. stale_after None: stale claims are not looked for this time."""
    if stale_after is not None:
        await release(session=session, older_than=now - stale_after)
    statement = _DUE[session.bind.dialect.name == "postgresql"]
    params = {"b_now": now, "b_limit": limit}
    if more_urgent_than is not None:
        statement = statement.where(col(OutboxMessage.priority) < more_urgent_than)
    counts, best = Counter(held or {}), dict(best_held or {})
    full: dict[int, list[int]] = {}  # by the most urgent priority they hold: the full chats
    for chat, n in counts.items():
        if per_chat is not None and n >= per_chat:
            full.setdefault(best[chat], []).append(chat)
    for priority, chats in sorted(full.items()):
        statement = statement.where(
            or_(col(OutboxMessage.priority) < priority, col(OutboxMessage.chat_id).not_in(chats))
        )
    if more_urgent_than is None and not full:  # the statement built once
        found = await compiled.read(session, statement, params)
    else:
        found = list((await session.exec(statement, params=params)).all())
    rows = []
    for row in found:
        chat = row.chat_id
        if chat == NO_CHAT:
            if counts[chat] >= NO_CHAT_PER_CLAIM:
                continue
        elif per_chat is not None and counts[chat] >= per_chat and row.priority >= best[chat]:
            continue  # stays pending (and unlocked at commit) until the chat catches up
        counts[chat] += 1
        best[chat] = min(best.get(chat, row.priority), row.priority)
        rows.append(row)
    await _claimed(session, rows, now, by)
    return Claim(rows, exhausted=len(found) < limit)


_OUTBOX = OutboxMessage.__table__
# Built once, and Core rather than the ORM's UPDATE (which also looks for the rows among
# the session's objects): the sender claims several times a second.
_CLAIM = (
    update(_OUTBOX)
    .where(any_of(_OUTBOX.c.id, "b_ids"))
    .values(
        status=bindparam("b_status"),
        claimed_at=bindparam("b_claimed_at"),
        claimed_by=bindparam("b_claimed_by"),
    )
)


async def _claimed(
    session: AsyncSession, rows: Sequence[OutboxMessage], now: datetime, by: str | None
) -> None:
    """One UPDATE for the claim, not the ORM's statement per row: the objects are told
    their new values as already stored, so no flush writes them again."""
    if not rows:
        return
    values = {"status": SENDING, "claimed_at": now, "claimed_by": by}
    for chunk in chunks([row.id for row in rows]):
        params = {"b_ids": chunk, "b_status": SENDING, "b_claimed_at": now, "b_claimed_by": by}
        await compiled.execute(session, _CLAIM, params)
    for row in rows:
        for name, value in values.items():
            set_committed_value(row, name, value)


async def release(*, session: AsyncSession, older_than: datetime | None = None) -> None:
    """Claims given back: those older than a time (their sender died), or all of them (a new
    sender starts; only one sends at a time, so any claim left is a dead sender's)."""
    statement = update(OutboxMessage).where(OutboxMessage.status == SENDING)
    if older_than is not None:
        statement = statement.where(col(OutboxMessage.claimed_at) < older_than)
    await session.exec(statement.values(status=PENDING, claimed_at=None, claimed_by=None))


# Built once: a claimed notice reworded as its one call, or marked expanded (executemany).
_REWORD = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(
        chat_id=bindparam("b_chat_id"),
        method=bindparam("b_method"),
        payload=bindparam("b_payload"),
        status=bindparam("b_status"),
    )
)


async def expand(
    *,
    session: AsyncSession,
    notices: Sequence[tuple[OutboxMessage, Sequence[tuple[str, dict[str, Any]]]]],
    now: datetime,
    by: str | None = None,
) -> list[OutboxMessage]:
    """Replace each notice by its calls, claimed by the same sender, in the order given. A
    call's own chat is its row's (the edits of a report's cards go to every chat holding
    one). A notice of one call becomes that call in its own row, already claimed; one of
    several is marked expanded and its calls get rows of their own. Core statements, one
    for the notices and one for the new rows (issue 14: the ORM wrote a row a statement)."""
    parts: list[OutboxMessage] = []
    added: list[OutboxMessage] = []
    reworded: list[dict[str, Any]] = []
    for notice, calls in notices:
        if len(calls) == 1:
            [(method, payload)] = calls
            chat_id, status = payload.get("chat_id", notice.chat_id), notice.status
            parts.append(notice)
        else:  # its own values again: the one statement sets the same columns for all
            chat_id, method, payload = notice.chat_id, notice.method, notice.payload
            status = EXPANDED
            more = [_part(notice, call, said, now, by) for call, said in calls]
            parts += more
            added += more
        values = {"chat_id": chat_id, "method": method, "payload": payload, "status": status}
        reworded.append({"b_id": notice.id} | {f"b_{k}": v for k, v in values.items()})
        for name, value in values.items():
            set_committed_value(notice, name, value)
    if reworded:
        await compiled.execute(session, _REWORD, reworded)
    await insert_with_ids(session, added)
    return parts


def _part(
    notice: OutboxMessage, method: str, payload: dict[str, Any], now: datetime, by: str | None
) -> OutboxMessage:
    return OutboxMessage(
        chat_id=payload.get("chat_id", notice.chat_id),  # a report's cards are in many
        method=method,
        payload=payload,
        priority=notice.priority,
        report_id=notice.report_id,
        broadcast_id=notice.broadcast_id,  # each call stays what its notice was about
        subject=notice.subject,
        status=SENDING,
        attempts=0,
        claimed_at=now,
        claimed_by=by,
        created_at=notice.created_at,
        next_attempt_at=now,
    )


async def settle(
    *,
    session: AsyncSession,
    ids: Sequence[int],
    status: str,
    now: datetime,
    error: str | None = None,
    retry_at: datetime | None = None,
    failed_attempt: bool = True,
    by: str | None = None,
) -> None:
    """Record how sending went: sent, retry later (pending again), failed or undeliverable;
    only for rows the sender `by` still holds (another may have taken them back meanwhile)."""
    values: dict[str, Any] = {"status": status, "claimed_at": None, "claimed_by": None}
    if status == SENT:
        values["sent_at"] = now
    if error is not None:
        values["last_error"] = error[:500]
    if retry_at is not None:
        values["next_attempt_at"] = retry_at
    counted = retry_at is not None and failed_attempt  # waiting out a 429 is not a failure
    statement = _settling(tuple(values), counted, by is not None)
    params = bound_params(values) | {"s_by": by}
    for chunk in chunks(ids):  # Core: the sender's session holds none of these rows
        await compiled.execute(session, statement, params | {"s_ids": list(chunk)})


@lru_cache(maxsize=64)
def _settling(columns: tuple[str, ...], counted: bool, held: bool):
    """settle's UPDATE of these columns, built once a shape (built and keyed at every
    outcome, it cost more than it ran: issue 14); `counted` adds one to the attempts, `held`
    keeps it to the rows the sender still holds."""
    statement = update(_OUTBOX).where(any_of(_OUTBOX.c.id, "s_ids"))
    if held:
        statement = statement.where(_OUTBOX.c.claimed_by == bindparam("s_by"))
    values: dict[str, Any] = bound_values(columns)
    if counted:
        values["attempts"] = _OUTBOX.c.attempts + 1
    return statement.values(values)


async def renew(
    *, session: AsyncSession, ids: Sequence[int], now: datetime, by: str | None = None
) -> None:
    """Keep the claims on rows a sender still holds, so they are never taken as stale."""
    for chunk in chunks(ids):
        await session.exec(
            update(_OUTBOX)  # the table's: the sender's session holds none of these rows
            .where(any_of(_OUTBOX.c.id, "ids"), _OUTBOX.c.status == SENDING, _held_by(by))
            .values(claimed_at=now),
            params={"ids": chunk},
        )


def _held_by(sender: str | None):
    """Rows claimed by this sender (any claim, for callers that name none)."""
    if sender is None:
        return true()
    return _OUTBOX.c.claimed_by == sender


async def next_attempt_at(*, session: AsyncSession, after: datetime) -> datetime | None:
    """When the next row waiting for a later time (a retry, a backoff) falls due."""
    result = await session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == PENDING, col(OutboxMessage.next_attempt_at) > after
        )
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
