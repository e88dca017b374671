"""Which instance leads: polls Telegram (or sets the webhook) and sends the outbox.

PostgreSQL: a session advisory lock held on a connection of its own; when the leader dies its
connection goes and the lock with it, and a standby takes over within a second. SQLite: one
instance only, held by an exclusive lock on a file beside the database.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

LOCK_KEY = 0x0F1EC12C1E  # "firecircle", as a 64-bit advisory lock key
CHECK_EVERY = 1.0


class AlreadyRunning(Exception):
    """Another instance holds the SQLite database."""


class Leadership:
    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self._conn: AsyncConnection | None = None
        self._file: int | None = None

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def claim_sqlite(self) -> None:
        """Refuse a second instance on the same SQLite file (raises AlreadyRunning)."""
        database = make_url(str(self.engine.url)).database
        if self.postgres or not database or database == ":memory:":
            return
        path = Path(f"{database}.lock")
        self._file = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._file)
            self._file = None
            raise AlreadyRunning(str(Path(database).resolve())) from None

    async def acquire(self) -> bool:
        if not self.postgres:
            return True
        if self._conn is None:
            self._conn = await self.engine.connect()
        got = await self._conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY})
        await self._conn.commit()
        if not got:
            await self._close()
        return bool(got)

    async def lost(self) -> None:
        """Returns when leadership is lost (the lock's connection failed); never on SQLite."""
        while True:
            await asyncio.sleep(CHECK_EVERY)
            if not self.postgres:
                continue
            try:
                await self._conn.execute(text("SELECT 1"))
                await self._conn.commit()
            except Exception:
                await self._close()
                return

    async def release(self) -> None:
        await self._close()
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            os.close(self._file)
            self._file = None

    async def _close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await conn.close()
            except Exception:  # the connection may be what failed
                pass
