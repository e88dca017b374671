"""Who gets a report: the escalation chain of a grid cell, and who is on duty now.

    level 0  the cell's on-duty worker (the first of its workers whose duty hours cover now)
    level 1  the cell's backup workers and the community coordinator(s)   } by default; the
    level 2  the street coordinator(s) and the fire duty officer(s)       } policy sets them

A level with nobody on it is passed over, so a report never waits for nobody. A report with no
cell (a typed address, a chosen community, a place outside every cell) starts at level 1 with
those who can place it: the community's coordinators when the community is known, else the
street's (see triage.escalation.dispatch.unplaced_staff); they assign it to a grid or a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import staff as staff_rows
from storage.models import GridDuty, Staff
from triage.escalation.policy import Policy


@dataclass(frozen=True)
class Place:
    grid_id: int | None
    community: str | None
    street: str | None


@dataclass(frozen=True)
class Step:
    level: int
    staff: tuple[Staff, ...]  # the first is the assignee, the rest are told as well

    @property
    def assignee(self) -> Staff:
        return self.staff[0]


async def first_step(
    session: AsyncSession, place: Place, *, now: datetime, policy: Policy, from_level: int = 0
) -> Step | None:
    """The lowest level, from from_level up, that has someone on it; None if nobody at all."""
    for level in range(from_level, policy.top_level + 1):
        staff = await staff_at(session, place, level=level, now=now, policy=policy)
        if staff:
            return Step(level, tuple(staff))
    return None


async def staff_at(
    session: AsyncSession, place: Place, *, level: int, now: datetime, policy: Policy
) -> list[Staff]:
    if level == 0:
        return (await _on_duty_workers(session, place, now, policy.timezone))[:1]
    found: dict[int, Staff] = {}
    for group in policy.groups_at(level):
        for staff in await _group(session, place, group, now, policy):
            found.setdefault(staff.id, staff)
    return list(found.values())


async def _group(
    session: AsyncSession, place: Place, group: str, now: datetime, policy: Policy
) -> list[Staff]:
    if group == "backup_workers":
        return (await _on_duty_workers(session, place, now, policy.timezone))[1:]
    if group == "community_coordinators":
        return await staff_rows.community_coordinators(session=session, community=place.community)
    if group == "street_coordinators":
        return await staff_rows.street_coordinators(session=session, street=place.street)
    return await staff_rows.duty_officers(session=session, street=place.street)


async def _on_duty_workers(
    session: AsyncSession, place: Place, now: datetime, tz: ZoneInfo
) -> list[Staff]:
    if place.grid_id is None:
        return []
    rows = await staff_rows.workers_of_cell(session=session, grid_id=place.grid_id)
    local = now.astimezone(tz).time()
    return [staff for duty, staff in rows if on_duty(duty, local)]


def on_duty(duty: GridDuty, local: time) -> bool:
    """Duty hours are local "HH:MM-HH:MM"; an overnight shift (20:00-08:00) wraps midnight."""
    if duty.duty_start is None or duty.duty_end is None:
        return True
    start, end = time.fromisoformat(duty.duty_start), time.fromisoformat(duty.duty_end)
    if start < end:
        return start <= local < end
    return local >= start or local < end


def community_in(address: str, communities: Sequence[str]) -> str | None:
    """The community a typed address names ("幸福社区7栋", or just "幸福7栋"), if any."""
    for name in sorted(communities, key=len, reverse=True):
        stem = name.removesuffix("社区")
        if name in address or (len(stem) >= 2 and stem in address):
            return name
    return None
