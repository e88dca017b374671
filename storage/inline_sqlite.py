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
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from functools import partial
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)
BEGIN = "BEGIN IMMEDIATE"  # how storage.engine begins every transaction
CHECKPOINT_EVERY = 100  # commits to a file; SQLite's own: when the WAL reaches 4 MB
CHECKPOINT = "PRAGMA wal_checkpoint(PASSIVE)"  # waits for nobody, copies what it can
_commits: Counter[str] = Counter()  # by file, since its last checkpoint (any connection)


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

    async def _commit(self, commit: Any) -> None:
        commit()
        _commits[self.database] += 1
        if _commits[self.database] < CHECKPOINT_EVERY:
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
