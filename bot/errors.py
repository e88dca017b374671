"""The one error handler: log the failure, and tell the person something went wrong."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot.context import person_of, services
from bot.texts import DEFAULT, t
from triage import counters
from triage.units import spoiled_unit

log = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if spoiled_unit():  # rolled back and handled again step by step, which will answer
        log.info("a step failed; the update is handled again", exc_info=context.error)
        return
    log.error("handling update failed", exc_info=context.error)
    counters.errors.labels("handler").inc()
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = DEFAULT
    try:
        if update.effective_user is not None:
            language = await services(context).conversation.language_of(person_of(update))
    except Exception:  # the database may be what failed; answer in the default language
        log.exception("could not read the resident's language")
    if spoiled_unit():  # that lookup failed the unit: the update is handled again
        return
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        # Straight to Telegram: the outbox lives in the database, which may be what failed.
        await update.effective_chat.send_message(t(language, "error"))
    except Exception:
        log.exception("could not tell the user about the error")
