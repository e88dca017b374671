"""Turn any of the four ways Telegram accepts parameters into one plain dict.

PTB sends form fields where nested objects are JSON strings and numbers are strings;
other clients send JSON bodies or query strings. Handlers only ever see typed values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aiohttp import BodyPartReader, web

INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
        "cache_time",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "duration",
        "width",
        "height",
    }
)
# timeout is whole seconds on Telegram; fractions are kept so tests can poll briefly.
FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy", "timeout"})
# Free text that happens to look like JSON ("[1, 2]", "true") must stay text.
TEXT_FIELDS = frozenset(
    {
        "text",
        "caption",
        "secret_token",
        "url",
        "callback_query_id",
        "inline_message_id",
        "parse_mode",
        "language_code",
        "title",
        "address",
        "description",
        "short_description",
        "name",
        "phone_number",
        "first_name",
        "last_name",
        "vcard",
        "query",
        "question",
        "explanation",
        "emoji",
        "action",
        "file_id",
        "photo",
        "document",
        "sticker",
    }
)


@dataclass
class Upload:
    """A file sent in a multipart body."""

    field: str
    filename: str
    content_type: str
    content: bytes


def normalize(params: dict) -> dict:
    return {key: _typed(key, value) for key, value in params.items()}


def _typed(key: str, value):
    if not isinstance(value, str) or key in TEXT_FIELDS:
        return value
    if key in INT_FIELDS:
        return _number(value, int)
    if key in FLOAT_FIELDS:
        return _number(value, float)
    if value in ("true", "false"):
        return value == "true"
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _number(value: str, kind):
    # "@channelname" chat ids and garbage stay strings; handlers reject them by name.
    try:
        return kind(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> tuple[dict, dict[str, Upload]]:
    """Query string merged with whatever the body carries; uploads keyed by part name."""
    params: dict = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.json(loads=_loads_or_empty)
            if isinstance(body, dict):
                params.update(body)
        elif content_type == "multipart/form-data":
            await _read_multipart(request, params, uploads)
        else:
            params.update(await request.post())
    return normalize(params), uploads


def _loads_or_empty(raw: str):
    return json.loads(raw) if raw.strip() else {}


async def _read_multipart(request: web.Request, params: dict, uploads: dict) -> None:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            params[part.name] = await part.text()
            continue
        content = await part.read(decode=False)
        uploads[part.name] = Upload(
            part.name,
            part.filename,
            part.headers.get("Content-Type", "application/octet-stream"),
            bytes(content),
        )
