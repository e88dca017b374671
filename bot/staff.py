"""The staff side in the chat: task buttons, what staff type after a prompt, /tasks."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import broadcast, callbacks, outgoing, taskcard
from bot.context import person_of, services
from bot.texts import t
from storage.models import Staff
from triage.broadcasts import MAY_BROADCAST
from triage.tasks import NOT_MY_GRID, TO_COORDINATOR, Outcome

MAX_LISTED = 10
HANDOVER_TO = (NOT_MY_GRID, TO_COORDINATOR)  # else a worker's id


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    """Reply to a staff member, pass on the notices, and redraw the task if it changed."""
    text = t(outcome.language, f"staff.{outcome.say}", **_values(outcome))
    query = update.callback_query
    if query is not None:
        await query.answer(text, show_alert=outcome.refused)
        if outcome.card is not None and query.message is not None:
            await _redraw(context, query, outcome)
    if query is None or not outcome.refused and outcome.card is None:
        promote = outcome.values.get("promote")
        markup = taskcard.promote(outcome.language, promote) if promote else None
        await outgoing.send(update, context, text, reply_markup=markup)


def _values(outcome: Outcome) -> dict:
    hidden = ("choices", "report_id", "promote")
    return {k: v for k, v in outcome.values.items() if k not in hidden}


async def _redraw(context: ContextTypes.DEFAULT_TYPE, query, outcome: Outcome) -> None:
    tz = services(context).timezone
    card, lang = outcome.card, outcome.language
    if query.data.startswith(f"{taskcard.PREFIX}hot:"):
        await query.edit_message_text(t(lang, f"staff.{outcome.say}", **_values(outcome)))
        return
    await query.edit_message_text(
        taskcard.text(lang, card, tz), reply_markup=taskcard.buttons(lang, card)
    )


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    press = _read(query.data)
    if press is None:
        await callbacks.expired(update)
        return
    action, report_id, target = press
    desk, person = services(context).desk, person_of(update)
    if action == "ack":
        shown = query.message.date if query.message is not None else None
        outcome = await desk.acknowledge(person, report_id, shown_at=shown)
    elif action == "ask":
        outcome = await desk.start_asking(person, report_id)
    elif action == "res":
        outcome = await desk.start_resolving(person, report_id)
    elif action == "ho":
        outcome = await desk.handover_choices(person, report_id)
        if not outcome.refused:
            await query.answer()
            await outgoing.send(
                update,
                context,
                t(outcome.language, "staff.handover_choose"),
                reply_markup=taskcard.handover_choices(
                    outcome.language, report_id, outcome.values["choices"]
                ),
            )
            return
    elif action == "card":
        await _show(update, context, await desk.show_task(person, report_id))
        return
    elif action == "ord":
        outcome = await desk.start_order(person, report_id)
    elif action == "rok":
        outcome = await desk.start_reinspecting(person, report_id)
    elif action == "rre":
        outcome = await desk.reopen_on_reinspection(person, report_id)
    elif action == "hot":
        outcome = await desk.hand_over(person, report_id, target)
    elif action == "kb":
        outcome = await services(context).frontdesk.answers.promote(person, report_id)
    else:
        await callbacks.expired(update)
        return
    await answer(update, context, _with_prompt(outcome))


async def _show(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    """A task opened from a list: its card as a message of its own, the list left as it is."""
    query = update.callback_query
    if outcome.refused:
        await answer(update, context, outcome)
        return
    await query.answer()
    card, lang = outcome.card, outcome.language
    escalated = outcome.values["above"] and card["status"] == "assigned"
    markup = taskcard.buttons(lang, card, escalated=escalated)
    await outgoing.send(
        update,
        context,
        taskcard.text(lang, card, services(context).timezone),
        reply_markup=markup if outcome.values["may_act"] else None,
    )


def _read(data: str) -> tuple[str, int, str | None] | None:
    """t:<action>:<report id>, or t:hot:<report id>:<worker id|c|n>; None if it is neither."""
    parts = data.removeprefix(taskcard.PREFIX).split(":")
    if len(parts) != (3 if parts[0] == "hot" else 2):
        return None
    report_id, target = callbacks.ident(parts[1]), parts[2] if len(parts) == 3 else None
    if target is not None and target not in HANDOVER_TO and callbacks.ident(target) is None:
        return None
    return None if report_id is None else (parts[0], report_id, target)


def _with_prompt(outcome: Outcome) -> Outcome:
    """Questions get a note-only resolve prompt (no photo of a fixed state to take)."""
    if outcome.say == "resolve_prompt" and not outcome.values.get("photo", True):
        return Outcome("resolve_prompt_note", outcome.language, outcome.values)
    return outcome


async def staff_input(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Text or a photo that answers a staff prompt; False if the bot was not waiting for one."""
    message = update.effective_message
    if message.text and await broadcast.typed(update, context):
        return True
    photo = message.photo[-1].file_id if message.photo else None
    text = message.text or message.caption
    outcome = await services(context).desk.staff_input(person_of(update), text, photo)
    if outcome is None:
        return False
    await answer(update, context, outcome)
    return True


async def chatting(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Staff typing outside any prompt get their help, not a resident's triage (they can
    still /report a hazard like anyone)."""
    svc, person = services(context), person_of(update)
    member = await svc.desk.is_staff(person)
    if member is None or await svc.intake.has_draft(person):
        return False
    await outgoing.send(update, context, staff_text(member, "help", name=member.name))
    return True


def staff_text(member: Staff, key: str, **values: object) -> str:
    """A staff text; for those who may broadcast, with the /broadcast line."""
    text = t(member.language, f"staff.{key}", **values)
    if member.role in MAY_BROADCAST:
        text += "\n" + t(member.language, "staff.broadcast_line")
    return text


async def tasks(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    svc = services(context)
    outcome, cards = await svc.desk.open_tasks(person_of(update))
    await outgoing.send(update, context, t(outcome.language, f"staff.{outcome.say}"))
    for card in cards[:MAX_LISTED]:
        await outgoing.send(
            update,
            context,
            taskcard.text(outcome.language, card, svc.timezone),
            reply_markup=taskcard.buttons(outcome.language, card),
        )


def register(app: Application) -> None:
    app.add_handlers(
        [
            CommandHandler("tasks", tasks, filters.ChatType.PRIVATE),
            CallbackQueryHandler(pressed, pattern=f"^{taskcard.PREFIX}"),
        ]
    )
    broadcast.register(app)
