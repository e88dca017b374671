"""Playing a Telegram user: what a person does in the app becomes an update for the bot."""

from __future__ import annotations

from collections.abc import Callable

from . import media, objects
from .markup import command_entities
from .state import CallbackRecord, ChatState, World


class Player:
    """One user in a private chat with the bot.

    Sending methods queue an update and return the user's Message dict; reading methods see
    the bot's side of the chat, with edits applied and deleted messages gone.
    """

    def __init__(
        self,
        world: World,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
    ) -> None:
        self.world = world
        user = objects.person(user_id, first_name, last_name, username, language_code)
        self._chat = world.chats.setdefault(user_id, ChatState(user, objects.private_chat(user)))
        # How many of the bot's messages next_message() has handed out already.
        self._consumed = 0
        # The update_id of this user's latest action, for emu.wait_confirmed().
        self.last_update_id: int | None = None

    def __repr__(self) -> str:
        return f"<Player {self.id} {self.user['first_name']}>"

    @property
    def id(self) -> int:
        return self.user["id"]

    @property
    def user(self) -> dict:
        return self._chat.user

    @property
    def chat(self) -> dict:
        return self._chat.chat

    # -- things a user does --------------------------------------------------------------------

    async def send(self, text: str, *, reply_to: dict | int | None = None) -> dict:
        """A text message; any /command in it gets a bot_command entity, as Telegram adds."""
        entities = command_entities(text) or None
        return self._post(text=text, entities=entities, reply_to_message=self._original(reply_to))

    async def command(self, command: str, args: str = "") -> dict:
        """``command("/report")``, ``command("report", "extra")`` or ``command("/report x")``."""
        text = command if command.startswith("/") else f"/{command}"
        return await self.send(f"{text} {args}".strip())

    async def send_location(
        self, latitude: float, longitude: float, *, live_period: int | None = None
    ) -> dict:
        place = objects.location(latitude, longitude, live_period=live_period)
        return self._post(location=place)

    async def send_photo(
        self,
        *,
        caption: str | None = None,
        width: int = 640,
        height: int = 480,
        content: bytes | None = None,
    ) -> dict:
        """A photo; without ``content`` a fresh solid-colour PNG, registered as a file."""
        if content is None:
            seed = self.world.files.count + self.id
            content = media.png(width, height, media.colour(seed))
        photo = self.world.store_photo(content)
        return self._post(photo=photo, caption=caption)

    async def send_document(
        self,
        name: str = "document.pdf",
        *,
        content: bytes | None = None,
        mime_type: str = "application/pdf",
        caption: str | None = None,
    ) -> dict:
        document = self.world.store_document(content or b"%PDF-1.4\n%%EOF\n", name, mime_type)
        return self._post(document=document, caption=caption)

    async def send_sticker(self, emoji: str = "👍") -> dict:
        stored = self.world.files.add(media.png(512, 512, media.colour(7)), "stickers", "webp")
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "EmulatorStickers",
        }
        return self._post(sticker=sticker)

    async def send_voice(self, duration: int = 3) -> dict:
        stored = self.world.files.add(b"OggS" + bytes(64), "voice", "oga")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "duration": duration,
            "mime_type": "audio/ogg",
        }
        return self._post(voice=voice)

    async def send_contact(self, phone_number: str | None = None) -> dict:
        contact = objects.drop_none(
            {
                "phone_number": phone_number or f"86138{self.id % 100_000_000:08d}",
                "first_name": self.user["first_name"],
                "last_name": self.user.get("last_name"),
                "user_id": self.id,
            }
        )
        return self._post(contact=contact)

    async def edit(self, message: dict | int, text: str) -> dict:
        """Edits one of this user's own text messages: an ``edited_message`` update."""
        original = self._message(message)
        edited = {
            **original,
            "text": text,
            "entities": command_entities(text) or None,
            "edit_date": self.world.now(),
        }
        edited = objects.drop_none(edited)
        self._chat.messages[original["message_id"]] = edited
        self.last_update_id = self.world.updates.put({"edited_message": edited})
        self.world.emit({"kind": "user_edit", "chat_id": self.id, "message": edited})
        return edited

    async def press(self, text_or_message: str | dict | int, text: str | None = None) -> str:
        """Presses an inline button by its label: ``press("接单")`` on the newest bot message
        that has it, or ``press(message, "接单")``. Returns the callback query id."""
        if text is None:
            label, message = str(text_or_message), self._newest_with_button(str(text_or_message))
        else:
            label, message = text, self._message(text_or_message)
        button = _find_button(message, lambda b: b.get("text") == label)
        if button is None:
            raise LookupError(
                f"no button {label!r} on message {message['message_id']}: {_labels(message)}"
            )
        if "callback_data" not in button:
            raise ValueError(f"button {label!r} opens {button}; it sends no callback query")
        return self._callback(message, button["callback_data"])

    async def press_data(self, message: dict | int, data: str) -> str:
        """Presses the button carrying this callback_data; returns the callback query id."""
        current = self._message(message)
        if _find_button(current, lambda b: b.get("callback_data") == data) is None:
            raise LookupError(
                f"no button with data {data!r} on message "
                f"{current['message_id']}: {_labels(current)}"
            )
        return self._callback(current, data)

    async def tap_reply_button(
        self, text: str, *, latitude: float | None = None, longitude: float | None = None
    ) -> dict:
        """Taps a button of the reply keyboard the bot is showing; location and contact
        buttons share those instead of sending their label."""
        button = self._reply_button(text)
        if isinstance(button, dict) and button.get("request_location"):
            if latitude is None or longitude is None:
                raise ValueError(f"button {text!r} shares a location: give latitude and longitude")
            return await self.send_location(latitude, longitude)
        if isinstance(button, dict) and button.get("request_contact"):
            return await self.send_contact()
        return await self.send(text)

    def block_bot(self) -> None:
        """From now on the bot's sends to this chat fail with 403; the bot is told, as on
        Telegram, by a ``my_chat_member`` update."""
        self._set_blocked(True)

    def unblock_bot(self) -> None:
        self._set_blocked(False)

    # -- what the user sees ------------------------------------------------------------------

    @property
    def messages(self) -> list[dict]:
        """Every message the bot sent here, oldest first, as it looks now."""
        return self._chat.bot_messages()

    @property
    def last_message(self) -> dict | None:
        messages = self.messages
        return messages[-1] if messages else None

    @property
    def unread(self) -> list[dict]:
        """Bot messages that next_message() has not returned yet."""
        ids = self._chat.bot_message_ids[self._consumed :]
        return [self._chat.messages[i] for i in ids if i not in self._chat.deleted]

    @property
    def reply_keyboard(self) -> dict | None:
        return self._chat.reply_keyboard

    @property
    def blocked(self) -> bool:
        return self._chat.blocked

    async def next_message(self, timeout: float = 5) -> dict:
        """The oldest bot message not yet returned, waiting for one if there is none."""
        found = await self._chat.changed.wait_for(self._take_unread, timeout)
        if not found:
            raise TimeoutError(f"{self!r} got no new message within {timeout}s; {self._summary()}")
        return found

    def _take_unread(self) -> dict | None:
        ids = self._chat.bot_message_ids
        while self._consumed < len(ids):
            message_id = ids[self._consumed]
            self._consumed += 1
            if message_id not in self._chat.deleted:
                return self._chat.messages[message_id]
        return None

    async def wait_for(self, predicate: Callable[[], object], timeout: float = 5):
        """Waits until ``predicate()`` is truthy, re-checking whenever this chat changes
        (new message, edit, delete); returns its value."""
        result = await self._chat.changed.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(
                f"condition not met for {self!r} within {timeout}s; {self._summary()}"
            )
        return result

    async def callback_answer(self, query_id: str, timeout: float = 5) -> dict:
        """What the bot's answerCallbackQuery said: text, show_alert, url, cache_time."""
        record = self.world.callbacks[query_id]
        answered = await self.world.callbacks_changed.wait_for(lambda: record.answer, timeout)
        if not answered:
            raise TimeoutError(
                f"callback query {query_id} ({record.query['data']!r}) "
                f"not answered within {timeout}s"
            )
        return answered

    def transcript(self) -> list[str]:
        """The whole chat as lines, for printing a demo or a failing test."""
        lines = []
        for message_id in sorted(self._chat.messages):
            if message_id in self._chat.deleted:
                continue
            message = self._chat.messages[message_id]
            who = "bot" if self._chat.is_from_bot(message_id) else self.user["first_name"]
            lines.append(f"#{message_id} {who}: {describe(message)}")
        return lines

    # -- internals -----------------------------------------------------------------------------

    def _post(self, **content) -> dict:
        # Writing to a bot you blocked unblocks it first, as the Telegram apps do.
        self._set_blocked(False)
        message = objects.message(
            self._chat.next_message_id(), self.world.now(), self.chat, self.user, **content
        )
        self._chat.store(message, from_bot=False)
        self.world.stats["user_messages"] += 1
        self.world.emit({"kind": "user_message", "chat_id": self.id, "message": message})
        self.last_update_id = self.world.updates.put({"message": message})
        return message

    def _callback(self, message: dict, data: str) -> str:
        query_id = self.world.new_query_id(self.id)
        chat_instance = str(-(self.id * 7919 + 1_000_000_007))
        query = objects.callback_query(query_id, self.user, message, chat_instance, data)
        self.world.callbacks[query_id] = CallbackRecord(query)
        self.world.emit({"kind": "callback_query", "chat_id": self.id, "query": query})
        self.last_update_id = self.world.updates.put({"callback_query": query})
        return query_id

    def _set_blocked(self, blocked: bool) -> None:
        if self._chat.blocked == blocked:
            return
        self._chat.blocked = blocked
        old, new = ("member", "kicked") if blocked else ("kicked", "member")
        change = objects.my_chat_member(
            self.chat, self.user, self.world.bot, self.world.now(), old, new
        )
        self.last_update_id = self.world.updates.put({"my_chat_member": change})
        self._chat.changed.notify()

    def _message(self, message: dict | int) -> dict:
        message_id = message["message_id"] if isinstance(message, dict) else message
        current = self._chat.find(message_id)
        if current is None:
            raise LookupError(f"message {message_id} is not (or no longer) in chat {self.id}")
        return current

    def _original(self, message: dict | int | None) -> dict | None:
        if message is None:
            return None
        original = self._message(message)
        return {k: v for k, v in original.items() if k != "reply_to_message"}

    def _newest_with_button(self, label: str) -> dict:
        for message in reversed(self.messages):
            if _find_button(message, lambda b: b.get("text") == label) is not None:
                return message
        shown = [_labels(m) for m in self.messages if m.get("reply_markup")]
        raise LookupError(
            f"no bot message in chat {self.id} has a button {label!r}; buttons shown: {shown}"
        )

    def _reply_button(self, text: str):
        keyboard = self._chat.reply_keyboard
        if keyboard is None:
            raise LookupError(f"the bot shows no reply keyboard in chat {self.id}")
        for row in keyboard["keyboard"]:
            for button in row:
                if (button.get("text") if isinstance(button, dict) else button) == text:
                    return button
        raise LookupError(f"no reply button {text!r}; keyboard: {keyboard['keyboard']}")

    def _summary(self) -> str:
        received = self.messages
        shown = "; ".join(f"#{m['message_id']} {describe(m)}" for m in received[-8:])
        return f"the chat received {len(received)} bot message(s): {shown or 'none'}"


def describe(message: dict) -> str:
    """A one-line rendering of a message, for error texts and transcripts."""
    if "text" in message:
        body = repr(message["text"][:120])
    elif "photo" in message:
        body = f"[photo] {message.get('caption') or ''}".strip()
    elif "location" in message:
        body = f"[location {message['location']['latitude']},{message['location']['longitude']}]"
    else:
        kinds = [k for k in ("document", "sticker", "voice", "contact") if k in message]
        body = f"[{kinds[0] if kinds else 'message'}]"
    markup = message.get("reply_markup")
    if markup:
        body += f" buttons={_labels(message)}"
    if "edit_date" in message:
        body += " (edited)"
    return body


def _find_button(message: dict, matches: Callable[[dict], bool]) -> dict | None:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return next((b for row in rows for b in row if matches(b)), None)


def _labels(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b.get("text") for row in rows for b in row]
