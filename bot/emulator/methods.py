"""The Bot API methods the emulator models, each checked the way Telegram checks it."""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Awaitable, Callable

from . import errors, media, objects
from .errors import ApiError, bad_request
from .markup import apply_parse_mode, utf16_len
from .params import Upload
from .state import ChatState, World
from .webhook import WebhookDelivery

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_COMMAND_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)

Handler = Callable[[dict, dict[str, Upload]], Awaitable[object]]


class BotApi:
    """Method handlers over the shared state; ``handler(name)`` finds one by any casing."""

    def __init__(self, world: World, webhook: WebhookDelivery) -> None:
        self.world = world
        self.webhook = webhook
        self.closing = False
        self._poll_ticket: object | None = None
        # getUpdates requests currently held open, so tests can wait for a live long poll.
        self.held_polls = 0
        self._handlers: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self.get_me,
                "getUpdates": self.get_updates,
                "setWebhook": self.set_webhook,
                "deleteWebhook": self.delete_webhook,
                "getWebhookInfo": self.get_webhook_info,
                "sendMessage": self.send_message,
                "sendPhoto": self.send_photo,
                "sendDocument": self.send_document,
                "sendLocation": self.send_location,
                "sendChatAction": self.send_chat_action,
                "editMessageText": self.edit_message_text,
                "editMessageCaption": self.edit_message_caption,
                "editMessageReplyMarkup": self.edit_message_reply_markup,
                "deleteMessage": self.delete_message,
                "answerCallbackQuery": self.answer_callback_query,
                "getFile": self.get_file,
                "setMyCommands": self.set_my_commands,
                "getMyCommands": self.get_my_commands,
                "deleteMyCommands": self.delete_my_commands,
                "getChat": self.get_chat,
            }.items()
        }

    def handler(self, method: str) -> tuple[str, Handler]:
        """The canonical name and handler; methods not modelled simply succeed."""
        return self._handlers.get(method.lower(), (method, _accept))

    # -- identity and updates -------------------------------------------------------------

    async def get_me(self, p: dict, uploads: dict) -> dict:
        return self.world.bot

    async def get_updates(self, p: dict, uploads: dict) -> list[dict]:
        if self.webhook.url:
            raise errors.WEBHOOK_ACTIVE
        updates = self.world.updates
        offset = _int(p.get("offset"), 0)
        limit = min(max(_int(p.get("limit"), 100), 1), 100)
        timeout = p.get("timeout")
        timeout = max(float(timeout), 0.0) if isinstance(timeout, int | float) else 0.0
        updates.set_allowed(p.get("allowed_updates"))
        if offset > 0:
            updates.confirm_below(offset)
        elif offset < 0:
            updates.keep_last(-offset)
        # Only the newest long poll lives; Telegram ends an older one with 409.
        ticket = self._poll_ticket = object()
        self.held_polls += 1
        updates.changed.notify()
        try:
            outcome = await updates.changed.wait_for(lambda: self._poll(ticket, limit), timeout)
        finally:
            self.held_polls -= 1
            updates.changed.notify()
        if outcome == "superseded":
            raise errors.OTHER_GET_UPDATES
        if outcome == "webhook":
            raise errors.TERMINATED_BY_SET_WEBHOOK
        return outcome if isinstance(outcome, list) else []

    def _poll(self, ticket: object, limit: int):
        if self.closing:
            return "closed"
        if self._poll_ticket is not ticket:
            return "superseded"
        if self.webhook.url:
            return "webhook"
        return self.world.updates.take(limit)

    async def set_webhook(self, p: dict, uploads: dict) -> bool:
        url = p.get("url") or ""
        if not url:
            return await self.delete_webhook(p, uploads)
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: Unsupported URL protocol")
        secret = p.get("secret_token") or None
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self.world.updates.drop_all()
        self.world.updates.set_allowed(p.get("allowed_updates"))
        await self.webhook.configure(
            url, secret, _int(p.get("max_connections"), 40), p.get("allowed_updates")
        )
        self.world.updates.changed.notify()  # ends any long poll in flight
        return True

    async def delete_webhook(self, p: dict, uploads: dict) -> bool:
        if p.get("drop_pending_updates"):
            self.world.updates.drop_all()
        await self.webhook.clear()
        return True

    async def get_webhook_info(self, p: dict, uploads: dict) -> dict:
        hook = self.webhook
        return objects.webhook_info(
            hook.url,
            len(self.world.updates.pending),
            hook.max_connections,
            hook.allowed_updates,
            hook.last_error_date if hook.url else None,
            hook.last_error_message if hook.url else None,
        )

    # -- sending ----------------------------------------------------------------------------

    async def send_message(self, p: dict, uploads: dict) -> dict:
        chat = self._chat(p)
        text, entities = _text(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not text.strip():
            raise bad_request(errors.TEXT_EMPTY)
        if utf16_len(text) > TEXT_LIMIT:
            raise bad_request(errors.TEXT_TOO_LONG)
        return self._deliver(chat, p, text=text, entities=entities)

    async def send_photo(self, p: dict, uploads: dict) -> dict:
        chat = self._chat(p)
        caption, entities = _caption(p)
        photo = self._photo(p.get("photo"), _upload(p, uploads, "photo"))
        return self._deliver(
            chat,
            p,
            photo=photo,
            caption=caption,
            caption_entities=entities,
            has_media_spoiler=p.get("has_spoiler") or None,
        )

    async def send_document(self, p: dict, uploads: dict) -> dict:
        chat = self._chat(p)
        caption, entities = _caption(p)
        document = self._document(p.get("document"), _upload(p, uploads, "document"))
        return self._deliver(chat, p, document=document, caption=caption, caption_entities=entities)

    async def send_location(self, p: dict, uploads: dict) -> dict:
        chat = self._chat(p)
        latitude, longitude = p.get("latitude"), p.get("longitude")
        if not isinstance(latitude, int | float) or not -90 <= latitude <= 90:
            raise bad_request("wrong latitude specified")
        if not isinstance(longitude, int | float) or not -180 <= longitude <= 180:
            raise bad_request("wrong longitude specified")
        place = objects.location(
            round(float(latitude), 6),
            round(float(longitude), 6),
            horizontal_accuracy=p.get("horizontal_accuracy"),
            live_period=p.get("live_period"),
        )
        return self._deliver(chat, p, location=place)

    async def send_chat_action(self, p: dict, uploads: dict) -> bool:
        self._chat(p)
        return True

    def _deliver(self, chat: ChatState, p: dict, **content) -> dict:
        """Checks markup and reply target, then stores and announces a bot message."""
        markup = p.get("reply_markup")
        inline = _checked_markup(markup)
        reply_to = self._reply_target(chat, p)
        message = objects.message(
            chat.next_message_id(),
            self.world.now(),
            chat.chat,
            self.world.bot,
            reply_to_message=reply_to,
            **content,
            reply_markup=inline,
        )
        _apply_reply_keyboard(chat, markup)
        chat.store(message, from_bot=True)
        self.world.stats["sent_messages"] += 1
        self.world.emit({"kind": "bot_message", "chat_id": chat.id, "message": message})
        return message

    def _reply_target(self, chat: ChatState, p: dict) -> dict | None:
        parameters = p.get("reply_parameters")
        if isinstance(parameters, dict):
            wanted = parameters.get("message_id")
            lenient = parameters.get("allow_sending_without_reply")
        else:
            wanted = p.get("reply_to_message_id")
            lenient = p.get("allow_sending_without_reply")
        if wanted is None:
            return None
        target = chat.find(wanted)
        if target is None:
            if lenient:
                return None
            raise bad_request(errors.REPLY_NOT_FOUND)
        # Telegram nests one level only: a reply's original loses its own reply.
        return {k: v for k, v in target.items() if k != "reply_to_message"}

    def _photo(self, value, upload: Upload | None) -> list[dict]:
        if upload is not None:
            return self.world.store_photo(upload.content)
        if isinstance(value, str) and value:
            stored = self.world.files.get(value)
            if stored is not None and stored.photo is not None:
                return stored.photo
            if stored is not None:
                raise bad_request("can't use file of type Document as Photo")
            if value.startswith(("http://", "https://")):
                # As if Telegram fetched the URL: a stand-in picture.
                return self.world.store_photo(media.png(800, 600, media.colour(len(value))))
            raise bad_request(errors.WRONG_FILE)
        raise bad_request("there is no photo in the request")

    def _document(self, value, upload: Upload | None) -> dict:
        if upload is not None:
            mime = upload.content_type
            if mime in ("", "application/octet-stream"):
                mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
            return self.world.store_document(upload.content, upload.filename, mime)
        if isinstance(value, str) and value:
            stored = self.world.files.get(value)
            if stored is not None:
                name = stored.file_path.rsplit("/", 1)[-1]
                return {
                    "file_name": name,
                    "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "file_size": stored.file_size,
                }
            if value.startswith(("http://", "https://")):
                name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
                return self.world.store_document(value.encode(), name, "application/octet-stream")
            raise bad_request(errors.WRONG_FILE)
        raise bad_request("there is no document in the request")

    # -- editing and deleting ---------------------------------------------------------------

    async def edit_message_text(self, p: dict, uploads: dict) -> dict:
        chat, current = self._editable(p)
        if "text" not in current:
            raise bad_request("there is no text in the message to edit")
        text, entities = _text(p.get("text"), p.get("parse_mode"), p.get("entities"))
        if not text.strip():
            raise bad_request(errors.TEXT_EMPTY)
        if utf16_len(text) > TEXT_LIMIT:
            raise bad_request(errors.TEXT_TOO_LONG)
        return self._replace(chat, current, p, text=text, entities=entities)

    async def edit_message_caption(self, p: dict, uploads: dict) -> dict:
        chat, current = self._editable(p)
        if "text" in current:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = _caption(p)
        return self._replace(chat, current, p, caption=caption, caption_entities=entities)

    async def edit_message_reply_markup(self, p: dict, uploads: dict) -> dict:
        chat, current = self._editable(p)
        return self._replace(chat, current, p)

    def _editable(self, p: dict) -> tuple[ChatState, dict]:
        if p.get("inline_message_id"):
            raise bad_request(errors.EDIT_NOT_FOUND)
        chat = self._chat(p)
        current = chat.find(p.get("message_id"))
        if current is None:
            raise bad_request(errors.EDIT_NOT_FOUND)
        if not chat.is_from_bot(current["message_id"]):
            raise bad_request(errors.CANT_EDIT)
        return chat, current

    def _replace(self, chat: ChatState, current: dict, p: dict, **content) -> dict:
        # A missing reply_markup removes the inline keyboard, as on Telegram.
        markup = p.get("reply_markup")
        if markup is not None and not (isinstance(markup, dict) and "inline_keyboard" in markup):
            raise bad_request("inline keyboard expected")
        edited = {k: v for k, v in current.items() if k not in ("edit_date", "reply_markup")}
        for key, value in content.items():
            edited.pop(key, None)
            if value is not None:
                edited[key] = value
        if markup is not None:
            edited["reply_markup"] = _checked_markup(markup)
        if _same_content(current, edited):
            raise bad_request(errors.NOT_MODIFIED)
        edited["edit_date"] = self.world.now()
        chat.messages[current["message_id"]] = edited
        chat.changed.notify()
        self.world.stats["edited_messages"] += 1
        self.world.emit({"kind": "bot_edit", "chat_id": chat.id, "message": edited})
        return edited

    async def delete_message(self, p: dict, uploads: dict) -> bool:
        chat = self._chat(p)
        message_id = p.get("message_id")
        if chat.find(message_id) is None:
            raise bad_request(errors.DELETE_NOT_FOUND)
        chat.deleted.add(message_id)
        chat.changed.notify()
        self.world.stats["deleted_messages"] += 1
        self.world.emit({"kind": "bot_delete", "chat_id": chat.id, "message_id": message_id})
        return True

    # -- callbacks, files, commands, chats ---------------------------------------------------

    async def answer_callback_query(self, p: dict, uploads: dict) -> bool:
        record = self.world.callbacks.get(str(p.get("callback_query_id")))
        if record is None or record.answer is not None:
            raise bad_request(errors.QUERY_INVALID)
        record.answer = {
            "text": p.get("text"),
            "show_alert": bool(p.get("show_alert")),
            "url": p.get("url"),
            "cache_time": _int(p.get("cache_time"), 0),
        }
        self.world.callbacks_changed.notify()
        self.world.emit(
            {"kind": "callback_answer", "query_id": record.query["id"], "answer": record.answer}
        )
        return True

    async def get_file(self, p: dict, uploads: dict) -> dict:
        stored = self.world.files.get(p.get("file_id"))
        if stored is None:
            raise bad_request(errors.INVALID_FILE_ID)
        return stored.as_file()

    async def set_my_commands(self, p: dict, uploads: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            _check_command(command)
        self.world.commands[_commands_key(p)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def get_my_commands(self, p: dict, uploads: dict) -> list[dict]:
        return self.world.commands.get(_commands_key(p), [])

    async def delete_my_commands(self, p: dict, uploads: dict) -> bool:
        self.world.commands.pop(_commands_key(p), None)
        return True

    async def get_chat(self, p: dict, uploads: dict) -> dict:
        chat = self.world.chat(p.get("chat_id"))
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        return objects.chat_full_info(chat.chat)

    def _chat(self, p: dict) -> ChatState:
        chat_id = p.get("chat_id")
        if chat_id in (None, ""):
            raise bad_request("chat_id is empty")
        chat = self.world.chat(chat_id)
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        if chat.blocked:
            raise errors.BLOCKED
        return chat


async def _accept(p: dict, uploads: dict) -> bool:
    return True


def _int(value, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        return default
    return value


def _text(raw, parse_mode, entities) -> tuple[str, list | None]:
    if raw is None:
        raise bad_request(errors.TEXT_EMPTY)
    return apply_parse_mode(str(raw), parse_mode, entities)


def _caption(p: dict) -> tuple[str | None, list | None]:
    raw = p.get("caption")
    if raw in (None, ""):
        return None, None
    caption, entities = apply_parse_mode(str(raw), p.get("parse_mode"), p.get("caption_entities"))
    if utf16_len(caption) > CAPTION_LIMIT:
        raise bad_request(errors.CAPTION_TOO_LONG)
    return caption or None, entities


def _upload(p: dict, uploads: dict[str, Upload], field: str) -> Upload | None:
    value = p.get(field)
    if isinstance(value, str) and value.startswith("attach://"):
        return uploads.get(value.removeprefix("attach://"))
    return uploads.get(field)


def _checked_markup(markup) -> dict | None:
    """Validates any reply_markup; returns it only if it is an inline keyboard (the echo)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        return {"inline_keyboard": _inline_rows(markup["inline_keyboard"])}
    if "keyboard" in markup:
        _check_reply_rows(markup["keyboard"])
    return None


def _inline_rows(rows) -> list[list[dict]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'can\'t parse inline keyboard button: field "inline_keyboard" must be an Array of Arrays'
        )
    return [[_inline_button(button) for button in row] for row in rows]


def _inline_button(button) -> dict:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    actions = [key for key in _INLINE_ACTIONS if button.get(key) is not None]
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
            raise bad_request(errors.BUTTON_DATA_INVALID)
    if not button["text"]:
        raise bad_request("text buttons are unallowed in the inline keyboard")
    return objects.drop_none(button)


def _check_reply_rows(rows) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            text = button.get("text") if isinstance(button, dict) else button
            if not isinstance(text, str) or not text:
                raise bad_request("keyboard button text is empty")


def _apply_reply_keyboard(chat: ChatState, markup) -> None:
    if not isinstance(markup, dict):
        return
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif markup.get("remove_keyboard"):
        chat.reply_keyboard = None


def _same_content(current: dict, edited: dict) -> bool:
    ignored = ("edit_date", "date")
    before = {k: v for k, v in current.items() if k not in ignored}
    after = {k: v for k, v in edited.items() if k not in ignored}
    return before == after


def _check_command(command) -> None:
    if not isinstance(command, dict):
        raise bad_request("can't parse BotCommand")
    if not _COMMAND_NAME.match(str(command.get("command", ""))):
        raise bad_request("BOT_COMMAND_INVALID")
    description = command.get("description")
    if not isinstance(description, str) or not 1 <= len(description) <= 256:
        raise bad_request(
            "command description is empty" if not description else "BOT_COMMAND_DESCRIPTION_INVALID"
        )


def _commands_key(p: dict) -> tuple[str, str]:
    scope = p.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(p.get("language_code") or "")


__all__ = ["ApiError", "BotApi"]
