"""The emulator itself: an aiohttp server answering Bot API calls like api.telegram.org."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable

from aiohttp import web

from . import control, errors
from .errors import ApiError
from .faults import Faults, RateLimiter
from .methods import BotApi
from .params import Upload, read_params
from .players import Player
from .state import Call, World
from .webhook import WebhookDelivery

log = logging.getLogger(__name__)

_BAD_GATEWAY_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n"
    "</body>\r\n</html>\r\n"
)


class BotApiEmulator:
    """One bot's view of Telegram, served over real HTTP on 127.0.0.1.

    Point python-telegram-bot at ``base_url=emu.api_url`` and ``base_file_url=emu.file_url``;
    play users with ``emu.user(...)``; break things with ``emu.faults``.
    """

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "firecircle_bot",
        bot_name: str = "消防便民服务",
        host: str = "127.0.0.1",
        port: int = 0,
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        first_update_id: int = 10_000,
        webhook_backoff: tuple[float, float] = (0.05, 2.0),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.world = World(token, bot_username, bot_name, first_update_id, clock)
        self.webhook = WebhookDelivery(self.world.updates, clock, webhook_backoff)
        self.api = BotApi(self.world, self.webhook)
        self.faults = Faults()
        self.limiter = RateLimiter(global_rate, per_chat_rate)
        self._players: dict[int, Player] = {}
        self._runner: web.AppRunner | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """What PTB calls ``base_url``."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """What PTB calls ``base_file_url``."""
        return f"{self.url}/file/bot"

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        control.add_routes(app, self)
        return app

    async def start(self) -> BotApiEmulator:
        self.api.closing = False
        # A short shutdown_timeout: held long polls must not keep stop() waiting.
        self._runner = web.AppRunner(self.make_app(), access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        # Long polls end with an empty result instead of hanging the shutdown.
        self.api.closing = True
        self.faults.clear()  # held calls answer
        self.world.updates.changed.notify()
        for chat in self.world.chats.values():
            chat.changed.notify()
        self.world.callbacks_changed.notify()
        await self.webhook.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        return await self.start()

    async def __aexit__(self, *exc_info) -> None:
        await self.stop()

    # -- playing users ------------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh",
    ) -> Player:
        """The player for this user, creating their private chat with the bot on first use."""
        if user_id not in self._players:
            self._players[user_id] = Player(
                self.world,
                user_id,
                first_name or f"User{user_id}",
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
        return self._players[user_id]

    def player(self, user_id: int) -> Player:
        return self._players[user_id]

    @property
    def players(self) -> list[Player]:
        return list(self._players.values())

    def raw_update(self, update: dict) -> int:
        """Queues any update as given (update_id added if missing); returns its update_id."""
        return self.world.updates.put(dict(update))

    @property
    def pending_updates(self) -> list[dict]:
        return self.world.updates.pending

    async def wait_confirmed(self, update_id: int, timeout: float = 5) -> None:
        """Waits until the bot confirmed (or Telegram dropped) the update with this id."""
        updates = self.world.updates
        if not await updates.changed.wait_for(lambda: updates.is_gone(update_id), timeout):
            pending = [u.get("update_id") for u in updates.pending]
            raise TimeoutError(
                f"update {update_id} not confirmed within {timeout}s; pending: {pending}"
            )

    async def wait_polling(self, timeout: float = 5) -> None:
        """Waits until the bot holds a getUpdates long poll open (it is up and listening)."""
        updates = self.world.updates
        if not await updates.changed.wait_for(lambda: self.api.held_polls > 0, timeout):
            raise TimeoutError(f"the bot started no long poll within {timeout}s")

    # -- observing the bot --------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        return list(self.world.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.world.calls if c.method.lower() == method.lower()]

    async def wait_for_call(self, method: str, count: int = 1, timeout: float = 5) -> Call:
        """Waits until the bot has made ``count`` calls to ``method``; returns the last."""
        calls = await self.world.calls_changed.wait_for(
            lambda: len(self.calls_to(method)) >= count and self.calls_to(method), timeout
        )
        if not calls:
            seen = sorted({c.method for c in self.world.calls})
            raise TimeoutError(f"no {count}x {method} within {timeout}s; calls seen: {seen}")
        return calls[count - 1]

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        key = json.dumps(scope or {"type": "default"}, sort_keys=True), language_code
        return list(self.world.commands.get(key, []))

    def add_listener(self, listener: Callable[[dict], None]) -> None:
        """``listener(event)`` for every message either side sends, edit, delete, press, answer."""
        self.world.listeners.append(listener)

    @property
    def stats(self) -> dict:
        counts = self.world.stats
        return {
            "sent_messages": counts["sent_messages"],
            "edited_messages": counts["edited_messages"],
            "deleted_messages": counts["deleted_messages"],
            "user_messages": counts["user_messages"],
            "rate_limited": self.limiter.rejected,
            "faults_injected": self.faults.injected,
            "calls": len(self.world.calls),
            "updates_enqueued": self.world.updates.enqueued,
            "updates_pending": len(self.world.updates.pending),
            "webhook_delivered": self.webhook.delivered,
            "webhook_failed_attempts": self.webhook.failed_attempts,
            "by_method": {
                key.removeprefix("calls."): value
                for key, value in counts.items()
                if key.startswith("calls.")
            },
        }

    # -- HTTP ---------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_reply(errors.UNAUTHORIZED.payload(), 401)
        try:
            params, uploads = await read_params(request)
        except (ValueError, UnicodeDecodeError):
            return _json_reply(errors.bad_request("can't parse request").payload(), 400)
        name, handler = self.api.handler(request.match_info["method"])
        response, status = await self._answer(name, handler, params, uploads)
        self.world.record_call(Call(name, _loggable(params, uploads), status))
        return response

    async def _answer(self, name, handler, params: dict, uploads: dict) -> tuple:
        if pause := self.faults.take_delay(name):
            await asyncio.sleep(pause)
        await self.faults.wait_if_held(name)
        fault = self.faults.take(name)
        try:
            if fault is not None and not fault.take_effect:
                raise fault.error()
            self.limiter.check(name, params.get("chat_id"))
            result = await handler(params, uploads)
            if fault is not None:
                raise fault.error()
        except ApiError as error:
            return _error_reply(error), error.code
        return _json_reply({"ok": True, "result": result}, 200), 200

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _json_reply(errors.UNAUTHORIZED.payload(), 401)
        stored = self.world.files.at_path(request.match_info["path"])
        if stored is None:
            return _json_reply(errors.NOT_FOUND.payload(), 404)
        return web.Response(body=stored.content, content_type="application/octet-stream")


def _json_reply(body: dict, status: int) -> web.Response:
    return web.json_response(body, status=status, dumps=_dumps)


def _error_reply(error: ApiError) -> web.Response:
    if error.code == 502:
        # Telegram's front end answers gateway errors with nginx's HTML, not JSON.
        return web.Response(text=_BAD_GATEWAY_PAGE, status=502, content_type="text/html")
    return _json_reply(error.payload(), error.code)


def _dumps(body) -> str:
    return json.dumps(body, ensure_ascii=False)


def _loggable(params: dict, uploads: dict[str, Upload]) -> dict:
    logged = dict(params)
    for field, upload in uploads.items():
        logged.setdefault(field, f"<upload {upload.filename} {len(upload.content)} bytes>")
    return logged
