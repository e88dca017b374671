"""Which Telegram messages are a report's task cards: written when the sender delivered one,
read when the report changes and its cards are drawn again."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled
from storage.bulk import any_of, chunks
from storage.models import CardMessage, OutboxMessage, Report
from storage.outbox import PENDING, SENDING

# Built once: written and read at every card delivered and every report changed.
_REMEMBER = insert(CardMessage.__table__)
_SHOWN = (
    select(CardMessage.report_id, CardMessage.chat_id, CardMessage.message_id)
    .where(any_of(CardMessage.__table__.c.report_id, "ids"))
    .order_by(col(CardMessage.id).desc())
)
_CHANGED = select(Report.id, Report.updated_at).where(any_of(Report.__table__.c.id, "ids"))
_out, _card = OutboxMessage.__table__.c, CardMessage.__table__.c
_ON_ITS_WAY = (
    select(_out.id)
    .where(_out.report_id == bindparam("r"), or_(_out.status == PENDING, _out.status == SENDING))
    .limit(1)
)
_ALL_OF = select(_card.chat_id, _card.message_id).where(_card.report_id == bindparam("r"))


async def remember(
    *, session: AsyncSession, cards: Sequence[tuple[int, int, int, datetime]]
) -> None:
    """Cards delivered, as (report, chat, message id, when)."""
    if cards:
        rows = [
            {"report_id": r, "chat_id": c, "message_id": m, "sent_at": at} for r, c, m, at in cards
        ]
        await compiled.execute(session, _REMEMBER, rows)


async def shown(
    *, session: AsyncSession, report_ids: Sequence[int], per_chat: int
) -> dict[int, list[tuple[int, int]]]:
    """Each report's cards as (chat, message id), oldest first; of a chat's cards only the
    newest `per_chat` (a task reminded for hours leaves dozens, and the last ones are seen)."""
    found: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for chunk in chunks(sorted(set(report_ids))):
        per: dict[tuple[int, int], int] = defaultdict(int)
        for report_id, chat_id, message_id in await compiled.read(
            session, _SHOWN, {"ids": list(chunk)}
        ):
            per[report_id, chat_id] += 1
            if per[report_id, chat_id] <= per_chat:
                found[report_id].append((chat_id, message_id))
    return {r: cards[::-1] for r, cards in found.items()}


async def only_card(*, session: AsyncSession, report_id: int, card: tuple[int, int]) -> bool:
    """Whether `card` (chat, message id) is the report's one card and nothing of the report's
    is on its way: no card being sent, no edit, no notice not yet worded. Read after the
    report's row was written in this transaction. A sender records a card's row as sent and
    remembers the card in one transaction, then reads whether its report changed since: if it
    read the report before this change was committed, its row was still on its way when read
    here, or the card it remembered is read here.

    SQLite only: its writers take turns, so a card worded elsewhere (a /tasks list) was either
    written before this transaction, and is read here, or worded after it, as the report is
    now. On PostgreSQL a card worded while this transaction is open shows the report as it
    was and may be written after these reads; nothing would draw it again. False there."""
    if session.bind.dialect.name != "sqlite":
        return False
    if await compiled.read(session, _ON_ITS_WAY, {"r": report_id}):
        return False
    return all(
        tuple(row) == card for row in await compiled.read(session, _ALL_OF, {"r": report_id})
    )


async def changed_since(*, session: AsyncSession, drawn: dict[int, datetime]) -> list[int]:
    """The reports changed after their card was drawn (report: when its notice was written)."""
    changed = []
    for chunk in chunks(sorted(drawn)):
        found = await compiled.read(session, _CHANGED, {"ids": list(chunk)})
        changed += [r for r, at in found if at is not None and at > drawn[r]]
    return changed


async def forget_older(*, session: AsyncSession, before: datetime) -> int:
    """Cards sent before the cutoff are no longer kept current (retention)."""
    result = await session.exec(delete(CardMessage).where(col(CardMessage.sent_at) < before))
    return max(result.rowcount, 0)
