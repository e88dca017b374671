"""Before any handler: a resident past their message limit, or blocked, is told once and
then heard no further (the update itself stays stored in the inbox)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, ContextTypes, MessageHandler, filters

from bot import outgoing
from bot.context import visit_of
from bot.texts import t
from triage.intake.limits import SILENT

GROUP = -2  # runs before field work (-1) and the handlers of group 0, which it may stop


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if update.effective_user is None or message is None:
        return
    visit = await visit_of(update, context)
    if visit.held is None:
        return
    if visit.held != SILENT:
        await outgoing.send(update, context, t(visit.language, visit.held))
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, gate), group=GROUP
    )
