"""Photos for the web console, fetched through the Bot API's file endpoint (getFile, then the
file) and kept in memory, newest used last out: a report's page shows them without asking
Telegram again, and the service needs no disk of its own for them."""

from __future__ import annotations

import logging
from collections import OrderedDict

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)
CACHE_BYTES = 64 * 1024 * 1024
LARGEST = 20 * 1024 * 1024  # the Bot API serves files up to 20 MB


class PhotoCache:
    def __init__(self, bot: Bot, limit: int = CACHE_BYTES):
        self.bot = bot
        self.limit = limit
        self._kept: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    async def fetch(self, file_id: str) -> bytes | None:
        """The photo's bytes, or None when Telegram cannot give them (gone, too large, down)."""
        kept = self._kept.get(file_id)
        if kept is not None:
            self._kept.move_to_end(file_id)
            return kept
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size and file.file_size > LARGEST:
                return None
            content = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("could not fetch a photo for the console: %s", exc)
            return None
        self._keep(file_id, content)
        return content

    def _keep(self, file_id: str, content: bytes) -> None:
        if len(content) > self.limit:
            return
        self._kept[file_id] = content
        self._size += len(content)
        while self._size > self.limit:
            _, dropped = self._kept.popitem(last=False)
            self._size -= len(dropped)
