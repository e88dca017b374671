"""What counts as an update, for the webhook and for polling alike.

An update is a JSON object whose update_id is an integer 0…2^63−1 (the inbox column is a
signed 64-bit integer; a boolean is not an id, though Python counts it as an int), nested no
deeper than any real update is. Numbers JSON cannot carry (NaN, ±Infinity, which Python's
parser accepts) are kept as their names and text that is not Unicode is mended, so the
payload stays storable everywhere and a handler sees the odd input for what it is.
"""

from __future__ import annotations

import math
from typing import Any

UPDATE_ID_MAX = 2**63 - 1
MAX_DEPTH = 32  # a real update nests about ten levels (a reply to a message with a keyboard)


def problem(payload: Any) -> str | None:
    """Why this payload is not an update we store; None if it is one."""
    if not isinstance(payload, dict):
        return "not an object"
    update_id = payload.get("update_id")
    if type(update_id) is not int or not 0 <= update_id <= UPDATE_ID_MAX:
        return "update_id is not an integer 0…2^63−1"
    if too_deep(payload):
        return f"nested deeper than {MAX_DEPTH} levels"
    return None


def malformed(payload: dict[str, Any]) -> str | None:
    """Why an update cannot be what Telegram sends, in the fields the bot reads; None if it
    may be. Telegram never sends such a thing: it is marked and passed over, unanswered (an
    answer needs a sender and a chat, which are what is missing or wrong)."""
    for kind in ("message", "edited_message"):
        if kind in payload:
            return _message(payload[kind], kind)
    if "callback_query" in payload:
        return _press(payload["callback_query"])
    if "my_chat_member" in payload:
        body = payload["my_chat_member"]
        if not isinstance(body, dict):
            return "my_chat_member is not an object"
        return _chat(body.get("chat")) or _user(body.get("from"), "from")
    return None


def _message(message: Any, where: str, *, sender: bool = True) -> str | None:
    """A message; a button's message is the bot's own, and its sender need not be read."""
    if not isinstance(message, dict):
        return f"{where} is not an object"
    why = _chat(message.get("chat"))
    if sender and not why:
        why = _user(message.get("from"), f"{where}.from")
    if why:
        return why
    for field in ("text", "caption"):
        if field in message and not isinstance(message[field], str):
            return f"{where}.{field} is not a string"
    for field in ("entities", "caption_entities"):
        if field in message and not _entities(message[field]):
            return f"{where}.{field} are not entities"
    if "location" in message and not _location(message["location"]):
        return f"{where}.location has no latitude and longitude"
    if not _files(message):
        return f"{where} has a file without a file_id"
    return None


def _press(query: Any) -> str | None:
    if not isinstance(query, dict):
        return "callback_query is not an object"
    if not isinstance(query.get("id"), str):
        return "callback_query.id is not a string"
    if not isinstance(query.get("data"), str):  # a game's press has none; our buttons all do
        return "callback_query.data is not a string"
    why = _user(query.get("from"), "callback_query.from")
    if why:
        return why
    if "message" not in query:  # an inline message's: the bot sends none
        return "callback_query has no message"
    return _message(query["message"], "callback_query.message", sender=False)


def _chat(chat: Any) -> str | None:
    if not isinstance(chat, dict) or not _ident(chat.get("id")):
        return "chat.id is not a 64-bit integer"
    if not isinstance(chat.get("type"), str) or not _names(chat):
        return "chat.type or its names are not strings"
    return None


def _user(user: Any, where: str) -> str | None:
    if not isinstance(user, dict) or not _ident(user.get("id")):
        return f"{where}.id is not a 64-bit integer"
    if not isinstance(user.get("first_name"), str) or not _names(user):
        return f"{where}'s names are not strings"
    return None


def _ident(value: Any) -> bool:
    return type(value) is int and -UPDATE_ID_MAX - 1 <= value <= UPDATE_ID_MAX


def _names(body: dict) -> bool:
    fields = ("first_name", "last_name", "username", "title", "language_code")
    return all(isinstance(body[f], str) for f in fields if f in body)


def _entities(entities: Any) -> bool:
    return isinstance(entities, list) and all(
        isinstance(e, dict)
        and isinstance(e.get("type"), str)
        and type(e.get("offset")) is int
        and type(e.get("length")) is int
        for e in entities
    )


def _location(location: Any) -> bool:
    """Both coordinates there, as numbers (or the names of NaN and ±Infinity, which the
    handler answers as a place it cannot read)."""
    return isinstance(location, dict) and all(
        type(location.get(axis)) in (int, float, str) for axis in ("latitude", "longitude")
    )


FILE_STRINGS = ("file_id", "file_unique_id", "mime_type", "file_name", "emoji", "set_name")
FILE_NUMBERS = ("file_size", "width", "height", "duration")


def _files(message: dict) -> bool:
    """Photos, documents, stickers, voice, video, audio: a file_id, and each field the bot or
    python-telegram-bot's filters read of the type Telegram gives it."""
    photos = message.get("photo", [])
    singles = [
        message[k] for k in ("document", "sticker", "voice", "video", "audio") if k in message
    ]
    if not isinstance(photos, list):
        return False
    return all(_file(f) for f in photos + singles)


def _file(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("file_id"), str)
        and all(isinstance(body[f], str) for f in FILE_STRINGS if f in body)
        and all(type(body[f]) is int for f in FILE_NUMBERS if f in body)
    )


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Walked without recursion: a hostile payload must not exhaust the stack."""
    level = [value]
    for _ in range(limit):
        level = [
            child
            for item in level
            if isinstance(item, dict | list)
            for child in (item.values() if isinstance(item, dict) else item)
            if isinstance(child, dict | list)
        ]
        if not level:
            return False
    return True


def storable(value: Any) -> Any:
    """The payload with NaN and ±Infinity as strings and a lone surrogate (a "\\ud800" escape:
    no character, so no UTF-8 to store or send) as U+FFFD; a payload already checked for
    depth."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # "nan", "inf", "-inf"
    if isinstance(value, str):
        return _unicode(value)
    if isinstance(value, dict):
        return {_unicode(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value


def _unicode(text: str) -> str:
    try:
        text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
