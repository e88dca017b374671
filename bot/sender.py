"""The outbox's sender: claims rows in priority order and sends them within Telegram's limits.

Order: the 119 advice and emergency alerts, then escalations and tasks, then replies, then
broadcasts (the rows' priority); within a chat, as they were written. Fairness: a chat holds
at most a couple of seconds of rows in memory (more only when a more urgent one comes), the
rest stays in the database, so one chat that floods never takes the place of another's;
among the rows in hand, each chat's own limit holds it back while the others go. Limits: a
global rate (FIRECIRCLE_SEND_RATE, 30/s by default), evenly spaced, and one message a second
per chat (FIRECIRCLE_SEND_PER_CHAT_RATE), which python-telegram-bot's own rate limiter does
not enforce. A 429 holds back its chat for retry_after (all chats when several are refused
at once), a 5xx or network error for a growing backoff; the row waits in memory, first of its
chat, and the sender wakes for it by itself. 403 (blocked) and "chat not found" mark it
undeliverable; other 400s mark it failed. One sender runs at a time (the leader), so the
budget is shared, never multiplied; the claims it finds at its start are a dead sender's, and
it takes them back at once. Each sender records outcomes only for rows it still holds.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import math
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot import transport
from bot.notify import calls_for
from bot.taskcard import CARD_OF
from triage import counters
from triage.delivery import outbox
from triage.reports.notices import CARDS, from_payload
from triage.tasks.cards import redraws, remember
from triage.units import SessionFactory, contained, transaction, utcnow

log = logging.getLogger(__name__)
STALE_CLAIM = timedelta(seconds=60)
RENEW_EVERY = 20.0  # seconds; well inside STALE_CLAIM
MAX_CLAIM_SIZE = 250  # rows; the queue in memory holds up to twice this
CLAIM_AT_ONCE = 200  # rows a claim takes; more would hold SQLite's write lock too long
CLAIM_EVERY = 0.1  # seconds between claims while rows wait in memory (each takes the lock)
# Seconds between claims however empty the queue: the rows of the updates committed
# meanwhile come in one claim, not one claim (and its five statements) each.
CLAIM_GAP = 0.05
# Seconds between looks for rows put off to a later time (only a sender's own retries and
# another instance's clock ahead of this one's make them): not one statement per claim.
DUE_EVERY = 1.0
SETTLE_AFTER = 0.05  # seconds of outcomes recorded together, in one transaction
SETTLE_AGAIN = 1.0  # seconds before outcomes that could not be recorded are tried again
WATCHDOG = timedelta(seconds=30)  # look at the outbox at least this often, whatever happens
HELD_SECONDS = 2.0  # a chat's rows held in memory: what it may send in this long
MAX_BACKOFF = 300.0
FIRST_BACKOFF = 0.5
PER_CHAT_BURST = 1  # Telegram: about one message a second per chat; a burst draws 429s
# Two sends a second apart can arrive closer than that (a slow send, then a quick one): a
# chat's messages are spaced this much wider than its rate, so the limit is never grazed.
PER_CHAT_MARGIN = 0.9
GLOBAL_429_CHATS = 3  # distinct chats refused within a second: the global limit, not one chat's
SETTLED = (outbox.SENT, outbox.UNDELIVERABLE, outbox.FAILED)  # as firecircle_sends counts


class TokenBucket:
    def __init__(self, rate: float, burst: float):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()
        self.paused_until = 0.0

    def wait_time(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if now < self.paused_until:
            return self.paused_until - now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, time.monotonic() + seconds)
        self.tokens = 0


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        bot: Bot,
        timezone: ZoneInfo,
        *,
        rate: float = 30,
        per_chat_rate: float = 1.0,
        concurrency: int = 16,
    ):
        self.sessions = sessions
        self.bot = bot
        self.tz = timezone
        self.bucket = TokenBucket(rate, burst=1.0)  # evenly spaced: a burst crosses the limit
        self.per_chat_rate = per_chat_rate
        self.chats: dict[int, TokenBucket] = {}
        # Held in memory: a second's worth at the global rate, within bounds. More only costs
        # (each notice is worded when claimed), since chats' own limits hold most rows back.
        self.claim_size = min(max(20, int(rate)), MAX_CLAIM_SIZE)
        # Of a chat's rows, what it can send in a couple of seconds: the rest waits in the
        # database, where it cannot take the place of other chats' rows.
        self.per_chat_held = max(2, math.ceil(per_chat_rate * HELD_SECONDS))
        self.token = uuid.uuid4().hex[:16]  # its claims: only it records how they went
        self.slots = asyncio.Semaphore(concurrency)
        self.ready: list[outbox.Message] = []
        self.held: Counter[int] = Counter()  # rows in `ready`, per chat
        self.settled: dict[tuple, list[int]] = {}
        self._inflight: set[asyncio.Task] = set()
        self._flushes: set[asyncio.Task] = set()  # outcomes being recorded
        self._flush_timer: asyncio.TimerHandle | None = None
        self._claim_began = 0.0
        self._more = False  # the last claim took as many as it asked for: there may be more
        self._freed = False  # a chat at its cap sent a row: the next of its rows may come
        self._db_due: datetime | None = None  # the earliest later row the last claim saw
        self._claimed = asyncio.Event()  # a claim finished: something may be ready
        # Set with `_claimed` and on every arrival: the one event the loop waits for when
        # either would do (two events cost a task each and asyncio.wait; issue 14)
        self._news = asyncio.Event()
        self._recent_429: list[tuple[float, int]] = []
        self._renewed = time.monotonic()
        self._released = 0.0  # when stale claims were last taken back (monotonic)
        self._due_looked = -DUE_EVERY  # when next_due was last asked (monotonic)
        # Cards delivered, to remember: (report, chat, message id, when the card was worded)
        self.cards: list[tuple[int, int, int, datetime]] = []

    async def run(self) -> None:
        """Send what is ready while a claim runs beside it: a claim can wait for SQLite's
        write lock, and sending must not wait with it."""
        wake, self._news = outbox.arrivals(), outbox.arrivals()
        wake.set()
        claiming: asyncio.Task | None = None
        try:  # the events forgotten however it ends, a cancellation while adopting too
            await self._adopt_orphans()
            while True:
                claim_in = None
                if claiming is None or claiming.done():
                    claim_in = self._claim_in(wake)
                    if claim_in == 0:
                        wake.clear()
                        self._freed, claim_in = False, None
                        self._claim_began = time.monotonic()
                        claiming = asyncio.create_task(self._claim())
                busy = claiming is not None and not claiming.done()
                await self._renew_claims()
                row, delay = self._next()
                if row is None:
                    delay = delay if claim_in is None else min(delay, claim_in)
                    # A claim running: its end is the news. Rows signalled but the claim held
                    # back till CLAIM_EVERY: the delay says when, the signal is already in.
                    if busy or wake.is_set():
                        await _wait(self._claimed, delay)
                    elif not self._claimed.is_set():  # an arrival or a claim's end will do
                        self._news.clear()
                        await _wait(self._news, delay)
                    self._claimed.clear()
                    continue
                self.bucket.take()
                self._chat(row.chat_id).take()
                await self.slots.acquire()
                task = asyncio.create_task(self._send(row))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        finally:
            outbox.forget(wake)
            outbox.forget(self._news)
            if claiming is not None:
                await asyncio.gather(claiming, return_exceptions=True)
            await self._drain()

    async def _adopt_orphans(self) -> None:
        """Rows a sender was sending when it died (kill -9, a lost leader) are pending again
        at once, not after STALE_CLAIM: one sender runs at a time, so no claim is alive."""
        try:
            async with transaction(self.sessions) as session:
                await outbox.take_back(session)
        except Exception:  # the stale claims are still taken back later
            log.exception("could not take back the claims of a previous sender")

    def _claim_in(self, wake: asyncio.Event) -> float | None:
        """Seconds until the next claim should start (0: now), or None: nothing to claim.
        Rows were signalled, a claim left rows behind, or a row put off comes due; with rows
        in hand, not more often than CLAIM_EVERY (each claim takes the write lock), and never
        within CLAIM_GAP of the last."""
        gap = CLAIM_EVERY if self.ready else CLAIM_GAP
        held_back = max(gap - (time.monotonic() - self._claim_began), 0.0)
        if wake.is_set() or self._freed or (self._more and len(self.ready) < self.claim_size // 2):
            return held_back
        if self._db_due is None:
            return None
        return max(held_back, (self._db_due - utcnow()).total_seconds(), 0.0)

    async def _claim(self) -> None:
        try:
            await self._claim_rows()
        except Exception:  # the database hiccuped: try again shortly
            log.exception("could not claim outbox rows")
            await asyncio.sleep(1.0)
            self._more = True
        finally:
            self._claimed.set()
            self._news.set()

    async def _claim_rows(self) -> None:
        now, began = utcnow(), time.monotonic()
        # Only a dead sender leaves stale claims: looking for them now and then is enough.
        stale = began - self._released >= RENEW_EVERY
        async with transaction(self.sessions) as session:
            room = 2 * self.claim_size - len(self.ready)  # the queue held in memory is bounded
            worst = max((r.priority for r in self.ready), default=None)
            limit = min(room, CLAIM_AT_ONCE) if room > 0 else 10
            claim = await outbox.claim(
                session,
                now=now,
                stale_after=STALE_CLAIM if stale else None,
                limit=limit,
                by=self.token,
                more_urgent_than=None if room > 0 else worst,
                held=self.held,
                best_held=self._best_held(),
                per_chat=self.per_chat_held,
            )
            notices = await self._word(session, claim.rows, now)
            # Before wording: a notice of one call becomes that call in its own row, and
            # would otherwise be taken here as well as from word().
            parts = [row for row in claim.rows if row.method != outbox.NOTICE]
            parts += await outbox.word(session, notices=notices, now=now, by=self.token)
            # A claim held to the more urgent (the queue in memory is full) leaves the rest
            # due: there is more as soon as there is room.
            self._more = not claim.exhausted or room <= 0
            if self._more:
                self._db_due = None
            else:  # what is left waits for a later time: wake for it unasked
                self._db_due = await self._next_due(session, now, began)
        if stale:
            self._released = began
        for part in parts:
            self._hold(part)

    async def _next_due(self, session, now: datetime, began: float) -> datetime:
        """When to claim unasked: the next row put off, at the latest the watchdog. Asked at
        most every DUE_EVERY; in between, looked at again DUE_EVERY after the last look."""
        watchdog = now + WATCHDOG
        if began - self._due_looked < DUE_EVERY:
            look_again = now + timedelta(seconds=DUE_EVERY - (began - self._due_looked))
            known = self._db_due if self._db_due is not None and self._db_due > now else watchdog
            return min(known, look_again)
        self._due_looked = began
        later = await outbox.next_due(session, after=now)
        return min(later or watchdog, watchdog)

    async def _word(self, session, rows: list[outbox.Message], now: datetime) -> list[tuple]:
        """The claimed notices' calls, worded now; a report's cards are drawn again as it is
        now, once per claim however many changes it went through."""
        said = [(row, from_payload(row.payload)) for row in rows if row.method == outbox.NOTICE]
        changes = [n for _, n in said if n.kind == CARDS]
        redrawn = await self._redraws(session, changes, now) if changes else {}
        return [
            (row, calls_for(n, self.tz, now, redrawn.pop(n.report_id, None)))
            if n.kind == CARDS
            else (row, calls_for(n, self.tz, now))
            for row, n in said
        ]

    async def _redraws(self, session, changes: list, now: datetime) -> dict:
        """Contained: cards left as they were must never stop the sending. Cards delivered
        and not remembered yet (the next flush does) are drawn too, and the flush finds them
        drawn as of now: a change moments after a card went out has it drawn once, not twice."""
        report_ids = {n.report_id for n in changes}
        unsaved: dict[int, list[tuple[int, int]]] = {}
        for report_id, chat, message, _ in self.cards:
            if report_id in report_ids:
                unsaved.setdefault(report_id, []).append((chat, message))
        try:
            async with contained(session):
                found = await redraws(session, report_ids, unsaved)
        except Exception:
            log.exception("could not draw the cards of %d reports again", len(report_ids))
            return {}
        drawn = {(r, card) for r, cards in unsaved.items() if r in found for card in cards}
        self.cards = [  # not those delivered meanwhile: they were not drawn here
            (r, chat, message, now if (r, (chat, message)) in drawn else worded)
            for r, chat, message, worded in self.cards
        ]
        return found

    def _hold(self, row: outbox.Message) -> None:
        """In the queue in memory, in order: by priority, then as they were written (a
        notice's calls keep its time, so they do not pass a reply written after it)."""
        bisect.insort(self.ready, row, key=_order)
        self.held[row.chat_id] += 1
        counters.outbox_held.set(len(self.ready))

    def _best_held(self) -> dict[int, int]:
        best: dict[int, int] = {}
        for row in self.ready:
            best.setdefault(row.chat_id, row.priority)  # ready is in priority order
        return best

    async def _renew_claims(self) -> None:
        """Rows wait here (a chat's 1/s, a 429): renew their claims well before they'd go stale."""
        now = time.monotonic()
        if now - self._renewed < RENEW_EVERY or not self.ready:
            return
        self._renewed = now
        try:
            async with transaction(self.sessions) as session:
                ids = [r.id for r in self.ready]
                await outbox.keep(session, ids=ids, now=utcnow(), by=self.token)
        except Exception:
            log.exception("could not renew outbox claims")

    def _next(self) -> tuple[outbox.Message | None, float]:
        """The most urgent row whose chat may be written to now, or how long to wait."""
        wait = self.bucket.wait_time()
        if wait > 0:
            return None, wait
        soonest = 1.0
        for index, row in enumerate(self.ready):
            chat_wait = self._chat(row.chat_id).wait_time()
            if chat_wait == 0:
                self._taken(row)
                counters.outbox_held.set(len(self.ready) - 1)
                return self.ready.pop(index), 0.0
            soonest = min(soonest, chat_wait)
        return None, soonest

    def _taken(self, row: outbox.Message) -> None:
        if self.held[row.chat_id] >= self.per_chat_held:
            self._freed = True  # rows of this chat were left in the database for want of room
        self.held[row.chat_id] -= 1
        if self.held[row.chat_id] <= 0:
            del self.held[row.chat_id]

    def _flood_wait(self, chat_id: int, seconds: float) -> None:
        """A 429 holds back that chat; only when several chats get one within a second is it
        the bot's overall limit, and everything waits (one chat's flood must not stall all)."""
        self._chat(chat_id).pause(seconds)
        now = time.monotonic()
        self._recent_429 = [(t, c) for t, c in self._recent_429 if now - t < 1.0]
        self._recent_429.append((now, chat_id))
        if len({c for _, c in self._recent_429}) >= GLOBAL_429_CHATS:
            self.bucket.pause(seconds)

    def _chat(self, chat_id: int) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            if len(self.chats) > 50_000:  # forget chats that have refilled: they start full anyway
                self.chats = {k: b for k, b in self.chats.items() if b.tokens < b.burst}
            rate = self.per_chat_rate * PER_CHAT_MARGIN
            bucket = self.chats[chat_id] = TokenBucket(rate, PER_CHAT_BURST)
        return bucket

    async def _send(self, row: outbox.Message) -> None:
        kwargs = dict(row.payload)
        card_of = kwargs.pop(CARD_OF, None)
        began = time.monotonic()
        try:
            try:
                sent = await transport.call(self.bot, row.method, kwargs)
            finally:
                counters.send_latency.observe(time.monotonic() - began)
            if card_of is not None and isinstance(sent, dict) and "message_id" in sent:
                self.cards.append((card_of, row.chat_id, sent["message_id"], row.created_at))
            self._settle(row, outbox.SENT)
        except RetryAfter as exc:
            counters.telegram_429.inc()
            counters.sends.labels("retry").inc()
            seconds = _seconds(exc.retry_after)
            self._flood_wait(row.chat_id, seconds)
            self._again(row, str(exc))
        except Forbidden as exc:
            self._settle(row, outbox.UNDELIVERABLE, error=str(exc))
        except BadRequest as exc:
            if _edit_moot(row.method, exc):  # the card reads so already, or is gone: done
                self._settle(row, outbox.SENT, error=str(exc))
                return
            final = outbox.UNDELIVERABLE if "chat not found" in str(exc).lower() else outbox.FAILED
            self._settle(row, final, error=str(exc))
        except (NetworkError, TelegramError) as exc:
            counters.errors.labels("send").inc()
            counters.sends.labels("retry").inc()
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** min(row.attempts, 10))
            row.attempts += 1
            self._chat(row.chat_id).pause(backoff)
            self._again(row, str(exc))
        finally:
            self.slots.release()

    def _again(self, row: outbox.Message, error: str) -> None:
        """Put back in the queue in memory, its chat held back meanwhile (a 429's retry_after,
        a 5xx's backoff): the chat's later rows do not pass it, and the sender wakes for it
        by itself when the chat may be written to again."""
        log.warning("outbox %s to %s: retrying (%s)", row.id, row.chat_id, error)
        self._hold(row)

    def _settle(
        self,
        row: outbox.Message,
        status: str,
        *,
        retry_in: float | None = None,
        error: str | None = None,
        failed: bool = True,
    ) -> None:
        if status in SETTLED:
            counters.sends.labels(status).inc()
        if status == outbox.FAILED:
            counters.errors.labels("send").inc()
        if status != outbox.SENT:
            log.warning("outbox %s to %s: %s (%s)", row.id, row.chat_id, status, error)
        first = not self.settled
        self.settled.setdefault((status, retry_in, error, failed), []).append(row.id)
        if first:  # one transaction records every outcome of the next few milliseconds
            self._flush_in(SETTLE_AFTER)

    def _flush_in(self, seconds: float) -> None:
        self._flush_timer = asyncio.get_running_loop().call_later(seconds, self._flush_now)

    def _flush_now(self) -> None:
        task = asyncio.ensure_future(self._flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def _flush(self) -> None:
        batch, self.settled = self.settled, {}
        delivered, self.cards = self.cards, []
        if not batch and not delivered:
            return
        now = utcnow()
        try:
            async with transaction(self.sessions) as session:
                await self._remember(session, delivered, now)
                for (status, retry_in, error, failed), ids in batch.items():
                    retry_at = now + timedelta(seconds=retry_in) if retry_in is not None else None
                    await outbox.record(
                        session,
                        ids=ids,
                        status=status,
                        now=now,
                        error=error,
                        retry_at=retry_at,
                        failed_attempt=failed,
                        by=self.token,
                    )
        except Exception:  # kept to record again: their rows must not go out twice
            log.exception("could not record %d outbox outcomes", sum(map(len, batch.values())))
            self._settle_again(batch, delivered)

    def _settle_again(self, batch: dict, delivered: list) -> None:
        """Outcomes a failed transaction did not record (a database restart), put back before
        the newer ones and recorded again soon: their claims, left to go stale, would send
        the rows again."""
        first = not self.settled  # cards come with their sends' outcomes
        for key, ids in batch.items():
            self.settled[key] = ids + self.settled.get(key, [])
        self.cards = delivered + self.cards
        if first:  # otherwise the newer outcomes' flush is on its way
            self._flush_in(SETTLE_AGAIN)

    async def _remember(self, session, delivered: list[tuple], now: datetime) -> None:
        """The cards delivered, to edit when their report changes (see triage.tasks.cards)."""
        if delivered:
            await remember(session, delivered, now)

    async def _drain(self) -> None:
        """On stop: let sends in flight finish, and give back what was claimed but not sent."""
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=5)
        for row in self.ready:
            self.settled.setdefault((outbox.PENDING, 0.0, None, False), []).append(row.id)
        self.ready = []
        self.held.clear()
        await self._flush()
        # All recorded: a flush still timed has nothing to do, and would start as the loop
        # closes, never to run. What could not be recorded keeps its retry (another sender
        # may take over in this process: leadership lost, not the process stopped).
        if self._flush_timer is not None and not self.settled and not self.cards:
            self._flush_timer.cancel()
        if self._flushes:
            await asyncio.gather(*self._flushes, return_exceptions=True)


async def _wait(event: asyncio.Event, seconds: float) -> None:
    """Until the event is set, `seconds` at most, without a task of its own: ≈ 11 µs a wait
    where a task and asyncio.wait took 19–28, eight waits a report (issue 14)."""
    if event.is_set():
        return
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(max(seconds, 0.001)):
            await event.wait()


# Edits Telegram refuses that retrying would never change: already reads so, or the message
# is gone (deleted by its chat) or too old to edit.
_MOOT = ("message is not modified", "message to edit not found", "message can't be edited")


def _edit_moot(method: str, exc: BadRequest) -> bool:
    return method.startswith("edit") and any(m in str(exc).lower() for m in _MOOT)


def _order(row: outbox.Message) -> tuple:
    return (row.priority, row.created_at, row.id)


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
