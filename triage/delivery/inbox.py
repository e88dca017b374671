"""The inbox as the chat side sees it: updates stored once each, the pending ones read in
order a few per chat, a chat held while its update is handled (PostgreSQL, several
instances), each marked done with what went wrong if anything."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from storage import inbox as rows
from storage import signals
from storage.engine import SessionFactory, transaction
from storage.types import utcnow
from triage.units import Session

# An update as stored, known without reading it back (what this process stored waits)
Waiting = rows.Waiting
STORED = "stored"  # what store() says of its touch: the caller knows the rows it stored
Arrivals = signals.Hints


class Update(Protocol):
    """A stored update as processing reads it (a row, not a loaded model object)."""

    update_id: int
    payload: dict[str, Any]
    chat_id: int | None


def whole(batch: int, most_of_a_chat: int) -> bool:
    """Whether a pass of `batch` updates, `most_of_a_chat` the most of one chat, read every
    update pending when it began (no limit cut it short): then nothing is left to read until
    more arrive, which arrivals() tells."""
    return batch < rows.PENDING_LIMIT and most_of_a_chat < rows.PER_CHAT


async def store(
    sessions: SessionFactory, *, payloads: Sequence[dict[str, Any]], chats: Sequence[int | None]
) -> list[int]:
    """The updates not seen before, with the chat each belongs to; wakes the processors.
    Returns the update_ids that were new."""
    async with transaction(sessions) as session:
        added = await rows.store_updates(
            session=session, payloads=payloads, now=utcnow(), chats=chats
        )
        if added:
            await signals.touch(session, signals.INBOX, STORED)
    return added


def take(waiting: dict[int, Update]) -> list[Update]:
    """What a read of the pending updates would give (see storage.inbox.pending_updates),
    taken out of those known to wait: the oldest, at most PER_CHAT of a chat."""
    taken: list[Update] = []
    of_chat: dict[int | None, int] = {}
    for update_id in sorted(waiting):
        row = waiting[update_id]
        if of_chat.get(row.chat_id, 0) >= rows.PER_CHAT:
            continue
        of_chat[row.chat_id] = of_chat.get(row.chat_id, 0) + 1
        taken.append(row)
        if len(taken) >= rows.PENDING_LIMIT:
            break
    for row in taken:
        del waiting[row.update_id]
    return taken


async def pending(sessions: SessionFactory) -> Sequence[Update]:
    """The oldest updates not yet handled, at most a few of each chat."""
    async with transaction(sessions) as session:
        return await rows.pending_updates(session=session)


async def hold_chat(session: Session, *, chat: int | str, update_id: int) -> bool | None:
    """Hold the update's chat for this transaction: None if another instance holds it, else
    whether the update still waits and may go now (False too behind an older update of the
    chat that another instance stored)."""
    return await rows.take_chat(session=session, chat=chat, update_id=update_id)


async def hold_chats(
    session: Session, chats: dict[int | str, list[int]]
) -> tuple[set[int | str], set[int]]:
    """Hold these chats (each with its pending update_ids) for this transaction: the chats
    held (not another instance's), and which of their updates still wait and may go now
    (not those behind an older update of their chat that another instance stored)."""
    return await rows.take_chats(session=session, chats=chats)


async def start(session: Session, update_ids: Sequence[int]) -> set[int]:
    """One instance (SQLite), knowing what waits without reading it: these updates are
    marked done by the transaction about to handle them, which commits the mark with their
    work (their errors, if any, are marked at its end). Those still waiting: another process
    may have erased some meanwhile (`residents forget`), and they are not to be handled."""
    return await rows.start_processing(session=session, update_ids=update_ids, at=utcnow())


async def left(session: Session, update_ids: Sequence[int]) -> None:
    """Updates start() marked that the transaction then left unhandled: waiting again."""
    await rows.reopen(session=session, update_ids=update_ids)


async def all_done(session: Session, errors: dict[int, str | None]) -> None:
    """Updates handled in this transaction, each with what went wrong (None: nothing)."""
    await rows.mark_all_processed(session=session, errors=errors, at=utcnow())


def arrivals() -> Arrivals:
    """Set whenever updates are stored (here or, on PostgreSQL, by another instance)."""
    return signals.waiter(signals.INBOX, hints=True)


def stored_elsewhere(arrival: Arrivals) -> bool:
    """Whether updates were stored by another process since the last look (PostgreSQL: an
    instance's notification), which only a read of the database finds; the event cleared."""
    return any(said is not STORED for said in arrival.take())


def forget(arrival: asyncio.Event) -> None:
    signals.forget(arrival)
