"""Everything the emulator remembers: chats and their messages, the update queue, files,
callback queries, commands, and the log of calls. One event loop owns it all."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from . import media, objects

log = logging.getLogger(__name__)

# Telegram keeps these out of getUpdates unless a bot asks for them by name.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class Signal:
    """Wakes every waiter whenever something changed; waiters re-check their own condition.

    Sync ``notify`` (no lock to take) so plain functions can announce changes.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_for(self, predicate: Callable, timeout: float | None):
        """Returns predicate()'s first truthy value, or its last falsy one at the timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while not (result := predicate()):
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return result
            try:
                await asyncio.wait_for(self._event.wait(), remaining)
            except TimeoutError:
                pass
        return result


class UpdateQueue:
    """Updates not yet confirmed by the bot, in update_id order."""

    def __init__(self, first_update_id: int) -> None:
        self._pending: list[dict] = []
        self._ids = itertools.count(first_update_id)
        # Every update with an id at or below this one was confirmed or dropped.
        self.gone_upto = first_update_id - 1
        self.allowed: frozenset[str] | None = None
        self.changed = Signal()
        self.enqueued = 0
        self.confirmed = 0

    def put(self, update: dict) -> int:
        if "update_id" not in update:
            update = {"update_id": next(self._ids), **update}
        elif isinstance(update["update_id"], int):
            # Later updates must still sort after a hand-numbered one.
            self._ids = itertools.count(max(update["update_id"] + 1, next(self._ids)))
        self.enqueued += 1
        if self._wanted(update):
            self._pending.append(update)
        else:
            self.gone_upto = max(self.gone_upto, update["update_id"])
        self.changed.notify()
        return update["update_id"]

    def _wanted(self, update: dict) -> bool:
        kind = objects.update_kind(update)
        if kind is None or not isinstance(update.get("update_id"), int):
            return True
        if self.allowed is None:
            return kind not in _OPT_IN_UPDATES
        return kind in self.allowed

    def set_allowed(self, allowed: list | None) -> None:
        # An empty list means "back to the default", as on Telegram.
        if allowed is not None:
            self.allowed = frozenset(allowed) if allowed else None

    @property
    def pending(self) -> list[dict]:
        return list(self._pending)

    def first(self) -> dict | None:
        return self._pending[0] if self._pending else None

    def take(self, limit: int) -> list[dict]:
        return self._pending[:limit]

    def confirm_below(self, offset: int) -> None:
        kept = [u for u in self._pending if _id_of(u) >= offset]
        self.confirmed += len(self._pending) - len(kept)
        self._forget(kept, offset - 1)

    def keep_last(self, count: int) -> None:
        kept = self._pending[-count:] if count else []
        gone = self._pending[: len(self._pending) - len(kept)]
        self._forget(kept, max((_id_of(u) for u in gone), default=self.gone_upto))

    def drop_first(self) -> None:
        if self._pending:
            self._pending.pop(0)
            self.confirmed += 1
            self.changed.notify()

    def drop_all(self) -> None:
        last = max((_id_of(u) for u in self._pending), default=self.gone_upto)
        self._forget([], last)

    def _forget(self, kept: list[dict], upto: int) -> None:
        self._pending = kept
        self.gone_upto = max(self.gone_upto, upto)
        self.changed.notify()

    def is_gone(self, update_id: int) -> bool:
        return update_id <= self.gone_upto and all(_id_of(u) != update_id for u in self._pending)


def _id_of(update: dict) -> int:
    # Malformed raw updates may lack an int id; they sort first so they never block others.
    value = update.get("update_id")
    return value if isinstance(value, int) else -1


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    # For photos: every PhotoSize of the same picture, so a re-sent file_id keeps its sizes.
    photo: list[dict] | None = None

    @property
    def file_size(self) -> int:
        return len(self.content)

    def as_file(self) -> dict:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._serial = itertools.count(1)

    def add(self, content: bytes, folder: str, extension: str, variant: str = "") -> StoredFile:
        serial = next(self._serial)
        digest = hashlib.sha1(content + variant.encode()).hexdigest()
        stored = StoredFile(
            # Shaped like real ids: opaque, url-safe, long; unique ids stable per content.
            file_id=f"AgACAgUAAxkBAAI{serial:06d}{digest[:24]}",
            file_unique_id=f"AQAD{digest[:12]}",
            file_path=f"{folder}/file_{serial}.{extension}",
            content=content,
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    @property
    def count(self) -> int:
        return len(self._by_id)

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id) if isinstance(file_id, str) else None

    def at_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


@dataclass
class ChatState:
    """A private chat between one user and the bot."""

    user: dict
    chat: dict
    messages: dict[int, dict] = field(default_factory=dict)
    bot_message_ids: list[int] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    reply_keyboard: dict | None = None
    blocked: bool = False
    changed: Signal = field(default_factory=Signal)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    @property
    def id(self) -> int:
        return self.chat["id"]

    def next_message_id(self) -> int:
        return next(self._ids)

    def store(self, message: dict, from_bot: bool) -> None:
        self.messages[message["message_id"]] = message
        if from_bot:
            self.bot_message_ids.append(message["message_id"])
        self.changed.notify()

    def find(self, message_id) -> dict | None:
        if message_id in self.deleted:
            return None
        return self.messages.get(message_id)

    def bot_messages(self) -> list[dict]:
        return [self.messages[i] for i in self.bot_message_ids if i not in self.deleted]

    def is_from_bot(self, message_id: int) -> bool:
        return message_id in self.bot_message_ids


@dataclass
class CallbackRecord:
    query: dict
    answer: dict | None = None


class Call(NamedTuple):
    """One Bot API request as the emulator saw it, for assertions; unpacks as a tuple."""

    method: str
    params: dict
    status: int


class World:
    def __init__(
        self,
        token: str,
        bot_username: str,
        bot_name: str,
        first_update_id: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot = objects.bot_user(_bot_id(token), bot_name, bot_username)
        self.clock = clock
        self.chats: dict[int, ChatState] = {}
        self.updates = UpdateQueue(first_update_id)
        self.files = FileStore()
        self.callbacks: dict[str, CallbackRecord] = {}
        self.callbacks_changed = Signal()
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.calls: list[Call] = []
        self.calls_changed = Signal()
        self.stats: Counter = Counter()
        self.listeners: list[Callable[[dict], None]] = []
        self._query_ids = itertools.count(1)

    def now(self) -> int:
        return int(self.clock())

    def chat(self, chat_id) -> ChatState | None:
        return self.chats.get(chat_id) if isinstance(chat_id, int) else None

    def new_query_id(self, user_id: int) -> str:
        # Real ids are large decimal strings; keep them unique across users.
        return str(4_000_000_000_000_000_000 + user_id * 1_000_000 + next(self._query_ids))

    def store_photo(self, content: bytes) -> list[dict]:
        """Registers a picture; returns its PhotoSizes, smallest first, like Telegram."""
        width, height = media.image_size(content)
        extension = media.image_extension(content)
        sizes = []
        for variant, (w, h) in (("s", media.thumbnail_size(width, height)), ("x", (width, height))):
            stored = self.files.add(content, "photos", extension, variant)
            sizes.append(objects.photo_size(stored.as_file(), w, h))
        for size in sizes:
            self.files.get(size["file_id"]).photo = sizes
        return sizes

    def store_document(self, content: bytes, file_name: str, mime_type: str) -> dict:
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        stored = self.files.add(content, "documents", extension)
        return {
            "file_name": file_name,
            "mime_type": mime_type,
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
        }

    def record_call(self, call: Call) -> None:
        self.calls.append(call)
        self.stats[f"calls.{call.method}"] += 1
        self.calls_changed.notify()

    def emit(self, event: dict) -> None:
        """Tells listeners (a demo printing the conversation) what just happened."""
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception:
                log.exception("emulator listener failed on %s", event.get("kind"))


def _bot_id(token: str) -> int:
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 1
