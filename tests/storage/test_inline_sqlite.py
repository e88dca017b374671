"""SQLite statements on the event loop (storage.inline_sqlite): a transaction makes no trip to
aiosqlite's thread, unless another process holds the write lock (then it waits there, and
the loop goes on meanwhile) or its commit is one that checkpoints the WAL; inside
storage.engine's transactions its calls skip aiosqlite altogether, and its errors are still
SQLAlchemy's."""

from __future__ import annotations

import asyncio
import sqlite3

import aiosqlite
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage import inline_sqlite
from storage.engine import BUSY_TIMEOUT, make_engine, make_session_factory, transaction
from storage.inline_sqlite import CHECKPOINT_EVERY


@pytest.fixture
async def sessions(sqlite_url):
    engine = make_engine(sqlite_url)
    async with transaction(make_session_factory(engine)) as session:
        await session.exec(text("CREATE TABLE note (body TEXT)"))
    yield make_session_factory(engine)
    await engine.dispose()


def _calls_to(monkeypatch, connection: type) -> list[str]:
    """The names of the calls given to this class's _execute, from now on."""
    made: list[str] = []
    execute = connection._execute

    async def spied(self, fn, *args, **kwargs):
        made.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)

    monkeypatch.setattr(connection, "_execute", spied)
    return made


@pytest.fixture
def hops(monkeypatch) -> list[str]:
    """The calls sent to aiosqlite's thread."""
    return _calls_to(monkeypatch, aiosqlite.Connection)


async def _write(sessions, body: str) -> None:
    async with transaction(sessions) as session:
        await session.exec(text("INSERT INTO note VALUES (:body)"), params={"body": body})


async def _notes(sessions) -> list[str]:
    async with transaction(sessions) as session:
        return list((await session.exec(text("SELECT body FROM note"))).scalars())


async def test_a_transaction_stays_on_the_loop(sessions, hops):
    await _write(sessions, "一")
    assert hops == []
    async with transaction(sessions) as session:  # the wait a BEGIN tried at once gave up
        timeout = (await session.exec(text("PRAGMA busy_timeout"))).scalar_one()
    assert timeout == BUSY_TIMEOUT * 1000


@pytest.fixture
def coroutines(monkeypatch) -> list[str]:
    """The calls made through aiosqlite (each a coroutine awaited across a greenlet switch),
    whether at once or in its thread."""
    return _calls_to(monkeypatch, inline_sqlite.InlineConnection)


async def test_a_transactions_calls_go_straight_to_sqlite(sessions, coroutines):
    async with transaction(sessions) as session:
        await session.exec(text("INSERT INTO note VALUES (:body)"), params=[{"body": "一"}] * 3)
        await session.exec(text("INSERT INTO note VALUES ('二')"))
    assert await _notes(sessions) == ["一", "一", "一", "二"]
    assert coroutines == []  # BEGIN, the statements, their rows, COMMIT, the pool's rollback


async def test_outside_storage_engines_transactions_the_calls_go_through_aiosqlite(
    sessions, coroutines
):
    engine = sessions.kw["bind"]
    async with engine.begin() as conn:  # an AsyncConnection's execute must await something
        await conn.execute(text("INSERT INTO note VALUES ('三')"))
        assert (await conn.execute(text("SELECT body FROM note"))).scalars().all() == ["三"]
    assert "execute" in coroutines and "commit" in coroutines


async def test_the_straight_path_gives_rows_counts_and_ids_as_sqlite_does(sessions, coroutines):
    async with transaction(sessions) as session:
        await session.exec(text("CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER)"))
        many = await session.exec(text("INSERT INTO item (n) VALUES (:n)"), params=[{"n": 1}] * 4)
        assert many.rowcount == 4
        one = await session.exec(text("INSERT INTO item (n) VALUES (2)"))
        assert one.lastrowid == 5
        returned = await session.exec(text("INSERT INTO item (n) VALUES (3) RETURNING id, n"))
        assert returned.all() == [(6, 3)]
        changed = await session.exec(text("UPDATE item SET n = n + 10 WHERE n = 1"))
        assert changed.rowcount == 4
        rows = await session.exec(text("SELECT n FROM item ORDER BY id"))
        assert rows.scalars().all() == [11, 11, 11, 11, 2, 3]
    assert coroutines == []  # all of it on the straight path


async def test_a_task_a_transaction_starts_goes_through_aiosqlite(sessions, coroutines):
    engine = sessions.kw["bind"]

    async def apart() -> list[str]:  # its own connection: an AsyncConnection's execute works
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO note VALUES ('五')"))
        return await _notes(sessions)

    async with transaction(sessions) as session:
        await session.exec(text("SELECT 1"))
        task = asyncio.create_task(apart())  # waits for the write turn this transaction has
    assert await task == ["五"]
    assert "execute" in coroutines


async def test_an_error_on_the_straight_path_is_sqlalchemys_and_rolls_back(sessions):
    async with transaction(sessions) as session:
        await session.exec(text("CREATE UNIQUE INDEX one_body ON note (body)"))
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await session.exec(text("INSERT INTO note VALUES ('四')"))
            await session.exec(text("INSERT INTO note VALUES ('四')"))
    assert await _notes(sessions) == []  # the first row went with the failed transaction


async def test_a_transaction_cancelled_midway_leaves_nothing_and_frees_the_lock(sessions):
    """Commit and close are one trip into SQLAlchemy on SQLite (storage.engine._session): a
    transaction cut short rolls back, and its connection and write turn are given back."""
    began = asyncio.Event()

    async def cut_short() -> None:
        async with transaction(sessions) as session:
            await session.exec(text("INSERT INTO note VALUES ('半')"))
            began.set()
            await asyncio.Event().wait()  # cancelled here, inside the transaction

    task = asyncio.create_task(cut_short())
    await began.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _write(sessions, "整")
    assert await _notes(sessions) == ["整"]


async def test_a_begin_that_fails_otherwise_fails_in_sqlalchemys_words(sessions):
    """BEGIN goes straight to sqlite3 (not through SQLAlchemy's execution); when it fails for
    another reason than the lock, SQLAlchemy runs it again and says what went wrong."""
    async with transaction(sessions) as session:
        raw = await (await session.connection()).get_raw_connection()
        driver = raw.dbapi_connection._connection._connection  # sqlite3's, under the pool
    driver.close()
    with pytest.raises(DBAPIError, match=r"closed database[\s\S]*BEGIN IMMEDIATE"):
        await _write(sessions, "丢")
    await _write(sessions, "在")  # the pool let the broken connection go
    assert await _notes(sessions) == ["在"]


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
    assert hops == ["execute"]  # BEGIN IMMEDIATE waited in the thread


async def test_the_wal_is_checkpointed_in_the_thread_every_so_many_commits(sessions, hops):
    for n in range(2 * CHECKPOINT_EVERY):  # whatever the file's count was, two cross it
        await _write(sessions, str(n))
    assert hops == ["_checkpoint", "_checkpoint"]
    async with transaction(sessions) as session:  # SQLite's own, inside a commit: none
        assert (await session.exec(text("PRAGMA wal_autocheckpoint"))).scalar_one() == 0
    assert len(await _notes(sessions)) == 2 * CHECKPOINT_EVERY


async def test_a_files_commits_are_counted_whichever_connection_made_them(sqlite_url, hops):
    engines = [make_engine(sqlite_url), make_engine(sqlite_url)]  # two pools, two connections
    try:
        factories = [make_session_factory(engine) for engine in engines]
        async with transaction(factories[0]) as session:
            await session.exec(text("CREATE TABLE note (body TEXT)"))
        hops.clear()
        for n in range(CHECKPOINT_EVERY):
            await _write(factories[n % 2], str(n))
        assert hops.count("_checkpoint") == 1
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_checkpoint_that_fails_is_logged_and_its_commit_stands(
    sessions, hops, monkeypatch, caplog
):
    def fails(_connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(inline_sqlite, "_checkpoint", fails)
    for n in range(CHECKPOINT_EVERY):
        await _write(sessions, str(n))
    assert "could not checkpoint" in caplog.text
    assert len(await _notes(sessions)) == CHECKPOINT_EVERY


async def test_a_commit_that_fails_leaves_no_transaction_open(sessions, sqlite_url):
    """SQLite keeps its transaction, and the write lock, when COMMIT fails (here a deferred
    foreign key): the session rolls it back, so no writer waits behind it."""
    async with transaction(sessions) as session:
        await session.exec(text("CREATE TABLE p (id INTEGER PRIMARY KEY)"))
        await session.exec(
            text("CREATE TABLE c (pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)")
        )
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await session.exec(text("INSERT INTO c VALUES (42)"))
    other = sqlite3.connect(make_url(sqlite_url).database, timeout=0.2)
    try:
        other.execute("BEGIN IMMEDIATE")  # the write lock is free
        other.execute("ROLLBACK")
    finally:
        other.close()
    await _write(sessions, "后")
    assert await _notes(sessions) == ["后"]
