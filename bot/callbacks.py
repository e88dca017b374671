"""Reading a button's callback data back. Any client can send any data: whatever does not
read as one of our buttons (another prefix, too few or too many fields, a number that is not
ASCII digits or passes a row id) is an expired button, answered as one and nothing else."""

from __future__ import annotations

import logging

from telegram import Update

from bot.texts import DEFAULT, t
from triage.intake.people import language_from_code

log = logging.getLogger(__name__)
ID_MAX = 2**31 - 1  # report, staff and broadcast ids are 32-bit integer columns on PostgreSQL


def fields(data: str | None, prefix: str, count: int) -> list[str] | None:
    """ "t:ack:12" with prefix "t:" and count 2 → ["ack", "12"]; None unless exactly count."""
    if not data or not data.startswith(prefix):
        return None
    parts = data.removeprefix(prefix).split(":")
    return parts if len(parts) == count else None


def ident(text: str) -> int | None:
    """A row id from callback data; None unless ASCII digits within a row id's range."""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(ID_MAX)):
        return None
    value = int(text)
    return value if value <= ID_MAX else None


async def expired(update: Update) -> None:
    """按钮已过期, in the language of the presser's app: no message, nothing looked up."""
    query = update.callback_query
    log.debug("a press with data %r read as an expired button", query.data)
    language = language_from_code(query.from_user.language_code, DEFAULT)
    await query.answer(t(language, "button_expired"), show_alert=True)
