"""The outbox's sender: claims rows in priority order and sends them within Telegram's limits.

Limits: a global rate (FIRECIRCLE_SEND_RATE, 30/s by default), evenly spaced, and one message
a second per chat (FIRECIRCLE_SEND_PER_CHAT_RATE), which python-telegram-bot's own rate limiter
does not enforce; the emulator, enforcing both, answers 429 to any burst past them. A 429 pauses everything for
retry_after; a 5xx or network error retries that row with backoff; 403 (blocked) and "chat
not found" mark it undeliverable; other 400s mark it failed. One sender runs at a time (the
leader), so the budget is shared, never multiplied.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.notify import calls_for
from storage import outbox, signals
from storage.engine import SessionFactory, transaction
from storage.models import OutboxMessage
from storage.types import utcnow
from triage.notices import from_payload

log = logging.getLogger(__name__)
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.")  # raw calls are on purpose
STALE_CLAIM = timedelta(seconds=60)
RENEW_EVERY = 20.0  # seconds; well inside STALE_CLAIM
MAX_CLAIM_SIZE = 250  # rows; the queue in memory holds up to twice this
CLAIM_AT_ONCE = 200  # rows a claim takes; more would hold SQLite's write lock too long
CLAIM_EVERY = 0.1  # seconds between claims while rows wait in memory (each takes the lock)
SETTLE_AFTER = 0.05  # seconds of outcomes recorded together, in one transaction
MAX_BACKOFF = 300.0
FIRST_BACKOFF = 0.5
PER_CHAT_BURST = 1  # Telegram: about one message a second per chat; a burst draws 429s
GLOBAL_429_CHATS = 3  # distinct chats refused within a second: the global limit, not one chat's


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
        self.slots = asyncio.Semaphore(concurrency)
        self.ready: list[OutboxMessage] = []
        self.settled: dict[tuple, list[int]] = {}
        self._inflight: set[asyncio.Task] = set()
        self._next_due = None
        self._claim_began = 0.0
        self._more = False  # the last claim took as many as it asked for: there may be more
        self._claimed = asyncio.Event()  # a claim finished: something may be ready
        self._recent_429: list[tuple[float, int]] = []
        self._renewed = time.monotonic()

    async def run(self) -> None:
        """Send what is ready while a claim runs beside it: a claim can wait for SQLite's
        write lock, and sending must not wait with it."""
        wake = signals.waiter(signals.OUTBOX)
        wake.set()
        claiming: asyncio.Task | None = None
        try:
            while True:
                if (claiming is None or claiming.done()) and self._should_claim(wake):
                    wake.clear()
                    self._claim_began = time.monotonic()
                    claiming = asyncio.create_task(self._claim())
                await self._renew_claims()
                row, delay = self._next()
                if row is None:
                    await self._wait(wake, delay, busy=claiming is not None and not claiming.done())
                    continue
                self.bucket.take()
                self._chat(row.chat_id).take()
                await self.slots.acquire()
                task = asyncio.create_task(self._send(row))
                self._inflight.add(task)
                task.add_done_callback(self._inflight.discard)
        finally:
            signals.forget(wake)
            if claiming is not None:
                await asyncio.gather(claiming, return_exceptions=True)
            await self._drain()

    async def _wait(self, wake: asyncio.Event, delay: float, *, busy: bool) -> None:
        """Until a row may go, or news: a claim running (its end is the news, not the
        signal), or new rows signalled (unless a claim is held back till CLAIM_EVERY)."""
        if busy or wake.is_set():
            held = CLAIM_EVERY - (time.monotonic() - self._claim_began)
            delay = delay if busy else min(delay, max(held, 0.001))
            await _wait_any((self._claimed,), delay)
        else:
            await _wait_any((wake, self._claimed), delay)
        self._claimed.clear()

    def _should_claim(self, wake: asyncio.Event) -> bool:
        """New rows were signalled, the last claim left more behind and the queue runs low,
        or a retry has come due."""
        if wake.is_set():  # with rows in hand, not more often than CLAIM_EVERY
            return not self.ready or time.monotonic() - self._claim_began >= CLAIM_EVERY
        if self._more and len(self.ready) < self.claim_size // 2:
            return True
        return not self.ready and self._next_due is not None and self._next_due <= utcnow()

    async def _claim(self) -> None:
        try:
            await self._claim_rows()
        except Exception:  # the database hiccuped: try again shortly
            log.exception("could not claim outbox rows")
            await asyncio.sleep(1.0)
            self._more = True
        finally:
            self._claimed.set()

    async def _claim_rows(self) -> None:
        now = utcnow()
        async with transaction(self.sessions) as session:
            room = 2 * self.claim_size - len(self.ready)  # the queue held in memory is bounded
            worst = max((r.priority for r in self.ready), default=None)
            limit = min(room, CLAIM_AT_ONCE) if room > 0 else 10
            rows = await outbox.claim(
                session=session,
                now=now,
                stale_after=STALE_CLAIM,
                limit=limit,
                more_urgent_than=None if room > 0 else worst,
            )
            notices = [
                (row, calls_for(from_payload(row.payload), self.tz))
                for row in rows
                if row.method == outbox.NOTICE
            ]
            parts = [row for row in rows if row.method != outbox.NOTICE]
            parts += await outbox.expand(session=session, notices=notices, now=now)
            self._more = len(rows) >= limit
            if not self.ready and not parts:  # idle: few rows are pending, all of them later
                self._next_due = await outbox.next_attempt_at(session=session)
        self.ready += parts
        self.ready.sort(key=lambda r: (r.priority, r.id))

    async def _renew_claims(self) -> None:
        """Rows wait here (a chat's 1/s, a 429): renew their claims well before they'd go stale."""
        now = time.monotonic()
        if now - self._renewed < RENEW_EVERY or not self.ready:
            return
        self._renewed = now
        try:
            async with transaction(self.sessions) as session:
                await outbox.renew(session=session, ids=[r.id for r in self.ready], now=utcnow())
        except Exception:
            log.exception("could not renew outbox claims")

    def _next(self) -> tuple[OutboxMessage | None, float]:
        """The most urgent row whose chat may be written to now, or how long to wait."""
        wait = self.bucket.wait_time()
        if wait > 0:
            return None, wait
        soonest = 1.0
        for index, row in enumerate(self.ready):
            chat_wait = self._chat(row.chat_id).wait_time()
            if chat_wait == 0:
                return self.ready.pop(index), 0.0
            soonest = min(soonest, chat_wait)
        if not self.ready and self._next_due is not None:
            until = (self._next_due - utcnow()).total_seconds()
            soonest = min(soonest, until) if until > 0 else soonest  # past: a claim is due
        return None, soonest

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
            bucket = self.chats[chat_id] = TokenBucket(self.per_chat_rate, PER_CHAT_BURST)
        return bucket

    async def _send(self, row: OutboxMessage) -> None:
        try:
            await self.bot.do_api_request(row.method, api_kwargs=dict(row.payload))
            self._settle(row, outbox.SENT)
        except RetryAfter as exc:
            seconds = _seconds(exc.retry_after)
            self._flood_wait(row.chat_id, seconds)
            self._settle(row, outbox.PENDING, retry_in=seconds, error=str(exc), failed=False)
        except Forbidden as exc:
            self._settle(row, outbox.UNDELIVERABLE, error=str(exc))
        except BadRequest as exc:
            final = outbox.UNDELIVERABLE if "chat not found" in str(exc).lower() else outbox.FAILED
            self._settle(row, final, error=str(exc))
        except (NetworkError, TelegramError) as exc:
            backoff = min(MAX_BACKOFF, FIRST_BACKOFF * 2.0 ** min(row.attempts, 10))
            self._settle(row, outbox.PENDING, retry_in=backoff, error=str(exc))
        finally:
            self.slots.release()

    def _settle(
        self,
        row: OutboxMessage,
        status: str,
        *,
        retry_in: float | None = None,
        error: str | None = None,
        failed: bool = True,
    ) -> None:
        if status != outbox.SENT:
            log.warning("outbox %s to %s: %s (%s)", row.id, row.chat_id, status, error)
        first = not self.settled
        self.settled.setdefault((status, retry_in, error, failed), []).append(row.id)
        if first:  # one transaction records every outcome of the next few milliseconds
            asyncio.get_running_loop().call_later(
                SETTLE_AFTER, lambda: asyncio.ensure_future(self._flush())
            )

    async def _flush(self) -> None:
        batch, self.settled = self.settled, {}
        if not batch:
            return
        now = utcnow()
        try:
            async with transaction(self.sessions) as session:
                for (status, retry_in, error, failed), ids in batch.items():
                    retry_at = now + timedelta(seconds=retry_in) if retry_in is not None else None
                    await outbox.settle(
                        session=session,
                        ids=ids,
                        status=status,
                        now=now,
                        error=error,
                        retry_at=retry_at,
                        failed_attempt=failed,
                    )
                if any(key[0] == outbox.PENDING for key in batch):
                    await signals.touch(session, signals.OUTBOX)
        except Exception:  # the claims expire and the rows are sent again: late, not lost
            log.exception("could not record %d outbox outcomes", sum(map(len, batch.values())))

    async def _drain(self) -> None:
        """On stop: let sends in flight finish, and give back what was claimed but not sent."""
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=5)
        for row in self.ready:
            self.settled.setdefault((outbox.PENDING, 0.0, None, False), []).append(row.id)
        self.ready = []
        await self._flush()


async def _wait_any(events: tuple[asyncio.Event, ...], seconds: float) -> None:
    if any(event.is_set() for event in events):
        return
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=max(seconds, 0.001), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()


def _seconds(value) -> float:
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)
