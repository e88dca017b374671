"""SQLite statements made straight on sqlite3 on the event loop's thread (issue 14: through
aiosqlite, each was a thread hop at first, four a statement, and then still three coroutines
awaited across a greenlet switch each: the cursor, the execution with its rows, the close).

Inside storage.engine's transactions (`directly`), SQLAlchemy's cursor calls sqlite3 at once.
A transaction begins with BEGIN IMMEDIATE, tried at once without waiting: this process's
writers take turns before it (storage.engine), so only another process (the CLI) can hold
the write lock, and then it is waited for in aiosqlite's thread, where waiting blocks nobody.
Once it holds the lock, a statement under WAL never waits for anyone (readers do not block a
writer, nor a writer its readers). COMMIT appends to the WAL without a sync
(synchronous=NORMAL); what syncs the file is the checkpoint, which SQLite would run inside a
commit now and then: here it is taken out of the commits and run in the thread every
CHECKPOINT_EVERY commits to the file. A ROLLBACK with something to undo goes to the thread.

Elsewhere (migrations, the benchmarks' observers, a task a transaction started), and without
WAL (a file system that refuses it), every call goes through aiosqlite and its thread. An
AsyncConnection's execute insists on awaiting something, so inside storage.engine's
transactions statements go through the session.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy import exc
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.util.concurrency import await_

log = logging.getLogger(__name__)
BEGIN = "BEGIN IMMEDIATE"  # how storage.engine begins every transaction
CHECKPOINT_EVERY = 100  # commits to a file; SQLite's own: when the WAL reaches 4 MB
CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"  # waits for nobody, copies what it can
_commits: Counter[str] = Counter()  # by file, since its last checkpoint (any connection)
# The task in storage.engine's transaction (a task it starts copies the context, not the
# transaction)
_direct: ContextVar[asyncio.Task | None] = ContextVar("firecircle_sqlite_direct", default=None)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's connection, with what the straight path needs to know and do."""

    inline = False  # set on connecting, once WAL is known to be on
    busy_ms = 0  # the connection's busy timeout, given back after a BEGIN tried at once
    database = ""

    def _commit_now(self) -> bool:
        """Commit at once; whether the file's checkpoint is now due."""
        self._connection.commit()
        _commits[self.database] += 1
        if _commits[self.database] < CHECKPOINT_EVERY:
            return False
        _commits[self.database] = 0
        return True

    async def _checkpoint_in_thread(self) -> None:
        try:
            await self._execute(_checkpoint, self._connection)  # in the thread
        except Exception:  # the commit stands; the next checkpoint copies what this did not
            log.exception("could not checkpoint the SQLite WAL")

    def _began_at_once(self) -> bool:
        """BEGIN IMMEDIATE if nobody holds the write lock; False (nothing done) if someone
        does, to be waited for in the thread, or if anything else went wrong: SQLAlchemy
        then runs it, and says what is wrong in its own words."""
        connection = self._connection
        try:
            connection.execute("PRAGMA busy_timeout=0").close()  # a PRAGMA's row, done with
            try:
                connection.execute(BEGIN).close()
            finally:
                connection.execute(f"PRAGMA busy_timeout={int(self.busy_ms)}").close()
        except sqlite3.Error:
            return False
        return True


def _checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute(CHECKPOINT).close()  # closed: a statement left open stops a commit


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """As aiosqlite.connect (SQLAlchemy's async_creator_fn), with the connection above."""
    connection = InlineConnection(partial(sqlite3.connect, database, **kwargs), 64)
    connection.database = database
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own
    return connection


def wal_on(dbapi_connection: Any, journal_mode: str, busy_seconds: float) -> None:
    """Called on connecting with what PRAGMA journal_mode=WAL answered, and the busy timeout
    the connection was given. Under WAL, this connection's commits no longer checkpoint."""
    raw = getattr(dbapi_connection, "_connection", None)
    if isinstance(raw, InlineConnection):
        raw.inline = str(journal_mode).lower() == "wal"
        raw.busy_ms = busy_seconds * 1000
        if raw.inline:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA wal_autocheckpoint=0")
            cursor.close()


def adapted(dbapi: Any, connecting: Any) -> AsyncAdapt_aiosqlite_connection:
    """SQLAlchemy's DBAPI connection over a connection of connect() (as dbapi.connect would
    make it), with the cursor below."""
    return _Adapted(dbapi, await_(connecting))


@contextmanager
def directly() -> Iterator[None]:
    """Inside (storage.engine's transactions), this task's cursor calls may skip aiosqlite.
    Its statements must then go through the session: an AsyncConnection's execute insists
    on awaiting something (SQLAlchemy raises AwaitRequired when nothing was)."""
    token = _direct.set(asyncio.current_task())
    try:
        yield
    finally:
        _direct.reset(token)


def began_at_once(dbapi_connection: Any) -> bool:
    """storage.engine's BEGIN, made at once on sqlite3 if this task may (see directly) and
    nobody holds the write lock; False, nothing done, if not: SQLAlchemy then runs it, and a
    lock is waited for in the thread. Straight on the driver: through SQLAlchemy's execution
    (its events, a context, a cursor, a result) it cost ≈ 37 µs of a transaction's 291."""
    connection = getattr(dbapi_connection, "_connection", None)
    if not isinstance(connection, InlineConnection) or not _usable(connection):
        return False
    return connection._began_at_once()


def _usable(connection: InlineConnection) -> bool:
    """Whether sqlite3 may be called directly on this connection: by the task inside
    directly(), under WAL, the connection open."""
    task = _direct.get()
    return (
        task is not None
        and task is asyncio.current_task()
        and connection.inline
        and connection._running
        and connection._connection is not None
    )


def _straight(connection: InlineConnection) -> bool:
    """Whether a statement may go straight to sqlite3: usable, and in the transaction that
    holds the write lock."""
    return _usable(connection) and connection._connection.in_transaction


class Done:
    """What a statement made on sqlite3 itself gives back (see run): its rows, as the
    driver gives them, and how many rows it changed."""

    __slots__ = ("_rows", "rowcount")

    def __init__(self, rows: list[tuple], rowcount: int) -> None:
        self._rows, self.rowcount = rows, rowcount

    def all(self) -> list[tuple]:
        return self._rows

    def one(self) -> tuple:
        if len(self._rows) != 1:
            raise exc.NoResultFound if not self._rows else exc.MultipleResultsFound
        return self._rows[0]


def heard(connection: Any) -> bool:
    """Whether someone listens for the engine's statements (the tests' and the bench's
    counts): then they go through SQLAlchemy's execution, to be heard. The ORM's events
    (do_orm_execute) are not told of statements that go straight, on either driver."""
    dispatch = connection.dispatch
    return bool(
        dispatch.before_cursor_execute
        or dispatch.after_cursor_execute
        or dispatch.before_execute
        or dispatch.after_execute
    )


def run(dbapi_connection: Any, sql: str, values: tuple | list[tuple]) -> Done | None:
    """A statement compiled once (storage.compiled) made on sqlite3 itself, when it may go
    straight (see _straight): SQLAlchemy's execution around a statement (its context, cursor
    and result) cost ≈ 100 µs, the statement ≈ 5–10 (issue 14, the eleventh pass). None,
    nothing done, when it may not. Errors are SQLAlchemy's, as through the engine."""
    connection = getattr(dbapi_connection, "_connection", None)
    if not isinstance(connection, InlineConnection) or not _straight(connection):
        return None
    cursor = connection._connection.cursor()
    try:
        if isinstance(values, list):
            cursor.executemany(sql, values)
        else:
            cursor.execute(sql, values)
        return Done(cursor.fetchall() if cursor.description else [], cursor.rowcount)
    except sqlite3.Error as error:
        raise exc.DBAPIError.instance(sql, values, error, sqlite3.Error) from error
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    """SQLAlchemy's cursor, whose calls in a transaction of storage.engine are made at once
    (see the module's doc). The adapter's lock for the connection is not taken: a connection
    is one task's until it goes back to the pool, and a call made at once cannot interleave."""

    __slots__ = ()

    def _make_new_cursor(self, connection: Any) -> Any:
        if _usable(connection):
            return aiosqlite.Cursor(connection, connection._connection.cursor())
        return super()._make_new_cursor(connection)

    def _aenter_cursor(self, cursor: Any) -> Any:
        if isinstance(cursor, aiosqlite.Cursor):  # made at once above
            return cursor
        return super()._aenter_cursor(cursor)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        if not _straight(self._connection):
            return super().execute(operation, parameters)
        try:
            cursor = self._cursor._cursor
            cursor.execute(operation, () if parameters is None else parameters)
            if cursor.description:
                self._rows = collections.deque(cursor.fetchall())
            return self._cursor
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        if not _straight(self._connection):
            return super().executemany(operation, seq_of_parameters)
        try:
            self._cursor._cursor.executemany(operation, seq_of_parameters)
            return self._cursor
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def close(self) -> None:
        cursor = self._cursor
        if cursor is None or self._soft_closed_memoized or not _straight(self._connection):
            return super().close()
        self._rows.clear()
        cursor._cursor.close()

    async def _async_soft_close(self) -> None:
        """Closed, its rows kept (SQLAlchemy's asyncio results call this)."""
        cursor = self._cursor
        if cursor is None or not _straight(self._connection):
            return await super()._async_soft_close()
        self._soft_closed_memoized = self._soft_closed_memoized.union(
            {"description": cursor.description}
        )
        cursor._cursor.close()


class _Adapted(AsyncAdapt_aiosqlite_connection):
    """The connection whose cursors are _Cursor, and whose commit, and rollback with nothing
    to undo (the pool's, after a commit), are made at once in storage.engine's transactions
    (the checkpoint a commit makes due goes to the thread)."""

    __slots__ = ()
    _cursor_cls = _Cursor

    def commit(self) -> None:
        connection = self._connection
        if not _straight(connection):
            return super().commit()
        try:
            due = connection._commit_now()
        except Exception as error:
            self._handle_exception(error)
        if due:
            await_(connection._checkpoint_in_thread())

    def rollback(self) -> None:
        connection = self._connection
        if _usable(connection) and not connection._connection.in_transaction:
            return  # nothing to undo
        super().rollback()
