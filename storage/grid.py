"""The district's grid cells and communities."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import directory
from storage.models import (
    GridCell,
)


async def all_grid_cells(*, session: AsyncSession) -> Sequence[GridCell]:
    result = await session.exec(select(GridCell).order_by(col(GridCell.code)))
    return result.all()


async def grid_revision(*, session: AsyncSession) -> tuple[int, datetime | None]:
    """Changes whenever a cell is added or re-imported; cheap enough to ask per report."""
    result = await session.exec(select(func.count(), func.max(GridCell.updated_at)))
    count, latest = result.one()
    return count, latest


async def grid_cell_by_code(*, session: AsyncSession, code: str) -> GridCell | None:
    result = await session.exec(select(GridCell).where(GridCell.code == code))
    return result.first()


async def communities(*, session: AsyncSession) -> Sequence[str]:
    result = await session.exec(
        select(GridCell.community).distinct().order_by(col(GridCell.community))
    )
    return result.all()


async def grid_codes_by_id(*, session: AsyncSession) -> dict[int, str]:
    result = await session.exec(select(GridCell.id, GridCell.code))
    return {grid_id: code for grid_id, code in result.all()}


async def grid_cell_by_id(*, session: AsyncSession, grid_id: int | None) -> GridCell | None:
    """Shared and held in memory (storage.directory): to read, never to change."""
    return await directory.cell(session, grid_id)


async def grid_cells_of_community(*, session: AsyncSession, community: str) -> Sequence[GridCell]:
    result = await session.exec(
        select(GridCell).where(GridCell.community == community).order_by(col(GridCell.code))
    )
    return result.all()
