"""What the abuse limits count: a resident's messages in the current window (one row each,
updated in one statement) and their reports of the last hour (read off ix_report_resident_created)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, case, func, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Report, ResidentQuota
from storage.types import UTCDateTime

_QUOTA = ResidentQuota.__table__
OPEN = ("new", "assigned", "acknowledged")


def _insert(session: AsyncSession):
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    return dialect.insert(_QUOTA)


def _count_statement(dialect):
    over = _QUOTA.c.window_started_at <= bindparam("b_window_start", type_=UTCDateTime())
    started = bindparam("b_started", type_=UTCDateTime())
    return (
        dialect.insert(_QUOTA)
        .values(
            resident_id=bindparam("b_resident_id"),
            window_started_at=bindparam("b_now", type_=UTCDateTime()),
            messages=1,
            warned=False,
        )
        .on_conflict_do_update(
            index_elements=["resident_id"],
            set_={
                "window_started_at": case((over, started), else_=_QUOTA.c.window_started_at),
                "messages": case((over, 1), else_=_QUOTA.c.messages + 1),
                "warned": case((over, False), else_=_QUOTA.c.warned),
            },
        )
        .returning(_QUOTA.c.messages, _QUOTA.c.warned)
    )


# Built once (every message counts): building and keying it cost more than running it.
_COUNT = {"postgresql": _count_statement(postgresql), "sqlite": _count_statement(sqlite)}


async def count_message(
    *, session: AsyncSession, resident_id: int, now: datetime, window_start: datetime
) -> tuple[int, bool]:
    """Count one more message; a window that began at or before window_start is over and a
    new one begins now. Returns the window's count so far and whether the resident was
    already told about it (one statement, atomic on both engines)."""
    statement = _COUNT["postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"]
    params = {
        "b_resident_id": resident_id,
        "b_now": now,
        "b_started": now,
        "b_window_start": window_start,
    }
    messages, warned = (await session.exec(statement, params=params)).one()
    return messages, bool(warned)


async def mark_warned(*, session: AsyncSession, resident_id: int) -> None:
    await session.exec(
        update(ResidentQuota)
        .where(col(ResidentQuota.resident_id) == resident_id)
        .values(warned=True)
    )


async def reports_warned_at(*, session: AsyncSession, resident_id: int) -> datetime | None:
    return await session.scalar(
        select(_QUOTA.c.reports_warned_at).where(_QUOTA.c.resident_id == resident_id)
    )


async def mark_reports_warned(*, session: AsyncSession, resident_id: int, at: datetime) -> None:
    statement = (
        _insert(session)
        .values(
            resident_id=resident_id,
            window_started_at=at,
            messages=0,
            warned=False,
            reports_warned_at=at,
        )
        .on_conflict_do_update(
            index_elements=["resident_id"], set_={"reports_warned_at": literal(at, UTCDateTime())}
        )
    )
    await session.exec(statement)


async def reports_since(*, session: AsyncSession, resident_id: int, since: datetime) -> int:
    """Reports that reached staff or were filed as one: not what the bot answered itself (a
    knowledge-base answer, a pointer to 12345)."""
    return await session.scalar(
        select(func.count())
        .select_from(Report)
        .where(
            col(Report.resident_id) == resident_id,
            col(Report.created_at) >= since,
            col(Report.kind) != "out_of_scope",
            or_(col(Report.kind) != "question", col(Report.assigned_at).is_not(None)),
        )
    )


async def open_reports_of(
    *, session: AsyncSession, resident_id: int, limit: int = 20
) -> Sequence[Report]:
    result = await session.exec(
        select(Report)
        .where(col(Report.resident_id) == resident_id, col(Report.status).in_(OPEN))
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    return result.scalars().all()
