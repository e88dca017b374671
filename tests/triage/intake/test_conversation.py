"""The one way in, called as any surface calls it: a Person becomes a Visit once, and each
message goes to the desk that owns it — against a real database, without Telegram."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import residents as resident_rows
from storage.engine import make_engine, make_session_factory, transaction, unit_of_work
from storage.models import Report, ReportDraft, Resident, Survey, SurveyAnswer, SurveyRecipient
from tests.statements import Statements
from triage.answers.desk import AnswerDesk
from triage.broadcasts import BroadcastDesk
from triage.desks import DeskContext
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy
from triage.intake.conversation import STAFF_HELP, Conversation
from triage.intake.drafts import Intake
from triage.intake.frontdesk import FrontDesk
from triage.intake.limits import SILENT, TRY_LATER, Limits
from triage.intake.people import Person
from triage.intake.reply import Step
from triage.surveys.desk import Asked, SurveyDesk
from triage.tasks.desk import StaffDesk
from triage.tasks.outcome import Outcome
from triage.understanding.classify import classify
from triage.understanding.taxonomy import Kind

INSIDE = (30.5415, 114.3320)  # 幸福社区第一网格 (DH-01-01)
WORKER = 2001  # 王建国, a worker of the sample district
FIRE = "楼下着火了，好多烟，快来人"


@pytest.fixture
async def door(database_url):
    engine = make_engine(database_url)
    sessions = make_session_factory(engine)
    await load_sample_district(sessions)
    policy = Policy()
    intake = Intake(
        DeskContext(sessions, DistrictCache(), policy), limits=Limits(messages_per_minute=3)
    )
    frontdesk = FrontDesk(sessions, intake, answers=AnswerDesk(sessions, intake))
    broadcasts = BroadcastDesk(sessions, wording=None)
    staff = StaffDesk(sessions, policy)
    yield Conversation(sessions, intake, frontdesk, staff, broadcasts, surveys=SurveyDesk(sessions))
    await engine.dispose()


async def rows(door: Conversation, table) -> list:
    async with transaction(door.sessions) as session:
        return list((await session.exec(select(table))).all())


async def test_a_newcomer_becomes_a_resident_once_and_keeps_the_name_the_chat_reports(door):
    first = await door.enter(Person(901, 901, name="小李", language_code="en-GB"))
    again = await door.enter(Person(901, 901, name="李明"))
    assert first.staff is None and first.resident.id == again.resident.id
    assert (first.resident.language, again.resident.name) == ("en", "李明")
    [resident] = await rows(door, Resident)
    assert (resident.telegram_id, resident.name) == (901, "李明")


async def test_staff_are_found_as_staff_and_not_enrolled_as_residents(door):
    visit = await door.enter(Person(WORKER, WORKER, name="王建国"), text="你好", counted=True)
    assert (visit.staff.role, visit.staff.name, visit.resident) == ("worker", "王建国", None)
    assert len(visit.staff.grids) == 1  # the scope a console or Open311 would check too
    assert await rows(door, Resident) == []
    said = await door.text(visit, "在吗")
    assert isinstance(said, Outcome) and said.say == STAFF_HELP
    assert await rows(door, Report) == []


async def test_a_message_is_read_once_and_the_reading_goes_with_it(door):
    visit = await door.enter(Person(902, 902), text=FIRE, counted=True)
    assert visit.label == classify(FIRE) and visit.label.kind == Kind.EMERGENCY
    reply = await door.text(visit, FIRE, "902:1")
    assert reply.say == "emergency"
    [report] = await rows(door, Report)
    assert (report.kind, report.sources) == (Kind.EMERGENCY, {"902:1": FIRE})


async def test_past_the_limit_a_message_is_held_but_an_emergency_never_is(door):
    person = Person(903, 903)
    held = [(await door.enter(person, text="你好", counted=True)).held for _ in range(5)]
    assert held == [None, None, None, TRY_LATER, SILENT]
    assert (await door.enter(person, text=FIRE, counted=True)).held is None
    assert (await door.enter(person)).held is None  # a press is not counted


async def test_a_hazard_is_written_as_a_draft_and_filed_by_the_photos_step(door):
    visit = await door.enter(Person(904, 904), text="楼道里有电动车在充电", counted=True)
    reply = await door.text(visit, "楼道里有电动车在充电", "904:1")
    assert (reply.say, reply.step) == ("ask_location", Step.LOCATION)
    assert (await door.location(visit, *INSIDE)).step == Step.PHOTOS
    [draft] = await rows(door, ReportDraft)
    assert draft.sources == {"904:1": "楼道里有电动车在充电"}
    reply = await door.intake.finish(visit.resident)
    assert reply.say == "receipt" and reply.report.grid_id is not None
    assert reply.report.sources == {"904:1": "楼道里有电动车在充电"}


async def test_a_description_is_read_once_from_its_arrival_to_its_report(door, monkeypatch):
    """Classify once (issue 14): the words are read when they come; the report filed from
    them takes that reading, and a returning resident's visit writes nothing it need not."""
    from triage.understanding import classify as understanding

    real, read = understanding.classify, []
    monkeypatch.setattr(understanding, "classify", lambda text: read.append(text) or real(text))
    words = f"{uuid.uuid4().hex[:6]}号楼楼道里有电动车在充电"  # read by no test before
    visit = await door.enter(Person(907, 907), text=words, counted=True)
    await door.text(visit, words, "907:1")
    await door.location(await door.enter(Person(907, 907)), *INSIDE)
    with first_words() as said:
        visit = await door.enter(Person(907, 907))
    assert "UPDATE" not in said, said
    reply = await door.intake.finish(visit.resident)
    assert reply.say == "receipt" and reply.report.category is not None
    assert read == [words], read


async def test_a_staff_member_who_writes_a_report_becomes_a_resident_then(door):
    visit = await door.enter(Person(WORKER, WORKER, name="王建国"))
    who = await door.as_resident(visit)
    reply = await door.intake.start_report(who, "配电箱冒火花了")
    assert reply.step == Step.LOCATION
    async with transaction(door.sessions) as session:
        resident = await resident_rows.resident_by_telegram_id(session=session, telegram_id=WORKER)
    assert resident.id == who.id


def first_words() -> Statements:
    """The first word of each statement the process runs; for a SELECT, the table its first
    column is from."""
    return Statements(_first_word)


def _first_word(words: list[str]) -> str:
    first = words[0].upper()
    return f"SELECT {words[1].split('.')[0]}" if first == "SELECT" else first


async def test_a_returning_residents_visit_is_read_in_one_statement(door):
    """Who they are, their draft, what the bot awaits and the directory's version: one SELECT
    (issue 14), and nothing read again when a step of the same update asks for them."""
    await door.enter(Person(905, 905, name="小周"))
    with first_words() as said:
        visit = await door.enter(Person(905, 905, name="小周"))
    assert visit.resident is not None and visit.staff is None
    assert [s for s in said if s.startswith("SELECT")] == ["SELECT directoryversion"], said


async def test_a_text_is_looked_up_as_an_answer_only_when_a_questionnaire_awaits_one(door):
    """The visit's read says whether a questionnaire is unfinished: without one a message
    reads no survey rows; with one its text question takes the message as the answer."""
    for _ in range(2):  # a newcomer, then a resident who wrote before
        with first_words() as said:
            async with unit_of_work(door.sessions):
                visit = await door.enter(Person(906, 906))
                reply = await door.text(visit, "你好")
        assert not isinstance(reply, Asked)
        assert "SELECT surveyrecipient" not in said, said
    async with transaction(door.sessions) as session:
        question = {"type": "text", "text": {"zh": "还有什么建议？", "en": "Any advice?"}}
        survey = Survey(title={"zh": "调查", "en": "Survey"}, questions=[question])
        session.add(survey)
        await session.flush()
        session.add(SurveyRecipient(survey_id=survey.id, resident_id=visit.resident.id))
    with first_words() as said:
        async with unit_of_work(door.sessions):
            visit = await door.enter(Person(906, 906))
            reply = await door.text(visit, "楼道灯坏了")
    assert isinstance(reply, Asked) and "SELECT surveyrecipient" in said
    [answer] = await rows(door, SurveyAnswer)
    assert answer.text == "楼道灯坏了"
