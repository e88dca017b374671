"""/unsubscribe before a questionnaire went out: the first question still waiting in the
outbox is withdrawn (never sent, not counted as sent); one the sender already claimed goes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import outbox
from storage.engine import transaction
from storage.models import OutboxMessage, Report, Resident, SurveyConsent, SurveyEvent
from storage.types import utcnow
from triage.actors import resident_actor
from triage.reports.notices import BULK
from triage.surveys.desk import SurveyDesk
from triage.surveys.forms import parse_form
from triage.surveys.results import results

FORM = """
title: 消防服务满意度调查
questions:
  - type: rating
    text: 您对隐患处理的速度满意吗？
"""


class Wording:
    def question(self, chat_id, language, view):
        return "sendMessage", {"chat_id": chat_id, "text": view.text}


async def residents(sessions, count: int) -> list[Resident]:
    made = []
    async with transaction(sessions) as session:
        for n in range(count):
            resident = Resident(telegram_id=7400 + n, chat_id=7400 + n, name=f"居民{n}")
            session.add(resident)
            await session.flush()
            session.add(SurveyConsent(resident_id=resident.id, agreed=True, changed_at=utcnow()))
            session.add(
                Report(
                    resident_id=resident.id, text="楼道堆物", community="幸福社区", status="closed"
                )
            )
            made.append(resident)
    return made


async def outbox_of(sessions) -> dict[int, str]:
    async with transaction(sessions) as session:
        found = await session.exec(select(OutboxMessage.chat_id, OutboxMessage.status))
        return dict(found.all())


async def test_unsubscribing_withdraws_what_has_not_gone_yet(sessions):
    await load_sample_district(sessions)
    first, second, third = await residents(sessions, 3)
    desk = SurveyDesk(sessions, Wording())
    survey = await desk.create(parse_form(FORM))
    assert (await desk.send(survey.id, community="幸福社区")).count == 3
    assert await outbox_of(sessions) == {7400: "pending", 7401: "pending", 7402: "pending"}

    said = await desk.consent(resident_actor(first), False)
    assert said.say == "unsubscribed"
    assert await outbox_of(sessions) == {7400: "withdrawn", 7401: "pending", 7402: "pending"}
    assert (await results(sessions, survey.id))["sent"] == 2

    # The sender has claimed the second's: it goes, and counts as sent.
    async with transaction(sessions) as session:
        row = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 7401))).one()
        row.status = "sending"
    await desk.consent(resident_actor(second), False)
    assert (await outbox_of(sessions))[7401] == "sending"
    assert (await results(sessions, survey.id))["sent"] == 2

    # Agreeing again, the first may be sent it after all; the second is not sent it twice.
    await desk.consent(resident_actor(first), True)
    await desk.consent(resident_actor(second), True)
    assert (await desk.send(survey.id, community="幸福社区")).count == 1
    assert (await results(sessions, survey.id))["sent"] == 3
    async with transaction(sessions) as session:
        events = (
            await session.exec(
                select(SurveyEvent.resident_id, SurveyEvent.action).where(
                    SurveyEvent.survey_id == survey.id
                )
            )
        ).all()
    assert [a for r, a in events if r == first.id] == ["sent", "withdrawn", "sent"]
    assert [a for r, a in events if r == second.id] == ["sent"]
    assert third.id is not None


async def test_unsubscribing_leaves_another_message_queued_alike_in_the_chat(sessions):
    """A tip queued in the same chat, at the same priority and the same moment as the survey's
    question, is not the question: it stays (the outbox row names what it is about)."""
    await load_sample_district(sessions)
    (only,) = await residents(sessions, 1)
    at = datetime(2026, 12, 6, 4, 0, tzinfo=UTC)
    desk = SurveyDesk(sessions, Wording(), clock=lambda: at)
    survey = await desk.create(parse_form(FORM))
    async with transaction(sessions) as session:
        tip = outbox.pending(
            only.chat_id, "sendMessage", {"text": "冬季用电安全"}, priority=BULK, now=at
        )
        await outbox.enqueue_values(session=session, rows=[tip])
    assert (await desk.send(survey.id, community="幸福社区")).count == 1

    await desk.consent(resident_actor(only), False)
    async with transaction(sessions) as session:
        rows = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    assert [(r.payload.get("text"), r.status, r.subject) for r in rows] == [
        ("冬季用电安全", "pending", None),
        (rows[1].payload["text"], "withdrawn", rows[1].subject),
    ]
    assert rows[1].subject.startswith("survey_recipient:")
    assert rows[0].created_at == rows[1].created_at and rows[0].priority == rows[1].priority
