"""POST /telegram/webhook: Telegram pushes updates here when a webhook URL is configured.

The secret header is checked before anything is read (403 otherwise, nothing stored); a body
over the size cap is refused with 413, one that is not an update (bad JSON, nested too deep,
an update_id that is not an integer 0…2^63−1) with 400, nothing stored either way; an update
is stored, then answered 200 at once: the inbox processors handle it after.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot import updates
from bot.inbox import Inbox

log = logging.getLogger(__name__)
PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 256 * 1024  # a real update, with a 4,096-character text, is a few KB


def webhook_route(inbox: Inbox, secret: str) -> web.RouteDef:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return _refuse(403, "forbidden")
        body = await _body(request)
        if body is None:
            return _refuse(413, f"body over {MAX_BODY_BYTES} bytes")
        try:
            update = json.loads(body)
        except (ValueError, RecursionError):  # bad JSON or UTF-8; nested past the parser's stack
            return _refuse(400, "not JSON")
        why = updates.problem(update)
        if why is not None:
            return _refuse(400, f"not an update: {why}")
        await inbox.receive([update])
        return web.json_response({"ok": True})

    return web.post(PATH, receive)


async def _body(request: web.Request) -> bytes | None:
    """The body, or None once it passes the cap (read no further than that)."""
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


def _refuse(status: int, error: str) -> web.Response:
    log.debug("webhook refused (%d): %s", status, error)
    return web.json_response({"ok": False, "error": error}, status=status)
