"""Lookups a transaction remembers: handling one message asks several times whether the bot
is waiting for this person and who they are, and each asking was a round trip to the
database. A remembered row is given back only while it is still in the session; a row
remembered as missing is forgotten when one of its kind is added or a savepoint rolls back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")
_MEMO = "firecircle_memo"


async def lookup(
    session: AsyncSession, kind: type[T], key: Any, find: Callable[[], Awaitable[T | None]]
) -> T | None:
    """find() the first time this transaction asks for (kind, key); the same answer after."""
    memo: dict = session.info.setdefault(_MEMO, {})
    if (kind, key) in memo:
        found = memo[(kind, key)]
        if found is None and not any(isinstance(added, kind) for added in session.new):
            return None
        if found is not None and found in session and found not in session.deleted:
            return found
    found = await find()
    memo[(kind, key)] = found
    return found


@event.listens_for(Session, "after_flush")
def _forget_missing(session: Session, _context: Any) -> None:
    memo = session.info.get(_MEMO)
    if not memo:
        return
    added = {type(row) for row in session.new}
    for kind, key in [k for k, found in memo.items() if found is None and k[0] in added]:
        del memo[(kind, key)]


@event.listens_for(Session, "after_soft_rollback")
def _forget_all(session: Session, _previous: Any) -> None:
    session.info.pop(_MEMO, None)
