"""The resident's own settings and questions about themselves: greeting, language, tips,
their reports, where they are in the report they are writing."""

from __future__ import annotations

from collections.abc import Sequence

from storage import reports as report_rows
from storage import residents as resident_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report
from triage.actors import Actor
from triage.intake import residents
from triage.intake.drafts import ask_again, step_of
from triage.intake.reply import Reply


class Account:
    def __init__(self, sessions: SessionFactory):
        self.sessions = sessions

    async def greet(self, who: Actor) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply("welcome", resident, step=step_of(draft))

    async def chat(self, who: Actor, key: str) -> Reply:
        """Small talk answered (see triage.understanding.small_talk); a draft waits."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply(key, resident, step=step_of(draft))

    async def has_draft(self, who: Actor) -> bool:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            return (
                await resident_rows.draft_of(session=session, resident_id=resident.id) is not None
            )

    async def language_of(self, who: Actor) -> str:
        async with transaction(self.sessions) as session:
            return (await residents.row(session, who)).language

    async def subscribe_tips(self, who: Actor, on: bool) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            resident.subscribed_tips = on
            return Reply("tips_on" if on else "tips_off", resident)

    async def set_language(self, who: Actor, language: str | None) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            if language not in ("zh", "en"):
                return Reply("choose_language", resident)
            resident.language = language
            resident.language_chosen = True
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply("language_set", resident, step=step_of(draft))

    async def my_reports(self, who: Actor) -> tuple[Reply, Sequence[Report]]:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            reports = await report_rows.reports_of_resident(
                session=session, resident_id=resident.id
            )
            return Reply("my_reports" if reports else "no_reports", resident), reports

    async def where_am_i(self, who: Actor) -> Reply:
        """Repeats the question of the step the resident is at (after a restart, an odd input)."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return ask_again(draft, resident) if draft else Reply("help", resident)
