"""python-telegram-bot's HTTP calls made with aiohttp instead of httpx.

The bot makes several calls per report (replies, task cards, getUpdates), and httpx spent
about a quarter of the service's CPU on them under load; aiohttp, which the service already
uses for its web side, does the same work for a fraction. python-telegram-bot keeps doing
what matters: building the parameters and mapping answers to its errors (RetryAfter,
Forbidden, BadRequest, NetworkError), which the sender relies on.

A proxy (FIRECIRCLE_PROXY_URL) is how a bot in mainland China reaches Telegram: aiohttp speaks
to HTTP proxies itself; SOCKS5 goes through aiohttp-socks' connector.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aiohttp
from aiohttp_socks import ProxyConnector
from python_socks import ProxyConnectionError, ProxyError
from telegram import Bot
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

POOL_WAIT = 1.0  # seconds to wait for a free connection, as python-telegram-bot's default
JSON = {"Content-Type": "application/json", "User-Agent": BaseRequest.USER_AGENT}
_TOKEN = re.compile(r"(/bot)[^/\s'\"]+")  # the token in an address, kept out of error messages


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        *,
        connections: int = 256,
        read_timeout: float = 5.0,
        connect_timeout: float = 5.0,
        proxy_url: str | None = None,
    ):
        self._connections = connections
        self._socks = bool(proxy_url) and proxy_url.startswith("socks")
        self._proxy_url = proxy_url
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            if self._socks:
                connector = ProxyConnector.from_url(self._proxy_url, limit=self._connections)
            else:
                connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(
                connector=connector,
                proxy=None if self._socks else self._proxy_url,
                skip_auto_headers=("User-Agent",),
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout=BaseRequest.DEFAULT_NONE,
        write_timeout=BaseRequest.DEFAULT_NONE,
        connect_timeout=BaseRequest.DEFAULT_NONE,
        pool_timeout=BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = _or(connect_timeout, self._connect_timeout)
        timeout = aiohttp.ClientTimeout(  # `connect` covers waiting for a pooled connection too
            sock_read=_or(read_timeout, self._read_timeout),
            sock_connect=connect,
            connect=None if connect is None else connect + (_or(pool_timeout, POOL_WAIT) or 0),
        )
        body, headers = _body(request_data)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        # aiohttp's errors name the address, the token in it, and a traceback prints the
        # cause whatever the log's handler: the message says what they said, token masked,
        # and the cause is the system's error under them, if any.
        except TimeoutError as exc:
            raise TimedOut(_TOKEN.sub(r"\1***", str(exc)) or None) from None
        except (aiohttp.ClientError, ProxyError, ProxyConnectionError) as exc:
            reason = _TOKEN.sub(r"\1***", str(exc))
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {reason}") from getattr(
                exc, "os_error", None
            )


async def call(
    bot: Bot,
    method: str,
    parameters: dict[str, Any],
    **timeouts: Any,
) -> Any:
    """A Bot API call whose parameters are JSON already (an outbox row's payload, getUpdates'
    offset), sent by the bot's request for it: its pooled session and timeouts, and
    python-telegram-bot's reading of the answer into its errors (RetryAfter, Forbidden,
    BadRequest…), which the sender and the inbox rely on. The Bot's layers above the request
    turn each parameter into an object and back to JSON: ≈ 0.1 ms a call that such
    parameters do not need (issue 14). `timeouts`: read_timeout and the others, as
    BaseRequest.post takes them."""
    polling = method == "getUpdates" and hasattr(bot, "updates_request")
    request = bot.updates_request if polling else bot.request
    return await request.post(f"{bot.base_url}/{method}", _Json(parameters), **timeouts)


class _Json(RequestData):
    """Parameters encoded once, as they are (python-telegram-bot's RequestData encodes each
    value, then the whole); one that is None left out, as the Bot leaves it out (Telegram
    refuses some as null: "Object expected as reply markup"), and anything not ASCII
    escaped, as there (a lone surrogate cannot be sent as UTF-8)."""

    def __init__(self, parameters: dict[str, Any]):
        super().__init__()
        given = {name: value for name, value in parameters.items() if value is not None}
        self._payload = json.dumps(given).encode()

    @property
    def json_payload(self) -> bytes:
        return self._payload


def _body(request_data: RequestData | None) -> tuple[object, dict[str, str] | None]:
    """JSON for plain parameters; multipart when a file is uploaded."""
    if request_data is None:
        return None, {"User-Agent": BaseRequest.USER_AGENT}
    if not request_data.contains_files:
        return request_data.json_payload, JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, upload in request_data.multipart_data.items():
        filename, content, *mimetype = upload
        form.add_field(
            name, content, filename=filename, content_type=mimetype[0] if mimetype else None
        )
    return form, {"User-Agent": BaseRequest.USER_AGENT}


def _or(value: object, default: float | None) -> float | None:
    """The timeout asked for, or ours where python-telegram-bot passed its "unset" marker."""
    return value if value is None or isinstance(value, int | float) else default
