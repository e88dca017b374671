"""What a resident's free text means, in this order: an emergency (always heard first), what
the bot is waiting for (an emergency's location, an answer to staff), a correction, the next
step of a report being written, or a new message to triage."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import labels as label_rows
from storage import reports as report_rows
from storage import residents as resident_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, Resident, TriageLabel
from storage.types import utcnow
from triage.actors import Actor, resident_actor
from triage.answers.desk import AnswerDesk
from triage.circle import whereto
from triage.circle.nearby import NearbyDesk
from triage.intake import residents
from triage.intake.awaited import Awaited
from triage.intake.drafts import Intake
from triage.intake.reply import Reply, Step
from triage.lifecycle import Action, Lifecycle, Status
from triage.reports.filing import NewReport, create_report
from triage.reports.lengths import TEXT_MAX_CHARS
from triage.reports.notices import EMERGENCY, Notice, post
from triage.understanding.classify import Classification, classify_message
from triage.understanding.doubt import CHOICES, STAFF, unsure
from triage.understanding.small_talk import small_talk
from triage.understanding.taxonomy import Kind

CORRECTION_WINDOW = timedelta(minutes=30)
# What residents type when the bot got them wrong.
NOT_THIS = {"不是这个", "不是", "不对", "错了", "搞错了", "not this", "wrong", "that's wrong"}
KINDS_A_RESIDENT_PICKS = (Kind.HAZARD, Kind.QUESTION, Kind.FEEDBACK, Kind.OUT_OF_SCOPE)


class FrontDesk:
    def __init__(
        self,
        sessions: SessionFactory,
        intake: Intake,
        clock: Callable[[], datetime] = utcnow,
        answers: AnswerDesk | None = None,
    ):
        self.sessions = sessions
        self.intake = intake
        self.clock = clock
        self.answers = answers
        self.waiting = Awaited(sessions, intake, clock)

    async def text(
        self,
        who: Actor,
        text: str,
        label: Classification | None = None,
        source: str | None = None,
    ) -> Reply:
        """`label`: what the text was read as when the conversation took it in; `source`:
        the chat's reference to the message (an edit of it changes what it was filed as)."""
        label = label or classify_message(text)
        awaited = await self.waiting.awaited(who, text=text, kind=label.kind)
        if awaited is not None:
            return awaited
        if label.kind == Kind.EMERGENCY:  # never swallowed by a half-written report
            return await self._file(who, text, Kind.EMERGENCY, label, source)
        if text.strip().lower() in NOT_THIS:
            return await self.correction_menu(who)
        where = await self._where_to_go(who, text)
        if where is not None:
            return where
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
        chat = small_talk(text)
        if chat is not None:  # answered, nothing filed; a report being written waits
            return Reply(chat, resident, step=Step(draft.step) if draft else None)
        if draft is not None:
            return await self.intake.receive_text(who, text, label, source)
        return await self.triage(who, text, label, source)

    async def triage(
        self,
        who: Actor,
        text: str,
        label: Classification | None = None,
        source: str | None = None,
    ) -> Reply:
        label = label or classify_message(text)
        if label.kind == Kind.QUESTION and self.answers is not None:
            answered = await self.answers.answer(who, text)
            # A possible hazard read as a question is asked about, unless the knowledge base
            # is sure of its answer (then it was a question after all).
            if answered is not None and (answered.say == "faq_answer" or not unsure(label)):
                return answered
        if label.kind == Kind.HAZARD:
            reply = await self.intake.start_report(who, text, label, source)
            if reply.step is None:  # no report began (a repeat, or past a limit)
                return reply
            return dataclasses.replace(
                reply, values={**reply.values, "triaged": label.category or "other"}
            )
        if unsure(label):
            return await self._ask_kind(who, text, label, source)
        return await self._file(who, text, label.kind, label, source)

    async def _ask_kind(
        self, who: Actor, text: str, label: Classification, source: str | None
    ) -> Reply:
        """Ask with one tap what the message is, rather than guess it away to 12345."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            asked = await label_rows.ask(
                session=session,
                resident_id=resident.id,
                text=text.strip()[:TEXT_MAX_CHARS],
                source=source,
                reading=str(label.kind),
            )
            return Reply("ask_kind", resident, values={"label_id": asked.id})

    async def kind_chosen(self, who: Actor, label_id: int, choice: str) -> Reply | None:
        """The resident's tap: it decides the path and is kept as a label. None: the
        question was answered already, or is not theirs."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            asked = await session.get(TriageLabel, label_id)
            kind = Kind.QUESTION if choice == STAFF else CHOICES.get(choice)
            if asked is None or kind is None:
                return None
            if not await label_rows.answer(
                session=session,
                label_id=label_id,
                resident_id=resident.id,
                chosen=str(kind),
                now=self.clock(),
            ):
                return None
            text, source = asked.text, asked.source
        if kind == Kind.HAZARD:
            return await self.intake.start_report(who, text, None, source)
        if choice == STAFF:  # the knowledge base was looked in already
            return await self._file(who, text, Kind.QUESTION, None, source)
        if kind == Kind.QUESTION:
            return await self.question(who, text)
        return await self._file(who, text, Kind.OUT_OF_SCOPE, None, source)

    async def question(self, who: Actor, text: str) -> Reply:
        """A question, said to be one (/ask): where to go, the knowledge base, else staff."""
        where = await self._where_to_go(who, text)
        if where is not None:
            return where
        if self.answers is not None:
            answered = await self.answers.answer(who, text)
            if answered is not None:
                return answered
        return await self._file(who, text, Kind.QUESTION)

    async def _where_to_go(self, who: Actor, text: str) -> Reply | None:
        """ "哪里可以检测灭火器": the nearest such place (None: not a where-to-go question)."""
        kinds = whereto.sought(text)
        if kinds is None:
            return None
        async with transaction(self.sessions) as session:
            district = await self.intake.context.district.current(session)
        desk = NearbyDesk(self.sessions, self.intake.context.policy, self.clock)
        return await desk.where(who, kinds, district)

    async def _file(
        self,
        who: Actor,
        text: str,
        kind: Kind,
        label: Classification | None = None,
        source: str | None = None,
    ) -> Reply:
        """Store a message that is not a hazard report, and hand it on if it needs someone."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            held = await self._held_back(session, resident, text, kind, label)
            if held is not None:
                return held
            new = NewReport(text=text.strip()[:TEXT_MAX_CHARS])
            if source is not None:
                new.sources = {source: new.text}
            if kind != Kind.EMERGENCY:  # an emergency is where it is now, not where they once were
                hint = await report_rows.latest_report_of(session=session, resident_id=resident.id)
                new.community, new.grid_id = (
                    (hint.community, hint.grid_id) if hint else (None, None)
                )
            created = await create_report(
                session,
                resident=resident,
                new=new,
                policy=self.intake.context.policy,
                now=self.clock(),
                district=await self.intake.context.district.current(session),
                kind=kind,
                label=label,
            )
            if kind == Kind.EMERGENCY:
                await self._await_place(session, resident, created.report)
                if resident.blocked_at is not None:
                    await self._flag_blocked(session, resident, created.report, created.notices)
            key = {
                Kind.EMERGENCY: "emergency",
                Kind.QUESTION: "question_queued",
                Kind.FEEDBACK: "feedback_thanks",
            }.get(kind, "out_of_scope")
            return Reply(
                key,
                resident,
                report=created.report,
                notices=tuple(created.notices),
                values={"report_id": created.report.id},
            )

    async def _held_back(
        self,
        session: AsyncSession,
        resident: Resident,
        text: str,
        kind: Kind,
        label: Classification | None,
    ) -> Reply | None:
        """A repeat of an open report joins it (an emergency still gets the 119 advice, and
        its place is still asked for); a question or feedback past the hour's reports, or from
        a blocked resident, files nothing. An emergency is never held back."""
        if kind == Kind.OUT_OF_SCOPE:  # nothing is filed for staff: no limit needed
            return None
        held = await self.intake.may_start(session, resident, text, label)
        if held is not None and kind == Kind.EMERGENCY and held.say != "emergency":
            return None
        return held

    async def _await_place(self, session: AsyncSession, resident: Resident, report: Report) -> None:
        await resident_rows.expect_input(
            session=session,
            telegram_id=resident.telegram_id,
            purpose="emergency_location",
            report_id=report.id,
            detail={},
            now=self.clock(),
        )

    async def _flag_blocked(
        self, session: AsyncSession, resident: Resident, report: Report, alerts: list[Notice]
    ) -> None:
        """A blocked resident's emergency is alerted like any other (a hoaxer may still see a
        real fire, and the officer judges better knowing), with a note that it comes from a
        resident staff marked as abusive."""
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor="system",
            action="from_blocked_resident",
            detail={"resident": resident.id, "blocked_at": resident.blocked_at.isoformat()},
            at=self.clock(),
        )
        notes = [
            Notice(
                "emergency_from_blocked",
                alert.chat_id,
                alert.language,
                report.id,
                alert.card,
                {"note": resident.blocked_reason or ""},
                EMERGENCY,
            )
            for alert in alerts
        ]
        await post(session, notes)

    # --- "that's not what I meant" --------------------------------------------------------

    async def correction_menu(self, who: Actor) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            target = await self._correctable(session, resident)
            if target is None:
                return Reply("nothing_to_correct", resident)
            report_id = target.id if isinstance(target, Report) else None
            return Reply("correction_menu", resident, values={"report_id": report_id})

    async def correct(self, who: Actor, kind: str, report_id: int | None) -> Reply:
        """The resident says what their last message really was."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            target = await self._correctable(session, resident)
            same = (report_id is None and not isinstance(target, Report)) or (
                isinstance(target, Report) and target.id == report_id
            )
            if target is None or not same or kind not in KINDS_A_RESIDENT_PICKS:
                return Reply("correction_expired", resident)
            text = target.text or ""
            if isinstance(target, Report):
                if not await self._withdraw(session, target, resident, kind):
                    return Reply("correction_expired", resident)
            else:
                await session.delete(target)
        if kind == Kind.HAZARD:
            return await self.intake.start_report(who, text)
        return await self._file(who, text, Kind(kind))

    async def _correctable(self, session: AsyncSession, resident: Resident):
        """The resident's latest triaged message: a fresh draft, or a recent non-hazard item."""
        since = self.clock() - CORRECTION_WINDOW
        draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
        if draft is not None and draft.started_at >= since and draft.step != Step.PHOTOS:
            return draft if draft.text else None
        latest = await report_rows.latest_report_of(session=session, resident_id=resident.id)
        if (
            latest
            and latest.created_at >= since
            and latest.kind in (Kind.QUESTION, Kind.FEEDBACK, Kind.OUT_OF_SCOPE)
            and latest.status in (Status.NEW, Status.ASSIGNED, Status.CLOSED)
        ):
            return latest
        return None

    async def _withdraw(
        self, session: AsyncSession, report: Report, resident: Resident, kind: str
    ) -> bool:
        """Close the misread item, unless staff took it up in the meantime."""
        moved = await Lifecycle(self.intake.context.policy, self.clock).transition(
            session,
            report,
            Action.RECLASSIFY,
            resident_actor(resident),
            detail={"from": report.kind, "to": kind},
        )
        won = moved.won
        return won
