"""Field work in the chat: /patrol (a hazard seen on patrol: category, location, photo, a
line of text; 提交 or 当场整改) and /campaign (a campaign's sites one by one, its checklist
one tap at a time). Each handler receives, calls one step of triage.fieldwork, replies."""

from __future__ import annotations

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import callbacks, outgoing
from bot.context import services, visit_of
from bot.texts import t
from triage.fieldwork import replies
from triage.fieldwork.campaigns import NOTICES
from triage.fieldwork.replies import FieldReply
from triage.reports.notices import Notice

PREFIX = "fw:"
__all__ = ["NOTICES", "notice_calls", "register"]
GROUP = -1  # after the gate (-2), before the conversation's handlers (0), which it may stop
SITES_LISTED = 8


def markup(reply: FieldReply):
    lang = reply.language
    if reply.show == replies.CATEGORIES:
        buttons = [
            InlineKeyboardButton(t(lang, f"category.{code}"), callback_data=f"{PREFIX}cat:{code}")
            for code in reply.choices
        ]
        return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])
    if reply.show == replies.LOCATION:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(t(lang, "buttons.share_location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if reply.show in (replies.CONFIRM, replies.CONFIRM_SEND_ONLY):
        row = [InlineKeyboardButton(t(lang, "field.btn_send"), callback_data=f"{PREFIX}send")]
        if reply.show == replies.CONFIRM:
            row.append(InlineKeyboardButton(t(lang, "field.btn_fix"), callback_data=f"{PREFIX}fix"))
        return InlineKeyboardMarkup([row])
    if reply.show == replies.SITES:
        rows = [
            [InlineKeyboardButton(f"🏠 {name}", callback_data=f"{PREFIX}site:{visit_id}")]
            for visit_id, name in reply.choices[:SITES_LISTED]
        ]
        return InlineKeyboardMarkup(rows) if rows else None
    if reply.show == replies.ANSWER:
        visit_id, index, kind, required = reply.choices
        row = []
        if kind == "yesno":
            row = [
                InlineKeyboardButton(t(lang, "field.btn_yes"), callback_data=_answer(reply, "y")),
                InlineKeyboardButton(t(lang, "field.btn_no"), callback_data=_answer(reply, "n")),
            ]
        if not required:
            row.append(
                InlineKeyboardButton(t(lang, "field.btn_skip"), callback_data=_answer(reply, "s"))
            )
        return InlineKeyboardMarkup([row]) if row else None
    return ReplyKeyboardRemove() if reply.say in _LOCATION_DONE else None


_LOCATION_DONE = ("patrol_photo", "patrol_stale", "patrol_filed", "patrol_fixed")


def _answer(reply: FieldReply, choice: str) -> str:
    visit_id, index = reply.choices[0], reply.choices[1]
    return f"{PREFIX}ans:{visit_id}:{index}:{choice}"


def notice_calls(notice: Notice) -> list[tuple[str, dict]]:
    """A campaign's reminder to a coordinator: the cells behind the pace, a line each; or a
    half-checked site taken over, to the worker who left it and the one who took it."""
    lang, extra = notice.language, notice.extra
    if notice.kind != "campaign_behind":
        text = t(lang, f"field.{notice.kind}", **extra)
        return [("sendMessage", {"chat_id": notice.chat_id, "text": text})]
    lines = "\n".join(t(lang, "field.campaign_behind_line", **line) for line in extra["lines"])
    text = t(
        lang,
        f"field.{notice.kind}",
        title=extra["title"],
        until=extra["until"],
        expected=extra["expected"],
        lines=lines,
    )
    return [("sendMessage", {"chat_id": notice.chat_id, "text": text})]


def words(reply: FieldReply) -> str:
    values = dict(reply.values)
    if "category" in values:
        values["category"] = t(reply.language, f"category.{values['category']}")
    return t(reply.language, f"field.{reply.say}", **values)


async def say(update: Update, context: ContextTypes.DEFAULT_TYPE, reply: FieldReply) -> None:
    await outgoing.send(update, context, words(reply), reply_markup=markup(reply))


async def patrol(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = (await visit_of(update, context)).staff
    await say(update, context, await services(context).field.patrol.start(actor))


async def campaign(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    actor = (await visit_of(update, context)).staff
    await say(update, context, await services(context).field.campaigns.sites_for(actor))


async def received(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A staff member's or volunteer's message while on a patrol report or a campaign's
    checklist goes there, and nowhere else; anything else goes on to the other handlers."""
    visit = await visit_of(update, context)
    if visit.staff is None or visit.held is not None:
        return
    message = update.effective_message
    photo = message.photo[-1].file_id if message.photo else None
    point = message.location
    reply = await services(context).field.received(
        visit.staff,
        text=message.text or message.caption,
        photo=photo,
        location=(float(point.latitude), float(point.longitude)) if point else None,
    )
    if reply is None:
        return
    await say(update, context, reply)
    raise ApplicationHandlerStop


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """fw:cat:<category> · fw:send · fw:fix · fw:site:<visit> · fw:ans:<visit>:<item>:<y|n|s>"""
    query = update.callback_query
    parts = query.data.removeprefix(PREFIX).split(":")
    field, actor = services(context).field, (await visit_of(update, context)).staff
    reply = None
    if parts[0] == "cat" and len(parts) == 2:
        reply = await field.patrol.category(actor, parts[1])
    elif parts[0] in ("send", "fix") and len(parts) == 1:
        step = field.patrol.send if parts[0] == "send" else field.patrol.fix
        reply = await step(actor)
    elif parts[0] == "site" and len(parts) == 2 and callbacks.ident(parts[1]) is not None:
        reply = await field.campaigns.begin(actor, callbacks.ident(parts[1]))
    elif parts[0] == "ans" and len(parts) == 4 and parts[3] in ("y", "n", "s"):
        visit_id, index = callbacks.ident(parts[1]), callbacks.ident(parts[2])
        if visit_id is not None and index is not None:
            reply = await field.campaigns.tapped(actor, visit_id, index, parts[3])
    if reply is None:
        await callbacks.expired(update)
        return
    if not reply.refused:
        await say(update, context, reply)
    await query.answer(words(reply) if reply.refused else None, show_alert=reply.refused)


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handler(
        # every kind of message: a sticker, a file or a voice note while a question waits
        # gets that question's hint, not the resident's welcome
        MessageHandler(private & filters.UpdateType.MESSAGE & ~filters.COMMAND, received),
        group=GROUP,
    )
    app.add_handlers(
        [
            CommandHandler("patrol", patrol, private),
            CommandHandler("campaign", campaign, private),
            CallbackQueryHandler(pressed, pattern=f"^{PREFIX}"),
        ]
    )
