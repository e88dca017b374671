"""Wake-ups across processes on PostgreSQL: a NOTIFY from this engine's own connections is not
heard again (the commit already said what changed), one from anywhere else is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest
from sqlalchemy import event
from sqlalchemy.engine import make_url

from storage import outbox, signals
from storage import reports as report_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.models import Report, Resident
from storage.types import utcnow
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
        said = changed.take()  # the commit's and the NOTIFY's, in either order
        assert sorted(said, key=lambda x: x is signals.UNSAID) == [moved, signals.UNSAID]
    finally:
        signals.forget(changed)
        await other.dispose()


async def arrived(channel: str, doing) -> None:
    """Waits until the channel wakes this process after `doing` (a coroutine function)."""
    wake = signals.waiter(channel)
    try:
        await doing()
        await asyncio.wait_for(wake.wait(), WAIT)
    finally:
        signals.forget(wake)


async def test_rows_inserted_by_another_process_wake_the_inbox_and_the_outbox(engine, stranger):
    """The tables' triggers notify: a bare connection's INSERT (another instance, the CLI, a
    bulk import) wakes this process, no NOTIFY of its own needed."""
    now = datetime.now(UTC)
    insert_outbox = (
        "INSERT INTO outboxmessage (chat_id, method, payload, priority, status, attempts, "
        "created_at, next_attempt_at) VALUES (7, 'sendMessage', '{}', 50, 'pending', 0, $1, $1)"
    )
    await arrived(signals.OUTBOX, lambda: stranger.execute(insert_outbox, now))
    insert_inbox = "INSERT INTO inboxupdate (update_id, payload, received_at) VALUES (1, '{}', $1)"
    await arrived(signals.INBOX, lambda: stranger.execute(insert_inbox, now))


async def test_the_outbox_is_told_by_its_trigger_not_by_a_statement(stranger, database_url):
    """Queuing rows sends no NOTIFY statement (one round trip less a transaction), and
    another process still hears of them, from the connection that queued them."""
    engine = make_engine(database_url)
    statements: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    heard: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    await stranger.add_listener(
        "firecircle_outbox", lambda _c, pid, _ch, _p: heard.done() or heard.set_result(pid)
    )
    try:
        async with transaction(make_session_factory(engine)) as session:
            row = outbox.pending(7, "sendMessage", {"text": "x"}, priority=50, now=utcnow())
            await outbox.enqueue_values(session=session, rows=[row])
        assert await asyncio.wait_for(heard, WAIT) in signals.own_backends(engine)
        assert not [s for s in statements if "NOTIFY" in s.upper()], statements
    finally:
        await engine.dispose()


async def test_a_reports_deadline_is_told_by_its_trigger_not_by_a_statement(stranger, database_url):
    """A report's change that writes its deadline sends no NOTIFY statement (migration
    0026), and another process's scheduler still hears of it, from the connection that
    wrote it."""
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    try:
        async with transaction(sessions) as session:
            resident = Resident(telegram_id=9, chat_id=9)
            session.add(resident)
            await session.flush()
            report = Report(resident_id=resident.id, text="x", status="assigned")
            await report_rows.add_report(session=session, report=report, actor="system")
        statements: list[str] = []
        event.listen(
            engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2])
        )
        heard: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        await stranger.add_listener(
            "firecircle_deadlines", lambda _c, pid, _ch, _p: heard.done() or heard.set_result(pid)
        )
        async with transaction(sessions) as session:
            assert await report_rows.change_report(
                session=session,
                report_id=report.id,
                from_statuses=["assigned"],
                values={"status": "acknowledged", "next_deadline_at": utcnow()},
            )
        assert await asyncio.wait_for(heard, WAIT) in signals.own_backends(engine)
        assert not [s for s in statements if "NOTIFY" in s.upper()], statements
    finally:
        await engine.dispose()
