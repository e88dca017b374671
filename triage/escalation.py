"""Deadlines that pass: an unacknowledged task climbs the chain, an overdue rectification is
flagged for supervision (督办). Each step is one guarded update, so whichever instance or job
gets there, a step happens once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import queries
from storage.engine import SessionFactory, transaction
from storage.models import Report, Staff
from storage.signals import DEADLINES, touch
from triage import routing
from triage.dispatch import place_of
from triage.lifecycle import Status
from triage.notices import ESCALATION, TASK, Notice, card_of, post, to_staff
from triage.permissions import told_about
from triage.policy import Policy

BATCH = 200


async def escalate_due(sessions: SessionFactory, policy: Policy, now: datetime) -> int:
    """One batch of due reports handled; returns how many (call again while it is a full batch)."""
    async with transaction(sessions) as session:
        due = await queries.due_reports(session=session, now=now, limit=BATCH)
        for report in due:
            if report.status == Status.RESOLVED:
                await _close_after_silence(session, report, policy, now)
            elif report.status == Status.CLOSED:
                await _reinspection_due(session, report, now)
            elif report.status == Status.ACKNOWLEDGED:
                await _rectify_overdue(session, report, now)
            else:
                await _climb(session, report, policy, now)
        if due:
            await touch(session, DEADLINES)
        return len(due)


async def next_deadline(sessions: SessionFactory) -> datetime | None:
    async with transaction(sessions) as session:
        return await queries.next_deadline(session=session)


async def _climb(session: AsyncSession, report: Report, policy: Policy, now: datetime) -> None:
    place = await place_of(session, report)
    step = await routing.first_step(
        session, place, now=now, policy=policy, from_level=report.escalation_level + 1
    )
    overdue = now - (report.ack_deadline_at or report.next_deadline_at)
    if step is None:  # nobody above: the top has been told; stop the clock
        await _guarded(session, report, {"next_deadline_at": None})
        return
    more = step.level < policy.top_level
    values = {
        "escalation_level": step.level,
        "updated_at": now,
        "next_deadline_at": now + policy.escalation_step if more else None,
    }
    if not await _guarded(session, report, values):
        return
    already = await told_about(session, report.id)
    await queries.add_event(
        session=session,
        report_id=report.id,
        actor="system",
        action="escalated",
        at=now,
        detail={
            "level": step.level,
            "told": [s.id for s in step.staff],
            "overdue_seconds": int(overdue.total_seconds()),
        },
    )
    card = await card_of(session, report)
    again = sorted(already) if policy.renotify else []
    everyone = {s.id: s for s in await queries.staff_by_ids(session=session, ids=again)}
    everyone.update({s.id: s for s in step.staff})
    await post(
        session,
        [
            to_staff(
                s,
                "escalation",
                card,
                priority=ESCALATION,
                overdue_seconds=int(overdue.total_seconds()),
                level=step.level,
            )
            for s in everyone.values()
            if s.active
        ],
    )


async def _close_after_silence(
    session: AsyncSession, report: Report, policy: Policy, now: datetime
) -> None:
    """No answer to "fixed?" within the policy's time: taken as fixed."""
    values = {
        "status": Status.CLOSED,
        "closed_at": now,
        "next_deadline_at": policy.reinspection_at(report.kind, report.severity, now),
        "updated_at": now,
    }
    if await _guarded(session, report, values):
        await queries.add_event(
            session=session,
            report_id=report.id,
            actor="system",
            action="closed",
            from_status=Status.RESOLVED,
            to_status=Status.CLOSED,
            at=now,
            detail={"why": "no answer"},
        )


async def _reinspection_due(session: AsyncSession, report: Report, now: datetime) -> None:
    """回头看: the worker who fixed it (or whoever holds the cell now) looks again."""
    if not await _guarded(session, report, {"next_deadline_at": None, "updated_at": now}):
        return
    worker = await session.get(Staff, report.assignee_id) if report.assignee_id else None
    if (worker is None or not worker.active) and report.grid_id is not None:
        on_cell = await queries.workers_of_cell(session=session, grid_id=report.grid_id)
        worker = on_cell[0][1] if on_cell else None
    await queries.add_event(
        session=session,
        report_id=report.id,
        actor="system",
        action="reinspection_due",
        at=now,
        detail={"worker": worker.id if worker else None},
    )
    if worker is not None:
        card = await card_of(session, report)
        await post(session, [to_staff(worker, "reinspection", card, priority=TASK)])


async def _rectify_overdue(session: AsyncSession, report: Report, now: datetime) -> None:
    if not await _guarded(
        session, report, {"supervised": True, "next_deadline_at": None, "updated_at": now}
    ):
        return
    overdue = now - report.rectify_deadline_at if report.rectify_deadline_at else timedelta(0)
    await queries.add_event(
        session=session,
        report_id=report.id,
        actor="system",
        action="rectify_overdue",
        at=now,
        detail={"overdue_seconds": int(overdue.total_seconds())},
    )
    place = await place_of(session, report)
    staff = await queries.community_coordinators(session=session, community=place.community)
    staff += await queries.street_coordinators(session=session, street=place.street)
    assignee = await session.get(Staff, report.assignee_id) if report.assignee_id else None
    card = await card_of(session, report)
    notices: list[Notice] = [
        to_staff(
            s,
            "rectify_overdue",
            card,
            priority=ESCALATION,
            overdue_seconds=int(overdue.total_seconds()),
        )
        for s in ([assignee] if assignee else []) + staff
    ]
    await post(session, notices)


async def _guarded(session: AsyncSession, report: Report, values: dict) -> bool:
    """Only if the report is still exactly as this job read it (state, level, deadline)."""
    won = await queries.advance_deadline(
        session=session,
        report_id=report.id,
        status=report.status,
        level=report.escalation_level,
        deadline=report.next_deadline_at,
        values=values,
    )
    if won:
        for key, value in values.items():
            setattr(report, key, value)
    return won
