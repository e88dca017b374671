"""The web console's reads: one-time logins and their sessions, and reports filtered, counted
and paged in SQL within a staff member's scope (fast at tens of thousands of reports)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, case, cast, false, func, literal, or_, true, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.figures import minutes_between
from storage.models import (
    GridCell,
    OutboxMessage,
    Report,
    ReportEvent,
    Staff,
    TeamCall,
    WebLogin,
)

OPEN = ("new", "assigned", "acknowledged")
RECENT = timedelta(days=30)  # what /metrics' histogram and escalation counts look back on
WAITING = ("new", "assigned")


@dataclass(frozen=True)
class Scope:
    """Which reports someone may see: everything, or a community, a street, or a worker's
    cells (and what is assigned to them)."""

    everything: bool = False
    community: str | None = None
    street: str | None = None
    grid_ids: tuple[int, ...] = ()
    staff_id: int | None = None


# --- logins -------------------------------------------------------------------------------


async def add_login(
    *, session: AsyncSession, staff_id: int, token_hash: str, expires_at: datetime
) -> None:
    session.add(WebLogin(staff_id=staff_id, token_hash=token_hash, expires_at=expires_at))
    await session.flush()


async def use_login(
    *,
    session: AsyncSession,
    token_hash: str,
    session_hash: str,
    now: datetime,
    session_expires_at: datetime,
) -> bool:
    """The link's one use: True for exactly one caller, while it is unused and unexpired."""
    result = await session.exec(
        update(WebLogin)
        .where(
            col(WebLogin.token_hash) == token_hash,
            col(WebLogin.used_at).is_(None),
            col(WebLogin.expires_at) > now,
        )
        .values(used_at=now, session_hash=session_hash, session_expires_at=session_expires_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def staff_of_session(
    *, session: AsyncSession, session_hash: str, now: datetime
) -> Staff | None:
    result = await session.exec(
        select(Staff)
        .join(WebLogin, col(WebLogin.staff_id) == Staff.id)
        .where(
            col(WebLogin.session_hash) == session_hash,
            col(WebLogin.session_expires_at) > now,
            col(Staff.active).is_(True),
        )
    )
    return result.first()


async def end_session(*, session: AsyncSession, session_hash: str, now: datetime) -> None:
    await session.exec(
        update(WebLogin)
        .where(col(WebLogin.session_hash) == session_hash)
        .values(session_expires_at=now)
        .execution_options(synchronize_session=False)
    )


# --- reports within a scope -------------------------------------------------------------------


def in_scope(scope: Scope) -> Any:
    if scope.everything:
        return true()
    if scope.community is not None:
        return col(Report.community) == scope.community
    if scope.street is not None:
        street_cells = select(GridCell.id).where(GridCell.street == scope.street)
        street_communities = select(GridCell.community).where(GridCell.street == scope.street)
        return or_(
            col(Report.grid_id).in_(street_cells), col(Report.community).in_(street_communities)
        )
    mine = [col(Report.grid_id).in_(list(scope.grid_ids))] if scope.grid_ids else []
    if scope.staff_id is not None:
        mine.append(col(Report.assignee_id) == scope.staff_id)
    return or_(*mine) if mine else false()


def late_ack(now: datetime) -> Any:
    return and_(col(Report.status).in_(WAITING), col(Report.ack_deadline_at) < now)


def late_fix(now: datetime) -> Any:
    return and_(Report.status == "acknowledged", col(Report.rectify_deadline_at) < now)


def matching(scope: Scope, filters: Any, now: datetime) -> list[Any]:
    """The WHERE clauses of a listing: the scope and each filter given (duck-typed: status,
    kind, category, grid, community, since, until, q)."""
    where = [in_scope(scope), col(Report.status) != "merged"]
    status = filters.status
    if status == "open":
        where.append(col(Report.status).in_(OPEN))
    elif status == "overdue":
        where.append(or_(late_ack(now), late_fix(now)))
    elif status:
        where.append(col(Report.status) == status)
    for column, value in ((Report.kind, filters.kind), (Report.category, filters.category)):
        if value:
            where.append(col(column) == value)
    if filters.community:
        where.append(col(Report.community) == filters.community)
    if filters.grid:
        where.append(
            col(Report.grid_id).in_(select(GridCell.id).where(GridCell.code == filters.grid))
        )
    if filters.since is not None:
        where.append(col(Report.created_at) >= filters.since)
    if filters.until is not None:
        where.append(col(Report.created_at) < filters.until)
    if filters.q:
        like = "%" + filters.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(
            or_(
                col(Report.text).ilike(like, escape="\\"),
                col(Report.reference).ilike(like, escape="\\"),
                col(Report.address).ilike(like, escape="\\"),
            )
        )
    return where


_ORDER = {
    "newest": (col(Report.id).desc(),),
    "oldest": (col(Report.id),),
    "deadline": (func.coalesce(Report.ack_deadline_at, Report.rectify_deadline_at), Report.id),
    "level": (col(Report.escalation_level).desc(), col(Report.id).desc()),
}
SORTS = tuple(_ORDER)


async def count_reports(*, session: AsyncSession, where: Sequence[Any]) -> int:
    result = await session.exec(select(func.count()).select_from(Report).where(*where))
    return int(result.one())


async def list_reports(
    *, session: AsyncSession, where: Sequence[Any], sort: str, offset: int, limit: int
) -> list[tuple[Report, str | None, str | None]]:
    """One page of reports, each with its cell's code and its assignee's name."""
    result = await session.exec(
        select(Report, GridCell.code, Staff.name)
        .outerjoin(GridCell, col(GridCell.id) == Report.grid_id)
        .outerjoin(Staff, col(Staff.id) == Report.assignee_id)
        .where(*where)
        .order_by(*_ORDER.get(sort, _ORDER["newest"]))
        .offset(offset)
        .limit(limit)
    )
    return list(result.all())


async def report_row(
    *, session: AsyncSession, report_id: int
) -> tuple[Report, str | None, str | None]:
    rows = await list_reports(
        session=session, where=[col(Report.id) == report_id], sort="newest", offset=0, limit=1
    )
    return rows[0]


async def report_in_scope(*, session: AsyncSession, reference: str, scope: Scope) -> Report | None:
    result = await session.exec(
        select(Report).where(
            Report.reference == reference, in_scope(scope), col(Report.status) != "merged"
        )
    )
    return result.first()


async def is_in_scope(*, session: AsyncSession, report_id: int, scope: Scope) -> bool:
    """Whether a report (in any state) is within a scope."""
    result = await session.exec(
        select(Report.id).where(col(Report.id) == report_id, in_scope(scope))
    )
    return result.first() is not None


# --- the board ---------------------------------------------------------------------------------


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def board_counts(
    *, session: AsyncSession, scope: Scope, now: datetime, day_start: datetime
) -> dict[str, int]:
    is_open = col(Report.status).in_(OPEN)
    result = await session.exec(
        select(
            _count(is_open),
            _count(col(Report.status).in_(WAITING)),
            _count(late_ack(now)),
            _count(late_fix(now)),
            _count(and_(Report.kind == "emergency", col(Report.created_at) >= day_start)),
            _count(col(Report.created_at) >= day_start),
        ).where(in_scope(scope))
    )
    names = ("open", "waiting_ack", "overdue_ack", "overdue_fix", "emergencies_today", "today")
    return dict(zip(names, (int(v) for v in result.one()), strict=True))


async def last_change(*, session: AsyncSession) -> tuple[int, int]:
    """The newest report's id and the newest event's: every change to a report is an event,
    so the pair moves whenever anything the console shows may have (two index look-ups)."""
    result = await session.exec(
        select(
            select(func.max(Report.id)).scalar_subquery(),
            select(func.max(ReportEvent.id)).scalar_subquery(),
        )
    )
    report_id, event_id = result.one()
    return int(report_id or 0), int(event_id or 0)


async def team_counts(
    *, session: AsyncSession, scope: Scope, day_start: datetime, promise_minutes: float
) -> dict[str, int]:
    """Today's emergencies a patrol team was called to, and those a team reached within the
    promise of the first call (the ten-minute circle's tiles)."""
    first = (
        select(
            TeamCall.report_id,
            func.min(TeamCall.called_at).label("called"),
            func.min(TeamCall.arrived_at).label("arrived"),
        )
        .group_by(TeamCall.report_id)
        .having(func.min(TeamCall.called_at) >= day_start)
        .subquery("first_calls")
    )
    minutes = minutes_between(session, first.c.arrived, first.c.called)
    result = await session.exec(
        select(func.count(), _count(and_(first.c.arrived.is_not(None), minutes <= promise_minutes)))
        .select_from(first)
        .join(Report, col(Report.id) == first.c.report_id)
        .where(in_scope(scope))
    )
    called, in_time = result.one()
    return {"team_calls_today": int(called), "team_in_ten_today": int(in_time)}


async def open_by_grid(
    *, session: AsyncSession, scope: Scope, now: datetime
) -> list[tuple[str | None, str | None, int, int]]:
    """(code, name, open, overdue) per cell with open reports, most overdue first."""
    overdue = _count(or_(late_ack(now), late_fix(now)))
    result = await session.exec(
        select(GridCell.code, GridCell.name, func.count(), overdue)
        .select_from(Report)
        .outerjoin(GridCell, col(GridCell.id) == Report.grid_id)
        .where(in_scope(scope), col(Report.status).in_(OPEN))
        .group_by(GridCell.code, GridCell.name)
        .order_by(overdue.desc(), func.count().desc())
    )
    return [(code, name, int(n), int(late)) for code, name, n, late in result.all()]


async def open_by_worker(
    *, session: AsyncSession, scope: Scope, now: datetime
) -> list[tuple[str | None, int, int, int]]:
    """(name, open, waiting for acknowledgement, overdue) per assignee of open reports."""
    overdue = _count(or_(late_ack(now), late_fix(now)))
    result = await session.exec(
        select(Staff.name, func.count(), _count(col(Report.status).in_(WAITING)), overdue)
        .select_from(Report)
        .outerjoin(Staff, col(Staff.id) == Report.assignee_id)
        .where(in_scope(scope), col(Report.status).in_(OPEN))
        .group_by(Staff.id, Staff.name)
        .order_by(overdue.desc(), func.count().desc())
    )
    return [(name, int(n), int(w), int(late)) for name, n, w, late in result.all()]


# --- what a report's page and the exports need -------------------------------------------------


async def events_with_names(
    *, session: AsyncSession, report_id: int
) -> list[tuple[ReportEvent, str | None]]:
    """A report's history in order, each event with the staff member's name when staff did it."""
    actor = aliased(Staff)
    ref = literal("staff:", String) + cast(actor.id, String)
    result = await session.exec(
        select(ReportEvent, actor.name)
        .outerjoin(actor, col(ReportEvent.actor) == ref)
        .where(ReportEvent.report_id == report_id)
        .order_by(col(ReportEvent.id))
    )
    return list(result.all())


async def cells_and_communities(*, session: AsyncSession) -> tuple[list[GridCell], list[str]]:
    cells = list((await session.exec(select(GridCell).order_by(col(GridCell.code)))).all())
    return cells, sorted({c.community for c in cells})


async def export_rows(
    *, session: AsyncSession, where: Sequence[Any], sort: str, limit: int
) -> list[tuple[Report, str | None, str | None]]:
    return await list_reports(session=session, where=where, sort=sort, offset=0, limit=limit)


async def report_by_id(*, session: AsyncSession, report_id: int) -> Report | None:
    return await session.get(Report, report_id)


async def figures(*, session: AsyncSession, now: datetime) -> dict[str, Any]:
    """Counts for /metrics: reports by kind, category and status; open, overdue and their
    escalation levels; the outbox by status."""
    by_kind = await session.exec(
        select(Report.kind, Report.category, Report.status, func.count()).group_by(
            Report.kind, Report.category, Report.status
        )
    )
    levels = await session.exec(
        select(Report.escalation_level, func.count())
        .where(col(Report.status).in_(OPEN))
        .group_by(Report.escalation_level)
    )
    overdue = await session.exec(
        select(_count(late_ack(now)), _count(late_fix(now))).select_from(Report)
    )
    outbox = await session.exec(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    )
    late_ack_n, late_fix_n = overdue.one()
    since = now - RECENT
    acks = await session.exec(
        select(Report.created_at, Report.acknowledged_at).where(
            col(Report.acknowledged_at) >= since
        )
    )
    escalations = await session.exec(
        select(ReportEvent.detail).where(
            ReportEvent.action == "escalated", col(ReportEvent.at) >= since
        )
    )
    return {
        "acks": list(acks.all()),
        "escalations": list(escalations.all()),
        "reports": list(by_kind.all()),
        "levels": list(levels.all()),
        "overdue": {"ack": int(late_ack_n), "rectification": int(late_fix_n)},
        "outbox": list(outbox.all()),
    }


async def cells_in_scope(*, session: AsyncSession, scope: Scope) -> list[GridCell]:
    statement = select(GridCell).order_by(col(GridCell.code))
    if scope.everything:
        pass
    elif scope.community is not None:
        statement = statement.where(GridCell.community == scope.community)
    elif scope.street is not None:
        statement = statement.where(GridCell.street == scope.street)
    else:
        statement = statement.where(col(GridCell.id).in_(list(scope.grid_ids)))
    return list((await session.exec(statement)).all())


async def open_points(
    *, session: AsyncSession, scope: Scope, now: datetime, limit: int
) -> list[tuple[str, float, float, bool]]:
    """Open reports with a location: (reference, latitude, longitude, overdue), newest first."""
    late = or_(late_ack(now), late_fix(now))
    result = await session.exec(
        select(Report.reference, Report.latitude, Report.longitude, case((late, True), else_=False))
        .where(
            in_scope(scope),
            col(Report.status).in_(OPEN),
            col(Report.latitude).is_not(None),
            col(Report.longitude).is_not(None),
        )
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def open_tasks_in(
    *, session: AsyncSession, scope: Scope, limit: int
) -> tuple[int, list[Report]]:
    """Open tasks (new, assigned, acknowledged) in a scope: how many, and the oldest few."""
    where = [in_scope(scope), col(Report.status).in_(OPEN)]
    total = await count_reports(session=session, where=where)
    result = await session.exec(select(Report).where(*where).order_by(col(Report.id)).limit(limit))
    return total, list(result.all())
