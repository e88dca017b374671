"""One way in: every message and button press from the chat enters the domain here.

The chat turns its user into a Person (how to reach them) and calls `enter` once per update:
it learns who they are (a resident, a staff member, or both), counts a message against the
resident's limits and reads its text once. The Visit it returns is what every step of that
update is given; `text`, `photo` and `location` hand a message to the desk that owns it, in
the order that keeps an emergency first and a staff member's typed answer theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage import directory
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.types import utcnow
from triage.actors import Actor, resident_actor, staff_actor
from triage.broadcasts import BroadcastDesk
from triage.broadcasts import Outcome as Broadcasting
from triage.intake import limits, residents
from triage.intake.account import Account
from triage.intake.drafts import Intake
from triage.intake.edits import Edits
from triage.intake.frontdesk import FrontDesk
from triage.intake.people import Person, language_from_code
from triage.intake.reply import Reply
from triage.surveys.desk import Asked, SurveyDesk
from triage.tasks.desk import StaffDesk
from triage.tasks.outcome import Outcome
from triage.understanding.classify import Classification, classify_message
from triage.understanding.small_talk import HELLO
from triage.understanding.taxonomy import Kind

STAFF_HELP = "help"  # an Outcome's key: staff typing outside any prompt get their help


@dataclass(frozen=True)
class Visit:
    """Who sent this update, as the domain knows them."""

    person: Person
    staff: Actor | None  # an active staff member
    resident: Actor | None  # None: staff who have not acted as a resident yet
    label: Classification | None = None  # what the message's text was read as
    held: str | None = None  # a limit's text key to say instead of handling it (SILENT: none)

    @property
    def language(self) -> str:
        who = self.staff or self.resident
        return who.language if who is not None else "zh"


class Conversation:
    def __init__(
        self,
        sessions: SessionFactory,
        intake: Intake,
        frontdesk: FrontDesk,
        desk: StaffDesk,
        broadcasts: BroadcastDesk,
        clock: Callable[[], datetime] = utcnow,
        surveys: SurveyDesk | None = None,
    ):
        self.sessions = sessions
        self.intake = intake
        self.frontdesk = frontdesk
        self.desk = desk
        self.broadcasts = broadcasts
        self.surveys = surveys
        self.clock = clock
        self.edits = Edits(sessions, intake.context.policy, clock)
        self.account = Account(sessions)

    async def enter(
        self,
        person: Person,
        *,
        text: str | None = None,
        location: bool = False,
        counted: bool = False,
    ) -> Visit:
        """Who this is, in one transaction. A resident's message (`counted`) is counted and
        may be held back by a limit, never when it reads as an emergency."""
        async with transaction(self.sessions) as session:
            known = await residents.visitor(session, person)  # with the directory's version
            staff, grids = await directory.staff_member(session, person.telegram_id)
            if staff is not None and staff.active:
                resident = resident_actor(known) if known is not None else None
                return Visit(person, staff_actor(staff, grids), resident)
            row = await self._enrol(session, person, known)
            words = _without_command(text) if text else None  # "/report 着火了": its words
            label = classify_message(words) if words else None
            held = None
            if counted:
                kind = label.kind if label is not None else None
                held = await limits.admit(
                    session, row, self.intake.limits, self.clock(), kind=kind, location=location
                )
            return Visit(person, None, resident_actor(row), label, held)

    async def cancel(self, visit: Visit) -> Reply | Outcome:
        """/cancel: a staff member's prompt first; else what the bot waits for from the
        resident and the report being written."""
        if visit.staff is not None:
            outcome = await self.desk.cancel_input(visit.staff)
            if outcome is not None:
                return outcome
        who = await self.as_resident(visit)
        dropped = await self.frontdesk.waiting.cancel_awaited(who)
        reply = await self.intake.cancel(who)
        if dropped and reply.say == "nothing_to_cancel":
            return Reply("cancelled", reply.resident)
        return reply

    async def as_resident(self, visit: Visit) -> Actor:
        """The resident this visitor is; staff become one when they act as one (/report)."""
        if visit.resident is not None:
            return visit.resident
        async with transaction(self.sessions) as session:
            return resident_actor(await self._enrol(session, visit.person))

    async def language_of(self, person: Person) -> str:
        """For an answer when something failed: read only, nothing written."""
        async with transaction(self.sessions) as session:
            staff = await staff_rows.staff_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
            if staff is not None and staff.active:
                return staff.language
            row = await resident_rows.resident_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
        if row is not None:
            return row.language
        return language_from_code(person.language_code, self.intake.default_language)

    async def _enrol(self, session, person: Person, known: object = residents.UNREAD):
        return await residents.enrol(
            session,
            person,
            default_language=self.intake.default_language,
            now=self.clock(),
            known=known,
        )

    # --- messages ---------------------------------------------------------------------

    async def text(
        self, visit: Visit, words: str, source: str | None = None
    ) -> Reply | Outcome | Broadcasting | Asked:
        """A staff member's typed answer to a prompt (a tip for /broadcast among them), their
        help, or a resident's message. `source`: the chat's reference to the message, should
        it be edited later."""
        if visit.staff is not None:
            tip = await self.broadcasts.typed(visit.staff, words)
            if tip is not None:
                return tip
            outcome = await self.desk.staff_input(visit.staff, words, None)
            if outcome is not None:
                return outcome
            if visit.resident is None or not await self.account.has_draft(visit.resident):
                return Outcome(STAFF_HELP, visit.staff.language, {"name": visit.staff.name})
        who = await self.as_resident(visit)
        label = visit.label or classify_message(words)
        if self.surveys is not None and label.kind != Kind.EMERGENCY:
            answered = await self.surveys.typed(who, words)  # a questionnaire's text question
            if answered is not None:
                return answered
        return await self.frontdesk.text(who, words, label, source)

    async def photo(
        self,
        visit: Visit,
        file_id: str,
        caption: str | None,
        *,
        document: bool = False,
        source: str | None = None,
    ) -> Reply | Outcome:
        """A photo for a staff prompt (a resolution's), or a resident's: for what the bot
        waits on, else for the report being written. An image sent as a file is never a
        staff member's proof (the prompt wants a photo taken)."""
        if visit.staff is not None:
            if document:  # a file is no photo taken: the step's prompt again
                outcome = await self.desk.hint(visit.staff)
            else:
                outcome = await self.desk.staff_input(visit.staff, caption, file_id)
            if outcome is not None:
                return outcome
        who = await self.as_resident(visit)
        reply = await self.frontdesk.waiting.awaited(who, photo=file_id, text=caption)
        if reply is None:
            reply = await self.intake.receive_photo(who, file_id, caption, source)
        return reply

    async def location(self, visit: Visit, latitude: float, longitude: float) -> Reply | Outcome:
        if visit.staff is not None:  # a task's step waits for words or a photo, not a place
            outcome = await self.desk.hint(visit.staff)
            if outcome is not None:
                return outcome
        who = await self.as_resident(visit)
        reply = await self.frontdesk.waiting.awaited(who, location=(latitude, longitude))
        if reply is None:
            reply = await self.intake.receive_location(who, latitude, longitude)
        return reply

    async def edited(self, visit: Visit, source: str, text: str) -> Reply | None:
        """A message edited after it was sent: the words it added to a report change; it is
        never taken as a new message. None: nothing of theirs as a resident to change."""
        if visit.resident is None:
            return None
        return await self.edits.edited(visit.resident, source, _without_command(text))

    async def sticker(self, visit: Visit) -> Reply | Outcome:
        """A sticker or a lone emoji says hello: the greeting, with what the bot can do; to
        a staff member a task's step waits on, that step's prompt again."""
        hint = await self.unsupported(visit)
        if hint is not None:
            return hint
        return await self.account.chat(await self.as_resident(visit), HELLO)

    async def unsupported(self, visit: Visit) -> Outcome | None:
        """A file, a voice note, a video, a sticker: what a staff member's waiting step wants
        instead; None when nothing waits (the caller answers as to anyone)."""
        if visit.staff is None:
            return None
        return await self.desk.hint(visit.staff)


def _without_command(text: str) -> str:
    """A command's words: "/report 楼道着火了" is read as "楼道着火了", "/help" as nothing."""
    if text.startswith("/"):
        return text.partition(" ")[2].strip()
    return text
