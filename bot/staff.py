"""The staff side in the chat: task buttons, what staff type after a prompt, /tasks."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import broadcast, callbacks, keyboards, outgoing, taskcard
from bot.context import resident_of, services, visit_of
from bot.texts import t
from triage.actors import Actor
from triage.broadcasts import MAY_BROADCAST
from triage.figures import for_staff
from triage.tasks.handing import GRID, NOT_MY_GRID, TO_COORDINATOR
from triage.tasks.outcome import Outcome

MAX_LISTED = 10
WEB_LINK_MINUTES = 15
HANDOVER_TO = (NOT_MY_GRID, TO_COORDINATOR)  # else a worker's id
PRESSES = (
    "ack", "ask", "res", "ho", "card", "ord", "rok", "rre", "hot", "kb", "note",
    "dup", "dupok", "close", "cx",
)  # fmt: skip
WITH_TARGET = ("hot", "dupok")  # t:<action>:<report id>:<target>

log = logging.getLogger(__name__)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    """Reply to a staff member, pass on the notices, and redraw the task if it changed."""
    outcome = _with_prompt(outcome)
    text = said(outcome)
    query = update.callback_query
    if query is None or not outcome.refused and outcome.card is None:
        await outgoing.send(update, context, text, reply_markup=_markup(outcome))
    if query is None:
        return
    try:  # after the reply is written: a press's answer confirms it
        await query.answer(text, show_alert=outcome.refused)
    except Exception:  # what the press did stands: no apology, and its card is still redrawn
        log.warning("the answer to a press of %s was not delivered", query.data, exc_info=True)
    if outcome.card is not None and query.message is not None:
        await _redraw(context, query, outcome)


def _markup(outcome: Outcome) -> InlineKeyboardMarkup | None:
    """The buttons a reply carries: 收入知识库, 确认标记重复 / 取消, or a prompt's 取消."""
    values, lang = outcome.values, outcome.language
    if values.get("promote"):
        return taskcard.promote(lang, values["promote"])
    if values.get("confirm"):
        return taskcard.confirm_duplicate(lang, values["confirm"], values["cancel"])
    if values.get("cancel"):
        return taskcard.cancel(lang, values["cancel"])
    return None


def _values(outcome: Outcome) -> dict:
    hidden = ("choices", "report_id", "promote", "confirm", "cancel", "odd")
    values = {k: v for k, v in outcome.values.items() if k not in hidden}
    if "now_status" in values:
        values["now_status"] = t(outcome.language, f"staff_status.{values['now_status']}")
    return values


def said(outcome: Outcome) -> str:
    """What the staff member reads: the outcome's text, after a line saying that what they
    sent (a sticker, a file, a voice note, a photo where words are wanted) is no use here."""
    text = t(outcome.language, f"staff.{outcome.say}", **_values(outcome))
    if outcome.values.get("odd"):
        return t(outcome.language, "staff.odd_input") + "\n" + text
    return text


async def _redraw(context: ContextTypes.DEFAULT_TYPE, query, outcome: Outcome) -> None:
    tz = services(context).timezone
    card, lang = outcome.card, outcome.language
    if query.data.startswith(f"{taskcard.PREFIX}hot:"):
        await keyboards.redraw(query, said(outcome))
        return
    markup = taskcard.keyboard(lang, card, _role(context), card.get("actions"))
    try:
        await keyboards.redraw_card(query, taskcard.text(lang, card, tz), markup)
    except Exception:  # the sender draws it (the change may have left that to this press)
        log.warning(
            "the pressed card of report %s was not redrawn", card["report_id"], exc_info=True
        )
        await _drawn_by_the_sender(context, card["report_id"])


async def _drawn_by_the_sender(context: ContextTypes.DEFAULT_TYPE, report_id: int) -> None:
    try:
        await services(context).desk.draw_cards_again(report_id)
    except Exception:
        log.exception("the cards of report %s were left as they were", report_id)


# The presses that only start or take a step: the desk's method, then the answer
SIMPLE = {
    "ask": "start_asking",
    "res": "start_resolving",
    "ord": "start_order",
    "note": "start_note",
    "dup": "start_duplicate",
    "close": "start_closing",
    "rok": "start_reinspecting",
    "rre": "reopen_on_reinspection",
}


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = _read(query.data)
    if press is None:
        await callbacks.expired(update)
        return
    action, report_id, target = press
    svc = services(context)
    desk, actor = svc.desk, await actor_of(update, context)
    if actor is None:
        await answer(update, context, Outcome("not_staff", "zh", refused=True))
        return
    if action in SIMPLE:
        outcome = await getattr(desk, SIMPLE[action])(actor, report_id)
    elif action == "ack":
        # The card as pressed was drawn when last edited (a redraw shows the task as it was)
        message = query.message
        shown = (message.edit_date or message.date) if message is not None else None
        card = (message.chat.id, message.message_id) if message is not None else None
        outcome = await desk.acknowledge(actor, report_id, shown_at=shown, card=card)
    elif action == "ho":
        await _handover_choices(update, context, actor, report_id)
        return
    elif action == "card":
        await _show(update, context, await desk.show_task(actor, report_id))
        return
    elif action == "dupok":
        await _answered_in_place(query, await desk.confirm_duplicate(actor, report_id, int(target)))
        return
    elif action == "cx":
        outcome = await desk.cancel_input(actor, report_id)
        await _answered_in_place(
            query, outcome or Outcome("nothing_to_cancel", actor.language, refused=True)
        )
        return
    elif action == "hot":
        outcome = await desk.hand_over(actor, report_id, target)
    elif action == "kb":
        outcome = await svc.frontdesk.answers.promote(actor, report_id)
    else:
        await callbacks.expired(update)
        return
    await answer(update, context, _with_prompt(outcome))


async def _handover_choices(
    update: Update, context: ContextTypes.DEFAULT_TYPE, actor: Actor, report_id: int
) -> None:
    """转交: whom to hand the task to, as buttons under a message of its own."""
    outcome = await services(context).desk.handover_choices(actor, report_id)
    if outcome.refused:
        await answer(update, context, _with_prompt(outcome))
        return
    await outgoing.send(
        update,
        context,
        t(outcome.language, f"staff.{outcome.say}"),
        reply_markup=taskcard.handover_choices(
            outcome.language, report_id, outcome.values["choices"], worker=outcome.values["worker"]
        ),
    )
    await update.callback_query.answer()


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    """A task opened from a list: its card as a message of its own, the list left as it is."""
    query = update.callback_query
    if outcome.refused:
        await answer(update, context, outcome)
        return
    card, lang = outcome.card, outcome.language
    await outgoing.send(
        update,
        context,
        taskcard.text(lang, card, services(context).timezone),
        reply_markup=taskcard.buttons(lang, card, _role(context), card["actions"]),
        card_of=card["report_id"],
    )
    await query.answer()


async def _answered_in_place(query, outcome: Outcome) -> None:
    """确认 or 取消 under a question: the question gives way to what came of it (a refusal
    also as an alert), so its buttons cannot be pressed twice."""
    text = said(outcome)
    await query.answer(text if outcome.refused else None, show_alert=outcome.refused)
    if query.message is not None:
        await keyboards.redraw(query, text)


def _read(data: str) -> tuple[str, int, str | None] | None:
    """t:<action>:<report id>, t:hot:<report id>:<worker id|g<grid id>|c|n> or
    t:dupok:<report id>:<the original's id>; None if it is none of them."""
    parts = data.removeprefix(taskcard.PREFIX).split(":")
    if parts[0] not in PRESSES or len(parts) != (3 if parts[0] in WITH_TARGET else 2):
        return None
    report_id, target = callbacks.ident(parts[1]), parts[2] if len(parts) == 3 else None
    if parts[0] == "dupok" and callbacks.ident(target) is None:
        return None
    if parts[0] == "hot" and target not in HANDOVER_TO and _ident(target) is None:
        return None
    return None if report_id is None else (parts[0], report_id, target)


def _ident(target: str) -> int | None:
    """A worker's id, or a grid's ("g12")."""
    return callbacks.ident(target.removeprefix(GRID))


def _with_prompt(outcome: Outcome) -> Outcome:
    """Questions get a note-only resolve prompt (no photo of a fixed state to take)."""
    if outcome.say == "resolve_prompt" and not outcome.values.get("photo", True):
        return Outcome("resolve_prompt_note", outcome.language, outcome.values)
    return outcome


def staff_text(member: Actor, key: str, **values: object) -> str:
    """A staff text; for those who may broadcast, with the /broadcast line."""
    if member.role == "volunteer" and key in ("welcome", "help"):  # no tasks: /patrol only
        return t(member.language, "field.volunteer_welcome", name=member.name)
    text = t(member.language, f"staff.{key}", **values)
    if member.role in MAY_BROADCAST:
        text += "\n" + t(member.language, "staff.broadcast_line")
    return text


async def tasks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    outcome, cards = await svc.desk.open_tasks(await actor_of(update, context))
    text = t(outcome.language, f"staff.{outcome.say}", **outcome.values)
    await outgoing.send(update, context, text)
    for card in cards[:MAX_LISTED]:
        await outgoing.send(
            update,
            context,
            taskcard.text(outcome.language, card, svc.timezone),
            reply_markup=taskcard.buttons(outcome.language, card, _role(context), card["actions"]),
            card_of=card["report_id"],
        )


async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue: what is past its deadline among the tasks this person may see."""
    svc, actor = services(context), await actor_of(update, context)
    if actor is None:
        resident = await resident_of(update, context)
        await outgoing.send(update, context, t(resident.language, "staff.overdue_not_for_you"))
        return
    outcome, items = await svc.desk.overdue(actor)
    if not items:
        await outgoing.send(update, context, t(outcome.language, f"staff.{outcome.say}"))
        return
    for text, markup in taskcard.overdue_list(outcome.language, items, outcome.values["count"]):
        await outgoing.send(update, context, text, reply_markup=markup)


async def web_link(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/web: a staff member's one-time link into the web console; residents are told it is
    for staff."""
    svc = services(context)
    actor = await actor_of(update, context)
    if actor is None or svc.console is None:
        resident = await resident_of(update, context)
        await outgoing.send(update, context, t(resident.language, "text.web_staff_only"))
        return
    link = await svc.console.link(actor.telegram_id, minutes=WEB_LINK_MINUTES)
    text = t(actor.language, "staff.web_link", link=link, minutes=WEB_LINK_MINUTES)
    await outgoing.send(update, context, text)


STATS_PREFIX = "st:"  # st:<1|7|30|month>: /stats over another period


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: the headline figures in this person's scope, this month so far (环比), with
    buttons for today, the last 7 and 30 days; a resident is told it is for staff."""
    svc, actor = services(context), await actor_of(update, context)
    found = await for_staff.headline(svc.sessions, svc.desk.policy, actor)
    if found is None:
        resident = await resident_of(update, context)
        await outgoing.send(update, context, t(resident.language, "staff.stats_not_for_you"))
        return
    text, markup = _stats_message(actor.language, found)
    await outgoing.send(update, context, text, reply_markup=markup)


async def stats_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A period button under /stats: the same message, redrawn for that period (and for the
    scope of whoever pressed it)."""
    query = update.callback_query
    parts = callbacks.fields(query.data, STATS_PREFIX, 1)
    if parts is None or parts[0] not in for_staff.PERIODS:
        await callbacks.expired(update)
        return
    svc, actor = services(context), await actor_of(update, context)
    found = await for_staff.headline(svc.sessions, svc.desk.policy, actor, parts[0])
    if found is None:
        resident = await resident_of(update, context)
        await query.answer(t(resident.language, "staff.stats_not_for_you"), show_alert=True)
        return
    await query.answer()
    await keyboards.redraw(query, *_stats_message(actor.language, found))


def _stats_message(language: str, found: dict) -> tuple[str, InlineKeyboardMarkup]:
    period, previous = found["period"], found["previous"]
    where = found["place"] or t(language, f"staff.stats_{found['where']}")
    lines = [
        t(language, "staff.stats_title", place=where, **period),
        t(language, "staff.stats_before", **previous),
    ]
    for key, (now, before) in found["figures"].items():
        lines.append(
            t(language, f"staff.stats_{key}", now=_shown(now, key), before=_shown(before, key))
        )
    buttons = [
        InlineKeyboardButton(
            ("· " if choice == found["choice"] else "")
            + t(language, f"staff.stats_period_{choice}"),
            callback_data=STATS_PREFIX + choice,
        )
        for choice in for_staff.PERIODS
    ]
    return "\n".join(lines), InlineKeyboardMarkup([buttons])


def _shown(value, key: str) -> str:
    if value is None:
        return "—"
    return str(value) if key == "received" else f"{value * 100:.1f}%"


async def actor_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Actor | None:
    """The staff member this update is from (None: not staff), found once per update."""
    return (await visit_of(update, context)).staff


def _role(context: ContextTypes.DEFAULT_TYPE) -> str:
    visit = getattr(context, "visit", None)
    return visit.staff.role if visit is not None and visit.staff is not None else "worker"


def register(app: Application) -> None:
    app.add_handlers(
        [
            CommandHandler("tasks", tasks, filters.ChatType.PRIVATE),
            CommandHandler("overdue", overdue, filters.ChatType.PRIVATE),
            CommandHandler("web", web_link, filters.ChatType.PRIVATE),
            CommandHandler("stats", stats, filters.ChatType.PRIVATE),
            CallbackQueryHandler(stats_pressed, pattern=f"^{STATS_PREFIX}"),
            CallbackQueryHandler(pressed, pattern=f"^{taskcard.PREFIX}"),
        ]
    )
    broadcast.register(app)
