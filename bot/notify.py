"""Sending the domain's notices: tasks with their location and photos, residents' updates."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import tzinfo

from telegram import Bot, ForceReply
from telegram.error import TelegramError

from bot import taskcard
from bot.texts import t
from triage.notices import Notice

log = logging.getLogger(__name__)


class Notifier:
    def __init__(self, bot: Bot, timezone: tzinfo):
        self.bot = bot
        self.tz = timezone

    async def deliver(self, notices: Sequence[Notice]) -> None:
        """Most urgent first; one recipient's failure does not stop the others."""
        for notice in sorted(notices, key=lambda n: n.priority):
            try:
                await self.send(notice)
            except TelegramError as exc:
                log.warning(
                    "could not send %s for report %s to %s: %s",
                    notice.kind,
                    notice.report_id,
                    notice.chat_id,
                    exc,
                )

    async def send(self, notice: Notice) -> None:
        lang, card, chat = notice.language, notice.card, notice.chat_id
        if notice.kind in ("task", "emergency_alert"):
            await self.bot.send_message(
                chat,
                taskcard.text(lang, card, self.tz, notice.extra),
                reply_markup=taskcard.buttons(lang, card),
            )
            await self._location_and_photos(chat, card, card["photos"])
            return
        values = self._values(notice)
        if notice.kind == "resident_answer" and notice.extra.get("photo"):
            await self.bot.send_photo(
                chat,
                notice.extra["photo"],
                caption=t(lang, "notice.resident_answer_photo", **values),
            )
            if not notice.extra.get("text"):
                return
        markup = ForceReply(selective=False) if notice.kind == "staff_question" else None
        await self.bot.send_message(
            chat, t(lang, f"notice.{notice.kind}", **values), reply_markup=markup
        )
        if notice.kind == "resolved":
            await self._location_and_photos(chat, None, notice.extra.get("photos", []))
        if notice.kind == "emergency_located" and card.get("latitude") is not None:
            await self.bot.send_location(chat, card["latitude"], card["longitude"])

    def _values(self, notice: Notice) -> dict:
        lang, card, extra = notice.language, notice.card, notice.extra
        role = extra.get("role") or card.get("assignee_role") or "worker"
        return {
            "reference": card["reference"],
            "name": extra.get("staff") or card.get("assignee") or "",
            "role": t(lang, f"role.{role}"),
            "text": extra.get("text", ""),
            "note": extra.get("note", ""),
            "place": taskcard.place(lang, card),
        }

    async def _location_and_photos(self, chat: int, card: dict | None, photos: list[str]) -> None:
        if card and card.get("latitude") is not None:
            await self.bot.send_location(chat, card["latitude"], card["longitude"])
        for photo in photos:
            await self.bot.send_photo(chat, photo)
