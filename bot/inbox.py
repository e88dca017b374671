"""Updates in: stored first, confirmed to Telegram after, processed once each, in order.

Polling asks for the next batch with offset = last stored id + 1 only after the batch is in
the database, so an update Telegram considers delivered is never only in memory; a webhook
answers 200 only after storing. Processing reads the stored rows, so a crash between the two
loses nothing: the rows wait for the next start. On SQLite the one instance processes them; on
PostgreSQL every instance does, each transaction holding its chats (advisory locks) so that a
chat's updates still go one at a time and in order. Updates of several chats that wait
together share a transaction, a few at a time, each handled as if alone. A button press has
one of its own, whose answer goes straight to Telegram: on PostgreSQL the transaction, holding
the chat, stays open until it is done; on SQLite, whose write lock must not wait on Telegram,
what it did so far commits with its mark before Telegram is first called, the rest step by
step (a crash in between leaves the press unanswered: pressed again, it is told what became
of it). A payload python-telegram-bot cannot read is marked with the error and passed over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from telegram import Update
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application

from bot import transport, updates
from triage import counters
from triage.delivery import inbox
from triage.units import (
    Session,
    SessionFactory,
    Unit,
    start_afresh,
    transaction,
    unit_of_work,
    write_waiting,
)

log = logging.getLogger(__name__)
POLL_TIMEOUT = 25  # seconds Telegram may hold a getUpdates call open
POLL_LIMIT = 100  # updates a getUpdates call returns at most (Telegram's default)
# After a batch that was not full, polling waits this long before asking again, so that the
# next call brings the updates of that moment together (issue 14): asked at once, under load
# a call and its storing transaction carried 1-2 updates. An update waits at most this much
# longer; idle, the long poll still returns with the first update. At 100 reports/s asked on
# PostgreSQL (bench/throughput.py) 10, 20 and 50 ms took 77-80, 80-82 and 81-83 a second.
GATHER = 0.02
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]
RETRY_AFTER_ERROR = 1.0
LOOK_AGAIN = 0.5  # seconds before looking again at chats another instance held
# Updates of several chats in one transaction at most (one chat's: up to PER_CHAT). Under
# load the groups fill and share more; idle, they hold one or two updates and add nothing to
# a reply's wait (bench/PROFILE.md: 16 and 32 helped SQLite at 75/s, 16 hurt PostgreSQL).
RUN = 8
GROUPS_AT_ONCE = 2  # on PostgreSQL, groups handled side by side (their round trips overlap)


class Inbox:
    def __init__(
        self,
        sessions: SessionFactory,
        app: Application,
        *,
        chats_at_once: int = 1,
        shared: bool = False,
    ):
        self.sessions = sessions
        self.app = app
        self._turns = asyncio.Semaphore(chats_at_once)
        # Groups of chats in a transaction each, a turn each, and at most GROUPS_AT_ONCE of
        # them at once: an instance holds a bounded number of chats and leaves the rest to
        # the others (PostgreSQL).
        self._together = asyncio.Semaphore(GROUPS_AT_ONCE if shared else 1)
        # Several instances handle updates (PostgreSQL): each holds a chat for the length of
        # the transaction its update is handled in, so a chat's updates still go one at a
        # time, in order.
        self.shared = shared
        self._held = False  # a chat was in another instance's hands at the last look
        self._stopping = False
        self._arrived: inbox.Arrivals | None = None
        # What waits, known here without a read (issue 14: a read a pass): what this process
        # stored since it last read the database. None: not known (at start, after a failure;
        # on PostgreSQL also once another instance stored updates or held a chat): the next
        # pass reads the database, and what is stored from then on is added here as well (an
        # update read and added is one). On PostgreSQL it is what to try: holding the chats
        # says which updates still wait, another instance may have handled them.
        self._waiting: dict[int, inbox.Update] | None = None

    async def receive(self, payloads: list[Any]) -> int:
        """Store updates (webhook or polling). Returns how many were new."""
        valid = [updates.storable(p) for p in payloads if updates.problem(p) is None]
        if len(valid) != len(payloads):
            log.warning("dropped %d payloads that are not updates", len(payloads) - len(valid))
        chats = [_chat_id(p) for p in valid]
        stored = await inbox.store(self.sessions, payloads=valid, chats=chats)
        counters.updates_received.inc(len(stored))
        if self._waiting is not None and stored:
            new = set(stored)
            for payload, chat in zip(valid, chats, strict=True):
                if payload["update_id"] in new:
                    row = inbox.Waiting(payload["update_id"], payload, chat)
                    self._waiting.setdefault(row.update_id, row)
            if self._arrived is not None:  # the commit's wake-up may have come before these
                self._arrived.set()
        return len(stored)

    async def process_pending(self) -> int:
        """Process every stored, unprocessed update: each chat's in update_id order, the
        chats of a batch side by side (one resident's slow step must not hold up the rest)."""
        done, self._held = 0, False
        try:
            while not self._stopping:
                batch = await self._pending()
                if not batch:
                    break
                chats = _by_chat(batch)
                handled = await self._handle_chats(chats)
                if self._held:  # their updates left to that instance: read again when looking
                    self._waiting = None
                done += handled
                if not handled:  # every chat is in other instances' hands
                    break
                if self._waiting is None and inbox.whole(len(batch), max(map(len, chats.values()))):
                    break  # nothing was left behind; what arrived since sets the arrival event
        except BaseException:
            self._waiting = None  # the database says what is left
            raise
        return done

    async def _pending(self) -> Sequence[inbox.Update]:
        """The next pass's updates: read, or taken from those known to wait (one instance)."""
        if self._waiting is not None:
            return inbox.take(self._waiting)
        self._waiting = {}  # before the read: what is stored meanwhile is added too
        read = await inbox.pending(self.sessions)
        if read and not inbox.whole(len(read), max(map(len, _by_chat(read).values()))):
            self._waiting = None  # more wait than a read takes: read again next pass
            return read
        for row in read:
            self._waiting.setdefault(row.update_id, row)
        return inbox.take(self._waiting)

    async def _handle_chats(self, chats: dict[int | str, list[inbox.Update]]) -> int:
        """Chats with a button press go update by update; the others a few chats to a
        transaction (its BEGIN, its commit and the marks shared), each update starting afresh
        as in a transaction of its own."""
        alone = {c: rows for c, rows in chats.items() if any(map(_is_press, rows))}
        together = _groups([rows for c, rows in chats.items() if c not in alone])
        work = [
            *(self._handle_all(c, rows) for c, rows in alone.items()),
            *(self._handle_together(rows) for rows in together),
        ]
        if len(work) == 1:  # one chat or group, as most passes are but under load: no task
            return await work[0]
        results = await asyncio.gather(*work, return_exceptions=True)
        for result in results:  # raised once every chat is done: none works on a retry
            if isinstance(result, BaseException):
                raise result
        return sum(results)

    async def _handle_together(self, rows: list[inbox.Update]) -> int:
        if len(rows) == 1:
            return await self._handle_all(_chat_of(rows[0].payload, rows[0].update_id), rows)
        try:
            async with self._together, self._turns:
                return await self._attempt_together(rows)
        except _Redo:
            # One update's step failed: all rolled back, now one at a time. What the others
            # did outside the database is done again with them (a file fetched; the apology
            # to a handler failing outside any step, which a failed step is too rare to meet).
            return sum([await self._handle_all(c, of) for c, of in _by_chat(rows).items()])

    async def _attempt_together(self, rows: list[inbox.Update]) -> int:
        errors: dict[int, str | None] = {}
        if self._stopping:  # came while the group waited its turn: nothing marked, nor undone
            return 0
        async with unit_of_work(self.sessions) as unit:
            waiting, done = await self._take_all(unit.session, rows)
            for row in rows:
                if self._stopping:
                    break
                if row.update_id not in waiting:
                    continue
                errors[row.update_id] = await self._process_in(unit, row, then=start_afresh)
            if not self.shared and len(errors) < len(waiting):  # a stop came first
                await inbox.left(unit.session, [u for u in waiting if u not in errors])
            await self._mark_all(unit.session, errors)
        _count(errors)
        return done + len(errors)

    async def _take_all(self, session: Session, rows: list[inbox.Update]) -> tuple[set[int], int]:
        """The updates of these rows to handle now, and how many others are not to be handled
        now: another instance handled them (on SQLite: erased by another process), or they wait
        behind an older update of their chat stored elsewhere. On PostgreSQL their chats are
        held for the transaction; a chat another instance holds is left to it. Here (SQLite)
        they are marked at once (inbox.start)."""
        if not self.shared:
            waiting = await inbox.start(session, [row.update_id for row in rows])
            return waiting, len(rows) - len(waiting)
        chats = {c: [row.update_id for row in of] for c, of in _by_chat(rows).items()}
        held, waiting = await inbox.hold_chats(session, chats)
        if len(held) < len(chats):
            self._held = True  # that instance goes on with the chat, in order
        done_elsewhere = sum(1 for c in held for u in chats[c] if u not in waiting)
        if done_elsewhere:  # or behind an older one stored elsewhere: what waits is read
            self._waiting = None
        return waiting, done_elsewhere

    async def _handle_all(self, chat: int | str, rows: list[inbox.Update]) -> int:
        for done, row in enumerate(rows):
            if self._stopping:
                return done
            async with self._turns:
                if not await self._handle(chat, row):
                    self._held = True  # that instance goes on with the chat, in order
                    return done
        return len(rows)

    async def _handle(self, chat: int | str, row: inbox.Update) -> bool:
        """The update's changes, its replies and its mark commit together. False if another
        instance holds the chat."""
        try:
            return await self._attempt(chat, row, careful=False)
        except _Redo:  # a step failed: rolled back, now again with each step in a savepoint
            return await self._attempt(chat, row, careful=True)

    async def _attempt(self, chat: int | str, row: inbox.Update, *, careful: bool) -> bool:
        error: str | None = None
        async with unit_of_work(self.sessions, careful=careful) as unit:
            taken = await self._take(unit.session, chat, row)
            if taken:
                # A press on SQLite: marked at the start, what it did commits before
                # Telegram is called
                unit.settles_early = _is_press(row) and not self.shared
                error = await self._process_in(unit, row, then=write_waiting)
                if self.shared or error is not None:  # else marked at the start
                    await self._mark(row, error)
        if taken:
            _count({row.update_id: error})
        return taken is not None

    async def _mark(self, row: inbox.Update, error: str | None) -> None:
        """The update's mark: a step of its unit, or of its own if the unit settled early
        (a press on SQLite) and something went wrong after."""
        async with transaction(self.sessions) as session:
            await self._mark_all(session, {row.update_id: error})

    async def _mark_all(self, session: Session, errors: dict[int, str | None]) -> None:
        """Updates handled: here (SQLite) marked at the start of their transaction, and only
        what went wrong is left to mark."""
        if not self.shared:
            errors = {u: e for u, e in errors.items() if e is not None}
        if errors:
            await inbox.all_done(session, errors)

    async def _process_in(
        self, unit: Unit, row: inbox.Update, *, then: Callable[[Session], Awaitable[None]]
    ) -> str | None:
        """_process inside the unit, and `then` its session (what the update left to write):
        a step that failed, or a row that could not be written, rolls the unit back."""
        error = await self._process(row.payload)
        if unit.spoiled:
            raise _Redo
        try:
            await then(unit.session)
        except Exception as exc:  # a row that could not be written: a step's failure
            raise _Redo from exc
        return error

    async def _take(self, session: Session, chat: int | str, row: inbox.Update) -> bool | None:
        """Whether the update is to be handled; None: another instance holds its chat."""
        if not self.shared:  # marked at once; erased meanwhile by another process: not
            return row.update_id in await inbox.start(session, [row.update_id])
        taken = await inbox.hold_chat(session, chat=chat, update_id=row.update_id)
        if taken is False:  # or behind an older one stored elsewhere: what waits is read
            self._waiting = None
        return taken

    async def _process(self, payload: dict[str, Any]) -> str | None:
        """Handle one update; what cannot be handled is said (and marked on it), and the
        chat's next updates go on: one bad update must never stop the inbox."""
        why = updates.malformed(payload)
        if why is not None:
            log.warning("malformed update %s: %s", payload.get("update_id"), why)
            return f"malformed: {why}"[:500]
        try:
            update = Update.de_json(payload, self.app.bot)
        except Exception as exc:  # any other shape python-telegram-bot cannot read
            log.warning("unreadable update %s: %r", payload.get("update_id"), exc)
            return f"unreadable: {exc!r}"[:500]
        try:
            await self.app.process_update(update)  # handler errors go to the error handler
        except Exception as exc:  # raised outside any handler (a filter, the dispatch)
            log.warning("update %s could not be handled: %r", payload.get("update_id"), exc)
            return f"unhandled: {exc!r}"[:500]
        return None

    def run_processor(self) -> Coroutine[Any, Any, None]:
        """The processing loop, ready from this call: a stop() between now and the loop's
        first step is not forgotten."""
        self._stopping, self._waiting = False, None  # what a stop left waits in the database
        return self._process_until_stopped()

    async def _process_until_stopped(self) -> None:
        self._arrived = inbox.arrivals()
        try:
            while not self._stopping:
                if inbox.stored_elsewhere(self._arrived):  # only a read finds those
                    self._waiting = None
                try:
                    await self.process_pending()
                except Exception:  # the database hiccuped: the rows are still there
                    log.exception("processing updates failed; retrying")
                    await asyncio.sleep(RETRY_AFTER_ERROR)
                    continue
                if self._held:  # look again soon: that instance may die holding them
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._arrived.wait(), LOOK_AGAIN)
                else:
                    await self._arrived.wait()
        finally:
            inbox.forget(self._arrived)

    def stop(self) -> None:
        """Finish the update in hand, then stop: cancelling mid-update would run it twice."""
        self._stopping = True
        if self._arrived is not None:
            self._arrived.set()

    async def run_polling(self) -> None:
        offset: int | None = None
        backoff = 1.0
        while True:
            try:
                # Raw dicts, not Update objects: one malformed update must not fail the
                # whole batch's parsing (each is read when it is handled).
                asked = {
                    "offset": offset,
                    "limit": POLL_LIMIT,
                    "timeout": POLL_TIMEOUT,
                    "allowed_updates": ALLOWED_UPDATES,
                }
                batch = await transport.call(
                    self.app.bot, "getUpdates", asked, read_timeout=POLL_TIMEOUT + 10
                )
                if batch:
                    await self.receive(batch)  # stored before the next offset confirms them
                    offset = _next_offset(batch, offset)
                backoff = 1.0
                if batch and len(batch) < POLL_LIMIT:  # a full one: more wait already
                    await asyncio.sleep(GATHER)
            except RetryAfter as exc:
                await asyncio.sleep(_seconds(exc.retry_after))
            except Exception as exc:  # network, Telegram or database: wait and ask again
                level = logging.WARNING if isinstance(exc, TelegramError) else logging.ERROR
                log.log(level, "getUpdates round failed (%s); retrying in %.0f s", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30)


class _Redo(Exception):
    """Rolls back a unit of work in which a step failed."""


def _count(errors: dict[int, str | None]) -> None:
    """Updates whose marks committed, each once, with what went wrong (None: nothing)."""
    for error in errors.values():
        counters.updates_handled.labels("handled" if error is None else "unhandled").inc()
        if error is not None:
            counters.errors.labels("update").inc()


def _by_chat(rows: Sequence[inbox.Update]) -> dict[int | str, list[inbox.Update]]:
    chats: dict[int | str, list[inbox.Update]] = {}
    for row in rows:
        chats.setdefault(_chat_of(row.payload, row.update_id), []).append(row)
    return chats


def _is_press(row: inbox.Update) -> bool:
    return "callback_query" in row.payload


def _groups(chats: list[list[inbox.Update]]) -> list[list[inbox.Update]]:
    """Chats gathered into groups of at most RUN updates (a chat with more is a group of
    its own), each group's updates in the order they came."""
    groups: list[list[inbox.Update]] = []
    for rows in chats:
        if groups and len(groups[-1]) + len(rows) <= RUN:
            groups[-1].extend(rows)
        else:
            groups.append(list(rows))
    return [sorted(group, key=lambda row: row.update_id) for group in groups]


def _chat_of(payload: dict[str, Any], update_id: int) -> int | str:
    """The chat an update belongs to (its order matters only within it); an update without
    one is a chat of its own."""
    for kind in ALLOWED_UPDATES:
        body = payload.get(kind)
        if not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return chat["id"]
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return sender["id"]
    return f"update {update_id}"


def _chat_id(payload: dict[str, Any]) -> int | None:
    chat = _chat_of(payload, payload["update_id"])
    return chat if isinstance(chat, int) and -(2**63) <= chat < 2**63 else None


def _next_offset(batch: list[Any], offset: int | None) -> int | None:
    """Past every update of the batch, the ones not stored too (they would only come back)."""
    ids = [p["update_id"] for p in batch if isinstance(p, dict) and type(p.get("update_id")) is int]
    return max(ids) + 1 if ids else offset


def _seconds(value: Any) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
