"""The inbox: every update as Telegram sent it, stored once per update_id."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ARRAY, Integer, Row, bindparam, cast, exists, func
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled
from storage.bulk import any_of
from storage.models import InboxUpdate

PENDING_LIMIT, PER_CHAT = 100, 10  # a pass over the pending updates: at most, and of a chat


async def store_updates(
    *,
    session: AsyncSession,
    payloads: Sequence[dict[str, Any]],
    now: datetime,
    chats: Sequence[int | None] | None = None,
) -> list[int]:
    """Insert the updates not seen before; a second delivery of an update_id is a no-op.
    `chats`, in the same order, says which chat each belongs to. Returns the update_ids
    that were new."""
    chats = chats if chats is not None else [None] * len(payloads)
    rows = [
        {"update_id": p["update_id"], "payload": p, "chat_id": chat, "received_at": now}
        for p, chat in zip(payloads, chats, strict=True)
    ]
    if not rows:
        return []
    # One statement built once, its rows given as parameters: SQLAlchemy writes them in one
    # multi-row INSERT (insertmanyvalues) and returns the ids that were new.
    statement = _STORE[session.bind.dialect.name == "postgresql"]
    return [row[0] for row in (await compiled.execute(session, statement, rows)).all()]


_INBOX = InboxUpdate.__table__
_STORE = {
    postgres: dialect.insert(_INBOX)
    .on_conflict_do_nothing(index_elements=["update_id"])
    .returning(_INBOX.c.update_id)
    for postgres, dialect in ((True, postgresql), (False, sqlite))
}


def _pending_statement(limit: int, per_chat: int):
    ranked = (
        select(
            _INBOX.c.update_id.label("update_id"),
            func.row_number()
            .over(partition_by=_INBOX.c.chat_id, order_by=_INBOX.c.update_id)
            .label("turn"),
        )
        .where(_INBOX.c.processed_at.is_(None))
        .subquery()
    )
    return (
        select(_INBOX.c.update_id, _INBOX.c.payload, _INBOX.c.chat_id)
        .join(ranked, ranked.c.update_id == _INBOX.c.update_id)
        .where(ranked.c.turn <= per_chat)
        .order_by(_INBOX.c.update_id)
        .limit(limit)
    )


# Built once: the hot path's statements skip building and keying a statement each time
# (issue 14: that cost more than running it), and Core rows skip the ORM's loading.
_PENDING = _pending_statement(PENDING_LIMIT, PER_CHAT)
_MARK = (
    update(_INBOX)
    .where(_INBOX.c.update_id == bindparam("b_update_id"))
    .values(processed_at=bindparam("b_at"), error=bindparam("b_error"))
)


async def pending_updates(
    *, session: AsyncSession, limit: int = PENDING_LIMIT, per_chat: int = PER_CHAT
) -> Sequence[Waiting | Row]:
    """The oldest unprocessed updates, at most per_chat of each chat (its first ones): a
    chat with hundreds waiting must not fill the pass while other chats wait behind it.
    Each row has update_id, payload and chat_id."""
    if (limit, per_chat) == (PENDING_LIMIT, PER_CHAT):  # the statement built once
        return [Waiting(*row) for row in await compiled.read(session, _PENDING, {})]
    return (await session.exec(_pending_statement(limit, per_chat))).all()


class Waiting(NamedTuple):
    """A pending update, as pending_updates reads it."""

    update_id: int
    payload: dict[str, Any]
    chat_id: int | None


# One instance (SQLite): the updates it is about to handle, marked at the start of their
# transaction (an executemany compiled once, as the marks at the end were), and, should some
# be missing, which of them it marked.
_START = (
    update(_INBOX)
    .where(_INBOX.c.update_id == bindparam("b_update_id"), _INBOX.c.processed_at.is_(None))
    .values(processed_at=bindparam("b_at"))
)
_MARKED = select(InboxUpdate.update_id).where(
    any_of(_INBOX.c.update_id, "b_ids"), _INBOX.c.processed_at == bindparam("b_at")
)
_REOPEN = (
    update(_INBOX).where(any_of(_INBOX.c.update_id, "b_ids")).values(processed_at=None, error=None)
)


async def start_processing(
    *, session: AsyncSession, update_ids: Sequence[int], at: datetime
) -> set[int]:
    """Mark these updates processed now, in the transaction that handles them; which of them
    were still there to mark (another process may have erased some: `residents forget`)."""
    params = [{"b_update_id": u, "b_at": at} for u in update_ids]
    if (await compiled.execute(session, _START, params)).rowcount == len(params):
        return set(update_ids)
    return set((await session.exec(_MARKED, params={"b_ids": list(update_ids), "b_at": at})).all())


async def reopen(*, session: AsyncSession, update_ids: Sequence[int]) -> None:
    """Updates marked by start_processing and then left unhandled (a stop came first)."""
    await session.exec(_REOPEN, params={"b_ids": list(update_ids)})


async def mark_all_processed(
    *, session: AsyncSession, errors: dict[int, str | None], at: datetime
) -> None:
    """Several updates handled in one transaction, marked in one executemany; `errors`: each
    update_id's error, None if it went well."""
    params = [{"b_update_id": u, "b_at": at, "b_error": e} for u, e in errors.items()]
    await compiled.execute(session, _MARK, params)


CHAT_LOCKS = 0x0F1E  # the namespace of the chats' advisory locks (the two-int4 key space)


async def take_chat(*, session: AsyncSession, chat: int | str, update_id: int) -> bool | None:
    """PostgreSQL, several instances handling updates: hold the update's chat for the rest of
    this transaction unless another instance holds it (None), and say whether the update
    still waits (False: another instance has just handled it, or an older update of the
    chat waits that this instance did not know of). Two chats that share a key only wait for
    each other."""
    held, waiting = await take_chats(session=session, chats={chat: [update_id]})
    return update_id in waiting if held else None


_KEYS = func.unnest(cast(bindparam("keys"), ARRAY(Integer))).table_valued("key").render_derived()
# SELECT key FROM unnest(CAST(:keys AS INTEGER[])) AS k(key) WHERE pg_try_advisory_xact_lock(…)
_TAKE_ALL = select(_KEYS.c.key).where(
    func.pg_try_advisory_xact_lock(bindparam("space", type_=Integer), _KEYS.c.key)
)


# Which of the held chats' updates still wait and may go now (see take_chats): not one of a
# chat with an older update waiting that is not among them (stored by another instance).
_OLDER = _INBOX.alias("older")
_STILL_WAITING = select(_INBOX.c.update_id).where(
    any_of(_INBOX.c.update_id, "ids"),
    _INBOX.c.processed_at.is_(None),
    ~exists().where(
        _OLDER.c.chat_id == _INBOX.c.chat_id,
        _OLDER.c.processed_at.is_(None),
        _OLDER.c.update_id < _INBOX.c.update_id,
        ~any_of(_OLDER.c.update_id, "ids"),
    ),
)


async def take_chats(
    *, session: AsyncSession, chats: dict[int | str, list[int]]
) -> tuple[set[int | str], set[int]]:
    """take_chat for several chats (each with its update_ids) in two statements: the chats
    now held for this transaction, and which of their updates still wait. An update of a
    chat with an older one waiting that is not given (another instance stored it; this one
    knew only its own) does not: the caller reads what waits and takes them in order."""
    keys = {chat: _lock_key(chat) for chat in chats}
    params = {"keys": sorted(set(keys.values())), "space": CHAT_LOCKS}
    locked = set(await compiled.read(session, _TAKE_ALL, params))
    held = {chat for chat, key in keys.items() if key in locked}
    ids = [update_id for chat in held for update_id in chats[chat]]
    if not ids:
        return held, set()
    # A statement of its own: its snapshot must be taken after the locks, so it sees what
    # the instances that held the chats committed.
    return held, set(await compiled.read(session, _STILL_WAITING, {"ids": ids}))


def _lock_key(chat: int | str) -> int:
    return zlib.crc32(str(chat).encode()) - 2**31  # stable across processes, unlike hash()
