"""The Bot the application calls Telegram with: python-telegram-bot's, with what a press did
so far committed before Telegram is called (on SQLite, see bot.inbox), and a press answered
too late (or twice) taken as what it is — the spinner already gone — instead of an error."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest
from telegram.ext import ExtBot
from telegram.request import BaseRequest

from bot import transport
from triage.units import settle_before_telling

log = logging.getLogger(__name__)
TOO_LATE = "query is too old"


class FirecircleBot(ExtBot):
    @property
    def updates_request(self) -> BaseRequest:
        """The request getUpdates is made with (its own connection: a long poll must not hold
        one the replies need); `request` is the other calls'."""
        return self._request[0]

    async def _do_post(self, *args, **kwargs):
        # A press's unit of work on SQLite commits what it did so far before the worker is
        # answered: the answer confirms what is stored, and the write lock waits on no call.
        await settle_before_telling()
        return await super()._do_post(*args, **kwargs)

    async def call(self, method: str, parameters: dict[str, Any], **timeouts: Any) -> Any:
        """A Bot API call whose parameters are JSON already, as transport.call makes it, what
        a press did so far committed first (as _do_post)."""
        await settle_before_telling()
        return await transport.call(self, method, parameters, **timeouts)

    async def answer_callback_query(
        self,
        callback_query_id: str,
        text: str | None = None,
        show_alert: bool | None = None,
        url: str | None = None,
        cache_time: int | timedelta | None = None,
        *,
        api_kwargs: dict[str, Any] | None = None,
        rate_limit_args: Any = None,  # no rate limiter here: the sender keeps the limits
        **timeouts: Any,
    ) -> bool:
        """A press answered with its parameters as they are (see transport.call). Telegram
        forgets a press after some seconds; by then the client has stopped its spinner and
        nothing is lost: what the press did is stored and told all the same."""
        if isinstance(cache_time, timedelta):
            cache_time = int(cache_time.total_seconds())
        parameters = {
            "callback_query_id": callback_query_id,
            "text": text,
            "show_alert": show_alert,
            "url": url,
            "cache_time": cache_time,
        }
        try:
            return await self.call(
                "answerCallbackQuery", parameters | (api_kwargs or {}), **timeouts
            )
        except BadRequest as exc:
            if TOO_LATE not in exc.message.lower():
                raise
            log.info("a button press was answered too late to show; the press itself was handled")
            return False
