"""Staff and their duties: who works which cell, who coordinates where."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import directory
from storage.models import (
    GridCell,
    GridDuty,
    Staff,
)


async def staff_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Staff | None:
    result = await session.exec(select(Staff).where(Staff.telegram_id == telegram_id))
    return result.first()


async def all_staff(*, session: AsyncSession) -> Sequence[Staff]:
    result = await session.exec(select(Staff).order_by(col(Staff.role), col(Staff.id)))
    return result.all()


async def duties_of_staff(*, session: AsyncSession, staff_id: int) -> Sequence[GridDuty]:
    result = await session.exec(
        select(GridDuty).where(GridDuty.staff_id == staff_id).order_by(col(GridDuty.id))
    )
    return result.all()


async def active_duties(*, session: AsyncSession) -> list[tuple[GridDuty, Staff]]:
    """Every cell's active workers, in duty order within each cell."""
    result = await session.exec(
        select(GridDuty, Staff)
        .join(Staff, col(Staff.id) == GridDuty.staff_id)
        .where(col(Staff.active).is_(True), Staff.role == "worker")
        .order_by(col(GridDuty.grid_id), col(GridDuty.position), col(GridDuty.id))
    )
    return list(result.all())


async def next_duty_position(*, session: AsyncSession, grid_id: int) -> int:
    result = await session.exec(
        select(func.coalesce(func.max(GridDuty.position) + 1, 0)).where(GridDuty.grid_id == grid_id)
    )
    return int(result.one())


async def workers_of_cell(*, session: AsyncSession, grid_id: int) -> list[tuple[GridDuty, Staff]]:
    """The cell's active workers in duty order (position 0 first). Shared and held in memory
    (storage.directory): to read, never to change."""
    return await directory.workers_of_cell(session, grid_id)


async def community_coordinators(*, session: AsyncSession, community: str | None) -> list[Staff]:
    if community is None:
        return []
    result = await session.exec(
        select(Staff)
        .where(Staff.role == "coordinator", Staff.community == community, col(Staff.active))
        .order_by(col(Staff.id))
    )
    return list(result.all())


async def street_coordinators(*, session: AsyncSession, street: str | None) -> list[Staff]:
    """Coordinators over the whole street (no community of their own); any street if unknown."""
    statement = select(Staff).where(
        Staff.role == "coordinator", col(Staff.community).is_(None), col(Staff.active)
    )
    if street is not None:
        statement = statement.where(Staff.street == street)
    result = await session.exec(statement.order_by(col(Staff.id)))
    return list(result.all())


async def duty_officers(*, session: AsyncSession, street: str | None) -> list[Staff]:
    """Officers of the street, or with no street (district-wide)."""
    statement = select(Staff).where(Staff.role == "officer", col(Staff.active))
    if street is not None:
        statement = statement.where((Staff.street == street) | col(Staff.street).is_(None))
    result = await session.exec(statement.order_by(col(Staff.id)))
    return list(result.all())


async def staff_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Staff]:
    if not ids:
        return []
    result = await session.exec(select(Staff).where(col(Staff.id).in_(list(ids))))
    return list(result.all())


async def street_of(*, session: AsyncSession, community: str | None) -> str | None:
    if community is None:
        return None
    result = await session.exec(select(GridCell.street).where(GridCell.community == community))
    return result.first()


async def workers_of_community(*, session: AsyncSession, community: str | None) -> list[Staff]:
    """Active workers on any cell of the community, each once, in a stable order."""
    if community is None:
        return []
    result = await session.exec(
        select(Staff)
        .join(GridDuty, col(GridDuty.staff_id) == Staff.id)
        .join(GridCell, col(GridCell.id) == GridDuty.grid_id)
        .where(GridCell.community == community, col(Staff.active), Staff.role == "worker")
        .distinct()
        .order_by(col(Staff.id))
    )
    return list(result.all())


async def all_active_workers(*, session: AsyncSession) -> list[Staff]:
    result = await session.exec(
        select(Staff).where(col(Staff.active), Staff.role == "worker").order_by(col(Staff.id))
    )
    return list(result.all())


async def staff_by_telegram_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Staff]:
    """Shared and held in memory (storage.directory): to read, never to change."""
    if not ids:
        return []
    return await directory.staff_by_telegram_ids(session, ids)
