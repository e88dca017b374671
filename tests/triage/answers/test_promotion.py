"""收入知识库 in the domain: who may promote, what the entry is, once only, and every
answering desk (every instance) answering from it on its next question."""

from __future__ import annotations

import asyncio

import pytest

from storage import faq
from storage import reports as report_rows
from storage.engine import transaction
from storage.models import Report, Staff
from triage.actors import Actor, staff_actor
from triage.answers.desk import AnswerDesk
from triage.answers.faq_file import shipped_entries
from triage.answers.faq_table import load_shipped_faq

QUESTION = "灭火器放在阳台上暴晒会不会爆炸？"
ANSWER = "会有危险。灭火器要放在阴凉干燥处，避免暴晒，夏天别放阳台。"


async def person(sessions, telegram_id: int, role: str, **where) -> Actor:
    async with transaction(sessions) as session:
        staff = Staff(telegram_id=telegram_id, name=f"{role}{telegram_id}", role=role, **where)
        session.add(staff)
        await session.flush()
        return staff_actor(staff)


async def answered_question(sessions, text: str = QUESTION, *, kind: str = "question") -> int:
    """A resident's question of 幸福社区 that staff answered; returns the report's id."""
    async with transaction(sessions) as session:
        report = Report(text=text, kind=kind, status="resolved", community="幸福社区")
        await report_rows.add_report(session=session, report=report, actor="resident:1")
        await report_rows.add_event(
            session=session, report_id=report.id, actor="system", action="answered"
        )  # an FAQ answer the resident found no help: not what gets promoted
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor="staff:1",
            action="answered",
            detail={"note": ANSWER},
        )
        return report.id


@pytest.fixture
def desk(sessions) -> AnswerDesk:
    return AnswerDesk(sessions, intake=None)


async def test_one_press_stores_the_question_and_the_answer_once(sessions, desk):
    await load_shipped_faq(sessions)
    coordinator = await person(sessions, 3001, "coordinator", community="幸福社区")
    report_id = await answered_question(sessions)

    done = await desk.promote(coordinator, report_id)
    assert (done.say, done.values, done.refused) == (
        "promote_ok",
        {"entry": "staff-fc-000001"},
        False,
    )
    async with sessions() as session:
        row = await faq.entry_by_slug(session=session, slug="staff-fc-000001")
    assert (row.question_zh, row.answer_zh, row.question_en, row.source) == (
        QUESTION,
        ANSWER,
        "",
        "staff",
    )
    assert row.topic == "extinguisher"  # the nearest entry's

    again = await desk.promote(coordinator, report_id)
    assert (again.say, again.values, again.refused) == (
        "promote_already",
        {"entry": "staff-fc-000001"},
        True,
    )
    async with sessions() as session:
        assert await faq.count_entries(session=session) == len(shipped_entries()) + 1
        events = await report_rows.events_of(
            session=session, report_id=report_id, action="promoted_to_faq"
        )
    assert len(events) == 1


async def test_an_english_question_becomes_an_english_entry(sessions, desk):
    admin = await person(sessions, 9001, "admin")
    report_id = await answered_question(sessions, "Is the fire drill this Saturday?")
    assert (await desk.promote(admin, report_id)).say == "promote_ok"
    async with sessions() as session:
        row = await faq.entry_by_slug(session=session, slug="staff-fc-000001")
    assert (row.question_en, row.answer_en, row.question_zh) == (
        "Is the fire drill this Saturday?",
        ANSWER,
        "",
    )


async def test_the_first_promotion_keeps_the_shipped_entries_the_bot_answered_from(sessions, desk):
    coordinator = await person(sessions, 3001, "coordinator", community="幸福社区")
    report_id = await answered_question(sessions)
    assert (await desk.knowledge()).source.startswith("shipped file")
    await desk.promote(coordinator, report_id)
    kb = await desk.knowledge()
    assert kb.source == "database" and len(kb) == len(shipped_entries()) + 1


@pytest.mark.parametrize(
    ("role", "where", "refusal"),
    [
        ("worker", {}, "promote_not_allowed"),
        ("officer", {}, "promote_not_allowed"),
        ("coordinator", {"community": "和平社区"}, "not_your_task"),
    ],
)
async def test_only_a_coordinator_above_the_question_or_an_admin_may_promote(
    sessions, desk, role, where, refusal
):
    someone = await person(sessions, 2001, role, **where)
    report_id = await answered_question(sessions)
    done = await desk.promote(someone, report_id)
    assert (done.say, done.refused) == (refusal, True)
    async with sessions() as session:
        assert await faq.count_entries(session=session) == 0


async def test_a_report_with_no_staff_answer_has_nothing_to_promote(sessions, desk):
    coordinator = await person(sessions, 3001, "coordinator", community="幸福社区")
    report_id = await answered_question(sessions, "楼道里堆满纸箱", kind="hazard")
    assert (await desk.promote(coordinator, report_id)).say == "promote_nothing"


async def test_every_desk_answers_from_a_promoted_entry_on_its_next_question(sessions):
    """Two desks stand for two instances sharing the database."""
    await load_shipped_faq(sessions)
    here, there = AnswerDesk(sessions, intake=None), AnswerDesk(sessions, intake=None)
    before = await here.knowledge()
    assert await here.knowledge() is before  # unchanged: not built again
    assert before.answer(QUESTION).entry.source == "file"

    coordinator = await person(sessions, 3001, "coordinator", community="幸福社区")
    await there.promote(coordinator, await answered_question(sessions))

    answer = (await here.knowledge()).answer(QUESTION)
    assert answer.confident and answer.entry.id == "staff-fc-000001"
    assert answer.text == ANSWER


async def test_two_coordinators_pressing_at_once_store_one_entry(sessions):
    await load_shipped_faq(sessions)
    community = await person(sessions, 3001, "coordinator", community="幸福社区")
    street = await person(sessions, 3100, "coordinator", street="东湖街道")
    report_id = await answered_question(sessions)
    here, there = AnswerDesk(sessions, intake=None), AnswerDesk(sessions, intake=None)
    await asyncio.gather(here.knowledge(), there.knowledge())
    results = await asyncio.gather(
        here.promote(community, report_id), there.promote(street, report_id)
    )
    assert sorted(r.say for r in results) == ["promote_already", "promote_ok"]
    async with sessions() as session:
        assert await faq.count_entries(session=session) == len(shipped_entries()) + 1
