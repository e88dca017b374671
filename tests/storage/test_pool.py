"""PostgreSQL's pooled connections: pinged only after idling (a ping is three round trips),
one the server closed is replaced before use, and a server that dropped them all unnoticed
costs one transaction, not one a connection."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import engine as engine_module
from storage.engine import make_engine, make_session_factory, transaction
from tests.databases import database

POOLED = 3  # connections the pool holds when the server drops them
WAIT = 30  # seconds: only a failure waits this long


@pytest.fixture
async def database_url(tmp_path):
    async with database("postgresql", tmp_path) as url:  # SQLite's pool holds no server
        yield url


@pytest.fixture
async def pool(database_url, monkeypatch):
    engine = make_engine(database_url)
    pings = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda c: pings.append(c) or real(c))
    yield make_session_factory(engine), pings
    await engine.dispose()


async def _pid(sessions) -> int:
    async with transaction(sessions) as session:
        return (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()


async def _fill(sessions) -> tuple[set[int], list[asyncio.Event]]:
    """POOLED connections in the pool, each used once (held together so none is shared),
    and for each an event set when its driver sees the server close it."""
    all_in = asyncio.Barrier(POOLED)
    closed = [asyncio.Event() for _ in range(POOLED)]

    async def one(seen_closed: asyncio.Event) -> int:
        async with transaction(sessions) as session:
            raw = await (await session.connection()).get_raw_connection()
            raw.driver_connection.add_termination_listener(lambda _c: seen_closed.set())
            pid = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()
            await all_in.wait()
            return pid

    pids = await asyncio.gather(*(one(event) for event in closed))
    assert len(set(pids)) == POOLED
    return set(pids), closed


async def _drop(database_url: str, pids: set[int]) -> None:
    """The server ends these connections, as a restart would (from another engine)."""
    other = make_engine(database_url)
    try:
        async with other.connect() as conn:
            dropped = await conn.scalar(
                text(
                    "SELECT count(*) FROM unnest(CAST(:p AS int[])) p WHERE pg_terminate_backend(p)"
                ),
                {"p": sorted(pids)},
            )
        assert dropped == len(pids)
    finally:
        await other.dispose()


async def test_a_connection_used_a_moment_ago_is_not_pinged(pool):
    sessions, pings = pool
    first = await _pid(sessions)
    second = await _pid(sessions)
    assert first == second  # the same pooled connection, used again
    assert pings == []


async def test_an_idle_connection_is_pinged_and_kept_if_alive(pool, monkeypatch):
    sessions, pings = pool
    first = await _pid(sessions)
    monkeypatch.setattr(engine_module, "IDLE_PING", 0.0)  # every pooled one counts as idle
    assert await _pid(sessions) == first  # the ping answered: the same connection
    assert len(pings) == 1


async def test_a_dead_idle_connection_is_replaced_by_its_ping(pool, database_url, monkeypatch):
    sessions, pings = pool
    pids, _ = await _fill(sessions)
    monkeypatch.setattr(engine_module, "IDLE_PING", 0.0)
    # Not known closed yet (nothing read the sockets since): the ping finds out
    monkeypatch.setattr(engine_module, "_closed", lambda _connection: False)
    await _drop(database_url, pids)
    after = await asyncio.gather(*(_pid(sessions) for _ in range(POOLED)))
    assert pings, "the idle connections were not pinged"
    assert not set(after) & pids  # the dead ones were replaced, and no transaction failed


async def test_a_connection_the_server_closed_is_replaced_without_a_ping(pool, database_url):
    sessions, pings = pool
    pids, closed = await _fill(sessions)
    await _drop(database_url, pids)
    async with asyncio.timeout(WAIT):
        for event in closed:
            await event.wait()
    after = await asyncio.gather(*(_pid(sessions) for _ in range(POOLED)))
    assert not set(after) & pids  # none failed: each was known closed at checkout
    assert pings == []


async def test_a_pool_dropped_unnoticed_costs_one_transaction_at_most(
    pool, database_url, monkeypatch
):
    sessions, pings = pool
    pids, _ = await _fill(sessions)
    monkeypatch.setattr(engine_module, "_closed", lambda _connection: False)
    await _drop(database_url, pids)
    with pytest.raises(DBAPIError) as failed:  # the first to find a dead connection fails...
        await _pid(sessions)
    assert failed.value.connection_invalidated
    # ...and replaces the whole pool: every next transaction gets a live connection
    after = await asyncio.gather(*(_pid(sessions) for _ in range(POOLED)))
    assert not set(after) & pids
    assert pings == []


async def test_a_transaction_cancelled_during_its_commit_leaves_nothing_held(pool):
    """COMMIT is a round trip (here a slow one: a deferred trigger sleeps in it). A task
    cancelled meanwhile: its connection is given up, nothing stays checked out of the pool,
    its row is not stored, and the next transaction works."""
    sessions, _ = pool
    async with transaction(sessions) as session:
        for ddl in (
            "CREATE TABLE slow_commit (id int PRIMARY KEY)",
            "CREATE FUNCTION slow_commit_sleep() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN PERFORM pg_sleep(30); RETURN NULL; END $$",
            "CREATE CONSTRAINT TRIGGER slow_commit_at_commit AFTER INSERT ON slow_commit"
            " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION slow_commit_sleep()",
        ):
            await session.exec(text(ddl))
    pid = asyncio.get_running_loop().create_future()

    async def cancelled() -> None:
        async with transaction(sessions) as session:
            pid.set_result((await session.exec(text("SELECT pg_backend_pid()"))).scalar_one())
            await session.exec(text("INSERT INTO slow_commit VALUES (1)"))

    task = asyncio.create_task(cancelled())
    mine = await pid
    watching = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p AND query = 'COMMIT;'")
    async with asyncio.timeout(WAIT):  # until the server runs the COMMIT
        while True:
            async with transaction(sessions) as session:
                if (await session.exec(watching, params={"p": mine})).scalar_one():
                    break
            await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    engine = sessions.kw["bind"]
    assert engine.sync_engine.pool.checkedout() == 0
    async with transaction(sessions) as session:
        stored = (await session.exec(text("SELECT count(*) FROM slow_commit"))).scalar_one()
    assert stored == 0
