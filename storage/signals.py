"""Wake-ups when work appears: the inbox or the outbox got rows, a deadline moved.

Within a process an asyncio.Event per channel is set after the transaction commits. On
PostgreSQL the other instances wake too, by a notification the same transaction sends (it is
delivered at commit, and never for a rolled-back transaction or savepoint): the inbox's and
the outbox's by the tables' own triggers on INSERT (migration 0025), whoever inserts; a
report's deadline by its table's trigger (0026); other deadlines (teams', field work's) by
one NOTIFY statement from `touch`. A process does not hear its own
notifications again (its engine's connections are known by their server pids): the commit
woke it already, and said what changed.
"""

from __future__ import annotations

import asyncio
import weakref

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

OUTBOX, DEADLINES, INBOX = "outbox", "deadlines", "inbox"
CHANNELS = (OUTBOX, DEADLINES, INBOX)
BY_TRIGGER = (OUTBOX, INBOX)  # on PostgreSQL, their INSERTs notify (touched only on INSERT)
_events: dict[str, set[asyncio.Event]] = {channel: set() for channel in CHANNELS}
UNSAID = object()  # a touch that said nothing of what changed (another instance's, say)
AT_COMMIT = ("touched", "hints", "notified")  # session.info keys kept until the commit
_backends: weakref.WeakKeyDictionary[object, set[int]] = weakref.WeakKeyDictionary()


class Hints(asyncio.Event):
    """An event that also keeps what each touch said of its change (UNSAID if nothing), so
    the one waiting can tell whether it must read the database again."""

    def __init__(self) -> None:
        super().__init__()
        self.said: list[object] = []

    def take(self) -> list[object]:
        """What was said since the last take, and cleared."""
        said, self.said = self.said, []
        self.clear()
        return said


def waiter(channel: str, *, hints: bool = False) -> asyncio.Event:
    """An event set whenever the channel is touched; the caller clears it before looking.
    With hints, a Hints event that gathers what the touches said."""
    wake = Hints() if hints else asyncio.Event()
    _events[channel].add(wake)
    return wake


def forget(wake: asyncio.Event) -> None:
    for events in _events.values():
        events.discard(wake)


def wake_local(channel: str, said: list[object] | None = None) -> None:
    for wake in _events[channel]:
        if isinstance(wake, Hints):
            wake.said.extend(said if said is not None else [UNSAID])
        wake.set()


async def touch(
    session: AsyncSession, channel: str, hint: object = UNSAID, *, by_trigger: bool = False
) -> None:
    """Say, as part of this transaction, that the channel has new work; `hint`, what changed
    (given to Hints waiters in this process after the commit). The inbox and the outbox are
    touched where their rows are inserted, and a report's deadline where it is written
    (`by_trigger`): their triggers tell the other instances."""
    info = session.sync_session.info
    info.setdefault("touched", set()).add(channel)
    info.setdefault("hints", {}).setdefault(channel, []).append(hint)
    if by_trigger or channel in BY_TRIGGER or session.bind.dialect.name != "postgresql":
        return
    notified = info.setdefault("notified", set())
    if channel in notified:
        return
    notified.add(channel)
    await session.exec(text(f"NOTIFY firecircle_{channel}"))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop("notified", None)
    hints = session.info.pop("hints", {})
    for channel in session.info.pop("touched", ()):
        wake_local(channel, hints.get(channel))


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("touched", None)
    session.info.pop("hints", None)
    session.info.pop("notified", None)


@event.listens_for(Session, "after_soft_rollback")
def _after_savepoint_rollback(session: Session, _previous: object) -> None:
    session.info.pop("notified", None)  # a NOTIFY inside the savepoint went with it


def own_backends(engine) -> set[int]:
    """The server process ids of the engine's pooled connections, kept as they connect and
    close: a NOTIFY from one of them is this process's own, already told in process."""
    sync = engine.sync_engine
    pids = _backends.get(sync)
    if pids is not None:
        return pids
    pids = _backends[sync] = set()
    event.listen(sync, "connect", lambda dbapi, _record: pids.add(_server_pid(dbapi)))
    for gone in ("close", "detach"):
        event.listen(sync, gone, lambda dbapi, _record: pids.discard(_server_pid(dbapi)))
    event.listen(sync, "invalidate", lambda dbapi, _r, _e: pids.discard(_server_pid(dbapi)))
    return pids


def _server_pid(dbapi) -> int | None:
    return dbapi.driver_connection.get_server_pid() if dbapi is not None else None


async def listen(engine) -> object | None:
    """On PostgreSQL, hear the other instances' NOTIFYs on a connection kept for that. The
    ones this engine's own connections sent are not heard: the commit already woke this
    process, with what changed, and an UNSAID would have the scheduler read again.

    Returns what to close when done (None on SQLite, where one process is all there is).
    """
    if engine.dialect.name != "postgresql":
        return None
    own = own_backends(engine)
    conn = await engine.connect()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    for channel in CHANNELS:
        await driver.add_listener(f"firecircle_{channel}", _hearing(channel, own))
    return conn


def _hearing(channel: str, own: set[int]):
    def heard(_connection, pid: int, _channel: str, _payload: str) -> None:
        if pid not in own:
            wake_local(channel)

    return heard
