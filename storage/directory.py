"""Staff, their duties and the grid cells, held in memory: read on every update (who is this,
who is on duty, which cell), changed rarely. The database stays the truth: a transaction
that uses them first reads directoryversion, which triggers move on any change to the three
tables, whoever makes it (this process, another instance, the CLI); a new number has them
read again. One look per transaction; a change made in the transaction itself looks again.

The rows handed out belong to no session and are shared: read them, never change them (to
change staff or cells, read them through storage.staff / storage.grid as before).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled
from storage.models import DirectoryVersion, GridCell, GridDuty, Staff

TABLES = frozenset({"staff", "gridduty", "gridcell"})
_LOOKED = "directory_looked"  # session.info: (the transaction, the Directory it saw)
_SEEN = "directory_seen"  # session.info: (the transaction, the version read with other rows)


@dataclass(frozen=True)
class Directory:
    version: int
    staff: dict[int, Staff]  # by id
    by_telegram: dict[int, Staff]
    cells: dict[int, GridCell]  # by id
    duties: dict[int, tuple[GridDuty, ...]]  # by staff id, in id order
    workers: dict[int, tuple[tuple[GridDuty, Staff], ...]]  # by cell: active, in duty order

    def cells_by_code(self) -> list[GridCell]:
        return sorted(self.cells.values(), key=lambda cell: cell.code)


# Built once: read at every transaction's first look, it is the hot path's commonest statement.
_VERSION = select(DirectoryVersion.__table__.c.version).where(DirectoryVersion.__table__.c.id == 1)
_held: weakref.WeakKeyDictionary[Engine, Directory] = weakref.WeakKeyDictionary()


async def current(session: AsyncSession) -> Directory:
    """The directory as this transaction sees it (one statement, or none if it looked
    already)."""
    transaction = session.sync_session.get_transaction()
    looked = session.info.get(_LOOKED)
    if looked is not None and looked[0] is transaction:
        return looked[1]
    seen = session.info.pop(_SEEN, None)
    if seen is not None and seen[0] is transaction:
        version = seen[1]
    else:
        version = next(iter(await compiled.read(session, _VERSION, {})), None)
    engine = session.bind.sync_engine if hasattr(session.bind, "sync_engine") else session.bind
    held = _held.get(engine)
    if held is None or held.version != version:
        held = await _read(session, version or 0)
        if engine not in _held or _held[engine].version <= held.version:
            _held[engine] = held
    # The transaction as it is now: before its first statement SQLAlchemy had begun none
    # (storage.engine's sessions begin with their first statement), and the next look must
    # find this one.
    session.info[_LOOKED] = (session.sync_session.get_transaction(), held)
    return held


def seen(session: AsyncSession, version: int | None) -> None:
    """The directory's version as this transaction read it along with other rows: the
    transaction's first look takes it instead of reading it."""
    session.info[_SEEN] = (session.sync_session.get_transaction(), version)


async def staff_member(
    session: AsyncSession, telegram_id: int
) -> tuple[Staff | None, tuple[int, ...]]:
    """The staff member with this Telegram id (active or not) and the cells they work."""
    found = await current(session)
    staff = found.by_telegram.get(telegram_id)
    if staff is None:
        return None, ()
    return staff, tuple(duty.grid_id for duty in found.duties.get(staff.id, ()))


async def staff_by_id(session: AsyncSession, staff_id: int | None) -> Staff | None:
    return (await current(session)).staff.get(staff_id) if staff_id is not None else None


async def staff_by_telegram_ids(session: AsyncSession, ids: Sequence[int]) -> list[Staff]:
    found = await current(session)
    return [found.by_telegram[i] for i in dict.fromkeys(ids) if i in found.by_telegram]


async def cell(session: AsyncSession, grid_id: int | None) -> GridCell | None:
    return (await current(session)).cells.get(grid_id) if grid_id is not None else None


async def workers_of_cell(session: AsyncSession, grid_id: int) -> list[tuple[GridDuty, Staff]]:
    return list((await current(session)).workers.get(grid_id, ()))


async def _read(session: AsyncSession, version: int) -> Directory:
    """Rows built apart from the session (its rollback must not expire what is shared)."""
    staff = {
        row.id: Staff(**row._mapping)
        for row in await session.exec(select(Staff.__table__).order_by(Staff.__table__.c.id))
    }
    cells = {
        row.id: GridCell(**row._mapping) for row in await session.exec(select(GridCell.__table__))
    }
    duties: dict[int, list[GridDuty]] = {}
    ordered = select(GridDuty.__table__).order_by(GridDuty.__table__.c.id)
    for row in await session.exec(ordered):
        duties.setdefault(row.staff_id, []).append(GridDuty(**row._mapping))
    workers: dict[int, list[tuple[GridDuty, Staff]]] = {}
    for staff_id, held in duties.items():
        member = staff.get(staff_id)
        if member is not None and member.active and member.role == "worker":  # not volunteers
            for duty in held:
                workers.setdefault(duty.grid_id, []).append((duty, member))
    for pairs in workers.values():
        pairs.sort(key=lambda pair: (pair[0].position, pair[0].id))
    return Directory(
        version=version,
        staff=staff,
        by_telegram={member.telegram_id: member for member in staff.values()},
        cells=cells,
        duties={staff_id: tuple(held) for staff_id, held in duties.items()},
        workers={grid_id: tuple(pairs) for grid_id, pairs in workers.items()},
    )


# A transaction that changes the directory itself must see its own change: it looks again.


@event.listens_for(Session, "after_flush")
def flushed(session: Session, _context: object) -> None:
    """A flush that changed staff, duties or cells: what the transaction read of them is
    read again (storage.flushing never takes those tables, so need not tell this)."""
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(row, Staff | GridDuty | GridCell) for row in changed):
        session.info.pop(_LOOKED, None)
        session.info.pop(_SEEN, None)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in TABLES:
            state.session.info.pop(_LOOKED, None)
            state.session.info.pop(_SEEN, None)
