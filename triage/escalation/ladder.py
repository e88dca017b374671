"""Deadlines that pass: an unacknowledged task climbs the chain, an overdue rectification is
flagged for supervision (督办). Each step is one guarded update, so whichever instance or job
gets there, a step happens once."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import deadlines as deadline_rows
from storage import grid as grid_rows
from storage import staff as staff_rows
from storage import teams as team_rows
from storage.engine import SessionFactory, transaction
from storage.models import GridCell, Report, Staff
from storage.signals import DEADLINES, touch
from triage.circle.calls import calls_due
from triage.escalation import routing
from triage.escalation.dispatch import place_of
from triage.escalation.policy import Policy
from triage.fieldwork import campaigns
from triage.lifecycle import Action, Lifecycle, Status
from triage.permissions import told_about_each
from triage.reports.notices import ESCALATION, TASK, Notice, card_from, card_of, post, to_staff

BATCH = 200
DIGEST = "escalation_digest"  # a notice listing several escalated reports
# At the top of the chain, reminders every step, but never more often than this (a step of
# seconds, as in a demo, would otherwise flood everyone on the task)
REMIND_AT_MOST_EVERY = timedelta(minutes=1)
CLIMBING = (Status.NEW, Status.ASSIGNED)


@dataclass
class _Plan:
    report: Report
    step: routing.Step | None  # None: nobody above; the clock stops
    overdue: timedelta  # past the acknowledgement deadline
    waited: timedelta  # since it was put in someone's hands, with nobody taking it
    reminded: list[int] = dataclasses.field(default_factory=list)  # everyone told so far


async def escalate_due(sessions: SessionFactory, policy: Policy, now: datetime) -> int:
    """One batch of due reports handled; returns how many (call again while it is a full batch)."""
    async with transaction(sessions) as session:
        due = await deadline_rows.due_reports(session=session, now=now, limit=BATCH)
        await _climb(session, [r for r in due if r.status in CLIMBING], policy, now)
        for report in due:
            if report.status == Status.RESOLVED:
                await _close_after_silence(session, report, policy, now)
            elif report.status == Status.CLOSED:
                await _reinspection_due(session, report, policy, now)
            elif report.status == Status.ACKNOWLEDGED:
                await _rectify_overdue(session, report, policy, now)
        passed = await calls_due(session, policy, now)  # patrol teams that did not set off
        reminded = await campaigns.reminders_due(session, policy, now)  # campaigns behind pace
        if due or passed or reminded:
            await touch(session, DEADLINES)
        return max(len(due), passed)


async def next_deadline(sessions: SessionFactory) -> datetime | None:
    async with transaction(sessions) as session:
        reports = await deadline_rows.next_deadline(session=session)
        teams = await team_rows.next_call_deadline(session=session)
        reminder = await campaigns.next_reminder(session)
    return min((d for d in (reports, teams, reminder) if d is not None), default=None)


async def _climb(
    session: AsyncSession, reports: list[Report], policy: Policy, now: datetime
) -> None:
    """Unacknowledged tasks one level up, all of the batch at once: a round trip per report
    would cap escalation far below the rate deadlines can fall at."""
    if not reports:
        return
    steps = _Steps(session, policy, now)
    plans = [
        _Plan(
            r,
            await steps.above(r),
            overdue=now - (r.ack_deadline_at or r.next_deadline_at),
            waited=now - (r.assigned_at or r.created_at),
        )
        for r in reports
    ]
    moving = [p for p in plans if p.step is not None or _at_the_top(p)]
    told = await told_about_each(session, [p.report.id for p in moving])
    for plan in moving:
        plan.reminded = sorted(told[plan.report.id])
    won = await _advance(session, plans, policy, now)
    climbed = [p for p in plans if p.report.id in won and p.step is not None]
    reminded = [p for p in plans if p.report.id in won and _at_the_top(p)]
    if not climbed and not reminded:
        return
    wanted = {p.report.assignee_id for p in climbed + reminded} - {None}
    wanted |= set().union(*(told[p.report.id] for p in climbed + reminded))
    staff = {s.id: s for s in await staff_rows.staff_by_ids(session=session, ids=sorted(wanted))}
    notices: list[Notice] = []
    for plan in climbed + reminded:
        report = plan.report
        card = card_from(report, steps.cells.get(report.grid_id), staff.get(report.assignee_id))
        already = [staff[i] for i in sorted(told[report.id]) if i in staff]
        if plan.step is None:  # nobody above: everyone on it is reminded, every step
            notices += _reminders(plan, card, already)
        else:
            notices += _escalation_notices(plan, card, already if policy.renotify else [])
    await post(session, digested(notices))


def _at_the_top(plan: _Plan) -> bool:
    """Escalated as far as the chain goes, and still nobody took it."""
    return plan.step is None and plan.report.escalation_level > 0


class _Steps:
    """The next staffed level of each report's chain; reports on the same cell at the same
    level share one lookup."""

    def __init__(self, session: AsyncSession, policy: Policy, now: datetime):
        self.session, self.policy, self.now = session, policy, now
        # Held here, not only in the session's identity map, which lets go of what nothing
        # references: the cards read them again afterwards.
        self.cells: dict[int, GridCell | None] = {}
        self._places: dict[tuple[int | None, str | None], routing.Place] = {}
        self._steps: dict[tuple[routing.Place, int], routing.Step | None] = {}

    async def above(self, report: Report) -> routing.Step | None:
        key = (report.grid_id, report.community)
        if key not in self._places:
            if report.grid_id is not None:
                self.cells[report.grid_id] = await grid_rows.grid_cell_by_id(
                    session=self.session, grid_id=report.grid_id
                )
            self._places[key] = await place_of(self.session, report)
        level = report.escalation_level + 1
        place = self._places[key]
        if (place, level) not in self._steps:
            self._steps[place, level] = await routing.first_step(
                self.session, place, now=self.now, policy=self.policy, from_level=level
            )
        return self._steps[place, level]


async def _advance(
    session: AsyncSession, plans: list[_Plan], policy: Policy, now: datetime
) -> set[int]:
    """The guarded updates, one statement per group of reports read in the same state and
    moving to the same values; the ids that won. Escalations and reminders are events;
    a chain with nobody above stops its clock quietly."""
    lifecycle = Lifecycle(policy, lambda: now)
    won: set[int] = set()
    for action, wanted in (
        (Action.ESCALATE, [p for p in plans if p.step is not None]),
        (Action.REMIND, [p for p in plans if _at_the_top(p)]),
    ):
        moves = [(p.report, _climb_values(p, policy, now), _detail(p)) for p in wanted]
        won |= await lifecycle.advance(session, action, moves)
    quiet = [(p.report, {"next_deadline_at": None}, {}) for p in plans if _nobody(p)]
    won |= await lifecycle.advance(session, Action.STALL, quiet)
    return won


def _nobody(plan: _Plan) -> bool:
    """Nobody above, and nobody was ever put on it: the clock stops (logged at dispatch)."""
    return plan.step is None and not _at_the_top(plan)


def _climb_values(plan: _Plan, policy: Policy, now: datetime) -> dict:
    """One level up, and the next step's deadline; at the top, the next reminder's (every
    step until someone takes it). Nobody in the chain at all: the clock stops."""
    if plan.step is None:
        if not _at_the_top(plan):
            return {"next_deadline_at": None}
        again = max(policy.escalation_step, REMIND_AT_MOST_EVERY)
        return {"updated_at": now, "next_deadline_at": now + again}
    return {
        "escalation_level": plan.step.level,
        "updated_at": now,
        "next_deadline_at": now + policy.escalation_step,
    }


def _detail(plan: _Plan) -> dict:
    """What the history keeps of an escalation (who was told) or a reminder (who again)."""
    if plan.step is not None:
        return {
            "level": plan.step.level,
            "told": [s.id for s in plan.step.staff],
            "overdue_seconds": int(plan.overdue.total_seconds()),
        }
    return {
        "level": plan.report.escalation_level,
        "reminded": plan.reminded,
        "waited_seconds": int(plan.waited.total_seconds()),
    }


def _reminders(plan: _Plan, card: dict, told: list[Staff]) -> list[Notice]:
    return _tell(plan, card, told, level=plan.report.escalation_level, reminder=True)


def _escalation_notices(plan: _Plan, card: dict, already: list[Staff]) -> list[Notice]:
    """The new level, and (when the policy renotifies) everyone told before, once each."""
    everyone = {s.id: s for s in already}
    everyone.update({s.id: s for s in plan.step.staff})
    return _tell(plan, card, list(everyone.values()), level=plan.step.level)


def _tell(plan: _Plan, card: dict, staff: list[Staff], **extra) -> list[Notice]:
    """An escalation card to each active one: how long it is overdue and waited, its level."""
    return [
        to_staff(
            s,
            "escalation",
            card,
            priority=ESCALATION,
            overdue_seconds=int(plan.overdue.total_seconds()),
            waited_seconds=int(plan.waited.total_seconds()),
            **extra,
        )
        for s in staff
        if s.active
    ]


def digested(notices: list[Notice]) -> list[Notice]:
    """Several escalations to one person at once (a storm, a shift change) go as one list:
    a card each would reach them one a second and bury what came before."""
    by_chat: dict[int, list[Notice]] = defaultdict(list)
    for notice in notices:
        by_chat[notice.chat_id].append(notice)
    merged = []
    for group in by_chat.values():
        if len(group) == 1:
            merged += group
            continue
        first = group[0]
        items = [_digest_item(n) for n in group]
        merged.append(
            dataclasses.replace(
                first, kind=DIGEST, card={"report_id": first.report_id}, extra={"items": items}
            )
        )
    return merged


def _digest_item(notice: Notice) -> dict:
    card = notice.card
    return {
        "report_id": card["report_id"],
        "reference": card["reference"],
        "kind": card["kind"],
        "category": card["category"],
        "grid": card["grid"] or card["community"],
        "address": card["address"],
        "waited_seconds": notice.extra.get("waited_seconds", 0),
        "level": notice.extra.get("level"),
    }


async def _close_after_silence(
    session: AsyncSession, report: Report, policy: Policy, now: datetime
) -> None:
    """No answer to "fixed?" within the policy's time: taken as fixed."""
    await _due(session, report, Action.CLOSE, policy, now, {"why": "no answer"})


async def _reinspection_due(
    session: AsyncSession, report: Report, policy: Policy, now: datetime
) -> None:
    """回头看: the worker who fixed it (or whoever holds the cell now) looks again."""
    worker = await session.get(Staff, report.assignee_id) if report.assignee_id else None
    if (worker is None or not worker.active) and report.grid_id is not None:
        on_cell = await staff_rows.workers_of_cell(session=session, grid_id=report.grid_id)
        worker = on_cell[0][1] if on_cell else None
    detail = {"worker": worker.id if worker else None}
    if await _due(session, report, Action.REINSPECTION_DUE, policy, now, detail) and worker:
        card = await card_of(session, report)
        await post(session, [to_staff(worker, "reinspection", card, priority=TASK)])


async def _rectify_overdue(
    session: AsyncSession, report: Report, policy: Policy, now: datetime
) -> None:
    overdue = now - report.rectify_deadline_at if report.rectify_deadline_at else timedelta(0)
    detail = {"overdue_seconds": int(overdue.total_seconds())}
    if not await _due(session, report, Action.RECTIFY_OVERDUE, policy, now, detail):
        return
    place = await place_of(session, report)
    staff = await staff_rows.community_coordinators(session=session, community=place.community)
    staff += await staff_rows.street_coordinators(session=session, street=place.street)
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


async def _due(
    session: AsyncSession, report: Report, action: Action, policy: Policy, now: datetime, detail
) -> bool:
    """Only if the report is still as this job read it (state, level, deadline passed)."""
    lifecycle = Lifecycle(policy, lambda: now)
    return report.id in await lifecycle.advance(session, action, [(report, None, detail)])
