"""/broadcast: a coordinator's fire-safety tip to the subscribed residents, previewed first;
the preview turns into the progress message once sent."""

from __future__ import annotations

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, filters

from bot import callbacks, keyboards, outgoing
from bot.context import resident_of, services, visit_of
from bot.texts import t
from triage.actors import Actor
from triage.broadcasts import DONE, Call, Draft, Outcome, Preview
from triage.records import Broadcast

EXCERPT = 60  # characters of the tip repeated under the progress


class Wording:
    """The words of a broadcast as residents and its author see them (triage.broadcasts)."""

    def tip(self, chat_id: int, language: str, text: str) -> Call:
        return "sendMessage", {"chat_id": chat_id, "text": t(language, "broadcast.tip", text=text)}

    def progress(self, broadcast: Broadcast) -> tuple[int, str, dict]:
        lang, done = broadcast.language, broadcast.delivered + broadcast.failed
        key = "broadcast.finished" if broadcast.status == DONE else "broadcast.progress"
        head = t(
            lang,
            key,
            done=done,
            total=broadcast.total,
            delivered=broadcast.delivered,
            failed=broadcast.failed,
            scope=_scope(lang, broadcast.community),
        )
        excerpt = (
            broadcast.text if len(broadcast.text) <= EXCERPT else broadcast.text[:EXCERPT] + "…"
        )
        where = broadcast.preview
        payload = {**where, "text": f"{head}\n\n{excerpt}"}
        return where["chat_id"], "editMessageText", payload


def where(chat_id: int, message_id: int) -> Preview:
    """The preview's place, which the domain keeps for progress() without reading it."""
    return {"chat_id": chat_id, "message_id": message_id}


def preview(language: str, draft: Draft) -> str:
    """The tip exactly as residents will see it (in the author's language), under a header."""
    key = "broadcast.preview" if draft.subscribers else "broadcast.preview_nobody"
    head = t(language, key, scope=_scope(language, draft.community), count=draft.subscribers)
    return f"{head}\n\n{t(language, 'broadcast.tip', text=draft.text)}"


def _scope(language: str, community: str | None) -> str:
    return community or t(language, "broadcast.everyone")


def _words(outcome: Outcome) -> str:
    values = dict(outcome.values)
    if "community" in values:
        values["scope"] = _scope(outcome.language, values.pop("community"))
    return t(outcome.language, f"broadcast.{outcome.say}", **values)


async def broadcast(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/broadcast TEXT, or /broadcast and the text next (its line breaks kept)."""
    words = update.effective_message.text.split(maxsplit=1)
    desk, who = services(context).broadcasts, await author_of(update, context)
    await _reply(update, context, await desk.start(who, words[1] if len(words) > 1 else None))


async def author_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Actor:
    """Who presses or types here: a staff member, or a resident told they may not."""
    return (await visit_of(update, context)).staff or await resident_of(update, context)


async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    """The tip typed after /broadcast alone, previewed (the conversation found it was one)."""
    await _reply(update, context, outcome)


async def _reply(update: Update, context: ContextTypes.DEFAULT_TYPE, outcome: Outcome) -> None:
    if outcome.draft is None:
        await outgoing.send(update, context, _words(outcome))
        return
    markup = keyboards.broadcast_preview(outcome.language, outcome.draft)
    await outgoing.send(update, context, preview(outcome.language, outcome.draft), markup)


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """bc:ok|no:<id> sends or cancels; bc:to:<id>:all|<index> picks who gets it."""
    query = update.callback_query
    action, target, scope = (
        query.data.removeprefix(keyboards.BROADCAST_PREFIX).split(":") + [""] * 2
    )[:3]
    desk, person = services(context).broadcasts, await author_of(update, context)
    broadcast_id = callbacks.ident(target)
    if broadcast_id is None:
        await callbacks.expired(update)
        return
    if action == "ok":
        at = where(query.message.chat_id, query.message.message_id)
        outcome = await desk.confirm(person, broadcast_id, at)
    elif action == "no":
        outcome = await desk.cancel(person, broadcast_id)
    elif action == "to" and (scope == "all" or callbacks.ident(scope) is not None):
        outcome = await desk.choose(person, broadcast_id, None if scope == "all" else int(scope))
    else:
        await callbacks.expired(update)
        return
    await query.answer(
        _words(outcome) if outcome.draft is None else None, show_alert=outcome.refused
    )
    if outcome.draft is not None:
        markup = keyboards.broadcast_preview(outcome.language, outcome.draft)
        await _edit(query, preview(outcome.language, outcome.draft), markup)
    elif outcome.say == "cancelled":
        await _edit(query, _words(outcome))


async def _edit(
    query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Redraw the preview; the same scope picked again changes nothing, which is fine."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def register(app: Application) -> None:
    app.add_handlers(
        [
            CommandHandler("broadcast", broadcast, filters.ChatType.PRIVATE),
            CallbackQueryHandler(pressed, pattern=f"^{keyboards.BROADCAST_PREFIX}"),
        ]
    )
