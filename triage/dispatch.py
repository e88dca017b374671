"""Putting a report in someone's hands: the chain's first staffed level, deadlines, notices."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import queries
from storage.models import Report, Staff
from storage.signals import DEADLINES, touch
from triage import routing
from triage.lifecycle import Status
from triage.notices import EMERGENCY, TASK, Notice, card_of, to_staff
from triage.policy import Policy

log = logging.getLogger(__name__)


async def place_of(session: AsyncSession, report: Report) -> routing.Place:
    cell = await queries.grid_cell_by_id(session=session, grid_id=report.grid_id)
    street = (
        cell.street
        if cell
        else await queries.street_of(session=session, community=report.community)
    )
    return routing.Place(report.grid_id, report.community, street)


async def dispatch(
    session: AsyncSession, report: Report, *, policy: Policy, now: datetime
) -> list[Notice]:
    """Assign a new report to the lowest staffed level of its chain and tell them."""
    place = await place_of(session, report)
    if report.kind == "emergency":
        staff = await emergency_staff(session, place)
        level, kind, priority = policy.top_level, "emergency_alert", EMERGENCY
    else:
        step = await routing.first_step(session, place, now=now, policy=policy)
        staff = list(step.staff) if step else []
        level, kind, priority = (step.level if step else 0), "task", TASK
    if not staff:
        log.error("nobody at all to take %s: the staff list is empty", report.reference)
        return []
    assign(report, staff[0], level=level, now=now, policy=policy)
    await touch(session, DEADLINES)
    await queries.add_event(
        session=session,
        report_id=report.id,
        actor="system",
        action="assigned",
        from_status=Status.NEW,
        to_status=Status.ASSIGNED,
        at=now,
        detail={"assignee": staff[0].id, "level": level, "told": [s.id for s in staff]},
    )
    card = await card_of(session, report)
    return [to_staff(s, kind, card, priority=priority) for s in staff]


def assign(report: Report, staff: Staff, *, level: int, now: datetime, policy: Policy) -> None:
    report.status = Status.ASSIGNED
    report.assignee_id = staff.id
    report.escalation_level = level
    report.assigned_at = now
    report.acknowledged_at = None
    report.ack_deadline_at = now + policy.ack_within(report.kind, report.severity)
    report.next_deadline_at = report.ack_deadline_at
    report.updated_at = now


async def emergency_staff(session: AsyncSession, place: routing.Place) -> list[Staff]:
    """Everyone an emergency goes to at once: duty officers first, then the coordinators."""
    officers = await queries.duty_officers(session=session, street=place.street)
    street = await queries.street_coordinators(session=session, street=place.street)
    community = await queries.community_coordinators(session=session, community=place.community)
    seen: dict[int, Staff] = {}
    for staff in (*officers, *community, *street):
        seen.setdefault(staff.id, staff)
    return list(seen.values())
