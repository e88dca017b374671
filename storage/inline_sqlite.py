"""SQLite statements run on the event loop's thread inside a transaction, not one thread hop
each (issue 14: the hops were a quarter of a report's CPU, four of them a statement: cursor,
execute, fetch, close, each a future resolved from aiosqlite's thread through the loop).

Only what cannot wait runs at once. A transaction begins with BEGIN IMMEDIATE (storage.engine)
in aiosqlite's thread, where waiting for another process's write lock blocks nobody; once it
holds the lock, a statement under WAL never waits for anyone (readers do not block a writer,
nor a writer its readers), so it is as quick on the loop as the hop to run it elsewhere.
COMMIT, ROLLBACK and closing stay in the thread: a commit may checkpoint, which syncs the
file. Without WAL (a file system that refuses it) every call keeps its hop.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    inline = False  # set on connecting, once WAL is known to be on

    async def _execute(self, fn, *args, **kwargs):
        connection = self._connection
        if self.inline and connection is not None and self._running and _at_once(fn, connection):
            return fn(*args, **kwargs)
        return await super()._execute(fn, *args, **kwargs)


def _at_once(fn: Any, connection: sqlite3.Connection) -> bool:
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, sqlite3.Cursor):  # execute, fetch: only under the write lock
        return fn.__name__ == "close" or connection.in_transaction
    return owner is connection and fn.__name__ == "cursor"


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """As aiosqlite.connect (SQLAlchemy's async_creator_fn), with the connection above."""
    connection = InlineConnection(partial(sqlite3.connect, database, **kwargs), 64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own
    return connection


def wal_on(dbapi_connection: Any, journal_mode: str) -> None:
    """Called on connecting with what PRAGMA journal_mode=WAL answered."""
    raw = getattr(dbapi_connection, "_connection", None)
    if isinstance(raw, InlineConnection):
        raw.inline = str(journal_mode).lower() == "wal"
