"""Staff and who works which grid cell."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from storage import queries
from storage.engine import SessionFactory, transaction
from storage.models import GridDuty, Staff

ROLES = ("worker", "coordinator", "officer", "admin")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why."""


@dataclass(frozen=True)
class StaffEntry:
    staff: Staff
    grids: list[str]


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
) -> StaffEntry:
    _check(telegram_id=telegram_id, name=name, role=role, grids=grids)
    start, end = _duty_hours(duty_hours)
    async with transaction(sessions) as session:
        staff = await queries.staff_by_telegram_id(session=session, telegram_id=telegram_id)
        if staff is not None and staff.active:
            raise StaffError(f"telegram id {telegram_id} is already on the staff list")
        cells = []
        for code in grids:
            cell = await queries.grid_cell_by_code(session=session, code=code)
            if cell is None:
                raise StaffError(f"no grid cell with code {code} (import the grid first)")
            cells.append(cell)
        staff = staff or Staff(telegram_id=telegram_id, name="", role=role)
        staff.name, staff.role, staff.active = name.strip(), role, True  # re-adding reactivates
        staff.community = community or (cells[0].community if cells else None)
        staff.street = street or (cells[0].street if cells else None)
        session.add(staff)
        await session.flush()
        for cell in cells:
            position = await queries.next_duty_position(session=session, grid_id=cell.id)
            session.add(
                GridDuty(
                    grid_id=cell.id,
                    staff_id=staff.id,
                    position=position,
                    duty_start=start,
                    duty_end=end,
                )
            )
        return StaffEntry(staff, [c.code for c in cells])


def _check(*, telegram_id: int, name: str, role: str, grids: Sequence[str]) -> None:
    if role not in ROLES:
        raise StaffError(f"role must be one of {', '.join(ROLES)}")
    if telegram_id <= 0:
        raise StaffError("telegram id must be a positive number")
    if not name.strip():
        raise StaffError("name must not be empty")
    if grids and role != "worker":
        raise StaffError("only workers are placed on grid cells (--grid)")
    if len(set(grids)) != len(grids):
        raise StaffError("a grid cell is named twice")


def _duty_hours(text: str | None) -> tuple[str | None, str | None]:
    if not text:
        return None, None
    parts = text.split("-")
    if len(parts) != 2 or not all(_HHMM.match(p) for p in parts) or parts[0] == parts[1]:
        raise StaffError("duty hours must look like 08:00-20:00 (or 20:00-08:00 overnight)")
    return parts[0], parts[1]


async def list_staff(sessions: SessionFactory) -> list[StaffEntry]:
    async with transaction(sessions) as session:
        codes = await queries.grid_codes_by_id(session=session)
        entries = []
        for staff in await queries.all_staff(session=session):
            duties = await queries.duties_of_staff(session=session, staff_id=staff.id)
            entries.append(StaffEntry(staff, [codes[d.grid_id] for d in duties]))
        return entries


async def remove_staff(sessions: SessionFactory, *, telegram_id: int) -> Staff:
    """Takes a person off duty; their history stays, so the row is kept but inactive."""
    async with transaction(sessions) as session:
        staff = await queries.staff_by_telegram_id(session=session, telegram_id=telegram_id)
        if staff is None or not staff.active:
            raise StaffError(f"no active staff member with telegram id {telegram_id}")
        staff.active = False
        for duty in await queries.duties_of_staff(session=session, staff_id=staff.id):
            await session.delete(duty)
        return staff
