"""What the handlers need from the Application: the database and the domain objects."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from triage.abuse import AbuseDesk
from triage.broadcasts import BroadcastDesk
from triage.followup import FollowUp
from triage.frontdesk import FrontDesk
from triage.intake import Intake
from triage.limits import Gate
from triage.people import Person
from triage.privacy import PrivacyDesk
from triage.tasks.desk import StaffDesk
from triage.units import SessionFactory

KEY = "firecircle"


@dataclass
class BotServices:
    sessions: SessionFactory
    intake: Intake
    frontdesk: FrontDesk
    desk: StaffDesk
    followup: FollowUp
    timezone: ZoneInfo
    broadcasts: BroadcastDesk
    gate: Gate
    abuse: AbuseDesk
    privacy: PrivacyDesk


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
