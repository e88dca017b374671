"""PostgreSQL statements made on asyncpg itself, from the event loop, as SQLAlchemy's asyncpg
adapter makes them (issue 14, the thirteenth pass).

storage.compiled compiles a hot statement once; on PostgreSQL each execution still went
into SQLAlchemy's greenlet, through `exec_driver_sql` (an execution context, a cursor, a
result) and back out: ≈ 125 µs of CPU a statement on `make bench`'s machine, where asyncpg
itself takes ≈ 80 (its round trip to the server included). Here the statement goes to the
connection SQLAlchemy already holds for the session's transaction, the way its adapter's
cursor would send it: under the adapter's lock, the transaction begun first if it has not
been, the statement prepared once per connection (the adapter's own cache of prepared
statements, so both ways share it) and its rows fetched.

Errors go through the engine's own handler, inside SQLAlchemy's greenlet as there, and come
out as through the engine: a disconnect invalidates the connection (and the pool), and a
timeout or a cancellation gives the connection up gracefully, so that asyncpg cancels the
statement on the server and its transaction's locks go.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Connection
from sqlalchemy.util import greenlet_spawn
from sqlalchemy.util.concurrency import is_exit_exception

from storage.inline_sqlite import Done, heard

_STATUS = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")  # as the adapter reads it


class Fetched(Done):
    """A statement's rows with their columns' type oids (what SQLAlchemy's result reads as
    each column's type code, to choose its result processor)."""

    __slots__ = ("type_oids",)

    def __init__(self, rows: list[tuple], rowcount: int, type_oids: tuple[int, ...]) -> None:
        super().__init__(rows, rowcount)
        self.type_oids = type_oids


def accepts(connection: Connection | None) -> bool:
    """Whether a statement may go to asyncpg itself on this connection: SQLAlchemy's asyncpg
    adapter, and nobody waiting to see the engine's statements (the tests' and the bench's
    counts: storage.inline_sqlite.heard) or to log them (echo)."""
    if connection is None or connection._echo or heard(connection):
        return False
    fairy = connection._dbapi_connection
    return fairy is not None and isinstance(fairy.dbapi_connection, AsyncAdapt_asyncpg_connection)


async def run(connection: Connection, sql: str, values: tuple | list[tuple]) -> Fetched:
    """The statement on the connection's asyncpg connection (see `accepts`): one execution
    of a tuple of values, or one executemany of a list of them."""
    adapted: AsyncAdapt_asyncpg_connection = connection._dbapi_connection.dbapi_connection
    since = connection.dialect._invalidate_schema_cache_asof
    try:
        async with adapted._execute_mutex:
            try:
                if adapted._transaction is None:
                    await adapted._start_transaction()
                if isinstance(values, list):
                    await adapted._check_type_cache_invalidation(since)
                    await adapted._connection.executemany(sql, values)
                    return Fetched([], -1, ())
                prepared, attributes = await adapted._prepare(sql, since)
                rows = await prepared.fetch(*values)
                status = _STATUS.match(prepared.get_statusmsg() or "")
            except Exception as error:
                adapted._handle_exception(error)  # raises it as the DB-API's error
    except BaseException as error:  # a cancellation too: the wire's state is unknown
        await _raise_as_sqlalchemy(connection, error, sql, values)
    oids = tuple(attribute.type.oid for attribute in attributes or ())
    return Fetched([tuple(row) for row in rows], int(status.group(1)) if status else -1, oids)


async def _raise_as_sqlalchemy(
    connection: Connection, error: BaseException, sql: str, values: Any
) -> None:
    """What the engine does with a statement's error, in SQLAlchemy's greenlet as there: a
    DB-API error wrapped in SQLAlchemy's exception, a disconnect, a timeout or a
    cancellation invalidating the connection (closed gracefully, so that asyncpg cancels
    the statement on the server and its locks go), the dialect's cache of types dropped
    where asyncpg says its prepared statements went stale. Anything else as it came, as the
    engine gives it with its execution context."""
    dbapi = connection.dialect.loaded_dbapi
    if isinstance(error, (dbapi.InvalidCachedStatementError, dbapi.InternalServerError)):
        connection.dialect._invalidate_schema_cache()
    if not isinstance(error, dbapi.Error) and not is_exit_exception(error):
        raise error
    await greenlet_spawn(_handle, connection, error, sql, values)


def _handle(connection: Connection, error: BaseException, sql: str, values: Any) -> None:
    try:
        raise error  # the engine's handler reads the error being handled (sys.exc_info)
    except BaseException as raised:
        connection._handle_dbapi_exception(raised, sql, values, None, None)
