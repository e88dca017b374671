"""Injected failures and Telegram-like flood limits, to exercise a bot's retry paths."""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from dataclasses import dataclass

from .errors import ApiError, too_many_requests

_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    403: "Forbidden: bot was blocked by the user",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

# Telegram's flood limits apply to messages the bot sends, not to every call.
SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendsticker",
        "sendmediagroup",
        "sendaudio",
        "sendvideo",
        "sendvoice",
        "sendanimation",
        "sendpoll",
        "senddice",
        "copymessage",
        "forwardmessage",
    }
)


@dataclass
class Fault:
    method: str | None
    status: int
    retry_after: int
    remaining: int | None
    description: str | None
    take_effect: bool

    def matches(self, method: str) -> bool:
        return self.remaining != 0 and self.method in (None, method.lower())

    def error(self) -> ApiError:
        if self.status == 429:
            return too_many_requests(self.retry_after)
        description = self.description or _DESCRIPTIONS.get(self.status, "Injected fault")
        return ApiError(self.status, description)


@dataclass
class Delay:
    method: str | None
    seconds: float
    remaining: int | None


class Faults:
    """``add`` makes calls fail; ``delay`` makes them slow. Counts of None mean forever."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._delays: list[Delay] = []
        self._holds: list[Hold] = []
        self.injected = 0

    def add(
        self,
        method: str | None = None,
        status: int = 429,
        retry_after: int = 1,
        count: int | None = 1,
        description: str | None = None,
        take_effect: bool = False,
    ) -> Fault:
        """``take_effect=True`` runs the call yet answers with the error: a lost reply."""
        fault = Fault(
            method.lower() if method else None,
            status,
            retry_after,
            count,
            description,
            take_effect,
        )
        self._faults.append(fault)
        return fault

    def delay(self, seconds: float, method: str | None = None, count: int | None = None) -> Delay:
        delay = Delay(method.lower() if method else None, seconds, count)
        self._delays.append(delay)
        return delay

    def hold(self, method: str) -> Hold:
        """The next call of `method` waits until the Hold is released (or clear())."""
        hold = Hold(method.lower(), asyncio.Event(), asyncio.Event())
        self._holds.append(hold)
        return hold

    def clear(self) -> None:
        self._faults.clear()
        self._delays.clear()
        for hold in self._holds:
            hold.release()
        self._holds.clear()

    async def wait_if_held(self, method: str) -> None:
        """A call of a held method waits for its Hold (kept until released, so that clear()
        can still release it)."""
        hold = next(
            (h for h in self._holds if h.method == method.lower() and not h.reached.is_set()),
            None,
        )
        if hold is not None:
            hold.reached.set()
            await hold.released.wait()

    def take(self, method: str) -> Fault | None:
        fault = next((f for f in self._faults if f.matches(method)), None)
        if fault is not None:
            self.injected += 1
            if fault.remaining is not None:
                fault.remaining -= 1
        return fault

    def take_delay(self, method: str) -> float:
        for delay in self._delays:
            if delay.remaining != 0 and delay.method in (None, method.lower()):
                if delay.remaining is not None:
                    delay.remaining -= 1
                return delay.seconds
        return 0.0


@dataclass
class Hold:
    """The next call of a method waits, unanswered, until released: what the bot has done
    by the moment Telegram hears it can be looked at (``reached`` is set then)."""

    method: str
    reached: asyncio.Event
    released: asyncio.Event

    def release(self) -> None:
        self.released.set()


class _Window:
    """At most ``rate`` events per second, checked over a sliding window."""

    def __init__(self, rate: float) -> None:
        self.limit = max(1, math.ceil(rate))
        self.span = self.limit / rate
        self.times: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        while self.times and now - self.times[0] >= self.span:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.span - (now - self.times[0])

    def record(self, now: float) -> None:
        self.times.append(now)


class RateLimiter:
    def __init__(self, global_rate: float | None, per_chat_rate: float | None) -> None:
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self._global = _Window(global_rate) if global_rate else None
        self._chats: dict[object, _Window] = {}
        self.rejected = 0

    def check(self, method: str, chat_id: object) -> None:
        """Raises 429 when this send would exceed a limit; otherwise counts it."""
        if method.lower() not in SENDING_METHODS:
            return
        now = time.monotonic()
        windows = [w for w in (self._global, self._chat_window(chat_id)) if w is not None]
        wait = max((w.wait_needed(now) for w in windows), default=0.0)
        if wait > 0:
            self.rejected += 1
            raise too_many_requests(max(1, math.ceil(wait)))
        for window in windows:
            window.record(now)

    def _chat_window(self, chat_id: object) -> _Window | None:
        if not self.per_chat_rate:
            return None
        if chat_id not in self._chats:
            self._chats[chat_id] = _Window(self.per_chat_rate)
        return self._chats[chat_id]
