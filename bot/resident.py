"""The resident's conversation: each handler receives, calls one domain step, replies."""

from __future__ import annotations

import math

from telegram import Message, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import broadcast, callbacks, keyboards, outgoing, staff, survey
from bot.context import resident_of, services, visit_of
from bot.replies import render, report_list, venues
from bot.texts import LANGUAGES, all_labels, t
from triage.broadcasts import Outcome as Broadcasting
from triage.delivery import outbox
from triage.intake.conversation import STAFF_HELP
from triage.intake.limits import SILENT
from triage.intake.reply import Reply
from triage.reports.notices import RESIDENT
from triage.surveys.desk import Asked
from triage.tasks.outcome import Outcome

DONE = all_labels("buttons.done")
CANCEL = all_labels("buttons.cancel")
CHOOSE_COMMUNITY = all_labels("buttons.choose_community")
VISIT_ANSWERS = ("ok", "no", "1", "2", "3", "4", "5")
FIX_KINDS = ("menu", "hazard", "question", "feedback", "out_of_scope")


async def say(update: Update, reply: Reply, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the resident (what others must know was stored with the change itself);
    a resident past a limit, told so once, hears nothing more."""
    if reply.say == SILENT:
        return
    said = render(reply)
    await outgoing.send(
        update, context, said.text, reply_markup=said.markup, priority=said.priority
    )
    for venue in venues(reply):  # each point's pin, to open in a map app
        await outbox.post(
            services(context).sessions,
            chat_id=update.effective_chat.id,
            method="sendLocation",
            payload={"chat_id": update.effective_chat.id, **venue},
            priority=RESIDENT,
        )


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, member = services(context), (await visit_of(update, context)).staff
    if member is not None and not context.args:
        role = t(member.language, f"role.{member.role}").strip()
        text = staff.staff_text(member, "welcome", name=member.name, role=role)
        await outgoing.send(update, context, text)
        return
    await say(update, await svc.account.greet(await resident_of(update, context)), context)


async def help_(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(
        update,
        await services(context).account.where_am_i(await resident_of(update, context)),
        context,
    )


async def report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = " ".join(context.args or []) or None
    source = source_of(update.effective_message) if text else None
    visit, who = await visit_of(update, context), await resident_of(update, context)
    reply = await services(context).intake.start_report(who, text, visit.label, source)
    await say(update, reply, context)


async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    reply = await services(context).conversation.cancel(await visit_of(update, context))
    if isinstance(reply, Outcome):
        await outgoing.send(update, context, t(reply.language, f"staff.{reply.say}"))
        return
    await say(update, reply, context)


async def skip(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await say(
        update, await services(context).intake.skip(await resident_of(update, context)), context
    )


async def my(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    reply, reports = await svc.account.my_reports(await resident_of(update, context))
    if not reports:
        await say(update, reply, context)
        return
    text = report_list(reply.language, reports, svc.timezone)
    await outgoing.send(update, context, text)


async def lang(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    choice = (context.args or [None])[0]
    reply = await services(context).account.set_language(await resident_of(update, context), choice)
    if reply.say == "choose_language":
        await outgoing.send(
            update,
            context,
            t(reply.language, "choose_language"),
            reply_markup=keyboards.languages(),
        )
        return
    await say(update, reply, context)


async def tips(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    off = (context.args or [""])[0].lower() in ("off", "stop", "退订", "关闭")
    await say(
        update,
        await services(context).account.subscribe_tips(await resident_of(update, context), not off),
        context,
    )


async def nearby(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/nearby: the points within ten minutes' walk, once the resident shares a location."""
    await say(
        update, await services(context).nearby.ask(await resident_of(update, context)), context
    )


async def nearby_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """📍 附近服务点 under an answer about where to go: /nearby."""
    await nearby(update, context)
    await update.callback_query.answer()


async def ask(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ask QUESTION is a question whatever it looks like; /ask alone asks for one."""
    svc, person = services(context), await resident_of(update, context)
    question = " ".join(context.args or [])
    if not question:
        language = (await visit_of(update, context)).language
        await outgoing.send(update, context, t(language, "ask_prompt"))
        return
    await say(update, await svc.frontdesk.question(person, question), context)


async def visit_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """rv:ok|no|<stars>:<report id> — the resident's word on a resolved report."""
    query = update.callback_query
    answer, target = callbacks.fields(query.data, keyboards.VISIT_PREFIX, 2) or ("", "")
    report_id = callbacks.ident(target)
    if report_id is None or answer not in VISIT_ANSWERS:
        await callbacks.expired(update)
        return
    followup, person = services(context).followup, await resident_of(update, context)
    if answer in ("ok", "no"):
        reply = await followup.fixed(person, report_id, fixed=answer == "ok")
    else:
        reply = await followup.rate(person, report_id, int(answer))
    await say(update, reply, context)
    if reply.say == "visit_rated":  # may we send questionnaires? asked once
        await survey.offer(update, context)
    await query.answer()


async def faq_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """faq:yes|no:<report id> judges an answer; faq:more|rel:<entry> shows another."""
    query = update.callback_query
    action, _, target = query.data.removeprefix(keyboards.FAQ_PREFIX).partition(":")
    report_id = callbacks.ident(target)
    judged = action in ("yes", "no") and report_id is not None
    if not judged and (action not in ("more", "rel") or not target):
        await callbacks.expired(update)
        return
    answers, person = services(context).frontdesk.answers, await resident_of(update, context)
    if judged:
        reply = await answers.judged(person, report_id, helpful=action == "yes")
    else:
        reply = await answers.entry(person, target, more=action == "more")
    await say(update, reply, context)
    await query.answer()
    if judged:
        await keyboards.drop_buttons(query)


async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc, words = services(context), update.effective_message.text
    if words in DONE:
        reply = await svc.intake.finish(await resident_of(update, context))
    elif words in CANCEL:
        reply = await svc.intake.cancel(await resident_of(update, context))
    elif words in CHOOSE_COMMUNITY:
        await communities(update, context)
        return
    else:
        visit = await visit_of(update, context)
        reply = await svc.conversation.text(visit, words, source_of(update.effective_message))
    await answer(update, context, reply)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, reply) -> None:
    """A resident's Reply, or a staff member's Outcome (their prompt answered, their help, a
    tip to preview)."""
    if isinstance(reply, Broadcasting):
        await broadcast.answer(update, context, reply)
    elif isinstance(reply, Asked):  # a typed answer to a questionnaire's text question
        await survey.answer(update, context, reply)
    elif not isinstance(reply, Outcome):
        await say(update, reply, context)
    elif reply.say == STAFF_HELP:
        member = (await visit_of(update, context)).staff
        await outgoing.send(update, context, staff.staff_text(member, "help", name=member.name))
    else:
        await staff.answer(update, context, reply)


async def communities(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    reply, names = await services(context).intake.communities(await resident_of(update, context))
    if not names:
        await outgoing.send(update, context, t(reply.language, "no_communities"))
        return
    await outgoing.send(
        update,
        context,
        t(reply.language, "choose_community"),
        reply_markup=keyboards.communities(names),
    )


async def community_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    index = callbacks.ident(query.data.removeprefix(keyboards.COMMUNITY_PREFIX))
    if index is None:
        await callbacks.expired(update)
        return
    intake, person = services(context).intake, await resident_of(update, context)
    _, names = await intake.communities(person)
    name = names[index] if index < len(names) else ""
    reply = await intake.choose_community(person, name)
    await say(update, reply, context)
    await query.answer(
        t(reply.language, "button_expired") if reply.say == "community_stale" else None
    )
    if reply.say != "community_stale":
        await keyboards.drop_buttons(query)


async def language_chosen(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    choice = query.data.removeprefix(keyboards.LANGUAGE_PREFIX)
    if choice not in LANGUAGES:
        await callbacks.expired(update)
        return
    reply = await services(context).account.set_language(await resident_of(update, context), choice)
    await say(update, reply, context)
    await query.answer()
    await keyboards.drop_buttons(query)


async def location(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    point = update.effective_message.location
    visit = await visit_of(update, context)
    reply = await services(context).conversation.location(
        visit, _number(point.latitude), _number(point.longitude)
    )
    await answer(update, context, reply)


def _number(value: object) -> float:
    """A coordinate as a float; anything but a number (NaN and infinity arrive as their
    names) reads as NaN, which the domain refuses with a clear message."""
    if type(value) not in (int, float):
        return math.nan
    try:
        return float(value)
    except OverflowError:  # an integer past any float
        return math.inf


async def photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    file_id = message.photo[-1].file_id if message.photo else message.document.file_id
    reply = await services(context).conversation.photo(
        await visit_of(update, context),
        file_id,
        message.caption,
        document=not message.photo,
        source=source_of(message),
    )
    await answer(update, context, reply)


async def kind_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """kq:<hazard|question|other|staff>:<label id> — what a message the bot asked about is
    (staff: none of the nearest questions fits)."""
    query = update.callback_query
    choice, target = callbacks.fields(query.data, keyboards.KIND_PREFIX, 2) or ("", "")
    label_id = callbacks.ident(target)
    frontdesk = services(context).frontdesk
    reply = None
    if label_id is not None:
        reply = await frontdesk.kind_chosen(await resident_of(update, context), label_id, choice)
    if reply is None:
        await callbacks.expired(update)
        return
    await say(update, reply, context)
    await query.answer()
    await keyboards.drop_buttons(query)


async def fix(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The resident corrects the bot: fix:<kind or menu>:<report id or ->."""
    query = update.callback_query
    kind, target = callbacks.fields(query.data, keyboards.FIX_PREFIX, 2) or ("", "")
    report_id = callbacks.ident(target)
    if kind not in FIX_KINDS or (report_id is None and target != "-"):
        await callbacks.expired(update)
        return
    frontdesk, person = services(context).frontdesk, await resident_of(update, context)
    if kind == "menu":
        reply = Reply(
            "correction_menu",
            (await frontdesk.correction_menu(person)).resident,
            values={"report_id": report_id},
        )
    else:
        reply = await frontdesk.correct(person, kind, report_id)
    await say(update, reply, context)
    await query.answer()
    await keyboards.drop_buttons(query)


async def edited(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """An edited message changes what it added to a report; it is never a new message."""
    message = update.edited_message
    words = (message.text or message.caption or "").strip()
    if not words:  # a live location moving on, a photo swapped: nothing to read again
        return
    visit = await visit_of(update, context)
    reply = await services(context).conversation.edited(visit, source_of(message), words)
    if reply is None:
        await outgoing.send(update, context, t(visit.language, "edit_not_used"))
        return
    await say(update, reply, context)


def source_of(message: Message) -> str:
    """How the domain refers to a message of the chat, should it be edited later."""
    return f"{message.chat_id}:{message.message_id}"


async def sticker(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    reply = await services(context).conversation.sticker(await visit_of(update, context))
    await answer(update, context, reply)


async def unsupported(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    visit = await visit_of(update, context)
    hint = await services(context).conversation.unsupported(visit)
    if hint is not None:  # a staff member's step waits for words or a photo
        await answer(update, context, hint)
        return
    await outgoing.send(update, context, t(visit.language, "unsupported_input"))


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    language = (await visit_of(update, context)).language
    await outgoing.send(update, context, t(language, "unknown_command"))


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A press no handler knows: another bot's data, an empty one, an old format."""
    await callbacks.expired(update)


COMMANDS = (
    "start",
    "report",
    "ask",
    "nearby",
    "my",
    "tips",
    "cancel",
    "skip",
    "lang",
    "privacy",
    "forget",
    "subscribe",
    "unsubscribe",
)


def register_edits(app: Application) -> None:
    """Before every other handler: an edit must never reach one that takes it as new."""
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.EDITED_MESSAGE, edited)
    )


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    app.add_handlers(
        [
            CommandHandler("start", start, private),
            CommandHandler("help", help_, private),
            CommandHandler("report", report, private),
            CommandHandler("cancel", cancel, private),
            CommandHandler("skip", skip, private),
            CommandHandler("my", my, private),
            CommandHandler("lang", lang, private),
            CommandHandler("tips", tips, private),
            CommandHandler("ask", ask, private),
            CommandHandler("nearby", nearby, private),
            MessageHandler(private & filters.COMMAND, unknown_command),
            MessageHandler(private & filters.TEXT, text),
            MessageHandler(private & filters.LOCATION, location),
            MessageHandler(private & (filters.PHOTO | filters.Document.IMAGE), photo),
            MessageHandler(private & filters.Sticker.ALL, sticker),
            MessageHandler(private & filters.UpdateType.MESSAGE, unsupported),
            CallbackQueryHandler(community_chosen, pattern=f"^{keyboards.COMMUNITY_PREFIX}"),
            CallbackQueryHandler(language_chosen, pattern=f"^{keyboards.LANGUAGE_PREFIX}"),
            CallbackQueryHandler(fix, pattern=f"^{keyboards.FIX_PREFIX}"),
            CallbackQueryHandler(nearby_pressed, pattern=f"^{keyboards.NEARBY_PREFIX}"),
            CallbackQueryHandler(kind_pressed, pattern=f"^{keyboards.KIND_PREFIX}"),
            CallbackQueryHandler(faq_pressed, pattern=f"^{keyboards.FAQ_PREFIX}"),
            CallbackQueryHandler(visit_pressed, pattern=f"^{keyboards.VISIT_PREFIX}"),
            CallbackQueryHandler(stale_button),
        ]
    )
