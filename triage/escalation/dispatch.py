"""Putting a report in someone's hands: the chain's first staffed level, deadlines, notices."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import grid as grid_rows
from storage import staff as staff_rows
from storage.models import Report, Staff
from triage.actors import SYSTEM
from triage.escalation import routing
from triage.escalation.policy import Policy
from triage.lifecycle import Action, Lifecycle
from triage.reports.notices import EMERGENCY, TASK, Notice, to_staff

log = logging.getLogger(__name__)


async def place_of(session: AsyncSession, report: Report) -> routing.Place:
    cell = await grid_rows.grid_cell_by_id(session=session, grid_id=report.grid_id)
    street = (
        cell.street
        if cell
        else await staff_rows.street_of(session=session, community=report.community)
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
    elif report.grid_id is None:
        staff, level = await unplaced_staff(session, place), 1
        kind, priority = "task", TASK
    else:
        step = await routing.first_step(session, place, now=now, policy=policy)
        staff = list(step.staff) if step else []
        level, kind, priority = (step.level if step else 0), "task", TASK
    if not staff:
        step = await routing.first_step(session, place, now=now, policy=policy)
        staff, level = (list(step.staff), step.level) if step else ([], 0)
    if not staff:
        log.error("nobody at all to take %s: the staff list is empty", report.reference)
        return []
    moved = await Lifecycle(policy, lambda: now).transition(
        session,
        report,
        Action.ASSIGN,
        SYSTEM,
        detail={"assignee": staff[0].id, "level": level, "told": [s.id for s in staff]},
        to=staff[0].id,
        level=level,
    )
    if not moved.won:
        return []
    return [to_staff(s, kind, moved.card, priority=priority) for s in staff]


async def unplaced_staff(session: AsyncSession, place: routing.Place) -> list[Staff]:
    """A report on no grid cell (a typed address that matched none) goes to those who can
    place it: the community's coordinators, else the street's; they assign it (指派给…)."""
    staff = await staff_rows.community_coordinators(session=session, community=place.community)
    return staff or await staff_rows.street_coordinators(session=session, street=place.street)


async def emergency_staff(session: AsyncSession, place: routing.Place) -> list[Staff]:
    """Everyone an emergency goes to at once: duty officers first, then the coordinators."""
    officers = await staff_rows.duty_officers(session=session, street=place.street)
    street = await staff_rows.street_coordinators(session=session, street=place.street)
    community = await staff_rows.community_coordinators(session=session, community=place.community)
    seen: dict[int, Staff] = {}
    for staff in (*officers, *community, *street):
        seen.setdefault(staff.id, staff)
    return list(seen.values())
