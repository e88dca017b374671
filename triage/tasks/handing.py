"""Whom a task may go to: a worker hands it back or to a colleague (转交); staff above assign it
(指派给…) to a grid's on-duty worker or to a worker by name."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import grid as grid_rows
from storage import staff as staff_rows
from storage.models import GridCell, Report, Staff
from triage.actors import Actor, Role
from triage.escalation import routing
from triage.escalation.dispatch import place_of
from triage.escalation.policy import Policy

NOT_MY_GRID, TO_COORDINATOR = "n", "c"
GRID = "g"  # "g<grid id>": the grid's on-duty worker


async def choices(session: AsyncSession, report: Report, actor: Actor) -> list[tuple[str, str]]:
    """(target, label) pairs to pick from: workers of the report's community; for staff above,
    the grids first when the report has none (a typed address that matched no grid)."""
    picks: list[tuple[str, str]] = []
    if actor.role != Role.WORKER and report.grid_id is None:
        for cell in await _cells_for(session, report):
            picks.append((f"{GRID}{cell.id}", cell.name))
    picks += [(str(w.id), w.name) for w in await pick_list(session, report, actor)]
    return picks


async def _cells_for(session: AsyncSession, report: Report):
    if report.community:
        return await grid_rows.grid_cells_of_community(session=session, community=report.community)
    return await grid_rows.all_grid_cells(session=session)


async def pick_list(session: AsyncSession, report: Report, giver: Actor) -> list[Staff]:
    """Workers a task may be given to: the active workers of its community (of the whole
    district when its community is unknown), never the giver."""
    if report.community is None:
        workers = await staff_rows.all_active_workers(session=session)
    else:
        workers = await staff_rows.workers_of_community(session=session, community=report.community)
    return [w for w in workers if w.id != giver.id]


async def chosen(
    session: AsyncSession, report: Report, target: str, giver: Actor, policy: Policy, now: datetime
) -> tuple[Staff | None, GridCell | None]:
    """The worker a press names and the grid it puts the report on (None: unchanged); compared
    as text against what may be picked, so a forged id never reaches the database."""
    if target.startswith(GRID):
        if giver.role == Role.WORKER:
            return None, None
        cells = {f"{GRID}{c.id}": c for c in await _cells_for(session, report)}
        cell = cells.get(target)
        if cell is None:
            return None, None
        place = routing.Place(cell.id, cell.community, cell.street)
        workers = await routing.staff_at(session, place, level=0, now=now, policy=policy)
        return (workers[0] if workers else None), cell
    worker = next((w for w in await pick_list(session, report, giver) if str(w.id) == target), None)
    return worker, None


async def above(
    session: AsyncSession, report: Report, giver: Actor, policy: Policy, now: datetime
) -> tuple[list[Staff], int]:
    """Who takes a task a worker hands back: the coordinators above, never the giver."""
    place = await place_of(session, report)
    for level in (1, 2):
        staff = await routing.staff_at(session, place, level=level, now=now, policy=policy)
        staff = [s for s in staff if s.role != "worker" and s.id != giver.id]
        if staff:
            return staff, level
    return [], 2
