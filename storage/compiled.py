"""Hot statements run as the SQL SQLAlchemy compiled for them, given to the driver as it is.

A Core statement built once is still, at every execution, looked up in the compiled cache by
its key, given an execution context, its parameters processed through the compiled
statement's machinery and its result wrapped: ≈ 65 µs of CPU, against ≈ 30 for the same SQL
through `exec_driver_sql` (issue 14; bench/PROFILE.md). Here each statement is compiled once
a dialect and a set of parameter names, by SQLAlchemy, and each execution only orders the
values and runs its types' bind processors, then hands them to `exec_driver_sql`. On
SQLite, inside storage.engine's transactions on a WAL file, it hands them to sqlite3 itself
(storage.inline_sqlite.run: ≈ 5–10 µs where `exec_driver_sql` still took ≈ 100), unless
listeners wait for the engine's statements (the tests' and the bench's counts), who must see
them.

Only writes on a Table whose compiled form does not depend on the values go this way: no
expanding IN lists, every column with a Python-side default given (SQLAlchemy runs those
defaults in the execution context this skips), rows of one shape, and what they return read
as the driver gives it (ints, not a datetime from SQLite's text). The ORM's own statements
and anything else take the usual path: `execute` checks and falls back, so a caller never
has to know.

ORM events are not told of these statements (do_orm_execute): a write to a table whose changes
something listens for (storage.directory's staff, duties and cells) must not come this way.

On PostgreSQL through asyncpg, a statement goes to asyncpg itself on the connection the
session's transaction holds (taken first if it holds none yet; storage.inline_asyncpg.run:
≈ 80 µs, its round trip to the server included, where `exec_driver_sql` took ≈ 125), by
the same rule about listeners. Several rows read back by RETURNING go one at a time on
sqlite3 (its executemany returns none), inside a savepoint so that all or none are stored;
elsewhere they are SQLAlchemy's one statement of many VALUES.

Reads (`read`) go the same way: their values through their types' result processors,
table objects made as the ORM would load them (storage.loading), the session's changes
flushed first where the ORM would. With another driver, only table objects are read this
way (Core runs the statement, the ORM's loading is skipped); the rest take the usual path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column
from sqlalchemy.engine import Connection, Dialect, Result, ScalarResult
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import Session
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import inline_asyncpg, inline_sqlite, loading
from storage.inline_sqlite import Done
from storage.loading import Shape


@dataclass(frozen=True)
class _Plan:
    sql: str
    order: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: Mapping[str, Any]  # values written into the statement (`.values(error=None)`)
    returns: bool  # rows back (several rows: see the module's doc)
    # may go to the driver itself: sqlite3 (storage.inline_sqlite) or asyncpg (inline_asyncpg)
    inline: bool
    # A read's: each column's result processor (None: as the driver gives it), and whether
    # the ORM would flush the session's changes before it (a select of a model's columns)
    results: tuple[Callable[[Any], Any] | None, ...] = ()
    flushes: bool = False
    parts: tuple[Shape | int, ...] = ()  # with table objects: what each item of a row is
    # On PostgreSQL a result processor depends on the column's type as the server gives it
    # (its oid), known once the statement ran: the columns' types, and their processors by
    # the oids they came with
    types: tuple[Any, ...] = ()
    by_oids: dict[tuple[int, ...], tuple] = field(default_factory=dict, compare=False)


_NOT_PLANNED = object()
_plans: dict[tuple[int, type, frozenset[str]], tuple[ClauseElement, Any]] = {}


async def execute(
    session: AsyncSession,
    statement: ClauseElement,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
) -> Result | Done:
    """`session.exec(statement, params=params)`, cheaper when the statement allows it. The
    statement must be built once (module level, or cached): plans are kept by its identity."""
    rows = [params] if isinstance(params, Mapping) else list(params)
    names = frozenset(rows[0]) if rows else frozenset()
    plan = _plan(statement, session.bind.dialect, names) if rows else None
    if plan is None or _shapes_differ(rows, names):
        return await session.exec(statement, params=_one_or_many(rows))
    values = [_values(plan, row) for row in rows]
    if plan.returns and len(rows) > 1:
        if session.bind.dialect.name == "sqlite":
            done = _each_on_sqlite3(await _taken(session), plan.sql, values)
            if done is not None:
                return done
        return await session.exec(statement, params=rows)  # one statement of many VALUES
    given = values[0] if len(values) == 1 else values
    if plan.inline:
        done = await _straight(session, plan.sql, given)
        if done is not None:  # no trip into SQLAlchemy's greenlet either
            return done
    return await session.run_sync(_run, plan.sql, given)


async def read(session: AsyncSession, statement: Select, params: Mapping[str, Any]) -> list:
    """The rows of a SELECT, as `session.exec(statement, params=params).all()` gives them:
    tuples (plain ones), or the values of a select of one column or one table object. Each
    value as its type reads it, each table object as the ORM would load it. On sqlite3 and
    asyncpg without SQLAlchemy's execution around it (≈ 100 µs a statement on SQLite, the
    ORM's loading ≈ 130 more; issue 14); elsewhere table objects are read through Core,
    without the ORM's loading, and anything else the usual way."""
    plan = _plan(statement, session.bind.dialect, frozenset(params))
    if plan is None or any(isinstance(p, Shape) and loading.heard(p) for p in plan.parts):
        result = await session.exec(statement, params=params)
        if isinstance(result, ScalarResult):  # sqlmodel's select of one column or object
            return list(result.all())
        if len(statement.column_descriptions) == 1:
            return list(result.scalars().all())
        return [tuple(row) for row in result.all()]
    if plan.flushes and session.autoflush and (session.new or session.dirty or session.deleted):
        await session.flush()  # as the ORM's autoflush would before this read
    rows = await _rows(session, plan, statement, params)
    if not plan.parts:
        return [v for (v,) in rows] if len(plan.types) == 1 else rows
    sync, parts = session.sync_session, plan.parts
    made = [
        tuple(loading.joined(sync, p, row) if isinstance(p, Shape) else row[p] for p in parts)
        for row in rows
    ]
    return [v for (v,) in made] if len(parts) == 1 else made


async def _rows(
    session: AsyncSession, plan: _Plan, statement: Select, params: Mapping[str, Any]
) -> list[tuple]:
    """A read's rows, each value as its type reads it."""
    dialect = session.bind.dialect
    if plan.inline:
        values = _values(plan, params)
        done = await _straight(session, plan.sql, values)
        if isinstance(done, inline_asyncpg.Fetched):
            return _processed(done.all(), _by_oids(plan, dialect, done.type_oids))
        if dialect.name == "sqlite":
            if done is None:
                done = await session.run_sync(_run, plan.sql, values)
            return _processed(done.all(), plan.results)
    # Core's execution and types, the ORM's loading skipped
    return await session.run_sync(_core_rows, statement, params)


def _by_oids(plan: _Plan, dialect: Dialect, oids: tuple[int, ...]) -> tuple:
    """The result processors SQLAlchemy would choose for columns of these types (oids)."""
    found = plan.by_oids.get(oids)
    if found is None:
        found = plan.by_oids[oids] = tuple(
            kind._cached_result_processor(dialect, oid)
            for kind, oid in zip(plan.types, oids, strict=True)
        )
    return found


async def _straight(session: AsyncSession, sql: str, values: tuple | list[tuple]) -> Done | None:
    """The statement on the driver itself, on the connection the session's transaction
    holds; None, nothing done, where it may not go that way."""
    connection = await _taken(session)
    if connection is None:
        return None
    if connection.dialect.name == "sqlite":
        return _on_sqlite3(connection, sql, values)
    if inline_asyncpg.accepts(connection):
        return await inline_asyncpg.run(connection, sql, values)
    return None


def _processed(rows: list, processors: tuple[Callable[[Any], Any] | None, ...]) -> list[tuple]:
    if not any(processors):
        return [tuple(row) for row in rows]
    return [tuple(p(v) if p else v for p, v in zip(processors, row, strict=True)) for row in rows]


def _core_rows(session: Session, statement: Select, params: Mapping[str, Any]) -> list[tuple]:
    """A select of table objects run as Core runs it: a row of their columns."""
    return [tuple(row) for row in session.connection().execute(statement, params)]


def _run(session: Session, sql: str, values: tuple | list[tuple]) -> Result | Done:
    # No autoflush: the session does none for a statement on a Table either.
    connection = session.connection()
    done = _on_sqlite3(connection, sql, values)
    if done is not None:
        return done
    return connection.exec_driver_sql(sql, values)


def _on_sqlite3(
    connection: Connection | None, sql: str, values: tuple | list[tuple]
) -> Done | None:
    """On sqlite3 itself, if the connection may (storage.inline_sqlite.run) and no listener
    waits for the engine's statements (inline_sqlite.heard). Its handle_error listeners are
    not told: the project has none."""
    if connection is None or inline_sqlite.heard(connection):
        return None
    return inline_sqlite.run(connection.connection.dbapi_connection, sql, values)


async def _taken(session: AsyncSession) -> Connection | None:
    """The connection the session's transaction holds, taken first if it holds none yet
    (one trip into SQLAlchemy's greenlet, not a whole execution)."""
    connection = _held(session)
    if connection is None:
        await session.connection()
        connection = _held(session)
    return connection


def _each_on_sqlite3(connection: Connection | None, sql: str, values: list[tuple]) -> Done | None:
    """Rows whose RETURNING is read back (sqlite3's executemany gives none): one execution
    each, on sqlite3 itself, ≈ 10 µs each where SQLAlchemy's statement of many VALUES costs
    ≈ 200; all or none of them, as that one statement (a savepoint around them, SQLite not
    undoing the rows before a failed one). None, nothing done, if they may not go that way."""
    if _on_sqlite3(connection, _ROWS_BEGIN, ()) is None:
        return None
    rows: list[tuple] = []
    count = 0
    try:
        for row in values:
            done = _on_sqlite3(connection, sql, row)
            rows += done.all()
            count += done.rowcount
    except BaseException:
        _on_sqlite3(connection, _ROWS_UNDONE, ())
        raise
    finally:
        _on_sqlite3(connection, _ROWS_END, ())
    return Done(rows, count)


# Named apart from SQLAlchemy's own (sa_savepoint_N), which may be open around them
_ROWS_BEGIN = "SAVEPOINT fc_rows"
_ROWS_UNDONE = "ROLLBACK TO SAVEPOINT fc_rows"
_ROWS_END = "RELEASE SAVEPOINT fc_rows"


def _held(session: AsyncSession) -> Connection | None:
    """The connection the session's innermost transaction has used itself, if it is active:
    taking it needs no trip into SQLAlchemy's greenlet (opening one would). A savepoint
    that has not used the connection yet has not been begun on it (SQLAlchemy sends the
    SAVEPOINT at its first use): then None, and `_taken` asks the session for the
    connection, which begins the savepoint first, so that its rollback undoes the statement."""
    sync = session.sync_session
    transaction = sync.get_nested_transaction() or sync.get_transaction()
    if transaction is None or not transaction.is_active:
        return None
    try:
        return transaction.bound_connection()
    except InvalidRequestError:  # none used yet
        return None


def _one_or_many(params: list[dict[str, Any]]) -> dict[str, Any] | list[dict[str, Any]]:
    """A statement's parameters: one row is not an executemany (asyncpg's costs a prepared
    statement and a pipeline)."""
    return params[0] if len(params) == 1 else params


def _shapes_differ(rows: list[Mapping[str, Any]], names: frozenset[str]) -> bool:
    return any(frozenset(row) != names for row in rows[1:])


def _values(plan: _Plan, row: Mapping[str, Any]) -> tuple:
    """As SQLAlchemy would bind them: every value through its type's processor, None too
    (a JSON column's None is JSON's null)."""
    out = []
    for name, process in zip(plan.order, plan.processors, strict=True):
        value = row[name] if name in row else plan.fixed[name]
        out.append(process(value) if process is not None else value)
    return tuple(out)


def _plan(statement: ClauseElement, dialect: Dialect, names: frozenset[str]) -> _Plan | None:
    key = (id(statement), type(dialect), names)  # the driver too: its paramstyle and casts
    found = _plans.get(key)
    if found is not None and found[0] is statement:
        return found[1] if found[1] is not _NOT_PLANNED else None
    plan = _compile(statement, dialect, names)
    # The statement is kept with its plan: its id cannot be taken by another while here.
    _plans[key] = (statement, plan if plan is not None else _NOT_PLANNED)
    return plan


def _compile(statement: ClauseElement, dialect: Dialect, names: frozenset[str]) -> _Plan | None:
    if isinstance(statement, Select):
        return _compile_read(statement, dialect, names)
    if not isinstance(statement, UpdateBase) or _orm_enabled(statement):
        return None  # the ORM's DML needs its session
    compiled = statement.compile(dialect=dialect, column_keys=sorted(names))
    if compiled.post_compile_params or compiled.literal_execute_params:
        return None  # expanding IN lists: the SQL depends on the values
    if compiled.insert_prefetch or compiled.update_prefetch:
        return None  # Python-side defaults, run by the execution context skipped here
    binds = _binds(compiled, names)
    if binds is None or (compiled.returning and _needs_processing(compiled, dialect)):
        return None
    return _Plan(compiled.string, *binds, returns=bool(compiled.returning), inline=_inline(dialect))


def _inline(dialect: Dialect) -> bool:
    """Whether a statement may go to the dialect's driver itself (see _straight)."""
    return dialect.name == "sqlite" or dialect.driver == "asyncpg"


def _binds(compiled: Any, names: frozenset[str]) -> tuple | None:
    """A positional statement's parameters in order, their bind processors and the values
    written into it; None if it is not positional or a parameter would be missing."""
    if not compiled.positional:
        return None
    order = tuple(compiled.positiontup or ())
    fixed = {
        name: bind.effective_value
        for name, bind in compiled.binds.items()
        if name not in names and not bind.required
    }
    if any(name not in names and name not in fixed for name in order):
        return None
    processors = compiled._bind_processors
    return order, tuple(processors.get(n) for n in order), fixed


def _compile_read(statement: Select, dialect: Dialect, names: frozenset[str]) -> _Plan | None:
    """A read's plan: each table object in it a plain mapped table's with all of its columns
    (storage.loading), its SQL the same whatever the values. Where the driver cannot be
    called itself, only table objects are worth a plan (Core runs the statement, the ORM's
    loading is what is saved)."""
    if statement._execution_options:  # populate_existing and the like: the ORM's to honour
        return None
    compiled = statement.compile(dialect=dialect)
    parts = _parts(statement, [_column(rc.objects) for rc in compiled._result_columns])
    if parts is None:
        return None
    objects = parts if any(isinstance(p, Shape) for p in parts) else ()
    flushes = _orm_enabled(statement)
    binds = None
    if _inline(dialect) and not (compiled.post_compile_params or compiled.literal_execute_params):
        binds = _binds(compiled, names)
    if binds is None:
        if not objects or dialect.name == "sqlite":
            return None
        return _Plan("", (), (), {}, returns=True, inline=False, flushes=flushes, parts=objects)
    kinds = tuple(rc.type for rc in compiled._result_columns)
    results = ()  # on PostgreSQL chosen once the server says the types (_by_oids)
    if dialect.name == "sqlite":
        results = tuple(k.dialect_impl(dialect).result_processor(dialect, None) for k in kinds)
    return _Plan(
        compiled.string, *binds, returns=True, inline=True, results=results, flushes=flushes,
        parts=objects, types=kinds,
    )  # fmt: skip


def _parts(statement: Select, columns: list[Any]) -> tuple[Shape | int, ...] | None:
    """What each of the select's items is in a row: a table object's Shape, or a column's
    position. None if the rows are not laid out as expected."""
    parts: list[Shape | int] = []
    at = 0
    for description in statement.column_descriptions:
        if not _is_entity(description):
            parts.append(at)
            at += 1
            continue
        shape = loading.shape_of(description["entity"], columns, at)
        if shape is None:
            return None
        parts.append(shape)
        at += len(shape.keys)
    return tuple(parts) if at == len(columns) else None


def _column(objects: tuple) -> Any:
    """A result column's own column, under the label a name taken twice gave it."""
    found = objects[0] if objects else None
    while found is not None and not isinstance(found, Column) and hasattr(found, "element"):
        found = found.element
    return found


def _is_entity(description: Mapping[str, Any]) -> bool:
    """A column description of a whole table object (select(Report)), not a column."""
    entity = description.get("entity")
    return entity is not None and description.get("expr") is entity


def _orm_enabled(statement: UpdateBase | Select) -> bool:
    """`update(Model)` rather than `update(table)`: SQLAlchemy's own marker for statements
    whose execution the ORM takes part in (synchronising the session's objects)."""
    return statement._propagate_attrs.get("compile_state_plugin") == "orm"


def _needs_processing(compiled: Any, dialect: Dialect) -> bool:
    """Whether a RETURNING column's type turns what the driver gives back into something
    else (a datetime from SQLite's text): those go the usual way."""
    for column in compiled.returning:
        if column.type.dialect_impl(dialect).result_processor(dialect, None) is not None:
            return True
    return False
