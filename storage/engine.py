"""The async engine and its sessions, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import time
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import InvalidatePoolError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.util.concurrency import greenlet_spawn
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled, inline_sqlite, signals
from storage import session as storage_session
from storage.bulk import insert_into

SessionFactory = async_sessionmaker[AsyncSession]
BUSY_TIMEOUT = 30.0  # seconds a transaction waits for SQLite's write lock before failing
IDLE_PING = 10.0  # seconds a pooled PostgreSQL connection idles before it is pinged on use


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    # Up to 16 chats at once, a connection each (a button press's transaction holds its chat
    # until its handler is done, Telegram's answers included), two groups of updates, and the
    # sender, the scheduler and the web console besides.
    engine = create_async_engine(url, echo=echo, pool_size=10, max_overflow=30)
    _ping_when_idle(engine)
    signals.own_backends(engine)  # from its first connection, whose NOTIFYs are its own
    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """pool_pre_ping, for a connection idle IDLE_PING or longer only: pinging at every
    checkout cost three round trips a transaction (asyncpg's ping is BEGIN, ";", ROLLBACK),
    a third of a short transaction's CPU (issue 14). A connection the server closed while it
    sat in the pool is known closed without a round trip (asyncpg saw the socket close), and
    either way the whole pool is replaced, as pool_pre_ping does. What neither catches, a
    connection used a moment ago whose server went away unnoticed, fails the transaction
    that finds it, and that too replaces the whole pool (SQLAlchemy recycles every
    connection made before it): a restart costs at most that one transaction besides those
    it interrupted."""
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _idle_from(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _ping(dbapi_connection, record, _proxy) -> None:
        since = record.info.pop("idle_since", None)  # a new connection has none: not pinged
        if since is None:
            return
        if _closed(dbapi_connection):
            raise InvalidatePoolError("the server closed a pooled connection")
        if time.monotonic() - since < IDLE_PING:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as exc:
            if not dialect.is_disconnect(exc, dbapi_connection, None):
                raise
            raise InvalidatePoolError("a pooled connection did not answer its ping") from exc


def _closed(dbapi_connection) -> bool:
    """Whether the driver saw the server close the connection (no round trip)."""
    return dbapi_connection.driver_connection.is_closed()


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        _private_file(Path(database).expanduser())
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT})

    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect, _record, cargs, cparams):
        # A file's statements run on the loop inside a transaction (storage.inline_sqlite).
        if database and database != ":memory:":
            return inline_sqlite.adapted(dialect.dbapi, inline_sqlite.connect(*cargs, **cparams))
        return None

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transactions out of the driver's hands so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        inline_sqlite.wal_on(dbapi_connection, cursor.fetchone()[0], BUSY_TIMEOUT)
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        # A deferred transaction that reads and then writes can fail with "database is
        # locked" when another writer got in between; taking the write lock up front waits.
        if not inline_sqlite.began_at_once(connection.connection.dbapi_connection):
            connection.exec_driver_sql(inline_sqlite.BEGIN)

    return engine


def _private_file(path: Path) -> None:
    """The database holds residents' personal data: a directory made for it and the file
    itself are the owner's only (SQLite gives its -wal and -shm files the file's mode).
    A directory or file that exists already keeps the mode its owner gave it."""
    missing = [p for p in (path.parent, *path.parent.parents) if not p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    for made in missing:
        made.chmod(0o700)  # mkdir's mode is cut by the umask; this is not
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        return
    path.chmod(0o600)


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=storage_session.Session, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed on success and rolled back on any error. Inside a
    unit of work of the same task it is that unit's session: a step that fails spoils the
    unit, whose owner then rolls it all back and does it again carefully, each step in a
    savepoint (a savepoint per step costs two round trips, and steps almost never fail)."""
    unit = _in_hand()
    if unit is not None and unit.factory is factory:
        async with _step(unit):
            yield unit.session
        return
    with inline_sqlite.directly():
        async with _turn(factory.kw.get("bind")), _session(factory) as session:
            yield session


@asynccontextmanager
async def _session(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """factory() in a transaction, committed at its end, rolled back on any error, closed,
    in one trip into SQLAlchemy's greenlet: `async with factory() as s, s.begin()` took
    three and a task for the close, ≈ 50 µs of a transaction's 300 on SQLite and ≈ 125 of
    575 on PostgreSQL (issue 14). In storage.engine's transactions on a WAL file the commit
    and close run at once on the loop (storage.inline_sqlite), in the transaction's own task
    as they must; elsewhere they go through aiosqlite's thread as before. A cancellation
    during PostgreSQL's COMMIT is the engine's to handle, as ever: it gives the connection
    up (its state on the wire unknown), and the rollback and close that follow find
    nothing left to do on it.

    On PostgreSQL the block is the session's `with session.begin()`, entered at once (no
    I/O until used): a commit or rollback inside it closes it, and the next statement is
    refused, as there. On SQLite a unit of work commits inside it and goes on (settle_before_
    telling), its later steps committed at the end."""
    session = factory()
    sync = session.sync_session
    guard = None if sync.bind.dialect.name == "sqlite" else sync.begin().__enter__()
    try:
        yield session
    except BaseException as error:
        await greenlet_spawn(_rollback_then_close, sync, guard, error)
        raise
    await greenlet_spawn(_commit_then_close, sync, guard)


def _commit_then_close(session: Session, guard: SessionTransaction | None = None) -> None:
    try:
        if guard is None:
            session.commit()
        else:
            guard.__exit__(None, None, None)  # as leaving `with session.begin()`
    except BaseException as error:
        # SQLite keeps its transaction, and the write lock, when COMMIT fails (a deferred
        # foreign key, a full disk); the pool, told the connection is already reset, would
        # not roll it back, and the next writer would wait out the busy timeout behind it.
        _rollback_then_close(session, guard, error)
        raise
    session.close()


def _rollback_then_close(
    session: Session, guard: SessionTransaction | None = None, error: BaseException | None = None
) -> None:
    try:
        if guard is None or error is None:
            session.rollback()
        else:
            guard.__exit__(type(error), error, error.__traceback__)
    finally:
        session.close()


@asynccontextmanager
async def _step(unit: Unit) -> AsyncIterator[None]:
    """A step inside a unit of work: in a savepoint if the unit is careful; else flushed at
    its end, its failure spoiling the unit. No settling while one is open."""
    unit.steps_open += 1
    try:
        if unit.careful:
            async with unit.session.begin_nested():
                yield
            return
        try:
            yield
            await _flush(unit.session)  # its failure is the step's, as a savepoint's would be
        except BaseException:
            unit.spoiled = True
            raise
    finally:
        unit.steps_open -= 1


async def _flush(session: AsyncSession) -> None:
    """The session's changes written, if it has any: a flush with nothing to write still
    costs a trip through the greenlet bridge (8.8 µs against 1.0 for the look, about 30
    times a report)."""
    if session.new or session.dirty or session.deleted:
        await session.flush()


def _in_hand() -> Unit | None:
    """This task's unit of work, unless it has settled (its steps now commit apart)."""
    unit = _unit.get()
    if unit is None or unit.settled or unit.task is not asyncio.current_task():
        return None
    return unit


@dataclass
class Unit:
    """One transaction for everything a task does inside it (see unit_of_work)."""

    session: AsyncSession
    task: asyncio.Task | None
    factory: SessionFactory
    careful: bool
    spoiled: bool = False
    # Rows inserted with insert_soon, until write_waiting: by table, in batches of one shape
    # each, in the order they came (a table's ids keep that order).
    waiting: dict[type, list[tuple[frozenset[str], list[dict]]]] = field(default_factory=dict)
    # Set by the owner: what the task did so far commits before it first tells anyone
    # outside (settle_before_telling); its later steps commit apart.
    settles_early: bool = False
    settled: bool = False
    steps_open: int = 0  # steps (transaction blocks) inside the unit, now
    _release: Callable[[], None] = lambda: None  # the SQLite write turn, given back


@asynccontextmanager
async def unit_of_work(factory: SessionFactory, *, careful: bool = False) -> AsyncIterator[Unit]:
    """One transaction for everything this task does inside: handling an update commits
    with its replies and its "processed" mark, or not at all, and takes the write lock once
    instead of once per step. If a step failed (unit.spoiled) the owner must not commit:
    it raises to roll back and runs the work again with careful=True. Rows held back
    (insert_soon) are written before the commit, if the owner has not (write_waiting,
    start_afresh) already. A unit that settled early (settle_before_telling) has committed."""
    with inline_sqlite.directly():
        async with _turn(factory.kw.get("bind")) as release, _session(factory) as session:
            unit = Unit(session, asyncio.current_task(), factory, careful, _release=release)
            token = _unit.set(unit)
            try:
                yield unit
                if not unit.spoiled and not unit.settled:
                    await write_waiting(session)
            finally:
                _unit.reset(token)


async def settle_before_telling() -> None:
    """The task is about to call someone outside (Telegram). If its unit of work settles
    early, what it did so far commits now, with what it holds back, and SQLite's write turn
    is given back: an answer from Telegram must not hold it. Its later steps commit apart.
    Not while a step is open (its statements would find the transaction gone), nor in a unit
    in which a step failed (its owner rolls it back and does it again); a unit that could
    not commit is spoiled, and nobody was told."""
    unit = _in_hand()
    if unit is None or not unit.settles_early or unit.spoiled or unit.steps_open:
        return
    try:
        await write_waiting(unit.session)
        await unit.session.commit()
    except BaseException:
        unit.spoiled = True
        raise
    unit.settled = True
    unit._release()


async def insert_soon(session: AsyncSession, model: type, rows: Sequence[dict]) -> None:
    """Insert rows that nothing reads back before the update is done (its history, its
    messages out): inside a unit of work they wait and go with the others of their table
    (and of the same columns, one after another) in one statement (write_waiting, when the
    update is done); elsewhere, and step by step in a careful unit, at once."""
    unit = _in_hand()
    if unit is None or unit.careful or unit.session is not session:
        await _insert(session, model, list(rows))
        return
    batches = unit.waiting.setdefault(model, [])
    for row in rows:
        shape = frozenset(row)
        if not batches or batches[-1][0] != shape:
            batches.append((shape, []))
        batches[-1][1].append(row)


async def write_waiting(session: AsyncSession) -> None:
    """The rows this task's unit of work holds back (insert_soon), one statement a batch."""
    unit = _in_hand()
    if unit is None or unit.session is not session or not unit.waiting:
        return
    waiting, unit.waiting = unit.waiting, {}
    for model, batches in waiting.items():
        for _shape, rows in batches:
            await _insert(session, model, rows)


async def _insert(session: AsyncSession, model: type, rows: list[dict]) -> None:
    await compiled.execute(session, insert_into(model), rows)


async def start_afresh(session: AsyncSession) -> None:
    """Between two updates handled in one transaction: their changes written, the session
    forgets the rows it holds and what it remembered reading, as a new session would, and
    keeps only what the commit must tell (signals.AT_COMMIT)."""
    await _flush(session)
    await write_waiting(session)
    session.expunge_all()
    info = session.sync_session.info
    for key in [key for key in info if key not in signals.AT_COMMIT]:
        del info[key]


@asynccontextmanager
async def contained(session: AsyncSession) -> AsyncIterator[None]:
    """Work whose failure the caller survives: in a savepoint on PostgreSQL, where a failed
    statement spoils the whole transaction; on SQLite a failed statement undoes only itself,
    and a savepoint would cost two statements for nothing."""
    if session.bind.dialect.name != "postgresql":
        yield
        return
    async with session.begin_nested():
        yield


def keep(session: AsyncSession, row: object) -> None:
    """Held by the session until it closes: its identity map holds rows weakly, so a row no
    step still refers to is read again by the next step's session.get."""
    session.info.setdefault("kept", []).append(row)


def remember_missing(session, kind: str, *keys: object) -> None:
    """Remembered for the session: no row of this kind with these keys (session.get does not
    remember a miss, and steps of one update ask again). `session`: sync or async."""
    session.info.setdefault(kind, set()).update(keys)


def forget_missing(session, kind: str, *keys: object) -> None:
    """These rows exist after all (just read or added): forget their misses."""
    session.info.get(kind, set()).difference_update(keys)


def known_missing(session, kind: str, key: object) -> bool:
    """Whether this session remembers that no such row exists."""
    return key in session.info.get(kind, ())


def spoiled_unit() -> bool:
    """Whether this task's unit of work had a step fail and will be rolled back and redone."""
    unit = _in_hand()
    return unit is not None and unit.spoiled


_unit: ContextVar[Unit | None] = ContextVar("firecircle_unit_of_work", default=None)


_WRITE_TURNS: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def _turn(engine: AsyncEngine | None) -> AsyncIterator[Callable[[], None]]:
    """On SQLite, this process's transactions queue for the write lock here, in order.
    SQLite's own busy handler polls with growing sleeps, so under steady load a waiting
    writer keeps missing the moments the lock is free: one took seconds behind a stream of
    short escalation batches. (One process per SQLite file, so the queue sees every writer.)"""
    if engine is None or engine.dialect.name != "sqlite":
        yield lambda: None
        return
    lock = _WRITE_TURNS.setdefault(engine.sync_engine, asyncio.Lock())
    try:
        # On Python 3.11 wait_for runs the acquire as a task, so the loop turns once even for
        # a free lock, ≈ 30 µs of a transaction's 260. That turn lets the updates and
        # outcomes that came meanwhile share the transaction: asyncio.timeout instead (no
        # turn) made 3 % more statements for no less CPU (bench/PROFILE.md, seventh pass),
        # and at 100 reports/s asked took SQLite from 68 to 58 residents a second (the
        # fourteenth pass)
        await asyncio.wait_for(lock.acquire(), BUSY_TIMEOUT)
    except TimeoutError:
        raise OperationalError("BEGIN", None, Exception("database is locked")) from None
    held = True

    def release() -> None:  # once: early (a settled unit of work) or at the end
        nonlocal held
        if held:
            held = False
            lock.release()

    try:
        yield release
    finally:
        release()
