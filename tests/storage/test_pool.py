"""PostgreSQL's pooled connections: pinged only after idling (a ping is three round trips),
and a server that dropped them all costs one transaction, not one a connection."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from storage import engine as engine_module
from storage.engine import make_engine, make_session_factory, transaction
from tests.databases import database

POOLED = 3  # connections the pool holds when the server drops them


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


async def _fill(sessions) -> set[int]:
    """POOLED connections in the pool, each used once (held together so none is shared)."""
    held = asyncio.Event()

    async def one() -> int:
        async with transaction(sessions) as session:
            pid = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()
            await held.wait()
            return pid

    tasks = [asyncio.create_task(one()) for _ in range(POOLED)]
    while sum(t.done() for t in tasks) == 0 and _checked_out(sessions) < POOLED:
        await asyncio.sleep(0)
    held.set()
    return set(await asyncio.gather(*tasks))


def _checked_out(sessions) -> int:
    return sessions.kw["bind"].sync_engine.pool.checkedout()


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


async def test_an_idle_connection_is_pinged_and_replaced_if_dead(pool, database_url, monkeypatch):
    sessions, pings = pool
    pids = await _fill(sessions)
    await _drop(database_url, pids)
    monkeypatch.setattr(engine_module, "IDLE_PING", 0.0)  # every pooled one counts as idle
    after = await asyncio.gather(*(_pid(sessions) for _ in range(POOLED)))
    assert pings, "the idle connections were not pinged"
    assert not set(after) & pids  # each dead one found by its ping and replaced; none failed


async def test_a_dropped_pool_costs_one_transaction_at_most(pool, database_url):
    sessions, pings = pool
    pids = await _fill(sessions)
    await _drop(database_url, pids)
    failed = 0
    try:
        await _pid(sessions)
    except DBAPIError as exc:
        assert exc.connection_invalidated
        failed = 1
    # The first failure replaced the whole pool: the next ones all get live connections.
    after = await asyncio.gather(*(_pid(sessions) for _ in range(POOLED)))
    assert not set(after) & pids
    assert failed <= 1
    assert pings == []
