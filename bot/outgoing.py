"""Messages the bot writes in answer to someone: stored in the outbox, sent by the sender."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import services
from bot.taskcard import CARD_OF
from triage.delivery import outbox
from triage.reports.notices import RESIDENT


async def send(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    text: str,
    reply_markup: Any = None,
    *,
    priority: int = RESIDENT,
    card_of: int | None = None,
) -> None:
    """`reply_markup`: python-telegram-bot's, or already the Bot API's dict (never changed
    here: the keyboards module shares its dicts). `card_of`: the report whose task card this
    is, kept current once sent."""
    payload: dict[str, Any] = {"chat_id": update.effective_chat.id, "text": text}
    if reply_markup is not None:
        dicts = isinstance(reply_markup, dict)
        payload["reply_markup"] = reply_markup if dicts else reply_markup.to_dict()
    if card_of is not None:
        payload[CARD_OF] = card_of
    await outbox.post(
        services(context).sessions,
        chat_id=update.effective_chat.id,
        method="sendMessage",
        payload=payload,
        priority=priority,
        report_id=card_of,
    )
