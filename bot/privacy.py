"""/privacy and /forget: what is kept about the resident, and erasing it after a confirmation."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import keyboards, outgoing
from bot.context import resident_of, services
from bot.texts import t
from triage.intake.reply import Reply

PREFIX = "pv:"
FORGET, KEEP = f"{PREFIX}forget", f"{PREFIX}keep"


def confirm(language: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t(language, "privacy.forget_yes"), callback_data=FORGET),
                InlineKeyboardButton(t(language, "privacy.forget_no"), callback_data=KEEP),
            ]
        ]
    )


async def _say(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: Reply, markup=None):
    await outgoing.send(update, context, t(reply.language, reply.say, **reply.values), markup)


async def privacy(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _say(
        update, context, await services(context).privacy.explain(await resident_of(update, context))
    )


async def forget(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    reply = await services(context).privacy.ask_to_forget(await resident_of(update, context))
    await _say(update, context, reply, confirm(reply.language))


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """确认删除 erases, 取消 keeps; either way the buttons go, so a second press does nothing."""
    query = update.callback_query
    desk, person = services(context).privacy, await resident_of(update, context)
    if query.data == FORGET:
        reply = await desk.forget(person)
        # a half-written report's keyboard would outlive the report
        await _say(update, context, reply, keyboards.for_step(reply.language, None))
    else:
        await _say(update, context, await desk.keep(person))
    await query.answer()
    await keyboards.drop_buttons(query)


def register(app: Application) -> None:
    """Before the resident's handlers: theirs end with catch-alls."""
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            CommandHandler("privacy", privacy, private),
            CommandHandler("forget", forget, private),
            CallbackQueryHandler(pressed, pattern=f"^{PREFIX}"),
        ]
    )
