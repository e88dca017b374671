"""Queries, as keyword-only functions on a session; no SQL anywhere else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    GridCell,
    GridDuty,
    Report,
    ReportDraft,
    ReportEvent,
    Resident,
    Staff,
)
from storage.types import utcnow

# --- residents -------------------------------------------------------------------------


async def resident_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Resident | None:
    result = await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))
    return result.first()


# --- drafts ----------------------------------------------------------------------------


async def draft_of(*, session: AsyncSession, resident_id: int) -> ReportDraft | None:
    return await session.get(ReportDraft, resident_id)


async def delete_draft(*, session: AsyncSession, resident_id: int) -> bool:
    result = await session.exec(delete(ReportDraft).where(ReportDraft.resident_id == resident_id))
    return result.rowcount > 0


# --- reports ---------------------------------------------------------------------------


async def add_report(*, session: AsyncSession, report: Report, actor: str) -> Report:
    """Insert a report with its reference and its first history event, in one transaction."""
    session.add(report)
    await session.flush()
    report.reference = reference_for(report.id)
    session.add(
        ReportEvent(
            report_id=report.id,
            actor=actor,
            action="created",
            to_status=report.status,
            at=report.created_at,
            detail={"kind": report.kind, "category": report.category, "severity": report.severity},
        )
    )
    await session.flush()
    return report


def reference_for(report_id: int | None) -> str:
    assert report_id is not None
    return f"FC-{report_id:06d}"


async def add_event(
    *,
    session: AsyncSession,
    report_id: int,
    actor: str,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> ReportEvent:
    event = ReportEvent(
        report_id=report_id,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        detail=detail or {},
        at=at or utcnow(),
    )
    session.add(event)
    await session.flush()
    return event


async def change_report(
    *,
    session: AsyncSession,
    report_id: int,
    from_statuses: Iterable[str],
    values: dict[str, Any],
) -> bool:
    """A guarded state change: applies only while the report is in one of from_statuses.

    Two presses, jobs or instances racing for the same step: exactly one sees True.
    """
    result = await session.exec(
        update(Report)
        .where(col(Report.id) == report_id, col(Report.status).in_(list(from_statuses)))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def report_by_reference(*, session: AsyncSession, reference: str) -> Report | None:
    result = await session.exec(select(Report).where(Report.reference == reference))
    return result.first()


async def reports_of_resident(
    *, session: AsyncSession, resident_id: int, limit: int = 10
) -> Sequence[Report]:
    result = await session.exec(
        select(Report)
        .where(Report.resident_id == resident_id)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(limit)
    )
    return result.all()


async def history_of(*, session: AsyncSession, report_id: int) -> Sequence[ReportEvent]:
    result = await session.exec(
        select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(col(ReportEvent.id))
    )
    return result.all()


# --- grid cells and staff --------------------------------------------------------------


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


async def staff_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Staff | None:
    result = await session.exec(select(Staff).where(Staff.telegram_id == telegram_id))
    return result.first()


async def all_staff(*, session: AsyncSession) -> Sequence[Staff]:
    result = await session.exec(select(Staff).order_by(col(Staff.role), col(Staff.id)))
    return result.all()


async def duties_of_staff(*, session: AsyncSession, staff_id: int) -> Sequence[GridDuty]:
    result = await session.exec(select(GridDuty).where(GridDuty.staff_id == staff_id))
    return result.all()


async def next_duty_position(*, session: AsyncSession, grid_id: int) -> int:
    result = await session.exec(
        select(func.coalesce(func.max(GridDuty.position) + 1, 0)).where(GridDuty.grid_id == grid_id)
    )
    return int(result.one())


async def grid_codes_by_id(*, session: AsyncSession) -> dict[int, str]:
    result = await session.exec(select(GridCell.id, GridCell.code))
    return {grid_id: code for grid_id, code in result.all()}


async def count_reports_by_status(*, session: AsyncSession) -> dict[str, int]:
    result = await session.exec(select(Report.status, func.count()).group_by(Report.status))
    return dict(result.all())


async def latest_reports(*, session: AsyncSession, limit: int) -> Sequence[Report]:
    result = await session.exec(
        select(Report).order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(limit)
    )
    return result.all()
