"""Pushing updates to a bot's webhook, the way Telegram does: in order, one at a time,
retrying the same update with growing pauses until the receiver answers 2xx."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp

from .state import Signal, UpdateQueue

log = logging.getLogger(__name__)


class WebhookDelivery:
    def __init__(self, updates: UpdateQueue, clock, backoff: tuple[float, float]) -> None:
        self.updates = updates
        self.clock = clock
        self.first_pause, self.longest_pause = backoff
        self.url = ""
        self.secret: str | None = None
        self.max_connections: int | None = None
        self.allowed_updates: list | None = None
        self.last_error_date: int | None = None
        self.last_error_message: str | None = None
        self.delivered = 0
        self.failed_attempts = 0
        self._task: asyncio.Task | None = None
        # Notified after every delivery attempt, so tests can wait for failures too.
        self.attempted = Signal()

    async def configure(self, url: str, secret: str | None, max_connections, allowed) -> None:
        await self.clear()
        self.url, self.secret = url, secret
        self.max_connections, self.allowed_updates = max_connections, allowed
        self._task = asyncio.create_task(self._deliver_forever(), name="emulator-webhook")

    async def clear(self) -> None:
        self.url, self.secret = "", None
        self.last_error_date = self.last_error_message = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _deliver_forever(self) -> None:
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            pause = self.first_pause
            while True:
                update = await self.updates.changed.wait_for(self.updates.first, None)
                delivered = await self._post(session, update)
                self.attempted.notify()
                if delivered:
                    self._confirm(update)
                    pause = self.first_pause
                else:
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, self.longest_pause)

    async def _post(self, session: aiohttp.ClientSession, update: dict) -> bool:
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.secret} if self.secret else {}
        try:
            async with session.post(self.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return True
                self._failed(
                    f"Wrong response from the webhook: {response.status} {response.reason}"
                )
        except (aiohttp.ClientError, TimeoutError) as exc:
            self._failed(f"Connection failed: {exc.__class__.__name__}")
        return False

    def _confirm(self, update: dict) -> None:
        self.delivered += 1
        update_id = update.get("update_id")
        if isinstance(update_id, int):
            self.updates.confirm_below(update_id + 1)
        else:
            self.updates.drop_first()

    def _failed(self, message: str) -> None:
        log.debug("webhook delivery to %s failed: %s", self.url, message)
        self.failed_attempts += 1
        self.last_error_date = int(self.clock())
        self.last_error_message = message
