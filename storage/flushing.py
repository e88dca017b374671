"""A flush of one table object as one compiled statement (storage.compiled), where the ORM's
unit of work would sort, diff and write that one object at several times the statement's
price (issue 14: five such flushes a report — a new resident, a new draft, each one's
location, the draft filed and deleted — made ≈ 7 % of a report's CPU).

Taken here: exactly one new, changed or deleted object, no savepoint open, a plain mapped
table without relationships whose changes no one listens for (storage.directory's are not
taken), its key one column. What the ORM's flush would do is kept, with its own
bookkeeping: a new object is INSERTed with the values the ORM would give (its key read back
when the database chooses it); a changed one is UPDATEd in the columns whose value differs
from the stored one, by the key it was stored under, and must match one row; a deleted one
is DELETEd by that key (the ORM's warning if no row matched); then the object is registered
as the flush registers it (persistent and clean, or deleted; known to the transaction, so
that a rollback undoes it in the session too). A failure leaves the session as a failed flush does: its
transaction rolled back, refusing further use until the owner rolls back. Anything else,
and any value the ORM would compute itself (a column default, an SQL expression), is the
ORM's flush.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, insert, inspect, update, util
from sqlalchemy.orm import ColumnProperty, Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.sql.dml import Delete
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled, loading
from storage.directory import TABLES
from storage.directory import flushed as directory_flushed

_NOTHING = object()  # a changed object whose values are all as stored: no statement
# Listeners these statements would not tell (none today): their mapper's flushes are the ORM's
_MAPPER_EVENTS = (
    "before_insert", "after_insert", "before_update", "after_update", "before_delete",
    "after_delete",
)  # fmt: skip


async def flushed(session: AsyncSession) -> bool:
    """Whether the session's one change was written here (False: nothing done)."""
    sync = session.sync_session
    if not sync.is_active or sync.in_nested_transaction() or _heard(sync):
        return False  # a failed flush's session (the ORM's flush says so), a savepoint…
    changed = [*sync.new, *sync.dirty, *sync.deleted]
    if len(changed) != 1:
        return False
    state = inspect(changed[0])
    mapper, deleting = state.mapper, bool(sync.deleted)
    if not _taken(mapper):
        return False
    write = _write_of(state, mapper, deleting)
    if write is None:
        return False
    try:
        if write is not _NOTHING:
            await _write(session, mapper, state, *write)
    except BaseException as error:  # a cancellation too, as the ORM's flush
        await session.run_sync(_as_a_failed_flush, error)
        raise
    if deleting:  # as the ORM's flush finishes
        sync._remove_newly_deleted({state})
    else:
        sync._register_persistent({state})
    return True


def _write_of(state: Any, mapper: Any, deleting: bool) -> tuple | object | None:
    if deleting:
        return _delete_of(state, mapper)
    return _insert_of(state, mapper) if state.key is None else _update_of(state, mapper)


def _heard(session: Session) -> bool:
    """Whether the session's flush listeners would want to hear of this flush: any but
    storage.directory's, which looks only for the tables not taken here."""
    dispatch = session.dispatch
    listeners = (*dispatch.before_flush, *dispatch.after_flush, *dispatch.after_flush_postexec)
    return any(listener is not directory_flushed for listener in listeners)


def _taken(mapper: Any) -> bool:
    return (
        loading.plain(mapper) is not None
        and mapper.version_id_col is None
        and not mapper.relationships  # their cascades and keys are the ORM's flush's work
        and mapper.local_table.name not in TABLES
        and not any(getattr(mapper.dispatch, e) for e in _MAPPER_EVENTS)
    )


def _insert_of(state: Any, mapper: Any) -> tuple | None:
    """The INSERT and its values, as the ORM's flush would make them (None: leave it to it)."""
    key_column = mapper.primary_key[0]
    values, chosen = {}, False
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        value = state.dict.get(prop.key)
        if value is None and column is key_column:
            if column is not mapper.local_table.autoincrement_column:
                return None  # no key, none to choose: the ORM's flush refuses it
            chosen = True  # by the database
            continue
        if value is None and (column.default is not None or column.server_default is not None):
            return None  # a default the ORM's flush computes or fetches
        if hasattr(value, "__clause_element__"):
            return None
        values[column.name] = value
    return _inserting(mapper.local_table, chosen), values, chosen


def _update_of(state: Any, mapper: Any) -> tuple | object | None:
    """The UPDATE of the columns whose value differs from the stored one (the ORM's
    comparison), by the key the row was stored under; _NOTHING if none differs."""
    if state.expired_attributes:  # reading the rest would be a load: the ORM's flush
        return None
    values = {}
    for name, stored in state.committed_state.items():
        prop = mapper.get_property(name)
        if not isinstance(prop, ColumnProperty) or name not in state.dict:
            return None  # a relationship, an attribute expired since: the ORM's
        value = state.dict[name]
        if hasattr(value, "__clause_element__") or prop.columns[0].primary_key:
            return None
        if state.manager[name].impl.is_equal(value, stored) is not True:
            values[f"f_{prop.columns[0].name}"] = value
    if not values:
        return _NOTHING
    names = tuple(sorted(v[2:] for v in values))
    values["f_key"] = state.key[1][0]
    return _updating(mapper.local_table, names, mapper.primary_key[0].name), values, False


def _delete_of(state: Any, mapper: Any) -> tuple | None:
    """The DELETE by the key the row was stored under."""
    if state.key is None or state.expired_attributes:
        return None  # never stored, or its key perhaps expired: the ORM's flush
    return _deleting(mapper.local_table, mapper.primary_key[0].name), {"f_key": state.key[1][0]}


async def _write(
    session: AsyncSession, mapper: Any, state: Any, statement: Any, values: dict, chosen=False
) -> None:
    result = await compiled.execute(session, statement, values)
    table = mapper.local_table.name
    if chosen:
        key = mapper.get_property_by_column(mapper.primary_key[0]).key
        state.dict[key] = result.one()[0]
    elif state.key is None:
        return
    elif isinstance(statement, Delete):
        if result.rowcount not in (1, -1) and mapper.confirm_deleted_rows:
            util.warn(  # the ORM's warning, word for word
                f"DELETE statement on table '{table}' expected to delete 1 row(s); "
                f"{result.rowcount} were matched.  Please set confirm_deleted_rows=False "
                "within the mapper configuration to prevent this warning."
            )
    elif result.rowcount != 1:
        raise StaleDataError(
            f"UPDATE statement on table '{table}' expected to update 1 "
            f"row(s); {result.rowcount} were matched."
        )


def _as_a_failed_flush(session: Session, error: BaseException) -> None:
    """What the ORM's flush does when its statement fails: the flush's subtransaction rolled
    back with the error captured, so that the session refuses further use until the owner
    rolls back (PendingRollbackError), rather than go on in a transaction the database may
    have aborted."""
    flush = session._autobegin_t()._begin()
    try:
        raise error
    except BaseException:
        flush.rollback(_capture_exception=True)


@cache
def _inserting(table: Any, chosen: bool) -> Any:
    """Its values by column name (storage.compiled compiles it for the names given)."""
    return insert(table).returning(*table.primary_key.columns) if chosen else insert(table)


@cache
def _deleting(table: Any, key: str) -> Any:
    return delete(table).where(table.c[key] == bindparam("f_key"))


@cache
def _updating(table: Any, names: tuple[str, ...], key: str) -> Any:
    return (
        update(table)
        .where(table.c[key] == bindparam("f_key"))
        .values({name: bindparam(f"f_{name}") for name in names})
    )
