"""The async engine and its sessions, for SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SessionFactory = async_sessionmaker[AsyncSession]
BUSY_TIMEOUT = 30.0  # seconds a transaction waits for SQLite's write lock before failing


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, echo=echo)
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def _sqlite_engine(url: str, *, echo: bool) -> AsyncEngine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, echo=echo, connect_args={"timeout": BUSY_TIMEOUT})

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Take transactions out of the driver's hands so that BEGIN IMMEDIATE below is ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        # A deferred transaction that reads and then writes can fail with "database is
        # locked" when another writer got in between; taking the write lock up front waits.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def make_session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


@asynccontextmanager
async def transaction(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """A session whose work is committed on success and rolled back on any error; inside a
    unit of work of the same task, a savepoint of its transaction."""
    held = _unit.get()
    if held is not None and held[1] is asyncio.current_task() and held[2] is factory:
        async with held[0].begin_nested():
            yield held[0]
        return
    async with _turn(factory.kw.get("bind")), factory() as session, session.begin():
        yield session


@asynccontextmanager
async def unit_of_work(factory: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One transaction for everything this task does inside: handling an update commits
    with its replies and its "processed" mark, or not at all, and takes the write lock once
    instead of once per step."""
    async with transaction(factory) as session:
        token = _unit.set((session, asyncio.current_task(), factory))
        try:
            yield session
        finally:
            _unit.reset(token)


_unit: ContextVar[tuple[AsyncSession, asyncio.Task | None, SessionFactory] | None] = ContextVar(
    "firecircle_unit_of_work", default=None
)


_WRITE_TURNS: weakref.WeakKeyDictionary[Engine, asyncio.Lock] = weakref.WeakKeyDictionary()


@asynccontextmanager
async def _turn(engine: AsyncEngine | None) -> AsyncIterator[None]:
    """On SQLite, this process's transactions queue for the write lock here, in order.
    SQLite's own busy handler polls with growing sleeps, so under steady load a waiting
    writer keeps missing the moments the lock is free: one took seconds behind a stream of
    short escalation batches. (One process per SQLite file, so the queue sees every writer.)"""
    if engine is None or engine.dialect.name != "sqlite":
        yield
        return
    lock = _WRITE_TURNS.setdefault(engine.sync_engine, asyncio.Lock())
    try:
        await asyncio.wait_for(lock.acquire(), BUSY_TIMEOUT)
    except TimeoutError:
        raise OperationalError("BEGIN", None, Exception("database is locked")) from None
    try:
        yield
    finally:
        lock.release()
