"""Wake-ups across processes on PostgreSQL: a NOTIFY from this engine's own connections is not
heard again (the commit already said what changed), one from anywhere else is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from storage import signals
from storage.engine import make_engine, make_session_factory, transaction
from tests.databases import database

WAIT = 30  # seconds: only a failure waits this long


@pytest.fixture
async def database_url(tmp_path):
    async with database("postgresql", tmp_path) as url:  # NOTIFY is PostgreSQL's
        yield url


@pytest.fixture
async def engine(database_url):
    engine = make_engine(database_url)
    listener = await signals.listen(engine)
    yield engine
    await listener.close()
    await engine.dispose()


@pytest.fixture
async def stranger(engine):
    """A connection of another process's kind: not this engine's pool."""
    url = engine.url.set(drivername="postgresql")
    conn = await asyncpg.connect(make_url(url).render_as_string(hide_password=False))
    yield conn
    await conn.close()


async def heard_all(stranger) -> None:
    """Everything sent before this call has reached this process's listeners: the stranger's
    inbox NOTIFY comes after it, and asyncpg calls the listeners in the order heard."""
    arrived = signals.waiter(signals.INBOX)
    try:
        await stranger.execute("NOTIFY firecircle_inbox")
        await asyncio.wait_for(arrived.wait(), WAIT)
    finally:
        signals.forget(arrived)


async def test_an_own_notify_is_not_heard_again_another_process_s_is(engine, stranger):
    changed = signals.waiter(signals.DEADLINES, hints=True)
    moved = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    try:
        async with transaction(make_session_factory(engine)) as session:
            await signals.touch(session, signals.DEADLINES, moved)
        await heard_all(stranger)  # its NOTIFY came back from the server, unheard
        assert changed.take() == [moved]  # what the commit said, and nothing else
        await stranger.execute("NOTIFY firecircle_deadlines")
        await heard_all(stranger)
        assert changed.take() == [signals.UNSAID]  # another process's: read the database
    finally:
        signals.forget(changed)


async def test_two_engines_in_one_process_hear_each_other(engine, stranger, database_url):
    """Two services in one process (as the tests run them): each pool's NOTIFYs are the
    other's news, as another process's would be."""
    other = make_engine(database_url)
    changed = signals.waiter(signals.DEADLINES, hints=True)
    moved = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
    try:
        async with transaction(make_session_factory(other)) as session:
            await signals.touch(session, signals.DEADLINES, moved)
        await heard_all(stranger)
        assert changed.take() == [moved, signals.UNSAID]  # the commit's, then the NOTIFY's
    finally:
        signals.forget(changed)
        await other.dispose()
