"""A patrol team's call-out in the chat: the alert with its pin and 出发 / 到场 / 已处置 /
需要支援, and what each press records (triage.circle.calls)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, ContextTypes

from bot.callbacks import expired, fields, ident
from bot.context import services, visit_of
from bot.texts import t
from triage.reports.notices import Notice

PREFIX = "tm:"
STEPS = ("depart", "arrive", "handled", "support")


def buttons(language: str, call_id: int) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(t(language, f"team.{step}"), callback_data=f"{PREFIX}{step}:{call_id}")
        for step in STEPS
    ]
    return InlineKeyboardMarkup([row[:2], row[2:]])


def alert_calls(notice: Notice, place: str) -> list[tuple[str, dict[str, Any]]]:
    """The alert, then the pin (sendLocation) when the place is known."""
    lang, card = notice.language, notice.card
    values = {
        "reference": card["reference"],
        "team": notice.extra.get("team", ""),
        "staff": notice.extra.get("member", ""),
        "minutes": notice.extra.get("minutes", ""),
        "next_team": notice.extra.get("next_team", ""),
        "text": card.get("text", ""),
        "place": place,
    }
    payload: dict[str, Any] = {
        "chat_id": notice.chat_id,
        "text": t(lang, f"notice.{notice.kind}", **values),
    }
    if notice.kind == "team_alert":
        payload["reply_markup"] = buttons(lang, notice.extra["call_id"]).to_dict()
    calls = [("sendMessage", payload)]
    if notice.kind in ("team_alert", "team_located") and card.get("latitude") is not None:
        pin = {
            "chat_id": notice.chat_id,
            "latitude": card["latitude"],
            "longitude": card["longitude"],
        }
        calls.append(("sendLocation", pin))
    return calls


async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """tm:<step>:<call id>."""
    query = update.callback_query
    parts = fields(query.data, PREFIX, 2)
    call_id = ident(parts[1]) if parts else None
    if parts is None or parts[0] not in STEPS or call_id is None:
        await expired(update)
        return
    actor = (await visit_of(update, context)).staff
    if actor is None:
        await query.answer(t("zh", "team.not_staff"), show_alert=True)
        return
    outcome = await services(context).teams.press(actor, call_id, parts[0])
    said = t(outcome.language, f"team.{outcome.say}", **outcome.values)
    await query.answer(said, show_alert=outcome.refused)


def register(app: Application) -> None:
    app.add_handler(CallbackQueryHandler(pressed, pattern=f"^{PREFIX}"))
