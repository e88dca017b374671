"""标记骚扰 in the chat: the worker's button on a task card, and the coordinator's 确认/驳回
on the card sent for review (triage.protection.abuse)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot import taskcard
from bot.context import services
from bot.staff import actor_of
from bot.texts import t
from triage.tasks.outcome import Outcome


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """ab:flag|ok|no:<report id>."""
    query = update.callback_query
    action, _, target = query.data.removeprefix(taskcard.ABUSE_PREFIX).partition(":")
    desk = services(context).abuse
    steps = {"flag": desk.flag, "ok": desk.confirm, "no": desk.reject}
    if action not in steps or not target.isdigit():
        await query.answer(t("zh", "button_expired"), show_alert=True)
        return
    actor = await actor_of(update, context)
    if actor is None:
        outcome = Outcome("not_staff", "zh", refused=True)
    else:
        outcome = await steps[action](actor, int(target))
    said = words(outcome)
    await query.answer(said, show_alert=outcome.refused)
    if action != "flag" and not outcome.refused and query.message is not None:
        # The review card keeps what was decided, without its buttons.
        await query.edit_message_text(f"{query.message.text}\n\n{said}")


def words(outcome: Outcome) -> str:
    return t(outcome.language, f"staff.{outcome.say}", **outcome.values)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(pressed, pattern=f"^{taskcard.ABUSE_PREFIX}"))
