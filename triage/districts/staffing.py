"""Staff and who works which grid cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import grid as grid_rows
from storage import staff as staff_rows
from storage import teams as team_rows
from storage.engine import SessionFactory, transaction
from storage.models import GridCell, GridDuty, Staff

ROLES = ("worker", "coordinator", "officer", "admin", "volunteer")
# Placed on grid cells (--grid): workers work them; volunteers patrol them and hold no tasks
ON_CELLS = ("worker", "volunteer")
LANGUAGES = ("zh", "en")
# Telegram user ids have at most 52 significant bits (its Bot API documentation says so).
MAX_TELEGRAM_ID = 2**52 - 1
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why."""


@dataclass(frozen=True)
class StaffEntry:
    staff: Staff
    grids: list[str]
    duty_hours: str | None = None  # "08:00-20:00"; None is all day

    def as_dict(self) -> dict:
        s = self.staff
        return {
            "telegram_id": s.telegram_id,
            "name": s.name,
            "role": s.role,
            "grids": self.grids,
            "community": s.community,
            "street": s.street,
            "duty_hours": self.duty_hours,
            "language": s.language,
            "active": s.active,
        }


@dataclass(frozen=True)
class CellRoster:
    """A grid cell and its active workers, on duty first."""

    cell: GridCell
    workers: list[Staff]

    def as_dict(self) -> dict:
        c = self.cell
        return {
            "code": c.code,
            "name": c.name,
            "community": c.community,
            "street": c.street,
            "workers": [{"telegram_id": w.telegram_id, "name": w.name} for w in self.workers],
        }


def check_telegram_id(telegram_id: int) -> None:
    if not 0 < telegram_id <= MAX_TELEGRAM_ID:
        raise StaffError(
            f"telegram id {telegram_id} is out of range: Telegram's user ids are whole numbers "
            f"from 1 to {MAX_TELEGRAM_ID}"
        )


async def add_staff(
    sessions: SessionFactory,
    *,
    telegram_id: int,
    name: str,
    role: str,
    grids: Sequence[str] = (),
    community: str | None = None,
    street: str | None = None,
    duty_hours: str | None = None,
    language: str = "zh",
) -> StaffEntry:
    _check(name=name, role=role, grids=grids, language=language)
    check_telegram_id(telegram_id)
    if role in ON_CELLS and not grids:
        raise StaffError(f"a {role} needs at least one grid cell (--grid CODE)")
    start, end = duty_hours_of(duty_hours)
    async with transaction(sessions) as session:
        staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=telegram_id)
        if staff is not None and staff.active:
            raise StaffError(f"telegram id {telegram_id} is already on the staff list")
        cells = await _cells(session, grids)
        await _check_community(session, community)
        staff = staff or Staff(telegram_id=telegram_id, name="", role=role)
        staff.name, staff.role, staff.active = name.strip(), role, True  # re-adding reactivates
        staff.language = language
        staff.community = community or (cells[0].community if cells else None)
        staff.street = street or (cells[0].street if cells else None)
        session.add(staff)
        await session.flush()
        for cell in cells:
            await _place(session, staff, cell, start, end)
        return StaffEntry(staff, [c.code for c in cells], _hours(start, end))


async def update_staff(
    sessions: SessionFactory,
    *,
    telegram_id: int,
    name: str | None = None,
    role: str | None = None,
    grids: Sequence[str] | None = None,
    community: str | None = None,
    street: str | None = None,
    duty_hours: str | None = None,
    language: str | None = None,
) -> StaffEntry:
    """Changes only what is given, with add's checks. New --grid cells replace the old ones
    (cells kept keep their place in the duty order); a worker who becomes something else
    leaves their cells; "" clears --community, --street and --duty-hours (all day)."""
    check_telegram_id(telegram_id)
    async with transaction(sessions) as session:
        staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=telegram_id)
        if staff is None or not staff.active:
            raise StaffError(f"no active staff member with telegram id {telegram_id}")
        duties = list(await staff_rows.duties_of_staff(session=session, staff_id=staff.id))
        codes = await grid_rows.grid_codes_by_id(session=session)
        role = role or staff.role
        if role not in ON_CELLS and grids is None:
            grids = []  # coordinators, officers and admins are on no cell
        kept = grids if grids is not None else [codes[d.grid_id] for d in duties]
        _check(name=staff.name if name is None else name, role=role, grids=kept, language=language)
        if role in ON_CELLS and not kept:
            raise StaffError(f"a {role} needs at least one grid cell (--grid CODE)")
        if duty_hours is not None:
            start, end = duty_hours_of(duty_hours)
        else:
            start, end = (duties[0].duty_start, duties[0].duty_end) if duties else (None, None)
        cells = await _cells(session, kept)
        await _check_community(session, community)
        if name is not None:
            staff.name = name.strip()
        staff.role = role
        staff.language = language or staff.language
        if grids and community is None and street is None:  # a worker moved: follow the cell
            staff.community, staff.street = cells[0].community, cells[0].street
        if community is not None:
            staff.community = community or None
        if street is not None:
            staff.street = street or None
        session.add(staff)
        await _replace_duties(session, staff, duties, cells, start, end)
        return StaffEntry(staff, [c.code for c in cells], _hours(start, end) if cells else None)


async def _replace_duties(
    session: AsyncSession,
    staff: Staff,
    duties: list[GridDuty],
    cells: list[GridCell],
    start: str | None,
    end: str | None,
) -> None:
    """Cells no longer listed are left, new ones joined at the end of their duty order."""
    wanted = {cell.id for cell in cells}
    for duty in duties:
        if duty.grid_id in wanted:
            duty.duty_start, duty.duty_end = start, end
            session.add(duty)
        else:
            await session.delete(duty)
    held = {duty.grid_id for duty in duties}
    await session.flush()
    for cell in cells:
        if cell.id not in held:
            await _place(session, staff, cell, start, end)


async def _place(
    session: AsyncSession, staff: Staff, cell: GridCell, start: str | None, end: str | None
) -> None:
    position = await staff_rows.next_duty_position(session=session, grid_id=cell.id)
    session.add(
        GridDuty(
            grid_id=cell.id, staff_id=staff.id, position=position, duty_start=start, duty_end=end
        )
    )


async def _cells(session: AsyncSession, codes: Sequence[str]) -> list[GridCell]:
    cells = []
    for code in codes:
        cell = await grid_rows.grid_cell_by_code(session=session, code=code)
        if cell is None:
            raise StaffError(f"no grid cell with code {code} (`firecircle grids list` shows them)")
        cells.append(cell)
    return cells


async def _check_community(session: AsyncSession, community: str | None) -> None:
    if not community:
        return
    known = await grid_rows.communities(session=session)
    if community not in known:
        named = f"the grid has {', '.join(known)}" if known else "import the grid first"
        raise StaffError(f"no community named {community} ({named})")


def _check(*, name: str, role: str, grids: Sequence[str], language: str | None) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if not name.strip():
        raise StaffError("name must not be empty")
    if grids and role not in ON_CELLS:
        raise StaffError("only workers and volunteers are placed on grid cells (--grid)")
    if len(set(grids)) != len(grids):
        raise StaffError("a grid cell is named twice")
    if language is not None and language not in LANGUAGES:
        raise StaffError(f"language must be one of {', '.join(LANGUAGES)}")


def duty_hours_of(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    parts = text.split("-")
    if len(parts) != 2 or not all(_HHMM.match(p) for p in parts) or parts[0] == parts[1]:
        raise StaffError("duty hours must look like 08:00-20:00 (or 20:00-08:00 overnight)")
    return parts[0], parts[1]


def _hours(start: str | None, end: str | None) -> str | None:
    return f"{start}-{end}" if start and end else None


async def list_staff(sessions: SessionFactory) -> list[StaffEntry]:
    async with transaction(sessions) as session:
        codes = await grid_rows.grid_codes_by_id(session=session)
        entries = []
        for staff in await staff_rows.all_staff(session=session):
            duties = await staff_rows.duties_of_staff(session=session, staff_id=staff.id)
            hours = _hours(duties[0].duty_start, duties[0].duty_end) if duties else None
            entries.append(StaffEntry(staff, [codes[d.grid_id] for d in duties], hours))
        return entries


async def grid_roster(sessions: SessionFactory) -> list[CellRoster]:
    """Every cell with its active workers in duty order."""
    async with transaction(sessions) as session:
        workers: dict[int, list[Staff]] = {}
        for duty, staff in await staff_rows.active_duties(session=session):
            workers.setdefault(duty.grid_id, []).append(staff)
        cells = await grid_rows.all_grid_cells(session=session)
        return [CellRoster(cell, workers.get(cell.id, [])) for cell in cells]


async def remove_staff(
    sessions: SessionFactory, *, telegram_id: int, force: bool = False
) -> tuple[Staff, list[str]]:
    """Takes a person off duty; their history stays, so the row is kept but inactive. The
    patrol teams (巡逻队) they were the last member of are refused unless `force`; with it,
    the names of those teams come back (they have nobody to call now)."""
    check_telegram_id(telegram_id)
    async with transaction(sessions) as session:
        staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=telegram_id)
        if staff is None or not staff.active:
            raise StaffError(f"no active staff member with telegram id {telegram_id}")
        emptied = await _teams_left_empty(session, staff)
        if emptied and not force:
            names = ", ".join(f"'{name}'" for name in emptied)
            raise StaffError(
                f"{staff.name} is the last member of patrol team {names}; add someone "
                "first (teams update --name NAME --members ID,…) or run again with --force"
            )
        staff.active = False
        for duty in await staff_rows.duties_of_staff(session=session, staff_id=staff.id):
            await session.delete(duty)
        return staff, emptied


async def _teams_left_empty(session: AsyncSession, staff: Staff) -> list[str]:
    """The active teams whose only active member is this person."""
    team_ids = await team_rows.teams_of_member(session=session, staff_id=staff.id)
    if not team_ids:
        return []
    await team_rows.lock_teams(session=session, team_ids=team_ids)
    members = await team_rows.members_of(session=session, team_ids=team_ids)
    teams = await team_rows.active_teams(session=session)
    return [
        t.name for t in teams if t.id in members and [m.id for m in members[t.id]] == [staff.id]
    ]
