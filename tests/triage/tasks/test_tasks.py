"""The staff desk, called as any surface calls it: with an Actor, against a real database."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import cards as card_rows
from storage import outbox
from storage import reports as report_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.models import OutboxMessage, Report, Resident
from storage.outbox import NOTICE
from storage.types import utcnow
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy
from triage.lifecycle import Action, Lifecycle, Status
from triage.reports.filing import NewReport, create_report
from triage.reports.notices import CARDS
from triage.tasks.desk import StaffDesk
from triage.tasks.steps import order_terms

POLICY = Policy()
INSIDE = (30.5415, 114.3320)  # 幸福社区第一网格 (DH-01-01): 王建国 (2001)


@pytest.fixture
async def desk(database_url):
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    await load_sample_district(sessions)
    yield StaffDesk(sessions, POLICY)
    await engine.dispose()


async def filed(desk: StaffDesk, text="楼道里有电动车在充电", where=INSIDE, address=None) -> Report:
    async with transaction(desk.sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="小李")
        session.add(resident)
        await session.flush()
        new = NewReport(text, *(where or (None, None)), address=address)
        if address:
            new.community = "幸福社区"
        created = await create_report(
            session,
            resident=resident,
            new=new,
            policy=POLICY,
            now=utcnow(),
            district=await DistrictCache().current(session),
        )
    return created.report


async def current(desk: StaffDesk, report_id: int) -> tuple[Report, list[str]]:
    async with transaction(desk.sessions) as session:
        report = await session.get(Report, report_id)
        events = [
            e.action for e in await report_rows.history_of(session=session, report_id=report_id)
        ]
    return report, events


async def test_acknowledge_then_resolve_with_a_note_and_a_photo(desk):
    report = await filed(desk)
    worker = await desk.actor_for(2001)
    outcome = await desk.acknowledge(worker, report.id)
    assert outcome.say == "acknowledged_ok" and "resolve" in outcome.card["actions"]
    assert (await desk.start_resolving(worker, report.id)).say == "resolve_prompt"
    assert (await desk.staff_input(worker, "已清理", None)).say == "resolve_need_photo"
    done = await desk.staff_input(worker, None, "photo-1")
    assert done.say == "resolved_ok" and [n.kind for n in done.notices] == ["resolved"]
    assert done.notices[0].extra["note"] and done.notices[0].extra["photos"] == ["photo-1"]
    report, events = await current(desk, report.id)
    assert report.status == Status.RESOLVED
    assert events == ["created", "assigned", "acknowledged", "resolved"]


async def test_a_press_by_someone_off_the_task_changes_nothing(desk):
    report = await filed(desk)
    other_community = await desk.actor_for(3002)
    outcome = await desk.acknowledge(other_community, report.id)
    assert outcome.refused and outcome.say == "not_your_task"
    assert (await desk.acknowledge(None, report.id)).say == "not_staff"
    assert (await current(desk, report.id))[0].status == Status.ASSIGNED


async def test_a_worker_hands_back_to_the_coordinators_above(desk):
    report = await filed(desk)
    worker = await desk.actor_for(2001)
    choices = await desk.handover_choices(worker, report.id)
    assert choices.say == "handover_choose" and choices.values["worker"]
    outcome = await desk.hand_over(worker, report.id, "n")  # 不是我的网格: at once
    assert outcome.say == "handover_ok" and outcome.values["to"] == "孙红梅"
    report, events = await current(desk, report.id)
    assert report.escalation_level == 1 and events[-1] == "handed_over"


async def test_a_coordinator_places_a_report_on_no_grid(desk):
    report = await filed(desk, "7栋楼道堆满纸箱", where=None, address="幸福社区7栋")
    assert report.grid_id is None and report.escalation_level == 1
    coordinator = await desk.actor_for(3001)
    choices = await desk.handover_choices(coordinator, report.id)
    assert choices.say == "assign_choose" and not choices.values["worker"]
    grid = next(t for t, name in choices.values["choices"] if name == "幸福社区第二网格")
    assert (await desk.hand_over(coordinator, report.id, grid)).say == "handover_reason_prompt"
    outcome = await desk.staff_input(coordinator, "7栋归第二网格", None)
    assert outcome.say == "handover_ok" and outcome.values["to"] == "李秀英"
    report, _ = await current(desk, report.id)
    assert report.grid_id is not None and report.community == "幸福社区"
    assert report.escalation_level == 0 and report.status == Status.ASSIGNED


async def test_a_forged_target_is_refused_before_a_reason_is_asked(desk):
    report = await filed(desk)
    worker = await desk.actor_for(2001)
    for forged in ("999999", "g999999"):
        outcome = await desk.hand_over(worker, report.id, forged)
        assert outcome.refused and outcome.say == "handover_outside"


def test_order_terms_read_a_time_and_what_to_do():
    default = timedelta(hours=72)
    assert order_terms("3天 更换老化电线", default) == (timedelta(days=3), "更换老化电线")
    assert order_terms("12 hours: clear the corridor", default) == (
        timedelta(hours=12),
        "clear the corridor",
    )
    assert order_terms("更换老化电线", default) == (default, "更换老化电线")
    assert order_terms("0天 清理", default) == (default, "清理")


async def redraw_notices(desk: StaffDesk, report_id: int) -> int:
    async with transaction(desk.sessions) as session:
        rows = (
            await session.exec(select(OutboxMessage).where(OutboxMessage.report_id == report_id))
        ).all()
    return sum(1 for row in rows if row.method == NOTICE and row.payload["kind"] == CARDS)


async def test_a_report_filed_and_assigned_at_once_asks_for_no_redraw_of_cards(desk):
    """Its cards are sent after the commit: a redraw asked for in the same transaction would
    find none. A change after that redraws them."""
    report = await filed(desk)
    assert report.status == Status.ASSIGNED
    assert await redraw_notices(desk, report.id) == 0
    await desk.acknowledge(await desk.actor_for(2001), report.id)
    assert await redraw_notices(desk, report.id) == 1


async def test_a_change_after_filing_in_the_same_transaction_asks_for_the_redraw(desk):
    """The task card goes out worded as the report was assigned: a later change in that
    transaction (none does it today) must still have it drawn again."""
    worker = await desk.actor_for(2001)
    async with transaction(desk.sessions) as session:
        resident = Resident(telegram_id=78, chat_id=78, name="小王")
        session.add(resident)
        await session.flush()
        created = await create_report(
            session,
            resident=resident,
            new=NewReport("楼道里有电动车在充电", *INSIDE),
            policy=POLICY,
            now=utcnow(),
            district=await DistrictCache().current(session),
        )
        lifecycle = Lifecycle(POLICY, utcnow)
        moved = await lifecycle.transition(session, created.report, Action.ACKNOWLEDGE, worker)
    assert moved.won
    assert await redraw_notices(desk, created.report.id) == 1


async def delivered(desk: StaffDesk, report_id: int, *cards: tuple[int, int]) -> None:
    """The report's messages sent and its cards (chat, message id) remembered, as the sender
    leaves them once it has recorded how sending went."""
    async with transaction(desk.sessions) as session:
        await session.exec(
            update(OutboxMessage)
            .where(OutboxMessage.report_id == report_id)
            .values(status=outbox.SENT)
        )
        await card_rows.remember(
            session=session, cards=[(report_id, chat, message, utcnow()) for chat, message in cards]
        )


async def test_a_press_on_the_reports_only_card_leaves_its_redraw_to_the_press(desk, database_url):
    """The press draws its card itself: the sender drawing it again would say the same. On
    PostgreSQL the sender still does: a card worded by another transaction while this one
    was open could be written after its reads (storage.cards.only_card)."""
    report = await filed(desk)
    await delivered(desk, report.id, (2001, 5))
    outcome = await desk.acknowledge(await desk.actor_for(2001), report.id, card=(2001, 5))
    assert not outcome.refused and outcome.card["status"] == Status.ACKNOWLEDGED
    postgresql = database_url.startswith("postgresql")
    assert await redraw_notices(desk, report.id) == (1 if postgresql else 0)


@pytest.mark.parametrize(
    "cards, on_its_way",
    [
        ([(2001, 5), (3001, 9)], False),  # a coordinator's card of it too
        ([(2001, 5), (2001, 7)], False),  # the worker's card from /tasks as well
        ([(2001, 5)], True),  # something of the report not sent yet (its card, an edit)
        ([], True),  # the card pressed not remembered yet: its row still being sent
    ],
    ids=["another-chat", "another-card", "on-its-way", "not-remembered"],
)
async def test_the_sender_draws_the_cards_unless_the_pressed_one_is_all_there_is(
    desk, cards, on_its_way
):
    report = await filed(desk)
    if not on_its_way:
        await delivered(desk, report.id, *cards)
    else:
        async with transaction(desk.sessions) as session:
            await card_rows.remember(
                session=session, cards=[(report.id, c, m, utcnow()) for c, m in cards]
            )
    await desk.acknowledge(await desk.actor_for(2001), report.id, card=(2001, 5))
    assert await redraw_notices(desk, report.id) == 1


async def test_a_press_that_names_no_card_has_them_all_drawn_by_the_sender(desk):
    """The console's 接单, or a card Telegram no longer shows (too old to have a chat)."""
    report = await filed(desk)
    await delivered(desk, report.id, (2001, 5))
    await desk.acknowledge(await desk.actor_for(2001), report.id)
    assert await redraw_notices(desk, report.id) == 1
    await desk.draw_cards_again(report.id)  # a press that could not draw its card
    assert await redraw_notices(desk, report.id) == 2
