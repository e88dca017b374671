"""Residents as the domain knows them: enrolled once per update from what the chat knows of
them (a Person), then passed to every step as an Actor; a step reads the row by its id."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import residents as resident_rows
from storage.engine import keep
from storage.models import Resident
from storage.types import utcnow
from triage.actors import Actor
from triage.intake.people import Person, language_from_code

NAME_MAX_CHARS = 100


UNREAD = object()  # enrol's `known` when the row was not read yet


async def visitor(session: AsyncSession, person: Person) -> Resident | None:
    """The resident this person is, if they wrote before, read with what the update's later
    steps ask for (storage.residents.visitor)."""
    return await resident_rows.visitor(session=session, telegram_id=person.telegram_id)


async def enrol(
    session: AsyncSession,
    person: Person,
    *,
    default_language: str,
    now: datetime,
    known: Resident | None | object = UNREAD,
) -> Resident:
    """The resident this person is (`known`: as `visitor` found them), created on first
    contact; their name, username and chat kept as the chat now reports them, and their
    language until they choose one."""
    resident = await visitor(session, person) if known is UNREAD else known
    made = resident is None
    if made:
        resident = Resident(
            telegram_id=person.telegram_id,
            chat_id=person.chat_id,
            language=language_from_code(person.language_code, default_language),
            created_at=now,
        )
        session.add(resident)
    elif not resident.language_chosen:
        _keep_up(resident, "language", language_from_code(person.language_code, resident.language))
    _keep_up(resident, "name", (person.name or "")[:NAME_MAX_CHARS])  # may have no first name
    _keep_up(resident, "username", person.username)
    _keep_up(resident, "chat_id", person.chat_id)
    keep(session, resident)  # the update's later steps take it by id (row below)
    if made:
        await session.flush()  # its id, for the actor; a change to a known row goes later
        resident_rows.made(session, resident)
    return resident


def _keep_up(resident: Resident, name: str, value: object) -> None:
    # Only a change: an attribute set again to what it holds still costs the flush a look.
    if getattr(resident, name) != value:
        setattr(resident, name, value)


async def row(session: AsyncSession, who: Actor) -> Resident:
    """The row a resident actor stands for (by its id: no lookup by Telegram id). Should it
    be gone since the update began, it is made again from what the actor carries."""
    resident = await session.get(Resident, who.id)
    if resident is None:
        resident = Resident(
            telegram_id=who.telegram_id,
            chat_id=who.chat_id,
            language=who.language,
            name=who.name,
            created_at=utcnow(),
        )
        session.add(resident)
        await session.flush()
    return resident
