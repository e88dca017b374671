"""What the bot is waiting for a resident to send: an emergency's place (a shared location,
or more words about where it is), or an answer to a staff question about their report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.models import PendingInput, Report, Resident
from triage.actors import Actor
from triage.circle.calls import tell_teams_where
from triage.circle.nearby import PURPOSE as NEARBY
from triage.circle.nearby import NearbyDesk
from triage.districts.cells import valid_coordinates
from triage.escalation.dispatch import emergency_staff, place_of
from triage.intake import residents
from triage.intake.drafts import Intake
from triage.intake.reply import Reply
from triage.permissions import told_about
from triage.reports.lengths import quoted
from triage.reports.notices import EMERGENCY, Notice, card_of, post, to_staff
from triage.understanding.small_talk import small_talk
from triage.understanding.taxonomy import Kind

# How long the bot takes a resident's next message as what it asked for.
AWAITED_FOR = {
    "emergency_location": timedelta(minutes=30),
    "answer": timedelta(hours=24),
    NEARBY: timedelta(minutes=30),
}


class Awaited:
    def __init__(self, sessions: SessionFactory, intake: Intake, clock: Callable[[], datetime]):
        self.sessions = sessions
        self.intake = intake
        self.clock = clock

    async def awaited(
        self,
        who: Actor,
        *,
        text: str | None = None,
        photo: str | None = None,
        location: tuple[float, float] | None = None,
        kind: Kind | None = None,
    ) -> Reply | None:
        """An emergency's location (or more words about where it is), or an answer to staff.

        After an emergency, text counts as its place only if it reads like an address or
        another urgent message, not a new report; an urgent message is never relayed as the
        answer to a staff question about something else.
        """
        if location is not None and not valid_coordinates(*location):
            return None  # not a place: the location step says so
        desk = NearbyDesk(self.sessions, self.intake.context.policy, self.clock)
        async with transaction(self.sessions) as session:
            if location is not None:  # the last place they shared: "where can I…" needs it
                desk.remember(await residents.row(session, who), *location)
            pending = await resident_rows.pending_input(
                session=session, telegram_id=who.telegram_id
            )
            if pending is None or pending.purpose not in AWAITED_FOR:
                return None
            if self.clock() - pending.created_at > AWAITED_FOR[pending.purpose]:
                await session.delete(pending)
                return None
            resident = await residents.row(session, who)
            if pending.purpose == NEARBY:  # asked once: the next message answers it or not
                await session.delete(pending)
                if location is None:
                    return None
                district = await self.intake.context.district.current(session)
                kinds = pending.detail.get("kinds") or ()
                return await desk.around(session, resident, *location, district, kinds)
            report = await session.get(Report, pending.report_id)
            words = text and kind in (Kind.EMERGENCY, Kind.OUT_OF_SCOPE) and not small_talk(text)
            about_it = location or words  # "好的" is not where the fire is
            if pending.purpose == "emergency_location" and about_it:
                return await self._locate_emergency(
                    session, pending, resident, report, location, text
                )
            if pending.purpose == "answer" and (text or photo) and kind != Kind.EMERGENCY:
                return await self._relay_answer(session, pending, resident, report, text, photo)
            return None

    async def cancel_awaited(self, who: Actor) -> bool:
        async with transaction(self.sessions) as session:
            pending = await resident_rows.pending_input(
                session=session, telegram_id=who.telegram_id
            )
            if pending is None or pending.purpose not in AWAITED_FOR:
                return False
            await session.delete(pending)
            return True

    async def _relay_answer(
        self,
        session: AsyncSession,
        pending: PendingInput,
        resident: Resident,
        report: Report,
        text: str | None,
        photo: str | None,
    ) -> Reply:
        """To whoever holds the task now, and to the one who asked if that is someone else."""
        await session.delete(pending)
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor=f"resident:{resident.id}",
            action="resident_answered",
            detail={"text": text, "photo": photo},
            at=self.clock(),
        )
        ids = {i for i in (report.assignee_id, pending.detail.get("staff_id")) if i}
        staff = [
            s for s in await staff_rows.staff_by_ids(session=session, ids=sorted(ids)) if s.active
        ]
        card = await card_of(session, report)
        notices = [
            to_staff(s, "resident_answer", card, text=quoted(text or ""), photo=photo)
            for s in staff
        ]
        await post(session, notices)
        return Reply("answer_relayed", resident, notices=tuple(notices))

    async def _locate_emergency(
        self,
        session: AsyncSession,
        pending: PendingInput,
        resident: Resident,
        report: Report,
        location: tuple[float, float] | None,
        text: str | None,
    ) -> Reply:
        """Tell everyone alerted where it is, and alert whoever that place adds."""
        if location:
            report.latitude, report.longitude = location
            cell = (await self.intake.context.district.current(session)).cell_at(*location)
            report.grid_id, report.community = (cell.id, cell.community) if cell else (None, None)
            await session.delete(pending)
        else:
            report.address = text.strip()[:200]
        await session.flush()
        told = await told_about(session, report.id)
        newly = [
            s
            for s in await emergency_staff(session, await place_of(session, report))
            if s.id not in told
        ]
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor=f"resident:{resident.id}",
            action="located",
            detail={"location": location, "address": report.address, "told": [s.id for s in newly]},
            at=self.clock(),
        )
        card = await card_of(session, report)
        already = await staff_rows.staff_by_ids(session=session, ids=sorted(told))
        notices = [
            Notice(
                "emergency_located", s.telegram_id, s.language, report.id, card, priority=EMERGENCY
            )
            for s in already
        ]
        notices += [to_staff(s, "emergency_alert", card, priority=EMERGENCY) for s in newly]
        if location:
            notices += await tell_teams_where(session, report)
        await post(session, notices)
        return Reply("emergency_location_sent", resident, notices=tuple(notices))
