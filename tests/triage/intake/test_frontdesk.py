"""The front desk, called as the conversation calls it: what a resident's free text means,
in order — an emergency first, what the bot waits for, a correction, triage."""

from __future__ import annotations

import pytest
from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import reports as report_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.models import OutboxMessage, Report, ReportDraft
from triage.actors import resident_actor
from triage.answers.desk import AnswerDesk
from triage.desks import DeskContext
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy
from triage.intake import residents
from triage.intake.drafts import Intake
from triage.intake.frontdesk import FrontDesk
from triage.intake.people import Person
from triage.intake.reply import Step
from triage.lifecycle import Status
from triage.reports.notices import NO_CHAT
from triage.understanding.taxonomy import Kind

INSIDE = (30.5415, 114.3320)  # 幸福社区第一网格 (DH-01-01)
FIRE = "楼下着火了，好多烟，快来人"


@pytest.fixture
async def desk(database_url):
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    await load_sample_district(sessions)
    intake = Intake(DeskContext(sessions, DistrictCache(), Policy()))
    yield FrontDesk(sessions, intake, answers=AnswerDesk(sessions, intake))
    await engine.dispose()


async def resident(desk: FrontDesk, telegram_id: int):
    async with transaction(desk.sessions) as session:
        row = await residents.enrol(
            session, Person(telegram_id, telegram_id), default_language="zh", now=desk.clock()
        )
        return resident_actor(row)


async def stored(desk: FrontDesk, table) -> list:
    async with transaction(desk.sessions) as session:
        return list((await session.exec(select(table))).all())


async def test_an_emergency_is_filed_at_once_and_its_place_is_waited_for(desk):
    who = await resident(desk, 801)
    reply = await desk.text(who, FIRE)
    assert reply.say == "emergency"
    [report] = await stored(desk, Report)
    assert (report.kind, report.grid_id) == (Kind.EMERGENCY, None)
    located = await desk.waiting.awaited(who, location=INSIDE)
    assert located.say == "emergency_location_sent"
    async with transaction(desk.sessions) as session:
        report = await session.get(Report, report.id)
        events = [
            e.action for e in await report_rows.history_of(session=session, report_id=report.id)
        ]
    assert report.grid_id is not None and "located" in events


async def test_an_emergency_typed_mid_report_leaves_the_report_waiting(desk):
    who = await resident(desk, 802)
    assert (await desk.text(who, "楼道里堆满了纸箱")).step == Step.LOCATION
    assert (await desk.text(who, FIRE)).say == "emergency"
    [draft] = await stored(desk, ReportDraft)
    assert draft.text == "楼道里堆满了纸箱"


async def test_a_question_the_knowledge_base_knows_is_answered_and_settled(desk):
    who = await resident(desk, 803)
    reply = await desk.text(who, "灭火器多久检查一次？")
    assert reply.say == "faq_answer"
    [report] = await stored(desk, Report)
    assert (report.kind, report.status) == (Kind.QUESTION, Status.CLOSED)


async def test_out_of_scope_is_pointed_to_12345_and_nobody_is_told(desk):
    who = await resident(desk, 804)
    reply = await desk.text(who, "楼上邻居家漏水，滴到我家天花板了")
    assert reply.say == "out_of_scope"
    [report] = await stored(desk, Report)
    assert report.kind == Kind.OUT_OF_SCOPE
    assert [m for m in await stored(desk, OutboxMessage) if m.chat_id != NO_CHAT] == []


async def test_not_this_turns_a_misread_message_into_a_hazard_report(desk):
    who = await resident(desk, 805)
    first = await desk.text(who, "楼上邻居家漏水，滴到我家天花板了")
    menu = await desk.text(who, "不是这个")
    assert (menu.say, menu.values["report_id"]) == ("correction_menu", first.report.id)
    reply = await desk.correct(who, Kind.HAZARD, first.report.id)
    assert reply.step == Step.LOCATION
    [report] = await stored(desk, Report)
    assert report.status == Status.CLOSED  # the misread item, withdrawn
    [draft] = await stored(desk, ReportDraft)
    assert draft.text == "楼上邻居家漏水，滴到我家天花板了"
