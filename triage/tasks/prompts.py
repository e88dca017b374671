"""What the bot waits for a staff member to type or send next, about a task."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import residents as resident_rows
from storage.models import PendingInput
from triage.actors import Actor

PURPOSES = ("ask", "resolve", "handover", "reinspect", "order", "note", "duplicate", "close")


async def expect(
    session: AsyncSession, actor: Actor, purpose: str, report_id: int, detail: dict, now: datetime
) -> None:
    await resident_rows.expect_input(
        session=session,
        telegram_id=actor.telegram_id,
        purpose=purpose,
        report_id=report_id,
        detail=detail,
        now=now,
    )


async def waiting(session: AsyncSession, actor: Actor) -> PendingInput | None:
    """What the bot waits for from this staff member, if it is a task's step."""
    pending = await resident_rows.pending_input(session=session, telegram_id=actor.telegram_id)
    return pending if pending is not None and pending.purpose in PURPOSES else None


async def drop(session: AsyncSession, pending: PendingInput | None) -> None:
    if pending is not None:
        await session.delete(pending)
        await session.flush()
