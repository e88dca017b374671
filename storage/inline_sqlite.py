"""SQLite statements run on the event loop's thread, not one thread hop each (issue 14: the
hops were a quarter of a report's CPU, four of them a statement: cursor, execute, fetch,
close, each a future resolved from aiosqlite's thread through the loop).

Only what cannot wait runs at once. A transaction begins with BEGIN IMMEDIATE (storage.engine),
tried at once without waiting: this process's writers take turns before it (storage.engine),
so only another process (the CLI) can hold the write lock, and then it is waited for in
aiosqlite's thread, where waiting blocks nobody. Once it holds the lock, a statement under WAL
never waits for anyone (readers do not block a writer, nor a writer its readers), so it is as
quick on the loop as the hop to run it elsewhere. COMMIT appends to the WAL without a sync
(synchronous=NORMAL), so it runs at once too; what syncs the file is the checkpoint, which
SQLite would run inside a commit now and then: here it is taken out of the commits and run in
the thread every CHECKPOINT_EVERY commits to the file. A ROLLBACK with something to undo
keeps its hop. Without WAL (a file system that refuses it) every call keeps its hop.

Inside storage.engine's transactions (`directly`), SQLAlchemy's cursor goes further: its calls
under the write lock are made straight on sqlite3, not as aiosqlite coroutines awaited
through a greenlet switch each (three a statement: the cursor, the execution with its rows,
the close). Elsewhere (migrations, the benchmarks' observers, a task a transaction started)
every call goes through aiosqlite as above. An AsyncConnection's execute insists on awaiting
something, so inside those transactions statements go through the session.
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
    inline = False  # set on connecting, once WAL is known to be on
    busy_ms = 0  # the connection's busy timeout, given back after a BEGIN tried at once
    database = ""

    async def _execute(self, fn, *args, **kwargs):
        connection = self._connection
        if self.inline and connection is not None and self._running:
            if _at_once(fn, connection):
                return fn(*args, **kwargs)
            if _begins(fn, args) and self._began_at_once(fn, connection):
                return fn.__self__
            if getattr(fn, "__self__", None) is connection and fn.__name__ == "commit":
                return await self._commit(fn)
        return await super()._execute(fn, *args, **kwargs)

    def _checkpoints_next(self) -> bool:
        """Whether the next commit to the file is the one that checkpoints it."""
        return _commits[self.database] + 1 >= CHECKPOINT_EVERY

    def _commit_now(self, commit: Any) -> bool:
        """Commit; whether the file's checkpoint is now due."""
        commit()
        _commits[self.database] += 1
        return _commits[self.database] >= CHECKPOINT_EVERY

    async def _commit(self, commit: Any) -> None:
        if not self._commit_now(commit):
            return
        _commits[self.database] = 0
        try:
            await super()._execute(_checkpoint, self._connection)
        except Exception:  # the commit stands; the next checkpoint copies what this did not
            log.exception("could not checkpoint the SQLite WAL")

    def _began_at_once(self, execute: Any, connection: sqlite3.Connection) -> bool:
        """BEGIN IMMEDIATE if nobody holds the write lock; False (nothing done) if someone
        does, to be waited for in the thread."""
        connection.execute("PRAGMA busy_timeout=0").close()  # a PRAGMA's row, done with
        try:
            execute(BEGIN)
        except sqlite3.OperationalError:  # locked: the thread waits, or says what is wrong
            return False
        finally:
            connection.execute(f"PRAGMA busy_timeout={int(self.busy_ms)}").close()
        return True


def _checkpoint(connection: sqlite3.Connection) -> None:
    connection.execute(CHECKPOINT).close()  # closed: a statement left open stops a commit


def _at_once(fn: Any, connection: sqlite3.Connection) -> bool:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, sqlite3.Cursor):  # execute, fetch: only under the write lock
        return fn.__name__ == "close" or connection.in_transaction
    if owner is not connection:
        return False
    # A rollback with no transaction open (the pool's reset after a commit) touches nothing
    return fn.__name__ == "cursor" or fn.__name__ == "rollback" and not connection.in_transaction


def _begins(fn: Any, args: tuple) -> bool:
    return (
        isinstance(getattr(fn, "__self__", None), sqlite3.Cursor)
        and fn.__name__ == "execute"
        and args[:1] == (BEGIN,)
    )


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
            if operation == BEGIN and self._began_at_once():
                return self._cursor
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

    def _began_at_once(self) -> bool:
        """storage.engine's BEGIN, at once if nobody holds the write lock (else False: it
        waits in the thread, as aiosqlite runs it)."""
        connection = self._connection
        if not _usable(connection):
            return False
        return connection._began_at_once(self._cursor._cursor.execute, connection._connection)

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
    (a commit that checkpoints the file still goes to the thread)."""

    __slots__ = ()
    _cursor_cls = _Cursor

    def commit(self) -> None:
        connection = self._connection
        if not _straight(connection) or connection._checkpoints_next():
            return super().commit()
        try:
            connection._commit_now(connection._connection.commit)
        except Exception as error:
            self._handle_exception(error)

    def rollback(self) -> None:
        connection = self._connection
        if _usable(connection) and not connection._connection.in_transaction:
            return  # nothing to undo
        super().rollback()
