"""What the handlers need from the Application: the domain objects and the notifier."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from bot.notify import Notifier
from triage.frontdesk import FrontDesk
from triage.intake import Intake
from triage.people import Person
from triage.tasks import StaffDesk

KEY = "firecircle"


@dataclass
class BotServices:
    intake: Intake
    frontdesk: FrontDesk
    desk: StaffDesk
    timezone: ZoneInfo
    notifier: Notifier | None = None  # set once the Application (and so the Bot) exists


def services(context: ContextTypes.DEFAULT_TYPE) -> BotServices:
    return context.bot_data[KEY]


def person_of(update: Update) -> Person:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None
    return Person(
        telegram_id=user.id,
        chat_id=chat.id,
        name=user.full_name,
        username=user.username,
        language_code=user.language_code,
    )
