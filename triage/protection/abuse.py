"""Marking a resident as abusive (标记骚扰). A worker flags it from the task card; the
community's coordinators (else the street's) get the card with 确认/驳回; confirmed, the
resident is blocked and the report closed as harassment. Staff may also block and unblock
from the command line. A blocked resident's messages are kept but create no tasks
(triage.intake.limits); an emergency from them is still answered and alerted (triage.intake.frontdesk).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, ReportEvent, Resident, Staff
from storage.types import utcnow
from triage.actors import Actor
from triage.escalation.policy import Policy
from triage.lifecycle import TABLE, Action, Lifecycle
from triage.permissions import above_in_chain, street_of
from triage.reports.notices import TASK, Notice, card_of, post, to_staff
from triage.tasks.outcome import Outcome, refused

FLAGGED, CONFIRMED, REJECTED = (
    TABLE[a].event for a in (Action.FLAG_ABUSE, Action.CONFIRM_ABUSE, Action.REJECT_ABUSE)
)
CONFIRMERS = ("coordinator", "admin")
REVIEW = "abuse"  # the card's "review" mark: the task message offers 确认/驳回


class AbuseError(Exception):
    """A block or unblock that cannot be done; the message is one line for the user."""


async def block(
    sessions: SessionFactory, *, telegram_id: int, reason: str | None, by: str, now: datetime
) -> tuple[Resident, bool]:
    """Block a resident; False if they already were (their first block is kept)."""
    async with transaction(sessions) as session:
        resident = await _resident(session, telegram_id)
        if resident.blocked_at is not None:
            return resident, False
        resident.blocked_at, resident.blocked_by, resident.blocked_reason = now, by, reason
        return resident, True


async def unblock(sessions: SessionFactory, *, telegram_id: int) -> tuple[Resident, bool]:
    """Lift a block; False if there was none."""
    async with transaction(sessions) as session:
        resident = await _resident(session, telegram_id)
        was = resident.blocked_at is not None
        resident.blocked_at = resident.blocked_by = resident.blocked_reason = None
        return resident, was


async def _resident(session: AsyncSession, telegram_id: int) -> Resident:
    resident = await resident_rows.resident_by_telegram_id(session=session, telegram_id=telegram_id)
    if resident is None:
        raise AbuseError(f"no resident with Telegram id {telegram_id} has written to the bot")
    return resident


class AbuseDesk:
    def __init__(
        self, sessions: SessionFactory, policy: Policy, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.clock = clock
        self.lifecycle = Lifecycle(policy, clock)

    async def flag(self, actor: Actor, report_id: int) -> Outcome:
        """标记骚扰 on a task: asks the coordinators above it to confirm."""
        async with transaction(self.sessions) as session:
            staff = actor
            report = await session.get(Report, report_id)
            why = await self.lifecycle.refusal(session, report, Action.FLAG_ABUSE, actor)
            if why is not None:
                return refused(actor, why)
            resident = await _resident_of(session, report)
            if resident is None:
                return _refused(staff, "no_resident")
            if resident.blocked_at is not None:
                return _refused(staff, "abuse_already_blocked")
            if await _pending_flag(session, report) is not None:
                return _refused(staff, "abuse_already_flagged")
            street = await street_of(session, report)
            confirmers = await staff_rows.community_coordinators(
                session=session, community=report.community
            ) or await staff_rows.street_coordinators(session=session, street=street)
            if not confirmers:
                return _refused(staff, "abuse_nobody")
            await self.lifecycle.transition(
                session,
                report,
                Action.FLAG_ABUSE,
                actor,
                detail={"told": [c.id for c in confirmers]},
            )
            card = {**await card_of(session, report), "review": REVIEW}
            notices = [
                to_staff(c, "task", card, priority=TASK, flagged_by=staff.name) for c in confirmers
            ]
            await post(session, notices)
            return Outcome("abuse_flag_sent", staff.language, notices=tuple(notices))

    async def confirm(self, actor: Actor, report_id: int) -> Outcome:
        """确认: the resident is blocked and the report closed as harassment."""
        async with transaction(self.sessions) as session:
            staff, report, flag, refused = await self._review(session, actor, report_id)
            if refused is not None:
                return refused
            now = self.clock()
            await self.lifecycle.transition(
                session,
                report,
                Action.CONFIRM_ABUSE,
                staff,
                detail={"flagged_by": flag.actor, "resident": report.resident_id},
            )
            resident = await _resident_of(session, report)
            if resident is not None and resident.blocked_at is None:
                resident.blocked_at, resident.blocked_by = now, staff.ref
                resident.blocked_reason = f"harassment ({report.reference})"
            await self._tell_flagger(session, report, flag, staff, "abuse_confirmed")
            return Outcome("abuse_confirmed_ok", staff.language, {"reference": report.reference})

    async def reject(self, actor: Actor, report_id: int) -> Outcome:
        """驳回: the task goes on as before; whoever flagged it is told."""
        async with transaction(self.sessions) as session:
            staff, report, flag, refused = await self._review(session, actor, report_id)
            if refused is not None:
                return refused
            await self.lifecycle.transition(
                session, report, Action.REJECT_ABUSE, staff, detail={"flagged_by": flag.actor}
            )
            await self._tell_flagger(session, report, flag, staff, "abuse_rejected")
            return Outcome("abuse_rejected_ok", staff.language, {"reference": report.reference})

    async def _review(self, session: AsyncSession, staff: Actor, report_id: int):
        """The coordinator's press: who, which report, the flag it answers, or why not."""
        report = await session.get(Report, report_id)
        flag = None
        if staff is None or not staff.is_staff or not staff.active:
            return staff, report, flag, _refused(staff, "not_staff")
        if staff.role not in CONFIRMERS:
            return staff, report, flag, _refused(staff, "abuse_not_allowed")
        if report is None:
            return staff, report, flag, _refused(staff, "task_gone")
        if not above_in_chain(staff, report, await street_of(session, report)):
            return staff, report, flag, _refused(staff, "not_your_task")
        flag = await _pending_flag(session, report)
        if flag is None:
            return staff, report, flag, _refused(staff, "abuse_decided", reference=report.reference)
        return staff, report, flag, None

    async def _tell_flagger(
        self, session: AsyncSession, report: Report, flag: ReportEvent, by: Staff, kind: str
    ) -> None:
        flagger_id = int(flag.actor.removeprefix("staff:"))
        flagger = await session.get(Staff, flagger_id)
        if flagger is None or flagger.id == by.id or not flagger.active:
            return
        card = await card_of(session, report)
        extra = {"staff": by.name, "role": by.role}
        notice = Notice(kind, flagger.telegram_id, flagger.language, report.id, card, extra, TASK)
        await post(session, [notice])


async def _resident_of(session: AsyncSession, report: Report) -> Resident | None:
    return await session.get(Resident, report.resident_id) if report.resident_id else None


async def _pending_flag(session: AsyncSession, report: Report) -> ReportEvent | None:
    """The flag still waiting for a coordinator's word, if any."""
    events = await report_rows.events_of_reports(
        session=session, report_ids=[report.id], actions=(FLAGGED, CONFIRMED, REJECTED)
    )
    return events[-1] if events and events[-1].action == FLAGGED else None


def _refused(staff: Staff | None, key: str, values: dict | None = None, **more) -> Outcome:
    language = staff.language if staff is not None else "zh"
    return Outcome(key, language, {**(values or {}), **more}, refused=True)
