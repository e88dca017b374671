"""What the handlers need from the Application: the domain objects, and who an update is from
(found once per update: the Application gives every handler of an update the same context)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import ContextTypes

from triage.actors import Actor
from triage.broadcasts import BroadcastDesk
from triage.circle.calls import TeamDesk
from triage.circle.nearby import NearbyDesk
from triage.console.desk import Console
from triage.fieldwork.desk import FieldDesk
from triage.intake.account import Account
from triage.intake.conversation import Conversation, Visit
from triage.intake.drafts import Intake
from triage.intake.frontdesk import FrontDesk
from triage.intake.people import Person
from triage.protection.abuse import AbuseDesk
from triage.protection.privacy import PrivacyDesk
from triage.reports.followup import FollowUp
from triage.surveys.desk import SurveyDesk
from triage.tasks.desk import StaffDesk
from triage.units import SessionFactory

KEY = "firecircle"


@dataclass
class BotServices:
    sessions: SessionFactory
    intake: Intake
    account: Account
    frontdesk: FrontDesk
    desk: StaffDesk
    followup: FollowUp
    timezone: ZoneInfo
    broadcasts: BroadcastDesk
    conversation: Conversation
    abuse: AbuseDesk
    privacy: PrivacyDesk
    teams: TeamDesk
    nearby: NearbyDesk
    console: Console | None = None  # the web console's login links (/web)
    field: FieldDesk | None = None  # /patrol and /campaign
    surveys: SurveyDesk | None = None  # questionnaires: consent and answers


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


async def visit_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Visit:
    """Who sent this update, as the domain knows them. A new message is counted against the
    resident's limits (the gate asks first, before any handler)."""
    visit = getattr(context, "visit", None)
    if visit is None:
        message = update.message  # a new message; an edit or a press is not counted again
        visit = await services(context).conversation.enter(
            person_of(update),
            text=(message.text or message.caption) if message else None,
            location=bool(message and message.location),
            counted=message is not None,
        )
        context.visit = visit
    return visit


async def resident_of(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Actor:
    """The sender as a resident (staff become one when they act as one, e.g. /report)."""
    visit = await visit_of(update, context)
    if visit.resident is None:
        resident = await services(context).conversation.as_resident(visit)
        visit = context.visit = dataclasses.replace(visit, resident=resident)
    return visit.resident
