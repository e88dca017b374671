"""Turning a domain notice into the Bot API calls that say it: a task card with its
location and photos, a resident's update, a relayed answer."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from telegram import ForceReply

from bot import fieldwork, keyboards, taskcard, team
from bot.taskcard import CARD_OF
from bot.texts import duration, t
from triage.reports.notices import CARDS, Notice
from triage.tasks.cards import Redraw

Call = tuple[str, dict[str, Any]]
CARDS_SENT = ("task", "emergency_alert", "escalation", "reinspection")
TEAM_NOTICES = (
    "team_alert",
    "team_located",
    "team_departed",
    "team_arrived",
    "team_handled",
    "team_support",
    "team_passed",
    "team_passed_none",
)


def calls_for(
    notice: Notice, tz: tzinfo, now: datetime | None = None, redraw: Redraw | None = None
) -> list[Call]:
    """The calls that say the notice, worded at `now`; a `cards_changed` one is the edits of
    the report's cards as `redraw` found them (none when there are none)."""
    lang, card, chat = notice.language, notice.card, notice.chat_id
    if notice.kind == CARDS:
        return edits(redraw, tz, now) if redraw is not None else []
    if notice.kind in CARDS_SENT:
        markup = taskcard.keyboard(lang, card, notice.extra.get("to_role", "worker"))
        text = taskcard.text(lang, card, tz, notice.extra, now)
        shown = _message(chat, text, markup)
        if card.get("review") != taskcard.ABUSE:  # 确认/驳回 stay until answered
            shown[1][CARD_OF] = card["report_id"]
        return [
            shown,
            *_location(chat, card),
            *_photos(chat, card["photos"]),
        ]
    if notice.kind == "escalation_digest":
        return [
            _message(chat, text, markup)
            for text, markup in taskcard.digest(lang, notice.extra["items"])
        ]
    if notice.kind in TEAM_NOTICES:
        return team.alert_calls(notice, taskcard.place(lang, card))
    if notice.kind in fieldwork.NOTICES:  # about a campaign, not a report
        return fieldwork.notice_calls(notice)
    values = _values(notice, tz)
    calls: list[Call] = []
    if notice.kind == "resident_answer" and notice.extra.get("photo"):
        caption = t(lang, "notice.resident_answer_photo", **values)
        calls.append(
            ("sendPhoto", {"chat_id": chat, "photo": notice.extra["photo"], "caption": caption})
        )
        if not notice.extra.get("text"):
            return calls
    markup = ForceReply() if notice.kind == "staff_question" else None
    if notice.kind == "answer_review":
        markup = taskcard.promote(lang, card["report_id"])
    if notice.kind == "resolved" and card["kind"] == "hazard":
        markup = keyboards.visit(lang, card["report_id"])
    calls.append(_message(chat, t(lang, f"notice.{notice.kind}", **values), markup))
    if notice.kind in ("resolved", "duplicate_added"):
        calls += _photos(chat, notice.extra.get("photos", []))
    if notice.kind == "emergency_located":
        calls += _location(chat, card)
    return calls


def edits(redraw: Redraw, tz: tzinfo, now: datetime | None = None) -> list[Call]:
    """Each card as it should read now, with what its holder may still press (no buttons at
    all once nothing is theirs to do: an edit without reply_markup removes them)."""
    calls = []
    for shown in redraw.shown:
        card = redraw.card
        text = taskcard.text(shown.language, card, tz, {"redrawn": True}, now)
        markup = taskcard.keyboard(shown.language, card, shown.role, shown.actions)
        payload: dict[str, Any] = {
            "chat_id": shown.chat_id,
            "message_id": shown.message_id,
            "text": text,
        }
        if markup is not None:
            payload["reply_markup"] = markup
        calls.append(("editMessageText", payload))
    return calls


def _message(chat: int, text: str, markup: Any = None) -> Call:
    """`markup`: python-telegram-bot's, or already the Bot API's dict (taskcard.keyboard)."""
    payload: dict[str, Any] = {"chat_id": chat, "text": text}
    if markup is not None:
        payload["reply_markup"] = markup if isinstance(markup, dict) else markup.to_dict()
    return ("sendMessage", payload)


def _location(chat: int, card: dict[str, Any]) -> list[Call]:
    if card.get("latitude") is None:
        return []
    return [
        (
            "sendLocation",
            {"chat_id": chat, "latitude": card["latitude"], "longitude": card["longitude"]},
        )
    ]


def _photos(chat: int, photos: list[str]) -> list[Call]:
    return [("sendPhoto", {"chat_id": chat, "photo": photo}) for photo in photos]


def _values(notice: Notice, tz: tzinfo) -> dict[str, Any]:
    lang, card, extra = notice.language, notice.card, notice.extra
    role = extra.get("role") or card.get("assignee_role") or "worker"
    return {
        "reference": card["reference"],
        "name": extra.get("staff") or card.get("assignee") or "",
        "role": t(lang, f"role.{role}"),
        "text": extra.get("text", ""),
        "question": card.get("text", ""),
        "note": extra.get("note", ""),
        "original": extra.get("original", ""),
        "place": taskcard.place(lang, card),
        "overdue": duration(lang, extra.get("overdue_seconds", 0)),
        "deadline": taskcard.local(card.get("rectify_deadline_at"), tz),
    }
