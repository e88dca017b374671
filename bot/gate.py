"""Before any handler: a resident past their message limit, or blocked, is told once and
then heard no further (the update itself stays stored in the inbox)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot import outgoing
from bot.context import person_of, services
from bot.texts import t
from triage.limits import SILENT

GROUP = -1  # runs before the handlers of group 0, which it may stop


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if update.effective_user is None or message is None:
        return
    held = await services(context).gate.admit(
        person_of(update), message.text or message.caption, location=message.location is not None
    )
    if held is None:
        return
    key, language = held
    if key != SILENT:
        await outgoing.send(update, context, t(language, key))
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, gate), group=GROUP
    )
