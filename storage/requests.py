"""Reports as other systems read them (Open311): filtered, paged, with their grid cell, and
the status changes since a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import GridCell, Report, ReportEvent

SERVICE_KINDS = ("hazard", "emergency")  # questions and feedback are not service requests


@dataclass(frozen=True)
class RequestFilter:
    references: Sequence[str] = ()
    categories: Sequence[str] = ()
    statuses: Sequence[str] = ()  # the report's own statuses
    since: datetime | None = None
    until: datetime | None = None


async def requests_matching(
    *, session: AsyncSession, where: RequestFilter, offset: int, limit: int
) -> Sequence[tuple[Report, GridCell | None]]:
    query = (
        select(Report, GridCell)
        .join(GridCell, col(Report.grid_id) == col(GridCell.id), isouter=True)
        .where(*_conditions(where))
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .offset(offset)
        .limit(limit)
    )
    result = await session.exec(query)
    return result.all()


def _conditions(where: RequestFilter) -> list:
    conditions = [col(Report.kind).in_(SERVICE_KINDS)]
    if where.references:  # the spec: ids override every other filter
        return [*conditions, col(Report.reference).in_(where.references)]
    if where.categories:
        conditions.append(col(Report.category).in_(where.categories))
    if where.statuses:
        conditions.append(col(Report.status).in_(where.statuses))
    if where.since is not None:
        conditions.append(col(Report.created_at) >= where.since)
    if where.until is not None:
        conditions.append(col(Report.created_at) <= where.until)
    return conditions


async def request_by_reference(
    *, session: AsyncSession, reference: str
) -> tuple[Report, GridCell | None] | None:
    result = await session.exec(
        select(Report, GridCell)
        .join(GridCell, col(Report.grid_id) == col(GridCell.id), isouter=True)
        .where(Report.reference == reference, col(Report.kind).in_(SERVICE_KINDS))
    )
    return result.first()


async def status_changes(
    *, session: AsyncSession, since: datetime, until: datetime | None, limit: int
) -> Sequence[tuple[ReportEvent, str]]:
    """Events that filed a service request or moved it to another status, oldest first,
    with the report's reference."""
    conditions = [
        col(Report.kind).in_(SERVICE_KINDS),
        col(ReportEvent.to_status).is_not(None),
        col(ReportEvent.at) >= since,
    ]
    if until is not None:
        conditions.append(col(ReportEvent.at) <= until)
    result = await session.exec(
        select(ReportEvent, Report.reference)
        .join(Report, col(Report.id) == col(ReportEvent.report_id))
        .where(*conditions)
        .order_by(col(ReportEvent.at), col(ReportEvent.id))
        .limit(limit)
    )
    return result.all()
