"""SQLite statements on the event loop (storage.inline_sqlite): a transaction's only trip to
aiosqlite's thread is its commit, unless another process holds the write lock; then it waits
there, and the loop goes on meanwhile."""

from __future__ import annotations

import asyncio
import sqlite3

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import BUSY_TIMEOUT, make_engine, make_session_factory, transaction


@pytest.fixture
async def sessions(sqlite_url):
    engine = make_engine(sqlite_url)
    async with transaction(make_session_factory(engine)) as session:
        await session.exec(text("CREATE TABLE note (body TEXT)"))
    yield make_session_factory(engine)
    await engine.dispose()


@pytest.fixture
def hops(monkeypatch) -> list[str]:
    """The calls sent to aiosqlite's thread."""
    sent: list[str] = []
    hop = aiosqlite.Connection._execute

    async def spied(self, fn, *args, **kwargs):
        sent.append(getattr(fn, "__name__", repr(fn)))
        return await hop(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", spied)
    return sent


async def _write(sessions, body: str) -> None:
    async with transaction(sessions) as session:
        await session.exec(text("INSERT INTO note VALUES (:body)"), params={"body": body})


async def _notes(sessions) -> list[str]:
    async with transaction(sessions) as session:
        return list((await session.exec(text("SELECT body FROM note"))).scalars())


async def test_a_transaction_goes_to_the_thread_only_to_commit(sessions, hops):
    await _write(sessions, "一")
    assert hops == ["commit"]
    async with transaction(sessions) as session:  # the wait a BEGIN tried at once gave up
        timeout = (await session.exec(text("PRAGMA busy_timeout"))).scalar_one()
    assert timeout == BUSY_TIMEOUT * 1000


async def test_a_lock_another_process_holds_is_waited_for_in_the_thread(sessions, sqlite_url, hops):
    other = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO note VALUES ('他')")
        writing = asyncio.create_task(_write(sessions, "我"))
        done, _ = await asyncio.wait({writing}, timeout=0.3)  # the loop is free meanwhile
        assert not done, "wrote while another process held the write lock"
        other.execute("COMMIT")
        await writing
    finally:
        other.close()
    assert sorted(await _notes(sessions)) == ["他", "我"]
    assert hops[:2] == ["execute", "commit"]  # BEGIN IMMEDIATE waited in the thread
