"""Deadlines as columns: each step happens once, whoever runs it and however often."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import reports as report_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.models import OutboxMessage, Report, ReportEvent, Resident
from storage.types import utcnow
from triage.districts.cache import DistrictCache
from triage.escalation.ladder import escalate_due
from triage.escalation.policy import Policy
from triage.reports.filing import NewReport, create_report
from triage.reports.notices import NO_CHAT
from triage.tasks.desk import StaffDesk

POLICY = Policy(ack=timedelta(minutes=10), escalation_step=timedelta(minutes=10))
INSIDE = (30.5415, 114.3320)


async def filed(sessions, now, text="楼道里有电动车在充电") -> Report:
    await load_sample_district(sessions)
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="小李")
        session.add(resident)
        await session.flush()
        district = await DistrictCache().current(session)
        created = await create_report(
            session,
            resident=resident,
            policy=POLICY,
            now=now,
            district=district,
            new=NewReport(text, *INSIDE),
        )
    return created.report


async def state(sessions, report_id) -> tuple[Report, list[str], int]:
    async with transaction(sessions) as session:
        report = await session.get(Report, report_id)
        events = [
            e.action for e in await report_rows.history_of(session=session, report_id=report_id)
        ]
        notices = len(
            (
                await session.exec(
                    # to people: not the redraws of cards already sent
                    select(OutboxMessage).where(
                        OutboxMessage.report_id == report_id, OutboxMessage.chat_id != NO_CHAT
                    )
                )
            ).all()
        )
    return report, events, notices


async def test_each_level_once_then_a_reminder_every_step_until_taken(sessions):
    now = utcnow()
    report = await filed(sessions, now)
    assert report.escalation_level == 0 and report.next_deadline_at == now + POLICY.ack

    assert await escalate_due(sessions, POLICY, now + timedelta(minutes=9)) == 0
    due = now + timedelta(minutes=10, seconds=1)
    assert await escalate_due(sessions, POLICY, due) == 1
    assert await escalate_due(sessions, POLICY, due) == 0  # the same moment again: nothing
    report, events, _ = await state(sessions, report.id)
    assert report.escalation_level == 1 and events.count("escalated") == 1

    later = due + POLICY.escalation_step
    assert await escalate_due(sessions, POLICY, later) == 1
    report, events, notices = await state(sessions, report.id)
    assert (
        report.escalation_level == 2 and report.next_deadline_at == later + POLICY.escalation_step
    )
    assert events.count("escalated") == 2
    # level 1: worker + community coordinator; level 2: those + street coordinator + officer
    assert notices == 1 + 2 + 4, await notice_kinds(sessions, report.id)

    # The top of the chain: nobody above, so everyone on it is reminded every step
    reminder = later + POLICY.escalation_step
    assert await escalate_due(sessions, POLICY, reminder) == 1
    assert await escalate_due(sessions, POLICY, reminder) == 0  # once a step
    report, events, notices = await state(sessions, report.id)
    assert report.escalation_level == 2 and events[-1] == "reminded"
    assert report.next_deadline_at == reminder + POLICY.escalation_step
    assert notices == 1 + 2 + 4 + 4, await notice_kinds(sessions, report.id)

    desk = StaffDesk(sessions, POLICY, clock=lambda: reminder + timedelta(minutes=1))
    assert not (await desk.acknowledge(await desk.actor_for(2001), report.id)).refused
    assert await escalate_due(sessions, POLICY, reminder + POLICY.escalation_step) == 0
    _, events, _ = await state(sessions, report.id)
    assert events.count("reminded") == 1  # taken: no more reminders


async def test_acknowledging_stops_the_climb_and_starts_the_rectify_clock(sessions):
    now = utcnow()
    report = await filed(sessions, now)
    desk = StaffDesk(sessions, POLICY, clock=lambda: now + timedelta(minutes=3))
    outcome = await desk.acknowledge(await desk.actor_for(2001), report.id)
    assert not outcome.refused
    assert await escalate_due(sessions, POLICY, now + timedelta(minutes=30)) == 0
    report, events, _ = await state(sessions, report.id)
    assert "escalated" not in events and report.escalation_level == 0

    overdue = now + timedelta(hours=25)  # high severity: 24 h to fix
    assert await escalate_due(sessions, POLICY, overdue) == 1
    report, events, _ = await state(sessions, report.id)
    assert report.supervised and events[-1] == "rectify_overdue"
    assert await escalate_due(sessions, POLICY, overdue) == 0


async def test_two_instances_escalate_every_item_exactly_once(database_url):
    first, second = make_engine(database_url), make_engine(database_url)
    a, b = make_session_factory(first), make_session_factory(second)
    now = utcnow()
    await load_sample_district(a)
    async with transaction(a) as session:
        resident = Resident(telegram_id=78, chat_id=78, name="小王")
        session.add(resident)
        await session.flush()
        district = await DistrictCache().current(session)
        for i in range(60):
            await create_report(
                session,
                resident=resident,
                policy=POLICY,
                now=now,
                district=district,
                new=NewReport(f"楼道里有电动车在充电 {i}", *spread(i)),
            )
    due = now + timedelta(minutes=11)
    counts = await asyncio.gather(*(escalate_due(s, POLICY, due) for s in (a, b, a, b)))
    assert sum(counts) == 60
    async with transaction(a) as session:
        levels = (await session.exec(select(Report.escalation_level))).all()
        escalated = await session.exec(select(ReportEvent).where(ReportEvent.action == "escalated"))
        assert len(escalated.all()) == 60
    assert set(levels) == {1}
    await first.dispose()
    await second.dispose()


def spread(i: int) -> tuple[float, float]:
    """Sixty points over the sample grid, over 100 m apart (no duplicates merged)."""
    return 30.5405 + (i // 10) * 0.0018, 114.3305 + (i % 10) * 0.0013


async def notice_kinds(sessions, report_id) -> list[tuple[int, str]]:
    async with transaction(sessions) as session:
        rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.report_id == report_id))
        ).all()
    return [(r.chat_id, r.payload["kind"]) for r in rows]
