"""Queries, as keyword-only functions on a session; no SQL anywhere else."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.bulk import chunks
from storage.memo import lookup
from storage.models import (
    GridCell,
    GridDuty,
    PendingInput,
    Report,
    ReportDraft,
    ReportEvent,
    Resident,
    Staff,
)
from storage.signals import DEADLINES, touch
from storage.types import utcnow

# --- residents -------------------------------------------------------------------------


async def resident_by_telegram_id(*, session: AsyncSession, telegram_id: int) -> Resident | None:
    async def find() -> Resident | None:
        result = await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))
        return result.first()

    return await lookup(session, Resident, telegram_id, find)


# --- drafts ----------------------------------------------------------------------------


async def draft_of(*, session: AsyncSession, resident_id: int) -> ReportDraft | None:
    return await lookup(
        session, ReportDraft, resident_id, lambda: session.get(ReportDraft, resident_id)
    )


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
    assignee_id: int | None | object = ...,
) -> bool:
    """A guarded state change: applies only while the report is in one of from_statuses
    (and, when given, still with the assignee the caller saw).

    Two presses, jobs or instances racing for the same step: exactly one sees True.
    """
    statement = update(Report).where(
        col(Report.id) == report_id, col(Report.status).in_(list(from_statuses))
    )
    if assignee_id is not ...:
        statement = statement.where(
            col(Report.assignee_id).is_(None)
            if assignee_id is None
            else col(Report.assignee_id) == assignee_id
        )
    result = await session.exec(
        statement.values(**values).execution_options(synchronize_session=False)
    )
    if result.rowcount == 1 and "next_deadline_at" in values:
        await touch(session, DEADLINES)
    return result.rowcount == 1


def as_stored(report: Report, values: dict[str, Any]) -> None:
    """Values an update just wrote, set on the object as stored (nothing left to flush)."""
    for key, value in values.items():
        set_committed_value(report, key, value)


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
    async def find() -> Staff | None:
        result = await session.exec(select(Staff).where(Staff.telegram_id == telegram_id))
        return result.first()

    return await lookup(session, Staff, telegram_id, find)


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
        .where(col(Staff.active).is_(True))
        .order_by(col(GridDuty.grid_id), col(GridDuty.position), col(GridDuty.id))
    )
    return list(result.all())


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


async def workers_of_cell(*, session: AsyncSession, grid_id: int) -> list[tuple[GridDuty, Staff]]:
    """The cell's active workers in duty order (position 0 first)."""
    result = await session.exec(
        select(GridDuty, Staff)
        .join(Staff, col(Staff.id) == GridDuty.staff_id)
        .where(GridDuty.grid_id == grid_id, col(Staff.active).is_(True))
        .order_by(col(GridDuty.position), col(GridDuty.id))
    )
    return list(result.all())


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


async def grid_cell_by_id(*, session: AsyncSession, grid_id: int | None) -> GridCell | None:
    return await session.get(GridCell, grid_id) if grid_id is not None else None


async def followers_of(*, session: AsyncSession, report_id: int) -> list[Resident]:
    """Residents of the report and of the reports merged into it, each once."""
    result = await session.exec(
        select(Resident)
        .join(Report, col(Report.resident_id) == Resident.id)
        .where((Report.id == report_id) | (Report.merged_into_id == report_id))
        .distinct()
    )
    return list(result.all())


async def open_hazards_near(
    *,
    session: AsyncSession,
    category: str,
    latitude: float,
    longitude: float,
    d_lat: float,
    d_lon: float,
) -> Sequence[Report]:
    """Open hazards of a category inside a lat/lon box (the caller checks the real distance)."""
    result = await session.exec(
        select(Report)
        .where(
            Report.kind == "hazard",
            Report.category == category,
            col(Report.status).in_(["new", "assigned", "acknowledged"]),
            col(Report.latitude).between(latitude - d_lat, latitude + d_lat),
            col(Report.longitude).between(longitude - d_lon, longitude + d_lon),
        )
        .order_by(col(Report.id))
    )
    return result.all()


async def latest_report_of(*, session: AsyncSession, resident_id: int) -> Report | None:
    result = await session.exec(
        select(Report)
        .where(Report.resident_id == resident_id)
        .order_by(col(Report.id).desc())
        .limit(1)
    )
    return result.first()


async def pending_input(*, session: AsyncSession, telegram_id: int) -> PendingInput | None:
    return await lookup(
        session, PendingInput, telegram_id, lambda: session.get(PendingInput, telegram_id)
    )


async def open_tasks_of(*, session: AsyncSession, staff_id: int) -> Sequence[Report]:
    result = await session.exec(
        select(Report)
        .where(Report.assignee_id == staff_id, col(Report.status).in_(["assigned", "acknowledged"]))
        .order_by(col(Report.created_at))
    )
    return result.all()


async def staff_by_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Staff]:
    if not ids:
        return []
    result = await session.exec(select(Staff).where(col(Staff.id).in_(list(ids))))
    return list(result.all())


async def staff_by_telegram_ids(*, session: AsyncSession, ids: Sequence[int]) -> list[Staff]:
    if not ids:
        return []
    result = await session.exec(select(Staff).where(col(Staff.telegram_id).in_(list(ids))))
    return list(result.all())


async def events_of(*, session: AsyncSession, report_id: int, action: str) -> Sequence[ReportEvent]:
    result = await session.exec(
        select(ReportEvent)
        .where(ReportEvent.report_id == report_id, ReportEvent.action == action)
        .order_by(col(ReportEvent.id))
    )
    return result.all()


async def events_of_reports(
    *, session: AsyncSession, report_ids: Sequence[int], actions: Sequence[str]
) -> Sequence[ReportEvent]:
    events: list[ReportEvent] = []
    for chunk in chunks(report_ids):
        result = await session.exec(
            select(ReportEvent)
            .where(col(ReportEvent.report_id).in_(chunk), col(ReportEvent.action).in_(actions))
            .order_by(col(ReportEvent.id))
        )
        events += result.all()
    return events


async def add_events(*, session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Many history entries, as column values, in one statement (ids are not read back)."""
    if events:
        await session.exec(insert(ReportEvent), params=list(events))


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


async def grid_cells_of_community(*, session: AsyncSession, community: str) -> Sequence[GridCell]:
    result = await session.exec(
        select(GridCell).where(GridCell.community == community).order_by(col(GridCell.code))
    )
    return result.all()


async def due_reports(*, session: AsyncSession, now: datetime, limit: int) -> list[Report]:
    """Open reports whose next deadline has passed, oldest first; on PostgreSQL each is
    locked for this transaction and skipped by everyone else's."""
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
        statement = statement.with_for_update(skip_locked=True, of=Report)
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


async def expect_input(
    *,
    session: AsyncSession,
    telegram_id: int,
    purpose: str,
    report_id: int,
    detail: dict[str, Any],
    now: datetime,
) -> PendingInput:
    """Remember what to do with this person's next message (one thing at a time)."""
    pending = await pending_input(session=session, telegram_id=telegram_id)
    if pending is None:
        pending = PendingInput(telegram_id=telegram_id, purpose=purpose, report_id=report_id)
        session.add(pending)
    pending.purpose, pending.report_id, pending.detail, pending.created_at = (
        purpose,
        report_id,
        detail,
        now,
    )
    await session.flush()
    return pending
