"""Patrol teams, their members, and their calls to emergencies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Report, Staff, Team, TeamCall, TeamMember
from storage.signals import DEADLINES, touch


async def team_named(*, session: AsyncSession, name: str) -> Team | None:
    return (await session.exec(select(Team).where(Team.name == name))).first()


async def all_teams(*, session: AsyncSession) -> Sequence[Team]:
    return (await session.exec(select(Team).order_by(col(Team.street), col(Team.name)))).all()


async def active_teams(*, session: AsyncSession) -> Sequence[Team]:
    return (await session.exec(select(Team).where(col(Team.active)).order_by(col(Team.id)))).all()


async def members_of(*, session: AsyncSession, team_ids: Sequence[int]) -> dict[int, list[Staff]]:
    """Each team's members who are active staff, in the order they were added."""
    result = await session.exec(
        select(TeamMember.team_id, Staff)
        .join(Staff, col(Staff.id) == col(TeamMember.staff_id))
        .where(col(TeamMember.team_id).in_(team_ids), col(Staff.active))
        .order_by(col(TeamMember.id))
    )
    members: dict[int, list[Staff]] = {team_id: [] for team_id in team_ids}
    for team_id, staff in result.all():
        members[team_id].append(staff)
    return members


async def set_members(*, session: AsyncSession, team_id: int, staff_ids: Sequence[int]) -> None:
    await session.exec(delete(TeamMember).where(col(TeamMember.team_id) == team_id))
    session.add_all(TeamMember(team_id=team_id, staff_id=s) for s in staff_ids)
    await session.flush()


async def teams_of_member(*, session: AsyncSession, staff_id: int) -> list[int]:
    result = await session.exec(select(TeamMember.team_id).where(TeamMember.staff_id == staff_id))
    return list(result.all())


async def lock_teams(*, session: AsyncSession, team_ids: Sequence[int]) -> None:
    """Holds these teams' rows to the end of the transaction (PostgreSQL; SQLite's writers
    already go one at a time), so that two removals of a team's last two members cannot
    both see the other one still there."""
    statement = select(Team.id).where(col(Team.id).in_(team_ids)).order_by(col(Team.id))
    await session.exec(statement.with_for_update())


async def calls_of(*, session: AsyncSession, report_id: int) -> Sequence[TeamCall]:
    result = await session.exec(
        select(TeamCall).where(TeamCall.report_id == report_id).order_by(col(TeamCall.round))
    )
    return result.all()


async def add_call(*, session: AsyncSession, call: TeamCall) -> TeamCall:
    session.add(call)
    await session.flush()
    if call.depart_deadline_at is not None:
        await touch(session, DEADLINES)
    return call


async def change_call(
    *, session: AsyncSession, call_id: int, from_statuses: Sequence[str], values: dict[str, Any]
) -> bool:
    """A guarded step (two members pressing 出发 at once: one wins)."""
    result = await session.exec(
        update(TeamCall)
        .where(col(TeamCall.id) == call_id, col(TeamCall.status).in_(list(from_statuses)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def due_calls(*, session: AsyncSession, now: datetime, limit: int) -> Sequence[TeamCall]:
    """Calls nobody set off for in time, locked so that one instance takes each."""
    query = (
        select(TeamCall)
        .where(col(TeamCall.depart_deadline_at) <= now, TeamCall.status == "called")
        .order_by(col(TeamCall.depart_deadline_at))
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, key_share=True)  # as due_reports
    return (await session.exec(query)).all()


async def next_call_deadline(*, session: AsyncSession) -> datetime | None:
    result = await session.exec(
        select(func.min(TeamCall.depart_deadline_at)).where(TeamCall.status == "called")
    )
    return result.one()


async def first_and_fastest(
    *, session: AsyncSession, since: datetime, until: datetime
) -> list[tuple[datetime, datetime | None, datetime | None]]:
    """Per emergency first called in the period: (first call, first departure, first arrival)
    over all the teams called to it — the fire is met when the first team gets there."""
    result = await session.exec(
        select(
            func.min(TeamCall.called_at),
            func.min(TeamCall.departed_at),
            func.min(TeamCall.arrived_at),
        )
        .group_by(TeamCall.report_id)
        .having(func.min(TeamCall.called_at) >= since, func.min(TeamCall.called_at) < until)
    )
    return list(result.all())


async def latest_call(*, session: AsyncSession) -> tuple[TeamCall, str, str] | None:
    """The last call-out: (the call, its team's name, its report's reference)."""
    result = await session.exec(
        select(TeamCall, Team.name, Report.reference)
        .join(Team, col(Team.id) == TeamCall.team_id)
        .join(Report, col(Report.id) == TeamCall.report_id)
        .order_by(col(TeamCall.id).desc())
        .limit(1)
    )
    return result.first()
