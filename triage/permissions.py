"""Who is on a task: those holding it, those above it in its chain, those told about it."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import grid as grid_rows
from storage import reports as report_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.models import Report, Staff

# Events that put people on a task; their detail lists who was told.
_ON_TASK = ("assigned", "escalated", "handed_over")


async def told_about(session: AsyncSession, report_id: int) -> set[int]:
    return (await told_about_each(session, [report_id]))[report_id]


async def told_about_each(session: AsyncSession, report_ids: Sequence[int]) -> dict[int, set[int]]:
    """Everyone put on each report so far, read for all of them at once."""
    told: dict[int, set[int]] = {report_id: set() for report_id in report_ids}
    events = await report_rows.events_of_reports(
        session=session, report_ids=report_ids, actions=_ON_TASK
    )
    for event in events:
        told[event.report_id].update(event.detail.get("told", []))
        told[event.report_id].update(
            x for x in (event.detail.get("assignee"), event.detail.get("to")) if x
        )
    return told


def above_in_chain(staff, report: Report, street: str | None) -> bool:
    """Admins; coordinators of the report's community; street coordinators and duty officers
    of its street (or of any street, when they have none or the report's is unknown)."""
    if staff.role == "admin":
        return True
    if staff.role == "coordinator" and staff.community is not None:
        return staff.community == report.community
    if staff.role in ("coordinator", "officer"):
        return staff.street is None or street is None or staff.street == street
    return False


async def street_of(session: AsyncSession, report: Report) -> str | None:
    cell = await grid_rows.grid_cell_by_id(session=session, grid_id=report.grid_id)
    return (
        cell.street
        if cell
        else await staff_rows.street_of(session=session, community=report.community)
    )


async def on_task(session: AsyncSession, report: Report, actor) -> bool:
    """Whether a staff member may act on the report: holding it, or above it in its chain."""
    if actor.id == report.assignee_id:
        return True
    return above_in_chain(actor, report, await street_of(session, report))


async def is_follower(session: AsyncSession, report: Report, resident_id: int | None) -> bool:
    """The resident who reported it, or one whose duplicate report was merged into it."""
    if resident_id is not None and report.resident_id == resident_id:
        return True
    followers = await resident_rows.followers_of(session=session, report_id=report.id)
    return any(r.id == resident_id for r in followers)


async def may_see(session: AsyncSession, staff, report: Report | None) -> tuple[str, dict] | None:
    """Why this person may not see the task's card; None if they may (those on it, those
    told about it, and those above it in the chain)."""
    if staff is None or not staff.active:
        return "not_staff", {}
    if report is None:
        return "task_gone", {}
    if staff.id == report.assignee_id or staff.id in await told_about(session, report.id):
        return None
    if above_in_chain(staff, report, await street_of(session, report)):
        return None
    return "not_your_task", {}


async def assignee_values(session: AsyncSession, report: Report) -> dict:
    staff = await session.get(Staff, report.assignee_id) if report.assignee_id else None
    return {"assignee": staff.name if staff else "—", "reference": report.reference}
