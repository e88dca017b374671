"""The return visit (回访): after 办结 the resident says whether it was really fixed, and rates it.

"没解决" reopens the report to the worker with a fresh acknowledgement deadline, and the
resident's next words go to them; "已解决" closes it; silence closes it too (escalation.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage import residents as resident_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, Staff
from storage.types import utcnow
from triage.actors import Actor, resident_actor
from triage.intake import residents
from triage.intake.drafts import Intake
from triage.intake.reply import Reply
from triage.lifecycle import Action, Lifecycle
from triage.reports.notices import TASK, card_of, post, to_staff


class FollowUp:
    def __init__(
        self, sessions: SessionFactory, intake: Intake, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.intake = intake
        self.clock = clock
        self.lifecycle = Lifecycle(intake.context.policy, clock)

    async def fixed(self, who: Actor, report_id: int, fixed: bool) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            report = await self._followed(session, resident.id, report_id)
            if report is None:
                return Reply("visit_gone", resident)
            now = self.clock()
            actor = resident_actor(resident)
            action = Action.CONFIRM if fixed else Action.REOPEN
            moved = await self.lifecycle.transition(session, report, action, actor)
            if not moved.won:
                return Reply("visit_gone", resident)
            if fixed:
                return Reply("visit_thanks", resident, report=report)
            return await self._back_to_worker(session, report, resident, now)

    async def _back_to_worker(self, session, report: Report, resident, now: datetime) -> Reply:
        worker = await session.get(Staff, report.assignee_id) if report.assignee_id else None
        if worker is None:
            return Reply("visit_reopened", resident, report=report)
        card = await card_of(session, report)
        notice = to_staff(worker, "task", card, priority=TASK, reopened=True)
        await post(session, [notice])
        await resident_rows.expect_input(
            session=session,
            telegram_id=resident.telegram_id,
            purpose="answer",
            report_id=report.id,
            detail={"staff_id": worker.id},
            now=now,
        )
        return Reply("visit_reopened", resident, report=report, notices=(notice,))

    async def rate(self, who: Actor, report_id: int, stars: int) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            report = await self._followed(session, resident.id, report_id)
            if report is None or not 1 <= stars <= 5:
                return Reply("visit_gone", resident)
            moved = await self.lifecycle.transition(
                session,
                report,
                Action.RATE,
                resident_actor(resident),
                detail={"stars": stars},
                stars=stars,
            )
            if not moved.won:
                return Reply("visit_gone", resident)
            return Reply("visit_rated", resident, report=report, values={"stars": stars})

    async def _followed(self, session, resident_id: int, report_id: int) -> Report | None:
        """The report, if this resident reported it (or a duplicate merged into it)."""
        report = await session.get(Report, report_id)
        if report is None:
            return None
        followers = await resident_rows.followers_of(session=session, report_id=report.id)
        return report if any(r.id == resident_id for r in followers) else None
