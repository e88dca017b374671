"""Triage labels: messages the bot asked about, and the residents' answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import TriageLabel


async def ask(
    *, session: AsyncSession, resident_id: int, text: str, source: str | None, reading: str
) -> TriageLabel:
    label = TriageLabel(resident_id=resident_id, text=text, source=source, reading=reading)
    session.add(label)
    await session.flush()
    return label


async def answer(
    *, session: AsyncSession, label_id: int, resident_id: int, chosen: str, now: datetime
) -> bool:
    """Record the answer once: a second press (or someone else's) changes nothing."""
    result = await session.exec(
        update(TriageLabel)
        .where(
            col(TriageLabel.id) == label_id,
            col(TriageLabel.resident_id) == resident_id,
            col(TriageLabel.chosen).is_(None),
        )
        .values(chosen=chosen, answered_at=now)
    )
    return result.rowcount == 1


async def answered(*, session: AsyncSession) -> Sequence[TriageLabel]:
    result = await session.exec(
        select(TriageLabel).where(col(TriageLabel.chosen).is_not(None)).order_by(TriageLabel.id)
    )
    return result.all()


async def of(*, session: AsyncSession, resident_id: int) -> Sequence[TriageLabel]:
    result = await session.exec(
        select(TriageLabel).where(TriageLabel.resident_id == resident_id).order_by(TriageLabel.id)
    )
    return result.all()


async def forget_of(*, session: AsyncSession, resident_id: int) -> int:
    result = await session.exec(delete(TriageLabel).where(TriageLabel.resident_id == resident_id))
    return result.rowcount
