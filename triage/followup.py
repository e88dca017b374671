"""The return visit (回访): after 办结 the resident says whether it was really fixed, and rates it.

"没解决" reopens the report to the worker with a fresh acknowledgement deadline, and the
resident's next words go to them; "已解决" closes it; silence closes it too (escalation.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage import queries
from storage.engine import SessionFactory, transaction
from storage.models import Report, Staff
from storage.types import utcnow
from triage.intake import Intake, Reply
from triage.lifecycle import Action, Status, allowed_from
from triage.notices import TASK, card_of, post, to_staff
from triage.people import Person


class FollowUp:
    def __init__(
        self, sessions: SessionFactory, intake: Intake, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.intake = intake
        self.clock = clock

    async def fixed(self, person: Person, report_id: int, fixed: bool) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await self.intake.resident_for(session, person)
            report = await self._followed(session, resident.id, report_id)
            if report is None:
                return Reply("visit_gone", resident)
            now = self.clock()
            if fixed:
                again = self.intake.policy.reinspection_at(report.kind, report.severity, now)
                values = {"status": Status.CLOSED, "closed_at": now, "next_deadline_at": again}
                action, event = Action.CLOSE, "confirmed_fixed"
            else:
                deadline = now + self.intake.policy.ack_within(report.kind, report.severity)
                values = {
                    "status": Status.ASSIGNED,
                    "assigned_at": now,
                    "acknowledged_at": None,
                    "resolved_at": None,
                    "ack_deadline_at": deadline,
                    "next_deadline_at": deadline,
                    "reopen_count": report.reopen_count + 1,
                }
                action, event = Action.REOPEN, "reopened"
            previous = report.status
            won = await queries.change_report(
                session=session,
                report_id=report.id,
                from_statuses=allowed_from(action),
                values={**values, "updated_at": now},
            )
            if not won:
                return Reply("visit_gone", resident)
            await queries.add_event(
                session=session,
                report_id=report.id,
                actor=f"resident:{resident.id}",
                action=event,
                from_status=previous,
                to_status=values["status"],
                at=now,
            )
            if fixed:
                return Reply("visit_thanks", resident, report=report)
            await session.refresh(report)
            return await self._back_to_worker(session, report, resident, now)

    async def _back_to_worker(self, session, report: Report, resident, now: datetime) -> Reply:
        worker = await session.get(Staff, report.assignee_id) if report.assignee_id else None
        if worker is None:
            return Reply("visit_reopened", resident, report=report)
        card = await card_of(session, report)
        notice = to_staff(worker, "task", card, priority=TASK, reopened=True)
        await post(session, [notice])
        await queries.expect_input(
            session=session,
            telegram_id=resident.telegram_id,
            purpose="answer",
            report_id=report.id,
            detail={"staff_id": worker.id},
            now=now,
        )
        return Reply("visit_reopened", resident, report=report, notices=(notice,))

    async def rate(self, person: Person, report_id: int, stars: int) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await self.intake.resident_for(session, person)
            report = await self._followed(session, resident.id, report_id)
            if report is None or not 1 <= stars <= 5:
                return Reply("visit_gone", resident)
            report.rating = stars
            await queries.add_event(
                session=session,
                report_id=report.id,
                actor=f"resident:{resident.id}",
                action="rated",
                detail={"stars": stars},
                at=self.clock(),
            )
            return Reply("visit_rated", resident, report=report, values={"stars": stars})

    async def _followed(self, session, resident_id: int, report_id: int) -> Report | None:
        """The report, if this resident reported it (or a duplicate merged into it)."""
        report = await session.get(Report, report_id)
        if report is None:
            return None
        followers = await queries.followers_of(session=session, report_id=report.id)
        return report if any(r.id == resident_id for r in followers) else None
