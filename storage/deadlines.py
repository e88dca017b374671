"""Deadlines: what is due, moving reports past them, and the next one."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.bulk import chunks
from storage.models import (
    Report,
)


async def due_reports(*, session: AsyncSession, now: datetime, limit: int) -> list[Report]:
    """Open reports whose next deadline has passed, oldest first; on PostgreSQL each is
    locked for this transaction and skipped by everyone else's. FOR NO KEY UPDATE, as an
    UPDATE that keeps the key takes: FOR UPDATE also conflicts with the KEY SHARE lock a row
    that refers to the report takes (a card remembered, an event, an outbox row), and a
    report due while one was being written was skipped, left for a later pass."""
    statement = (
        select(Report)
        .where(
            col(Report.status).in_(["new", "assigned", "acknowledged", "resolved", "closed"]),
            col(Report.next_deadline_at) <= now,
        )
        .order_by(col(Report.next_deadline_at), col(Report.id))
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=Report, key_share=True)
    return list((await session.exec(statement)).all())


async def advance_deadlines(
    *,
    session: AsyncSession,
    reports: Sequence[Report],
    status: str,
    level: int,
    now: datetime,
    values: dict[str, Any],
) -> set[int]:
    """The escalation step's guard, for reports read in the same state: those still in it
    (same status and level, deadline passed) are changed, here and in the objects; their ids."""
    won: set[int] = set()
    for chunk in chunks([r.id for r in reports]):
        result = await session.exec(
            update(Report)
            .where(
                col(Report.id).in_(chunk),
                col(Report.status) == status,
                col(Report.escalation_level) == level,
                col(Report.next_deadline_at) <= now,
            )
            .values(**values)
            .returning(col(Report.id))
            .execution_options(synchronize_session=False)
        )
        won.update(result.scalars().all())
    for report in reports:
        if report.id in won:
            for key, value in values.items():
                set_committed_value(report, key, value)  # as stored: nothing left to flush
    return won


async def next_deadline(*, session: AsyncSession) -> datetime | None:
    result = await session.exec(
        select(func.min(Report.next_deadline_at)).where(
            col(Report.status).in_(["new", "assigned", "acknowledged", "resolved", "closed"])
        )
    )
    return result.one()
