"""Fire-safety questions answered from the knowledge base when it is confident; otherwise,
or when the resident says it did not help, the question goes to staff."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from storage import faq as faq_queries
from storage import labels as label_rows
from storage import reports as report_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, Staff
from storage.types import utcnow
from triage.actors import SYSTEM, Actor, resident_actor
from triage.answers import promotion
from triage.answers.faq_file import Entry
from triage.answers.knowledge import KnowledgeBase
from triage.circle.whereto import asks_where
from triage.escalation.dispatch import dispatch
from triage.intake import limits, residents
from triage.intake.drafts import Intake
from triage.intake.reply import Reply
from triage.lifecycle import Action, Lifecycle
from triage.reports.filing import NewReport, create_report
from triage.reports.notices import post
from triage.tasks.outcome import Outcome
from triage.understanding.taxonomy import Kind


class AnswerDesk:
    def __init__(
        self, sessions: SessionFactory, intake: Intake, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.intake = intake
        self.clock = clock
        self._kb: KnowledgeBase | None = None
        self._version: tuple | None = None
        self._loading = asyncio.Lock()

    async def knowledge(self) -> KnowledgeBase:
        """Built off the event loop (jieba's dictionary takes a second), and built again
        when the table's version moved: an entry promoted here or on another instance is
        answered from on the next question. The version is one small query."""
        async with self._loading:
            async with transaction(self.sessions) as session:
                version = await faq_queries.faq_version(session=session)
                if self._kb is not None and version == self._version:
                    return self._kb
                rows = await faq_queries.all_entries(session=session)
            if rows:
                entries = [Entry.from_row(r) for r in rows]
                self._kb = await asyncio.to_thread(KnowledgeBase, entries, source="database")
            else:
                self._kb = await asyncio.to_thread(KnowledgeBase.from_shipped_file)
            self._version = version
            return self._kb

    async def promote(self, who: Actor, report_id: int) -> Outcome:
        """收入知识库: the question and its staff answer become an entry (see triage.answers.promotion).
        Two presses at once on PostgreSQL: the loser's insert fails, and its second try sees
        what the winner stored."""
        kb = await self.knowledge()
        for attempt in (1, 2):
            try:
                async with transaction(self.sessions) as session:
                    staff = await session.get(Staff, who.id) if who.is_staff else None
                    report = await session.get(Report, report_id)
                    done = await promotion.promote(session, staff, report, kb, self.clock())
                break
            except IntegrityError:
                if attempt == 2:
                    raise
        language = staff.language if staff is not None else "zh"
        return Outcome(done.say, language, {"entry": done.entry}, refused=done.refused)

    async def answer(self, who: Actor, text: str) -> Reply | None:
        """A confident answer, recorded as a question answered; None when staff should answer."""
        kb = await self.knowledge()
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            found = kb.answer(text, language=resident.language)
            if len(text) > 1000:
                return None
            if not found.confident:
                return await _did_you_mean(session, resident, text, found.nearest)
            created = await create_report(
                session,
                resident=resident,
                new=NewReport(text=text.strip()),
                kind=Kind.QUESTION,
                policy=self.intake.context.policy,
                now=self.clock(),
                to_staff=False,
                district=await self.intake.context.district.current(session),
            )
            await Lifecycle(self.intake.context.policy, self.clock).transition(
                session,
                created.report,
                Action.ANSWER_FROM_FAQ,
                SYSTEM,
                detail={"entry": found.entry.id, "score": found.score},
            )
            return _entry_reply(resident, found.entry, created.report.id, found.related, text)

    async def entry(self, who: Actor, slug: str, *, more: bool) -> Reply:
        """A related question pressed, or the longer answer asked for."""
        kb = await self.knowledge()
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
        entry = kb.by_id.get(slug)
        if entry is None:
            return Reply("faq_gone", resident)
        if more and entry.more(resident.language):
            return Reply("faq_more", resident, values={"more": entry.more(resident.language)})
        return _entry_reply(resident, entry, None, [])

    async def judged(self, who: Actor, report_id: int, helpful: bool) -> Reply:
        """有用 is noted; 没用 turns the question into one for staff, on the usual deadline."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            report = await session.get(Report, report_id)
            if report is None or report.resident_id != resident.id:
                return Reply("faq_gone", resident)
            if helpful:
                await report_rows.add_event(
                    session=session,
                    report_id=report.id,
                    actor=f"resident:{resident.id}",
                    action="faq_helpful",
                    at=self.clock(),
                )
                return Reply("faq_thanks", resident)
            refused = await limits.refusal(session, resident, self.intake.limits, self.clock())
            if refused is not None:  # the answer stays; they may ask staff in a while
                return Reply(refused, resident)
            reasked = await Lifecycle(self.intake.context.policy, self.clock).transition(
                session, report, Action.REASK, resident_actor(resident)
            )
            if not reasked.won:
                return Reply("faq_gone", resident)
            notices = await dispatch(
                session, report, policy=self.intake.context.policy, now=self.clock()
            )
            await post(session, notices)
            return Reply(
                "question_queued", resident, report=report, values={"report_id": report.id}
            )


async def _did_you_mean(session, resident, text: str, nearest: list) -> Reply | None:
    """Close but unsure: the nearest questions to pick from before staff answer ("你是想问…？");
    the question waits as a label until the resident says none of them fits. None: nothing
    is near, staff answer."""
    if not nearest:
        return None
    asked = await label_rows.ask(
        session=session, resident_id=resident.id, text=text.strip(), source=None, reading="question"
    )
    language = resident.language
    return Reply(
        "did_you_mean",
        resident,
        values={
            "nearest": [(c.entry.id, c.entry.question(language)) for c in nearest[:3]],
            "label_id": asked.id,
        },
    )


def _entry_reply(
    resident, entry: Entry, report_id: int | None, related: list[Entry], asked: str = ""
) -> Reply:
    language = resident.language
    return Reply(
        "faq_answer",
        resident,
        values={
            "title": entry.question(language),
            "answer": entry.answer(language),
            "entry": entry.id,
            "has_more": bool(entry.more(language)),
            "report_id": report_id,
            "related": [(e.id, e.question(language)) for e in related],
            "where": asks_where(asked),  # asked where to go: 📍 附近服务点 under it
        },
    )
