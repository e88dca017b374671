"""The hot path's shortcuts past SQLAlchemy's own machinery, each case run both ways on real
databases and required to end alike: one deleted object's flush (storage.flushing) against
the ORM's flush, a row's new object (storage.loading) against the ORM's loading, a
transaction in one greenlet trip (storage.engine._session) against `with session.begin()`
on PostgreSQL, several rows' INSERT … RETURNING one at a time on sqlite3 against one
statement of many VALUES (storage.compiled). Cancellations mid-statement and mid-COMMIT are
tests/storage/test_compiled.py's and test_pool.py's."""

from __future__ import annotations

import gc
import weakref
from contextlib import asynccontextmanager, contextmanager

import pytest
from sqlalchemy import bindparam, event, inspect, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError
from sqlalchemy.orm import Session, make_transient
from sqlmodel import col, func, select

from storage import bulk, compiled, flushing, signals
from storage import engine as engine_module
from storage.engine import transaction
from storage.models import OutboxMessage, ReportDraft, Resident
from storage.types import utcnow
from tests.databases import database
from tests.storage.test_flushing import stored_resident

NOW = utcnow()
_BY_TELEGRAM = select(Resident).where(col(Resident.telegram_id) == bindparam("t"))


@contextmanager
def orm_flush():
    """storage.flushing declines: the ORM's own flush."""
    real = flushing.flushed

    async def declined(_session) -> bool:
        return False

    flushing.flushed = declined
    try:
        yield
    finally:
        flushing.flushed = real


@contextmanager
def counted_flushes(taken: list):
    real = flushing.flushed

    async def counted(session) -> bool:
        taken.append(await real(session))
        return taken[-1]

    flushing.flushed = counted
    try:
        yield
    finally:
        flushing.flushed = real


async def both(make):
    """make(n) run through storage.flushing (asserted taken) and through the ORM's flush,
    each required to end alike."""
    taken: list = []
    with counted_flushes(taken):
        short = await make(100)
    assert True in taken, "storage.flushing did not take the case"
    with orm_flush():
        orm = await make(200)
    assert short == orm, (short, orm)


async def deleted(session, id_: int) -> Resident:
    """The stored resident, deleted and flushed in the session's transaction."""
    held = await session.get(Resident, id_)
    await session.delete(held)
    await session.flush()
    return held


async def is_stored(sessions, id_: int) -> bool:
    async with transaction(sessions) as session:
        return (await session.get(Resident, id_)) is not None


# --- one deleted object's flush (storage.flushing) ----------------------------------------


async def test_delete_flush_tells_the_sessions_flush_listeners(sessions):
    async def make(n):
        id_ = await stored_resident(sessions, n)
        seen = []
        async with transaction(sessions) as session:
            for name in ("before_flush", "after_flush", "after_flush_postexec",
                         "persistent_to_deleted"):  # fmt: skip
                event.listen(session.sync_session, name, lambda *a, name=name: seen.append(name))
            await deleted(session, id_)
        return seen

    await both(make)


async def test_fk_violation_same_error_and_session_state(sessions):
    async def make(n):
        id_ = await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            session.add(ReportDraft(resident_id=id_, step="description", text="x"))
        out = {}
        with pytest.raises(IntegrityError):
            async with transaction(sessions) as session:
                held = await session.get(Resident, id_)
                held.name = "先改再删"
                await session.delete(held)
                try:
                    await session.flush()
                except IntegrityError as error:
                    state = inspect(held)
                    out["error"] = (type(error), type(error.orig).__name__)
                    out["state"] = (
                        state.persistent, state.deleted, state._deleted, held in session,
                        len(session.deleted), len(session.dirty), session.is_active,
                        sorted(state.expired_attributes) == sorted(inspect(Resident).attrs.keys()),
                    )  # fmt: skip
                    try:
                        await session.exec(select(Resident.id))
                    except Exception as again:
                        out["next"] = type(again).__name__
                    raise
        async with transaction(sessions) as session:
            out["stored"] = (await session.get(Resident, id_)).name == f"居民{n}"
        return out

    await both(make)


async def test_changed_then_deleted_then_committed_and_rolled_back(sessions):
    async def make(n):
        out = {}
        id_ = await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            held = await session.get(Resident, id_)
            held.name = "改了"
            await session.delete(held)
            await session.flush()
            state = inspect(held)
            out["flushed"] = (state.deleted, state.modified, dict(state.committed_state).keys(),
                              held in session, len(session.identity_map), len(session.dirty))  # fmt: skip
        out["committed"] = (state.detached, state.was_deleted, held.name)
        id2 = await stored_resident(sessions, n + 1)
        with pytest.raises(RuntimeError):
            async with transaction(sessions) as session:
                other = await session.get(Resident, id2)
                other.name = "又改了"
                await session.delete(other)
                await session.flush()
                raise RuntimeError
        st = inspect(other)
        out["rolled back"] = (st.persistent, st.detached, st.deleted, st.was_deleted,
                              sorted(st.expired_attributes) != [], st.modified)  # fmt: skip
        return out

    await both(make)


async def test_deleted_then_readded_or_reinserted(sessions):
    async def make(n):
        out = {}
        id_ = await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            held = await deleted(session, id_)
            try:
                session.add(held)
            except InvalidRequestError as error:
                out["re-add"] = type(error).__name__
            make_transient(held)
            session.add(held)
            await session.flush()
            out["after"] = (inspect(held).persistent, held.id == id_)
        out["stored"] = await is_stored(sessions, id_)
        return out

    await both(make)


async def test_delete_then_savepoint(sessions):
    async def make(n):
        out = {}
        id_ = await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            held = await deleted(session, id_)
            inner = await session.begin_nested()
            await session.exec(select(Resident.id))
            await inner.rollback()
            out["after savepoint rollback"] = (inspect(held).deleted, held in session)
        out["stored"] = await is_stored(sessions, id_)
        return out

    await both(make)


# --- a row's new object (storage.loading) -------------------------------------------------


async def _compiled_read(session, t):
    [read] = await compiled.read(session, _BY_TELEGRAM, {"t": t})
    return read


async def _orm_read(session, t):
    return (await session.exec(_BY_TELEGRAM, params={"t": t})).one()


READERS = {"compiled": _compiled_read, "orm": _orm_read}


async def test_a_dropped_object_leaves_the_identity_map(sessions):
    out = {}
    for n, (way, read) in enumerate(READERS.items(), 300):
        await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            got = await read(session, n)
            ref = weakref.ref(got)
            del got
            gc.collect()
            out[way] = (ref() is None, len(session.sync_session.identity_map))
    assert out["compiled"] == out["orm"] == (True, 0), out


async def test_state_after_loading(sessions):
    out = {}
    for n, (way, read) in enumerate(READERS.items(), 310):
        id_ = await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            got = await read(session, n)
            state = inspect(got)
            again = await read(session, n)
            out[way] = (
                state.key, state.identity_token, state.persistent, state.modified,
                state._strong_obj is None, dict(state.committed_state), set(state.unloaded),
                len(session.new), len(session.dirty), again is got,
                await session.get(Resident, id_) is got,
                (await session.merge(Resident(**{**got.model_dump(), "name": "并"}))) is got,
                got in session.dirty,
            )  # fmt: skip
            await session.refresh(got)
            session.expunge(got)
            out[way] += (state.detached, (await read(session, n)) is not got)
    assert out["compiled"][1:] == out["orm"][1:], out


async def test_a_change_made_by_a_loaded_as_persistent_listener(sessions):
    """The ORM tells loaded_as_persistent before it commits the new object's state, so a
    change a listener makes is not flushed; the shortcut commits first, then tells."""
    out = {}
    for n, (way, read) in enumerate(READERS.items(), 320):
        id_ = await stored_resident(sessions, n)
        async with transaction(sessions) as session:
            event.listen(
                session.sync_session, "loaded_as_persistent",
                lambda _s, obj: setattr(obj, "username", "listener"),
            )  # fmt: skip
            got = await read(session, n)
            out[way] = [len(session.dirty), got.username]
        async with transaction(sessions) as session:
            out[way].append((await session.get(Resident, id_)).username)
    assert out["compiled"] == out["orm"], out


async def test_an_expired_held_object_read_again_tells_refresh(sessions):
    out = {}
    for n, (way, read) in enumerate(READERS.items(), 330):
        await stored_resident(sessions, n)
        told = []

        def refreshed(target, _context, attrs, told=told):
            told.append(sorted(attrs or ()))

        event.listen(Resident, "refresh", refreshed)
        try:
            async with transaction(sessions) as session:
                got = await read(session, n)
                session.expire(got, ["name"])
                assert await read(session, n) is got
                out[way] = (told[:], got.name)
        finally:
            event.remove(Resident, "refresh", refreshed)
    assert out["compiled"][0] == out["orm"][0], out


# --- a transaction in one greenlet trip on PostgreSQL (storage.engine._session) -----------


@asynccontextmanager
async def _with_session_begin(factory):
    async with factory() as session, session.begin():
        yield session


@pytest.fixture
async def pg(tmp_path):
    from storage.engine import make_engine, make_session_factory

    async with database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        async with transaction(sessions) as session:
            for ddl in (
                "CREATE TABLE rv_parent (id int PRIMARY KEY)",
                "CREATE TABLE rv_child (id int PRIMARY KEY, parent int REFERENCES rv_parent"
                " DEFERRABLE INITIALLY DEFERRED)",
            ):
                await session.exec(text(ddl))
        yield sessions
        await engine.dispose()


@contextmanager
def session_events():
    seen, fns = [], {}
    for name in ("after_commit", "after_rollback", "after_soft_rollback"):
        fns[name] = lambda *a, name=name: seen.append(name)
        event.listen(Session, name, fns[name])
    try:
        yield seen
    finally:
        for name, fn in fns.items():
            event.remove(Session, name, fn)


async def old_and_new(pg, make):
    """make(sessions, base) with storage.engine._session, and with SQLAlchemy's
    `with session.begin()`."""
    new = await make(pg, 1000)
    real = engine_module._session
    engine_module._session = _with_session_begin
    try:
        old = await make(pg, 2000)
    finally:
        engine_module._session = real
    return new, old


async def ends_alike(pg, body) -> None:
    """body(sessions, base) ends alike both ways: what it raised, committed and told."""
    new, old = await old_and_new(pg, lambda s, b: _outcome(s, b, body))
    assert new == old, (new, old)


async def _stored(sessions, table, base):
    async with transaction(sessions) as session:
        rows = (
            await session.exec(
                text(
                    f"SELECT id FROM {table} WHERE id >= {base} AND id < {base + 1000} ORDER BY id"
                )
            )
        ).all()  # noqa: E501
    return [r[0] for r in rows]


def _checked_out(sessions) -> int:
    return sessions.kw["bind"].sync_engine.pool.checkedout()


async def _outcome(sessions, base, body):
    wake = signals.waiter(signals.OUTBOX)
    error = None
    with session_events() as seen:
        try:
            await body(sessions, base)
        except BaseException as raised:  # noqa: BLE001
            error = (type(raised).__name__, type(getattr(raised, "orig", None)).__name__)
    out = {
        "error": error, "events": seen, "woken": wake.is_set(),
        "checked out": _checked_out(sessions),
        "parents": [i - base for i in await _stored(sessions, "rv_parent", base)],
        "children": [i - base for i in await _stored(sessions, "rv_child", base)],
    }  # fmt: skip
    signals.forget(wake)
    return out


async def test_a_deferred_fk_failing_at_commit(pg):
    async def body(sessions, base):
        async with transaction(sessions) as session:
            await signals.touch(session, signals.OUTBOX)
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base})"))
            await session.exec(text(f"INSERT INTO rv_child VALUES ({base}, -1)"))

    await ends_alike(pg, body)


async def test_a_rollback_inside_the_block_then_more_work(pg):
    async def body(sessions, base):
        async with transaction(sessions) as session:
            await signals.touch(session, signals.OUTBOX)
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 1})"))
            await session.rollback()
            await signals.touch(session, signals.OUTBOX)
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 2})"))

    await ends_alike(pg, body)


async def test_a_commit_inside_the_block_then_more_work(pg):
    async def body(sessions, base):
        async with transaction(sessions) as session:
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 1})"))
            await session.commit()
            await signals.touch(session, signals.OUTBOX)
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 2})"))

    await ends_alike(pg, body)


async def test_a_commit_inside_the_block_as_settle_before_telling(pg):
    async def body(sessions, base):
        async with transaction(sessions) as session:
            await signals.touch(session, signals.OUTBOX)
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 1})"))
            await session.commit()

    await ends_alike(pg, body)


async def test_a_savepoint_left_open(pg):
    async def body(sessions, base):
        async with transaction(sessions) as session:
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 1})"))
            await session.begin_nested()
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 2})"))

    await ends_alike(pg, body)


async def test_a_failure_inside_a_savepoint_then_the_block_fails(pg):
    async def body(sessions, base):
        async with transaction(sessions) as session:
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 1})"))
            try:
                async with session.begin_nested():
                    await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 1})"))
            except IntegrityError:
                pass
            await session.exec(text(f"INSERT INTO rv_parent VALUES ({base + 2})"))
            async with session.begin_nested():
                await session.exec(text(f"INSERT INTO rv_child VALUES ({base + 3}, -5)"))

    await ends_alike(pg, body)


# --- several rows' INSERT … RETURNING (storage.compiled, storage.bulk) --------------------


def _message(chat_id, **values) -> OutboxMessage:
    return OutboxMessage(chat_id=chat_id, payload={"text": f"m{chat_id}"}, created_at=NOW,
                         next_attempt_at=NOW, **values)  # fmt: skip


@contextmanager
def sqlalchemys_insertmanyvalues():
    """compiled.execute's several rows with RETURNING go the usual way (session.exec)."""
    real = compiled._each_on_sqlite3
    compiled._each_on_sqlite3 = lambda *_a: None
    try:
        yield
    finally:
        compiled._each_on_sqlite3 = real


async def _each_way(make):
    went, real = [], compiled._each_on_sqlite3

    def spied(*a):
        went.append(real(*a))
        return went[-1]

    compiled._each_on_sqlite3 = spied
    try:
        short = await make(10)
    finally:
        compiled._each_on_sqlite3 = real
    with sqlalchemys_insertmanyvalues():
        usual = await make(20)
    return short, usual, went


async def test_a_failure_on_the_second_row_keeps_the_first(sessions):
    """SQLAlchemy sends the rows as one INSERT of many VALUES: one fails, none is stored.
    One execution a row stores the first, then raises: a caller that survives the error
    (storage.engine.contained on SQLite is no savepoint) commits half of the rows."""

    async def make(base):
        out = {}
        async with transaction(sessions) as session:
            rows = [_message(base + 1), _message(None), _message(base + 3)]
            try:
                await bulk.insert_with_ids(session, rows)
            except IntegrityError as error:
                out["error"] = (type(error).__name__, type(error.orig).__name__)
            out["active"] = session.is_active
            out["ids"] = [row.id for row in rows]
        async with transaction(sessions) as session:
            out["stored"] = (await session.exec(
                select(func.count()).select_from(OutboxMessage).where(
                    col(OutboxMessage.chat_id).between(base, base + 9))
            )).one()  # fmt: skip
        return out

    short, usual, went = await _each_way(make)
    assert short == usual, (short, usual, went)


async def test_ids_go_to_their_rows(sessions):
    async def make(base):
        async with transaction(sessions) as session:
            rows = [_message(base + i) for i in range(4)]
            await bulk.insert_with_ids(session, rows)
        async with transaction(sessions) as session:
            return [
                (await session.get(OutboxMessage, row.id)).chat_id == row.chat_id for row in rows
            ]

    short, usual, went = await _each_way(make)
    assert short == usual == [True] * 4
    assert went or sessions.kw["bind"].dialect.name != "sqlite"


async def test_ids_given_in_the_rows_stay_theirs(sessions):
    """Rows that carry their ids (the same shape, so the straight path): bulk sorts the
    ids it reads back on SQLite, and gives the first row the other's id."""

    async def make(base):
        async with transaction(sessions) as session:
            rows = [_message(base + 1, id=base * 100 + 9), _message(base + 2, id=base * 100 + 1)]
            await bulk.insert_with_ids(session, rows)
        async with transaction(sessions) as session:
            return [(await session.get(OutboxMessage, row.id)).chat_id - base for row in rows]

    short, usual, went = await _each_way(make)
    assert short == usual == [1, 2], (short, usual)


async def test_on_conflict_rows(sessions):
    from storage import inbox

    async def make(base):
        async with transaction(sessions) as session:
            first = await inbox.store_updates(
                session=session, payloads=[{"update_id": base + 2}], now=NOW
            )
        async with transaction(sessions) as session:
            ids = [base + 1, base + 2, base + 3, base + 1, base + 4]
            new = await inbox.store_updates(
                session=session, payloads=[{"update_id": u} for u in ids], now=NOW
            )
        return [u - base for u in first], [u - base for u in new]

    short, usual, went = await _each_way(make)
    assert short == usual, (short, usual)
    assert went or sessions.kw["bind"].dialect.name != "sqlite"


async def test_one_row_on_postgresql_as_before(sessions):
    """insert_with_ids of one row: SQLAlchemy's session.exec against storage.compiled's
    straight path."""

    async def make(base, old):
        out = {}
        for name, rows in (("ok", [_message(base + 1)]), ("bad", [_message(None)])):
            try:
                async with transaction(sessions) as session:
                    if old:
                        statement = bulk._returning_ids(
                            OutboxMessage, session.bind.dialect.name == "postgresql"
                        )
                        result = await session.exec(
                            statement, params=[bulk.values_of(r) for r in rows]
                        )
                        rows[0].id = result.scalars().all()[0]
                    else:
                        await bulk.insert_with_ids(session, rows)
                    out[name] = rows[0].id is not None
            except IntegrityError as error:
                out[name] = (
                    type(error).__name__,
                    type(error.orig).__name__,
                    session.is_active,
                    _checked_out(sessions),
                )
        return out

    assert await make(30, False) == await make(40, True)
