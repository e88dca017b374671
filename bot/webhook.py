"""POST /telegram/webhook: Telegram pushes updates here when a webhook URL is configured.

The secret header is checked before anything is read (403 otherwise, nothing stored); the
update is stored, then answered 200 at once: the inbox processors handle it after.
"""

from __future__ import annotations

import hmac
import json
import logging

from aiohttp import web

from bot.inbox import Inbox

log = logging.getLogger(__name__)
PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_route(inbox: Inbox, secret: str) -> web.RouteDef:
    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            return web.json_response({"ok": False, "error": "forbidden"}, status=403)
        try:
            update = json.loads(await request.read())
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"ok": False, "error": "not JSON"}, status=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.json_response({"ok": False, "error": "not an update"}, status=400)
        await inbox.receive([update])
        return web.json_response({"ok": True})

    return web.post(PATH, receive)
