"""Queries on questionnaires (surveys), their recipients and answers, and residents' consent
to be asked, as keyword-only functions. An answer moves its recipient on with one guarded
update, so a double press or a second instance stores it once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import outbox
from storage.engine import forget_missing, known_missing
from storage.models import (
    GridCell,
    OutboxMessage,
    Report,
    Resident,
    Survey,
    SurveyAnswer,
    SurveyConsent,
    SurveyEvent,
    SurveyRecipient,
)

OPEN, CLOSED = "open", "closed"
# Residents this session knows have no questionnaire to finish (read with who they are at
# the start of an update; storage.engine.remember_missing): their text is not looked up as
# an answer.
NOT_ASKED = "residents_without_survey"


async def add(*, session: AsyncSession, survey: Survey) -> Survey:
    session.add(survey)
    await session.flush()
    return survey


async def record(
    *,
    session: AsyncSession,
    action: str,
    actor: str,
    at: datetime,
    survey_id: int | None = None,
    resident_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(
        SurveyEvent(
            survey_id=survey_id,
            resident_id=resident_id,
            actor=actor,
            action=action,
            at=at,
            detail=detail or {},
        )
    )
    await session.flush()


async def record_many(*, session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Events as dicts (survey_id, resident_id, actor, action, at, detail), one statement."""
    if events:
        await session.exec(insert(SurveyEvent), params=list(events))


async def close(*, session: AsyncSession, survey_id: int, now: datetime) -> bool:
    result = await session.exec(
        update(Survey)
        .where(col(Survey.id) == survey_id, col(Survey.status) == OPEN)
        .values(status=CLOSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# --- consent ---------------------------------------------------------------------------


async def consent_of(*, session: AsyncSession, resident_id: int) -> SurveyConsent | None:
    return await session.get(SurveyConsent, resident_id)


async def set_consent(
    *,
    session: AsyncSession,
    resident_id: int,
    agreed: bool | None,
    now: datetime,
    asked: bool = False,
) -> SurveyConsent:
    consent = await session.get(SurveyConsent, resident_id)
    if consent is None:
        consent = SurveyConsent(resident_id=resident_id)
        session.add(consent)
    if asked:
        consent.asked_at = now
    else:
        consent.agreed, consent.changed_at = agreed, now
    await session.flush()
    return consent


async def withdraw_unsent(*, session: AsyncSession, resident_id: int) -> list[int]:
    """After an opt-out: the first questions still waiting in the outbox for this resident
    are withdrawn (never sent), and so is their being a recipient (not counted as sent; a
    later /subscribe may be sent the survey again). One guarded update per message: a
    message the sender has claimed already goes out, and its survey stays. The surveys'
    ids."""
    waiting = await session.exec(
        select(SurveyRecipient).where(
            SurveyRecipient.resident_id == resident_id,
            col(SurveyRecipient.answered_at).is_(None),
            SurveyRecipient.position == 0,
        )
    )
    withdrawn = []
    for recipient in waiting.all():
        result = await session.exec(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.subject) == subject(recipient.id),
                OutboxMessage.status == outbox.PENDING,
            )
            .values(status=outbox.WITHDRAWN, last_error="the resident opted out before it went")
            .execution_options(synchronize_session=False)
        )
        if result.rowcount:
            withdrawn.append(recipient.survey_id)
            await session.delete(recipient)
    await session.flush()
    return withdrawn


# --- whom a survey reaches -------------------------------------------------------------


async def community_exists(*, session: AsyncSession, name: str) -> bool:
    found = await session.exec(select(GridCell.id).where(GridCell.community == name).limit(1))
    return found.first() is not None


async def grid_id(*, session: AsyncSession, code: str) -> int | None:
    return (await session.exec(select(GridCell.id).where(GridCell.code == code))).first()


async def reachable(
    *,
    session: AsyncSession,
    survey_id: int,
    community: str | None = None,
    grid: int | None = None,
    since: datetime | None = None,
) -> list[tuple[int, int, str]]:
    """(resident id, chat id, language) of those who agreed to be asked, are not blocked, were
    not sent this survey yet, and reported something in the community, the cell, or since."""
    reported = exists().where(col(Report.resident_id) == Resident.id)
    if community is not None:
        reported = reported.where(col(Report.community) == community)
    if grid is not None:
        reported = reported.where(col(Report.grid_id) == grid)
    if since is not None:
        reported = reported.where(col(Report.created_at) >= since)
    statement = (
        select(Resident.id, Resident.chat_id, Resident.language)
        .join(SurveyConsent, col(SurveyConsent.resident_id) == Resident.id)
        .where(
            col(SurveyConsent.agreed).is_(True),
            col(Resident.blocked_at).is_(None),
            reported,
            ~exists().where(
                col(SurveyRecipient.resident_id) == Resident.id,
                col(SurveyRecipient.survey_id) == survey_id,
            ),
        )
        .order_by(col(Resident.id))
    )
    return [tuple(row) for row in (await session.exec(statement)).all()]


async def add_recipients(
    *, session: AsyncSession, survey_id: int, resident_ids: Sequence[int], now: datetime
) -> list[SurveyRecipient]:
    rows = [SurveyRecipient(survey_id=survey_id, resident_id=i, sent_at=now) for i in resident_ids]
    forget_missing(session, NOT_ASKED, *resident_ids)
    session.add_all(rows)
    await session.flush()
    return rows


def subject(recipient_id: int) -> str:
    """What a survey's first question in the outbox is about: whom it was sent to."""
    return f"survey_recipient:{recipient_id}"


async def enqueue_questions(
    *,
    session: AsyncSession,
    calls: Sequence[tuple[int, int, str, dict[str, Any]]],
    now: datetime,
    priority: int,
) -> None:
    """One outbox row per (recipient id, chat id, method, payload), in one statement; each
    names its recipient (so /unsubscribe can withdraw it while it waits)."""
    await outbox.enqueue_values(
        session=session,
        rows=[
            outbox.pending(*call, priority=priority, now=now, subject=subject(recipient_id))
            for recipient_id, *call in calls
        ],
    )


# --- answering -------------------------------------------------------------------------


async def recipient_of(
    *, session: AsyncSession, recipient_id: int
) -> tuple[SurveyRecipient, Survey] | None:
    recipient = await session.get(SurveyRecipient, recipient_id)
    if recipient is None:
        return None
    return recipient, await session.get(Survey, recipient.survey_id)


async def awaiting_text(
    *, session: AsyncSession, resident_id: int, sent_after: datetime
) -> Sequence[tuple[SurveyRecipient, Survey]]:
    """The resident's unfinished surveys sent after a moment, newest first."""
    if known_missing(session, NOT_ASKED, resident_id):
        return ()
    result = await session.exec(
        select(SurveyRecipient, Survey)
        .join(Survey, col(Survey.id) == SurveyRecipient.survey_id)
        .where(
            col(SurveyRecipient.resident_id) == resident_id,
            col(SurveyRecipient.finished_at).is_(None),
            col(SurveyRecipient.sent_at) >= sent_after,
            col(Survey.status) == OPEN,
        )
        .order_by(col(SurveyRecipient.sent_at).desc(), col(SurveyRecipient.id).desc())
    )
    return result.all()


async def advance(
    *,
    session: AsyncSession,
    recipient_id: int,
    question: int,
    finished: bool,
    now: datetime,
) -> bool:
    """Moves the recipient past `question`, only if they are still on it: one racer wins."""
    values: dict[str, Any] = {"position": question + 1, "answered_at": now}
    if finished:
        values["finished_at"] = now
    result = await session.exec(
        update(SurveyRecipient)
        .where(col(SurveyRecipient.id) == recipient_id, col(SurveyRecipient.position) == question)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def add_answer(*, session: AsyncSession, answer: SurveyAnswer) -> None:
    session.add(answer)
    await session.flush()


# --- results ---------------------------------------------------------------------------


async def counts(*, session: AsyncSession, survey_id: int) -> tuple[int, int, int]:
    """(sent, started: answered at least one question, finished)."""
    row = (
        await session.exec(
            select(
                func.count(),
                func.count(SurveyRecipient.answered_at),
                func.count(SurveyRecipient.finished_at),
            ).where(SurveyRecipient.survey_id == survey_id)
        )
    ).one()
    return int(row[0]), int(row[1]), int(row[2])


async def answers(*, session: AsyncSession, survey_id: int) -> Sequence[SurveyAnswer]:
    result = await session.exec(
        select(SurveyAnswer)
        .where(SurveyAnswer.survey_id == survey_id)
        .order_by(col(SurveyAnswer.question), col(SurveyAnswer.id))
    )
    return result.all()


# --- personal data ---------------------------------------------------------------------


async def answers_of_resident(*, session: AsyncSession, resident_id: int) -> Sequence[SurveyAnswer]:
    result = await session.exec(
        select(SurveyAnswer)
        .join(SurveyRecipient, col(SurveyRecipient.id) == SurveyAnswer.recipient_id)
        .where(col(SurveyRecipient.resident_id) == resident_id)
        .order_by(col(SurveyAnswer.id))
    )
    return result.all()


async def forget_words_of(
    *, session: AsyncSession, resident_id: int, replacement: str, now: datetime
) -> int:
    """Their typed answers (and the words in their events) replaced; consent withdrawn, so
    nothing is sent to them again. The answers themselves stay: every count holds."""
    words = [
        a for a in await answers_of_resident(session=session, resident_id=resident_id) if a.text
    ]
    for answer in words:
        answer.text = replacement
    events = await session.exec(
        select(SurveyEvent).where(
            col(SurveyEvent.resident_id) == resident_id, col(SurveyEvent.action) == "answered"
        )
    )
    for event in events.all():
        if "text" in event.detail:
            event.detail = {**event.detail, "text": replacement}
    consent = await session.get(SurveyConsent, resident_id)
    if consent is not None and consent.agreed:
        consent.agreed, consent.changed_at = False, now
    await session.flush()
    return len(words)
