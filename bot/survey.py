"""Questionnaires in the chat: consent (/subscribe, /unsubscribe, or the one-time question after
a return visit), and answering one question at a time with buttons (a text question takes the
next message). Each handler: receive, one call on triage.surveys, reply."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import callbacks, keyboards, outgoing
from bot.context import resident_of, services
from bot.texts import t
from triage.surveys.desk import SKIP, Asked, QuestionView
from triage.surveys.forms import CHOICE, RATING, TEXT

log = logging.getLogger(__name__)
PREFIX = "sv:"  # sv:a:<recipient>:<question>:<value> answers; sv:in:yes|no says yes or no


class Wording:
    """A question as the resident sees it: the Bot API call (triage.surveys.desk.Wording)."""

    def question(self, chat_id: int, language: str, view: QuestionView) -> tuple[str, dict]:
        payload = {
            "chat_id": chat_id,
            "text": question_text(language, view),
            "reply_markup": question_buttons(language, view).to_dict(),
        }
        return "sendMessage", payload


def question_text(language: str, view: QuestionView) -> str:
    lines = []
    if view.title:
        lines.append(t(language, "survey.head", title=view.title))
        if view.intro:
            lines.append(view.intro)
        lines.append("")
    lines.append(
        t(language, "survey.question", number=view.number, total=view.total, text=view.text)
    )
    if view.kind == RATING:
        lines.append(t(language, "survey.rating_hint"))
    elif view.kind == TEXT:
        lines.append(t(language, "survey.text_hint"))
    return "\n".join(lines)


def question_buttons(language: str, view: QuestionView) -> InlineKeyboardMarkup:
    def button(label: str, value: str) -> InlineKeyboardButton:
        data = f"{PREFIX}a:{view.recipient_id}:{view.index}:{value}"
        return InlineKeyboardButton(label, callback_data=data)

    if view.kind == RATING:
        return InlineKeyboardMarkup([[button(f"{n}⭐", str(n)) for n in range(1, 6)]])
    if view.kind == CHOICE:
        return InlineKeyboardMarkup(
            [[button(option, str(i))] for i, option in enumerate(view.options)]
        )
    return InlineKeyboardMarkup([[button(t(language, "survey.btn_skip"), SKIP)]])


def consent_buttons(language: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(language, "survey.btn_yes"), callback_data=f"{PREFIX}in:yes"
                ),
                InlineKeyboardButton(t(language, "survey.btn_no"), callback_data=f"{PREFIX}in:no"),
            ]
        ]
    )


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: Asked) -> None:
    """What the desk answered: the next question, the consent question, or its words."""
    if asked.question is not None:
        await outgoing.send(
            update,
            context,
            question_text(asked.language, asked.question),
            question_buttons(asked.language, asked.question),
        )
    elif asked.say == "consent_question":
        await outgoing.send(
            update,
            context,
            t(asked.language, "survey.consent_question"),
            consent_buttons(asked.language),
        )
    else:
        await outgoing.send(
            update, context, t(asked.language, f"survey.{asked.say}", **asked.values)
        )


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, asked: Asked) -> None:
    """A typed answer to a text question (the conversation found it was one)."""
    await say(update, context, asked)


async def offer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """After a return visit: may we send you questionnaires? Asked once."""
    asked = await services(context).surveys.offer(await resident_of(update, context))
    if asked is not None:
        await say(update, context, asked)


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    desk = services(context).surveys
    await say(update, context, await desk.consent(await resident_of(update, context), True))


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    desk = services(context).surveys
    await say(update, context, await desk.consent(await resident_of(update, context), False))


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    parts = query.data.removeprefix(PREFIX).split(":")
    desk = services(context).surveys
    if parts[0] == "in" and len(parts) == 2 and parts[1] in ("yes", "no"):
        asked = await desk.consent(await resident_of(update, context), parts[1] == "yes")
        await say(update, context, asked)
        await query.answer()
        await keyboards.drop_buttons(query)
        return
    recipient = callbacks.ident(parts[1]) if len(parts) == 4 and parts[0] == "a" else None
    index = callbacks.ident(parts[2]) if recipient is not None else None
    if index is None:
        await callbacks.expired(update)
        return
    asked = await desk.answer(await resident_of(update, context), recipient, index, parts[3])
    if asked.refused:  # stored nothing: told in the press's answer and in the chat
        await query.answer(
            t(asked.language, f"survey.{asked.say}", **asked.values), show_alert=True
        )
        if asked.say != "stale":
            await keyboards.drop_buttons(query)
        return
    await say(update, context, asked)
    await query.answer()
    await _show_chosen(query, asked.language, parts[3])


async def _show_chosen(query, language: str, value: str) -> None:
    """The answered question keeps its words and shows the answer, without its buttons."""
    message = query.message
    if message is None or not getattr(message, "text", None):
        await keyboards.drop_buttons(query)
        return
    label = next(
        (
            b.text
            for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
            for b in row
            if b.callback_data and b.callback_data.endswith(f":{value}")
        ),
        value,
    )
    chosen = (
        t(language, "survey.skipped")
        if value == SKIP
        else t(language, "survey.chosen", answer=label)
    )
    try:
        await query.edit_message_text(f"{message.text}\n\n{chosen}", reply_markup=None)
    except BadRequest as exc:  # deleted or no longer editable: the answer is stored all the same,
        if "not modified" not in str(exc).lower():  # so the next question must still come
            log.info("could not show the answer on the question: %s", exc)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            CommandHandler("subscribe", subscribe, private),
            CommandHandler("unsubscribe", unsubscribe, private),
            CallbackQueryHandler(pressed, pattern=f"^{PREFIX}"),
        ]
    )
