"""What a resident's free text means: an answer the bot waits for, the next step of a report,
or a new message to triage (hazard, emergency, question, feedback, out of scope)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import queries
from storage.engine import SessionFactory, transaction
from storage.models import PendingInput, Report, Resident, Staff
from storage.types import utcnow
from triage.classify import classify
from triage.intake import Intake, Reply, Step
from triage.lifecycle import Status
from triage.notices import EMERGENCY, Notice, card_of, post
from triage.people import Person
from triage.permissions import told_about
from triage.reports import NewReport, create_report
from triage.taxonomy import Kind

CORRECTION_WINDOW = timedelta(minutes=30)
# What residents type when the bot got them wrong.
NOT_THIS = {"不是这个", "不是", "不对", "错了", "搞错了", "not this", "wrong", "that's wrong"}
KINDS_A_RESIDENT_PICKS = (Kind.HAZARD, Kind.QUESTION, Kind.FEEDBACK, Kind.OUT_OF_SCOPE)


class FrontDesk:
    def __init__(
        self, sessions: SessionFactory, intake: Intake, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.intake = intake
        self.clock = clock

    async def text(self, person: Person, text: str) -> Reply:
        answered = await self.awaited(person, text=text)
        if answered is not None:
            return answered
        if text.strip().lower() in NOT_THIS:
            return await self.correction_menu(person)
        async with transaction(self.sessions) as session:
            resident = await self.intake.resident_for(session, person)
            draft = await queries.draft_of(session=session, resident_id=resident.id)
        if draft is not None:
            return await self.intake.receive_text(person, text)
        return await self.triage(person, text)

    async def triage(self, person: Person, text: str) -> Reply:
        label = classify(text)
        if label.kind == Kind.HAZARD:
            reply = await self.intake.start_report(person, text)
            return dataclasses.replace(
                reply, values={**reply.values, "triaged": label.category or "other"}
            )
        return await self._file(person, text, label.kind)

    async def _file(self, person: Person, text: str, kind: Kind) -> Reply:
        """Store a message that is not a hazard report, and hand it on if it needs someone."""
        async with transaction(self.sessions) as session:
            resident = await self.intake.resident_for(session, person)
            if len(text) > 1000:
                return Reply("message_too_long", resident, values={"max": 1000})
            hint = await queries.latest_report_of(session=session, resident_id=resident.id)
            new = NewReport(
                text=text.strip(),
                community=hint.community if hint else None,
                grid_id=hint.grid_id if hint else None,
            )
            created = await create_report(
                session,
                resident=resident,
                new=new,
                policy=self.intake.policy,
                now=self.clock(),
                district=await self.intake.district.current(session),
                kind=kind,
            )
            await post(session, created.notices)
            if kind == Kind.EMERGENCY:
                await _expect_location(session, resident, created.report, self.clock())
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

    # --- answers the bot is waiting for --------------------------------------------------

    async def awaited(
        self,
        person: Person,
        *,
        text: str | None = None,
        photo: str | None = None,
        location: tuple[float, float] | None = None,
    ) -> Reply | None:
        """A resident's answer to a staff question, or an emergency's location."""
        async with transaction(self.sessions) as session:
            pending = await queries.pending_input(session=session, telegram_id=person.telegram_id)
            if pending is None or pending.purpose not in ("answer", "emergency_location"):
                return None
            resident = await self.intake.resident_for(session, person)
            report = await session.get(Report, pending.report_id)
            if pending.purpose == "answer" and (text or photo):
                return await self._relay_answer(session, pending, resident, report, text, photo)
            if pending.purpose == "emergency_location" and (location or text):
                return await self._locate_emergency(
                    session, pending, resident, report, location, text
                )
            return None

    async def _relay_answer(
        self,
        session: AsyncSession,
        pending: PendingInput,
        resident: Resident,
        report: Report,
        text: str | None,
        photo: str | None,
    ) -> Reply:
        staff = await session.get(Staff, pending.detail["staff_id"])
        await session.delete(pending)
        await queries.add_event(
            session=session,
            report_id=report.id,
            actor=f"resident:{resident.id}",
            action="resident_answered",
            detail={"text": text, "photo": photo},
            at=self.clock(),
        )
        card = await card_of(session, report)
        notice = Notice(
            "resident_answer",
            staff.telegram_id,
            staff.language,
            report.id,
            card,
            {"text": text or "", "photo": photo},
        )
        await post(session, [notice])
        return Reply("answer_relayed", resident, notices=(notice,))

    async def _locate_emergency(
        self,
        session: AsyncSession,
        pending: PendingInput,
        resident: Resident,
        report: Report,
        location: tuple[float, float] | None,
        text: str | None,
    ) -> Reply:
        await session.delete(pending)
        if location:
            report.latitude, report.longitude = location
            district = await self.intake.district.current(session)
            cell = district.cell_at(*location)
            if cell:
                report.grid_id, report.community = cell.id, cell.community
        else:
            report.address = text.strip()[:200]
        await queries.add_event(
            session=session,
            report_id=report.id,
            actor=f"resident:{resident.id}",
            action="located",
            detail={"location": location, "address": report.address},
            at=self.clock(),
        )
        card = await card_of(session, report)
        told = await _told(session, report)
        notices = tuple(
            Notice(
                "emergency_located", s.telegram_id, s.language, report.id, card, priority=EMERGENCY
            )
            for s in told
        )
        await post(session, notices)
        return Reply("emergency_location_sent", resident, notices=notices)

    # --- "that's not what I meant" --------------------------------------------------------

    async def correction_menu(self, person: Person) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await self.intake.resident_for(session, person)
            target = await self._correctable(session, resident)
            if target is None:
                return Reply("nothing_to_correct", resident)
            report_id = target.id if isinstance(target, Report) else None
            return Reply("correction_menu", resident, values={"report_id": report_id})

    async def correct(self, person: Person, kind: str, report_id: int | None) -> Reply:
        """The resident says what their last message really was."""
        async with transaction(self.sessions) as session:
            resident = await self.intake.resident_for(session, person)
            target = await self._correctable(session, resident)
            same = (report_id is None and not isinstance(target, Report)) or (
                isinstance(target, Report) and target.id == report_id
            )
            if target is None or not same or kind not in KINDS_A_RESIDENT_PICKS:
                return Reply("correction_expired", resident)
            if isinstance(target, Report):
                text = target.text
                await self._withdraw(session, target, resident, kind)
            else:
                text = target.text or ""
                await session.delete(target)
        if kind == Kind.HAZARD:
            return await self.intake.start_report(person, text)
        return await self._file(person, text, Kind(kind))

    async def _correctable(self, session: AsyncSession, resident: Resident):
        """The resident's latest triaged message: a fresh draft, or a recent non-hazard item."""
        since = self.clock() - CORRECTION_WINDOW
        draft = await queries.draft_of(session=session, resident_id=resident.id)
        if draft is not None and draft.started_at >= since and draft.step != Step.PHOTOS:
            return draft if draft.text else None
        latest = await queries.latest_report_of(session=session, resident_id=resident.id)
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
    ) -> None:
        previous = report.status
        report.status, report.closed_at, report.next_deadline_at = Status.CLOSED, self.clock(), None
        await queries.add_event(
            session=session,
            report_id=report.id,
            actor=f"resident:{resident.id}",
            action="reclassified",
            from_status=previous,
            to_status=Status.CLOSED,
            detail={"from": report.kind, "to": kind},
            at=self.clock(),
        )


async def _expect_location(
    session: AsyncSession, resident: Resident, report: Report, now: datetime
) -> None:
    pending = await queries.pending_input(session=session, telegram_id=resident.telegram_id)
    if pending is None:
        pending = PendingInput(
            telegram_id=resident.telegram_id, purpose="emergency_location", report_id=report.id
        )
        session.add(pending)
    pending.purpose, pending.report_id, pending.detail, pending.created_at = (
        "emergency_location",
        report.id,
        {},
        now,
    )


async def _told(session: AsyncSession, report: Report) -> list[Staff]:
    return await queries.staff_by_ids(
        session=session, ids=sorted(await told_about(session, report.id))
    )
