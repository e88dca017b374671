"""What the abuse limits count: a resident's messages in the current window (one row each,
updated in one statement) and their reports of the last hour (read off ix_report_resident_created)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled
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
        # warned as the driver gives it (0 or 1 on SQLite): read as is, by storage.compiled
        .returning(_QUOTA.c.messages, type_coerce(_QUOTA.c.warned, Integer))
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
    messages, warned = (await compiled.execute(session, statement, params)).one()
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


def _counted(report) -> tuple:
    """The reports the hour's limit counts: those that reached staff or were filed as one,
    not what the bot answered itself (a knowledge-base answer, a pointer to 12345)."""
    return (
        report.resident_id == bindparam("b_resident_id"),
        report.created_at >= bindparam("b_since", type_=UTCDateTime()),
        report.kind != "out_of_scope",
        or_(report.kind != "question", report.assigned_at.is_not(None)),
    )


_REPORTS_SINCE = select(func.count()).select_from(Report).where(*_counted(Report))


def _open_and_counted(limit: int):
    """The resident's open reports (newest first) beside the hour's count, in one statement:
    the count's one row, outer-joined to the open reports (none: one row, no report)."""
    counting = aliased(Report)
    counted = (
        select(func.count().label("filed")).select_from(counting).where(*_counted(counting))
    ).subquery("counted")
    return (
        select(counted.c.filed, Report)
        .select_from(counted)
        .outerjoin(
            Report,
            and_(
                col(Report.resident_id) == bindparam("b_resident_id"),
                # Written into the statement, not an expanding IN: its SQL is then the same at
                # every call, and storage.compiled takes it.
                col(Report.status).in_([literal(status) for status in OPEN]),
            ),
        )
        .order_by(col(Report.id).desc())
        .limit(limit)
    )


# Built once: read when a report begins and again when it is sent.
_OPEN_AND_COUNTED = _open_and_counted(20)


async def reports_since(*, session: AsyncSession, resident_id: int, since: datetime) -> int:
    """Reports that reached staff or were filed as one since then (see _counted)."""
    params = {"b_resident_id": resident_id, "b_since": since}
    return (await session.exec(_REPORTS_SINCE, params=params)).scalar_one()


async def open_reports_and_count(
    *, session: AsyncSession, resident_id: int, since: datetime
) -> tuple[list[Report], int]:
    """open_reports_of and reports_since at once (two statements cost twice one)."""
    params = {"b_resident_id": resident_id, "b_since": since}
    rows = await compiled.read(session, _OPEN_AND_COUNTED, params)
    return [report for _, report in rows if report is not None], rows[0][0]


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
