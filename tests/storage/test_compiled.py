"""Hot statements as SQL compiled once (storage.compiled), on real databases: they write what
SQLAlchemy's usual path writes, value for value, and reads of columns give what it reads;
what they cannot take (expanding IN lists, omitted Python-side defaults, rows of other
shapes, ORM statements, reads of table objects) goes the usual way and works as before."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import bindparam, func, insert, literal, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from storage import compiled, directory, inline_asyncpg, inline_sqlite, limits, outbox, residents
from storage.bulk import any_of, insert_into
from storage.cards import _CHANGED, _REMEMBER, _SHOWN
from storage.engine import make_session_factory, transaction, unit_of_work
from storage.inbox import _MARK, _STORE
from storage.limits import _COUNT
from storage.models import InboxUpdate, OutboxMessage, Resident, ResidentQuota
from storage.outbox import _REWORD
from storage.types import utcnow
from tests.statements import Statements

NOW = utcnow()


def outbox_row(n: int, **changes) -> dict:
    row = {
        "chat_id": 10 + n,
        "method": "sendMessage",
        "payload": {"chat_id": 10 + n, "text": f"第{n}条", "nested": {"a": [1, None]}},
        "priority": 30,
        "status": "pending",
        "attempts": 0,
        "report_id": None,
        "created_at": NOW,
        "next_attempt_at": NOW + timedelta(seconds=n),
    }
    return row | changes


def as_read(row: OutboxMessage) -> tuple:
    return (
        row.chat_id, row.method, row.payload, row.priority, row.status, row.attempts,
        row.report_id, row.created_at, row.next_attempt_at,
    )  # fmt: skip


async def test_rows_written_compiled_read_back_as_the_usual_path_writes_them(sessions):
    rows = [outbox_row(n) for n in range(3)] + [outbox_row(3, payload=None)]
    async with transaction(sessions) as session:
        await compiled.execute(session, insert_into(OutboxMessage), rows)
        await session.exec(insert_into(OutboxMessage), params=rows)  # the usual path
    async with transaction(sessions) as session:
        read = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [as_read(r) for r in read[:4]] == [as_read(r) for r in read[4:]]
    assert read[0].payload["nested"] == {"a": [1, None]} and read[0].created_at == NOW
    assert read[3].payload is None and read[7].payload is None


async def test_the_hot_statements_take_the_compiled_way(sessions):
    """Each of these is planned (a change to one that loses its plan shows here)."""
    dialect = sessions.kw["bind"].dialect
    mark = frozenset({"b_update_id", "b_at", "b_error"})
    count = frozenset({"b_resident_id", "b_now", "b_started", "b_window_start"})
    postgres = dialect.name == "postgresql"
    assert compiled._plan(insert_into(OutboxMessage), dialect, frozenset(outbox_row(0)))
    assert compiled._plan(_MARK, dialect, mark)
    assert compiled._plan(_COUNT[dialect.name], dialect, count)
    store = frozenset({"update_id", "payload", "chat_id", "received_at"})
    assert compiled._plan(_STORE[postgres], dialect, store)
    reword = frozenset({"b_id", "b_chat_id", "b_method", "b_payload", "b_status"})
    assert compiled._plan(_REWORD, dialect, reword)
    card = frozenset({"report_id", "chat_id", "message_id", "sent_at"})
    assert compiled._plan(_REMEMBER, dialect, card)


async def test_an_update_returning_and_a_mark_as_before(sessions):
    payloads = [{"update_id": 7, "message": {"text": "你好"}}]
    rows = [{"update_id": 7, "payload": payloads[0], "chat_id": 5, "received_at": NOW}]
    postgres = sessions.kw["bind"].dialect.name == "postgresql"
    async with transaction(sessions) as session:
        new = (await compiled.execute(session, _STORE[postgres], rows)).all()
        again = (await compiled.execute(session, _STORE[postgres], rows)).all()
        two = [rows[0] | {"update_id": 8}, rows[0] | {"update_id": 9}]
        both = (await compiled.execute(session, _STORE[postgres], two)).all()  # the usual way
        marks = [{"b_update_id": u, "b_at": NOW, "b_error": e} for u, e in ((7, None), (8, "坏"))]
        await compiled.execute(session, _MARK, marks)
    assert [r[0] for r in new] == [7] and again == [] and sorted(r[0] for r in both) == [8, 9]
    async with transaction(sessions) as session:
        stored = {u.update_id: u for u in (await session.exec(select(InboxUpdate))).all()}
    assert stored[7].payload == payloads[0] and stored[7].processed_at == NOW
    assert stored[8].error == "坏" and stored[9].processed_at is None


async def test_a_count_returning_ints_on_both_databases(sessions):
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="小李")
        session.add(resident)
        await session.flush()
        quota = ResidentQuota(resident_id=resident.id, window_started_at=NOW, messages=4)
        session.add(quota)
        quota.warned = True
    params = {
        "b_resident_id": resident.id,
        "b_now": NOW,
        "b_started": NOW,
        "b_window_start": NOW - timedelta(minutes=1),
    }
    dialect = sessions.kw["bind"].dialect.name
    async with transaction(sessions) as session:
        messages, warned = (await compiled.execute(session, _COUNT[dialect], params)).one()
    assert messages == 5 and warned  # 1 on SQLite, True on PostgreSQL: read with bool()


async def test_what_it_cannot_take_goes_the_usual_way(sessions):
    table = OutboxMessage.__table__
    some = update(table).where(col(table.c.id).in_(bindparam("ids", expanding=True)))
    some = some.values(status="sent")
    defaults = insert(table)  # created_at, next_attempt_at: Python-side defaults left out
    async with transaction(sessions) as session:
        await compiled.execute(session, insert_into(OutboxMessage), [outbox_row(1)])
        left_out = outbox_row(2)
        del left_out["created_at"], left_out["next_attempt_at"]
        await compiled.execute(session, defaults, left_out)
        await compiled.execute(session, some, {"ids": [1, 2]})
        shapes = [outbox_row(3), outbox_row(4, subject="另一种")]  # as SQLAlchemy takes them
        await compiled.execute(session, insert_into(OutboxMessage), shapes)
    async with transaction(sessions) as session:
        read = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [r.status for r in read] == ["sent", "sent", "pending", "pending"]
    assert read[1].created_at is not None and len(read) == 4
    assert compiled._plan(defaults, sessions.kw["bind"].dialect, frozenset(left_out)) is None
    assert compiled._plan(some, sessions.kw["bind"].dialect, frozenset({"ids"})) is None


async def test_a_value_left_out_fails_as_it_would_the_usual_way(sessions):
    with pytest.raises(StatementError):
        async with transaction(sessions) as session:
            await compiled.execute(session, _MARK, {"b_update_id": 1, "b_at": NOW})


async def test_the_engines_events_see_each_statement(sessions):
    with Statements(lambda words: words[0].upper()) as said:
        async with transaction(sessions) as session:
            await compiled.execute(session, insert_into(OutboxMessage), [outbox_row(1)])
            await compiled.execute(session, _MARK, {"b_update_id": 1, "b_at": NOW, "b_error": None})
    assert [s for s in said if s in ("INSERT", "UPDATE")] == ["INSERT", "UPDATE"]


async def test_on_sqlite_they_go_to_sqlite3_itself_and_give_the_same(sessions, monkeypatch):
    """Inside a transaction on a WAL file, a compiled statement skips SQLAlchemy's execution
    (storage.inline_sqlite.run): its rows, its count of changed rows and its errors are what
    the usual way gives."""
    if sessions.kw["bind"].dialect.name != "sqlite":
        pytest.skip("SQLite's straight path")
    went, real = [], inline_sqlite.run

    def spy(*args):
        done = real(*args)
        went.append(done is not None)
        return done

    monkeypatch.setattr(inline_sqlite, "run", spy)
    rows = [{"update_id": 7, "payload": {"text": "你好"}, "chat_id": 5, "received_at": NOW}]
    async with transaction(sessions) as session:
        new = (await compiled.execute(session, _STORE[False], rows)).all()
        again = (await compiled.execute(session, _STORE[False], rows)).all()
        marks = [{"b_update_id": u, "b_at": NOW, "b_error": None} for u in (7, 8)]
        marked = (await compiled.execute(session, _MARK, marks)).rowcount
    assert [r[0] for r in new] == [7] and again == [] and marked == 1
    assert went == [True, True, True]
    await _errors_and_listeners_as_the_usual_way(sessions, went, marks)


async def _errors_and_listeners_as_the_usual_way(sessions, went: list, marks: list) -> None:
    """The straight path's error is SQLAlchemy's, and a statement the engine's listeners
    wait for goes the usual way (`went`: the straight path's spy, True for each it took)."""
    with pytest.raises(IntegrityError):  # as SQLAlchemy raises it
        async with transaction(sessions) as session:
            await session.exec(select(InboxUpdate))  # the transaction holds its connection
            row = {"report_id": 999_999, "chat_id": 1, "message_id": 1, "sent_at": NOW}
            await compiled.execute(session, _REMEMBER, row)  # no such report
    assert went[-1] is True
    async with transaction(sessions) as session:
        stored = (await session.exec(select(InboxUpdate))).all()
    assert [(u.update_id, u.processed_at) for u in stored] == [(7, NOW)]
    tried = len(went)
    with Statements(lambda words: words[0].upper()) as said:
        async with transaction(sessions) as session:
            await session.exec(select(InboxUpdate))
            await compiled.execute(session, _MARK, marks[:1])
    assert "UPDATE" in said and len(went) == tried  # listeners see it: the usual way


async def test_on_postgresql_they_go_to_asyncpg_itself_and_give_the_same(sessions, monkeypatch):
    """In a transaction holding its connection, a compiled statement skips SQLAlchemy's
    execution (storage.inline_asyncpg.run): its rows, its count of changed rows and its
    errors are what the usual way gives, the first statement of a transaction too; a
    statement the engine's listeners wait for goes the usual way."""
    if sessions.kw["bind"].dialect.driver != "asyncpg":
        pytest.skip("asyncpg's straight path")
    went, real = [], inline_asyncpg.run

    async def spy(*args):
        went.append(True)
        return await real(*args)

    monkeypatch.setattr(inline_asyncpg, "run", spy)
    rows = [{"update_id": 7, "payload": {"text": "你好"}, "chat_id": 5, "received_at": NOW}]
    marks = [{"b_update_id": u, "b_at": NOW, "b_error": None} for u in (7, 8)]
    async with transaction(sessions) as session:
        first = (await compiled.execute(session, _STORE[True], rows)).all()
        again = (await compiled.execute(session, _STORE[True], rows)).all()
        marked = (await compiled.execute(session, _MARK, marks[0])).rowcount
        none = (await compiled.execute(session, _MARK, marks[1])).rowcount
        both = await compiled.execute(session, _MARK, marks)  # executemany
    assert [r[0] for r in first] == [7] and again == [] and (marked, none) == (1, 0)
    assert went == [True] * 5 and both.rowcount == -1
    await _errors_and_listeners_as_the_usual_way(sessions, went, marks)


async def test_on_postgresql_a_lost_connection_is_given_up_as_the_engine_gives_it_up(sessions):
    """The server ends the connection under a statement made on asyncpg itself: the error is
    SQLAlchemy's, saying the connection was invalidated, and the next transaction gets a
    working one."""
    if sessions.kw["bind"].dialect.driver != "asyncpg":
        pytest.skip("asyncpg's straight path")
    async with transaction(sessions) as session:
        mine = (await session.exec(select(func.pg_backend_pid()))).one()
    with pytest.raises(DBAPIError) as raised:
        async with transaction(sessions) as session:
            assert (await session.exec(select(func.pg_backend_pid()))).one() == mine
            async with transaction(sessions) as other:
                await other.exec(select(func.pg_terminate_backend(mine)))
            await compiled.execute(session, _MARK, {"b_update_id": 1, "b_at": NOW, "b_error": None})
    assert raised.value.connection_invalidated
    async with transaction(sessions) as session:
        marked = await compiled.execute(
            session, _MARK, {"b_update_id": 1, "b_at": NOW, "b_error": None}
        )
    assert marked.rowcount == 0


async def test_on_postgresql_a_cancelled_statement_ends_on_the_server_too(sessions):
    """A task cancelled in the middle of a statement made on asyncpg itself: as the engine
    does, the connection is given up gracefully, asyncpg cancels the statement on the server,
    and its transaction's row locks go at once (not when the statement would have ended)."""
    if sessions.kw["bind"].dialect.driver != "asyncpg":
        pytest.skip("asyncpg's straight path")
    stored = [{"update_id": 9, "payload": {}, "chat_id": 5, "received_at": NOW}]
    async with transaction(sessions) as session:
        await compiled.execute(session, _STORE[True], stored)
    server = asyncio.get_running_loop().create_future()

    async def cancelled() -> None:
        async with transaction(sessions) as session:
            server.set_result((await session.exec(select(func.pg_backend_pid()))).one())
            marks = {"b_update_id": 9, "b_at": NOW, "b_error": "locked"}
            await compiled.execute(session, _MARK, marks)  # the row is locked
            await compiled.read(session, select(func.pg_sleep(120)), {})

    task = asyncio.create_task(cancelled())
    pid = await server
    async with asyncio.timeout(60):  # until the server runs the sleep
        while not await _sleeping(sessions, pid):
            await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    async with transaction(sessions) as session:
        await session.exec(text("SET LOCAL lock_timeout = '20s'"))  # the sleep ran 120 s
        table = InboxUpdate.__table__
        await session.exec(update(table).values(error="next").where(table.c.update_id == 9))


async def _sleeping(sessions, pid: int) -> bool:
    said = text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p AND query LIKE '%pg_sleep%'")
    async with transaction(sessions) as session:
        return (await session.exec(said, params={"p": pid})).one()[0] == 1


async def test_on_postgresql_asyncpgs_timeout_comes_out_as_the_engine_gives_it(database_url):
    """asyncpg's command_timeout: TimeoutError as through SQLAlchemy's execution, the
    connection given up, and the next transaction gets a working one."""
    if not database_url.startswith("postgresql+asyncpg"):
        pytest.skip("asyncpg's straight path")
    engine = create_async_engine(database_url, connect_args={"command_timeout": 0.5})
    sessions = make_session_factory(engine)
    try:
        with pytest.raises(TimeoutError):
            async with transaction(sessions) as session:
                await compiled.read(session, select(func.pg_sleep(30)), {})
        assert engine.sync_engine.pool.checkedout() == 0
        async with transaction(sessions) as session:
            assert await compiled.read(session, select(literal(7)), {}) == [7]
    finally:
        await engine.dispose()


async def test_several_rows_read_back_give_what_one_statement_gives(sessions, monkeypatch):
    """An INSERT … RETURNING of several rows: on sqlite3 one execution a row (its executemany
    returns nothing), elsewhere one statement of many VALUES; the same rows back, the same
    stored, a row already there (or twice in the rows) returned once."""
    went, real = [], inline_sqlite.run

    def spy(*args):
        done = real(*args)
        if args[1].startswith("INSERT"):
            went.append(done)
        return done

    monkeypatch.setattr(inline_sqlite, "run", spy)
    postgres = sessions.kw["bind"].dialect.name == "postgresql"

    def row(n):
        return {"update_id": n, "payload": {"n": n}, "chat_id": 5, "received_at": NOW}

    async with transaction(sessions) as session:
        first = (await compiled.execute(session, _STORE[postgres], [row(1), row(2)])).all()
        again = await compiled.execute(session, _STORE[postgres], [row(2), row(3), row(3)])
        again = again.all()
    assert sorted(r[0] for r in first) == [1, 2] and [r[0] for r in again] == [3]
    assert len(went) == (0 if postgres else 5) and all(d is not None for d in went)
    async with transaction(sessions) as session:
        stored = (await session.exec(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()
    assert [(u.update_id, u.payload) for u in stored] == [(n, {"n": n}) for n in (1, 2, 3)]


async def test_a_failed_step_of_a_careful_unit_undoes_its_compiled_writes(sessions):
    """A careful unit runs each step in a savepoint: a step whose first statement is a
    compiled write, and which then fails, leaves nothing of it (the savepoint must be begun
    before that write, on either database)."""
    rows = [{"update_id": 7, "payload": {"text": "你好"}, "chat_id": 5, "received_at": NOW}]
    postgres = sessions.kw["bind"].dialect.name == "postgresql"
    async with unit_of_work(sessions, careful=True) as unit:
        async with transaction(sessions) as step:
            await compiled.execute(step, _STORE[postgres], rows)
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as step:
                marks = {"b_update_id": 7, "b_at": NOW, "b_error": None}
                await compiled.execute(step, _MARK, marks)
                raise RuntimeError("the step failed after its write")
        async with transaction(sessions) as step:  # the unit goes on
            await compiled.execute(step, _STORE[postgres], [rows[0] | {"update_id": 8}])
        assert not unit.spoiled
    async with transaction(sessions) as session:
        stored = (await session.exec(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()
    assert [(u.update_id, u.processed_at) for u in stored] == [(7, None), (8, None)]


_OUT = OutboxMessage.__table__
_READ = (
    select(OutboxMessage.chat_id, OutboxMessage.payload, OutboxMessage.created_at)
    .where(any_of(_OUT.c.id, "ids"))
    .order_by(col(OutboxMessage.id))
)
_CHATS = select(OutboxMessage.chat_id).where(any_of(_OUT.c.id, "ids")).order_by(_OUT.c.id)


async def test_a_read_gives_what_the_usual_path_gives(sessions, monkeypatch):
    """Values through their types (JSON, a time), tuples or a column's values; on SQLite
    straight on sqlite3, the first statement of a transaction too."""
    went, real = [], inline_sqlite.run
    monkeypatch.setattr(inline_sqlite, "run", lambda *a: went.append(real(*a)) or went[-1])
    async with transaction(sessions) as session:
        await session.exec(insert_into(OutboxMessage), params=[outbox_row(n) for n in range(3)])
        ids = (await session.exec(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
    chosen = {"ids": [ids[2], ids[0]]}
    async with transaction(sessions) as session:
        read = await compiled.read(session, _READ, chosen)
        chats = await compiled.read(session, _CHATS, chosen)
        usual = [tuple(r) for r in (await session.exec(_READ, params=chosen)).all()]
    assert read == usual and chats == [10, 12]
    assert read[0] == (10, outbox_row(0)["payload"], NOW)
    sqlite = sessions.kw["bind"].dialect.name == "sqlite"
    assert (len(went) == 2 and all(d is not None for d in went)) if sqlite else went == []


async def test_a_read_of_a_models_columns_sees_the_sessions_changes_first(sessions):
    """As the ORM's autoflush would: rows added or changed and not yet flushed are read."""
    named = select(Resident.name).where(col(Resident.telegram_id) == bindparam("t"))
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="王")
        session.add(resident)
        assert await compiled.read(session, named, {"t": 77}) == ["王"]
        resident.name = "李"
        assert await compiled.read(session, named, {"t": 77}) == ["李"]
        assert await compiled.read(session, named, {"t": 78}) == []


async def test_the_hot_reads_are_planned(sessions):
    """On SQLite and asyncpg all of them (another driver would plan only those of table
    objects: their loading is saved)."""
    dialect = sessions.kw["bind"].dialect
    reads = [
        (_SHOWN, {"ids"}),
        (_CHANGED, {"ids"}),
        (directory._VERSION, set()),
        (residents._VISITOR, {"telegram_id"}),
        (residents._FOLLOWERS, {"report_id"}),
        (limits._OPEN_AND_COUNTED, {"b_resident_id", "b_since"}),
        (outbox._DUE[False], {"b_now", "b_limit"}),
    ]
    planned = [compiled._plan(r, dialect, frozenset(names)) is not None for r, names in reads]
    assert planned == [True] * 7
    other = aliased(OutboxMessage)  # not the table's own columns: the ORM's to load
    assert compiled._plan(select(other), dialect, frozenset()) is None
