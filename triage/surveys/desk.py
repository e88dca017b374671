"""Questionnaires (征询意见, 满意度调查): created from a file, sent to residents who agreed to be
asked, answered one question at a time in the chat.

Consent is asked once (after a report's return visit) and changed any time with /subscribe and
/unsubscribe; only those who agreed are sent anything, and /unsubscribe takes back a first
question still waiting in the outbox (it is never sent, nor counted as sent). A survey goes out as one bulk outbox
row per resident (the first question), after everything else the sender has to send. Each
answer is stored, with its event, before the chat confirms it: one guarded update moves the
resident past the question, so an old button or a second press changes nothing. A text
question takes the resident's next message (an emergency is never taken for an answer).
Answers after the survey closed are refused with a clear word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import surveys as rows
from storage.engine import SessionFactory, transaction
from storage.models import Survey, SurveyAnswer, SurveyRecipient
from storage.types import utcnow
from triage.actors import Actor
from triage.intake import residents
from triage.reports.notices import BULK
from triage.surveys.forms import CHOICE, RATING, TEXT, Form

SKIP = "-"  # the answer of 跳过 on a text question
TEXT_ANSWER_MAX = 2000
SHANGHAI = ZoneInfo("Asia/Shanghai")
TEXT_WAITS = timedelta(days=7)  # a text question takes the next message this long after sending


class SurveyProblem(Exception):
    """Why a command on surveys did nothing, in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class QuestionView:
    """One question as a resident sees it, in their language."""

    recipient_id: int
    index: int  # 0-based: what a button's data carries
    total: int
    kind: str  # choice | rating | text
    text: str
    options: tuple[str, ...] = ()
    title: str | None = None  # with the first question only
    intro: str | None = None

    @property
    def number(self) -> int:
        return self.index + 1


@dataclass(frozen=True)
class Asked:
    """What the chat tells a resident: a text key under [survey], its values, and the next
    question to show (if any)."""

    say: str
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    question: QuestionView | None = None
    refused: bool = False


@dataclass(frozen=True)
class Sent:
    survey_id: int
    count: int


class Wording(Protocol):
    """How the chat side words a question for a resident (the Bot API call)."""

    def question(self, chat_id: int, language: str, view: QuestionView) -> tuple[str, dict]: ...


def view_of(survey: Survey, recipient_id: int, index: int, language: str) -> QuestionView:
    question = survey.questions[index]
    lang = language if language in ("zh", "en") else "zh"
    first = index == 0
    return QuestionView(
        recipient_id=recipient_id,
        index=index,
        total=len(survey.questions),
        kind=question["type"],
        text=question["text"][lang],
        options=tuple(o[lang] for o in question.get("options", ())),
        title=survey.title.get(lang) if first else None,
        intro=(survey.intro.get(lang) or None) if first else None,
    )


class SurveyDesk:
    def __init__(
        self,
        sessions: SessionFactory,
        wording: Wording | None = None,
        *,
        timezone: ZoneInfo = SHANGHAI,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.wording = wording
        self.timezone = timezone
        self.clock = clock

    # --- the coordinator's side (the CLI) ----------------------------------------------

    async def create(self, form: Form) -> Survey:
        now = self.clock()
        closes = None
        if form.until is not None:
            end = datetime.combine(form.until + timedelta(days=1), time(), self.timezone)
            closes = end.astimezone(now.tzinfo)
            if closes <= now:
                raise SurveyProblem(
                    f"截止日期 {form.until} 已经过了", f"the closing day {form.until} has passed"
                )
        async with transaction(self.sessions) as session:
            survey = await rows.add(
                session=session,
                survey=Survey(
                    title=form.title,
                    intro=form.intro,
                    questions=form.questions,
                    created_at=now,
                    closes_at=closes,
                ),
            )
            await rows.record(
                session=session,
                survey_id=survey.id,
                action="created",
                actor="cli",
                at=now,
                detail={"questions": len(form.questions)},
            )
            return survey

    async def send(
        self,
        survey_id: int,
        *,
        community: str | None = None,
        grid: str | None = None,
        since: date | None = None,
    ) -> Sent:
        """The first question to every resident who agreed, is in scope and has not had it
        yet; bulk priority, so the sender sends it after everything else, within its rates."""
        assert self.wording is not None, "sending needs the chat's wording"
        now = self.clock()
        async with transaction(self.sessions) as session:
            survey = await self._open_survey(session, survey_id, now)
            where: dict[str, Any] = {}
            if community is not None:
                if not await rows.community_exists(session=session, name=community):
                    raise SurveyProblem(
                        f"没有叫「{community}」的社区",
                        f"there is no community called {community!r}",
                    )
                where["community"] = community
            if grid is not None:
                cell = await rows.grid_id(session=session, code=grid)
                if cell is None:
                    raise SurveyProblem(
                        f"没有编号为 {grid} 的网格", f"there is no grid cell {grid!r}"
                    )
                where["grid"] = cell
            if since is not None:
                start = datetime.combine(since, time(), self.timezone).astimezone(now.tzinfo)
                if start > now:
                    raise SurveyProblem(f"{since} 还没到", f"{since} is in the future")
                where["since"] = start
            found = await rows.reachable(session=session, survey_id=survey.id, **where)
            recipients = await rows.add_recipients(
                session=session, survey_id=survey.id, resident_ids=[r[0] for r in found], now=now
            )
            calls = [
                (
                    recipient.id,
                    chat,
                    *self.wording.question(chat, lang, view_of(survey, recipient.id, 0, lang)),
                )
                for (_, chat, lang), recipient in zip(found, recipients, strict=True)
            ]
            await rows.enqueue_questions(session=session, calls=calls, now=now, priority=BULK)
            scope = {"community": community, "grid": grid, "since": since and since.isoformat()}
            await rows.record_many(
                session=session,
                events=[
                    {
                        "survey_id": survey.id,
                        "resident_id": resident_id,
                        "actor": "cli",
                        "action": "sent",
                        "at": now,
                        "detail": {k: v for k, v in scope.items() if v is not None},
                    }
                    for resident_id, _, _ in found
                ],
            )
            return Sent(survey.id, len(found))

    async def close(self, survey_id: int) -> None:
        now = self.clock()
        async with transaction(self.sessions) as session:
            survey = await self._open_survey(session, survey_id, now)
            await self._close(session, survey, now, actor="cli")

    # --- the resident's side (the chat) -------------------------------------------------

    async def offer(self, who: Actor) -> Asked | None:
        """Whether they may be sent questionnaires, asked once; None once asked."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            consent = await rows.consent_of(session=session, resident_id=resident.id)
            if consent is not None:
                return None
            now = self.clock()
            await rows.set_consent(
                session=session, resident_id=resident.id, agreed=None, now=now, asked=True
            )
            await rows.record(
                session=session,
                resident_id=resident.id,
                action="consent_asked",
                actor="system",
                at=now,
            )
            return Asked("consent_question", resident.language)

    async def consent(self, who: Actor, agreed: bool) -> Asked:
        """/subscribe, /unsubscribe, or the answer to the question."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            now = self.clock()
            await rows.set_consent(session=session, resident_id=resident.id, agreed=agreed, now=now)
            await rows.record(
                session=session,
                resident_id=resident.id,
                action="opted_in" if agreed else "opted_out",
                actor=who.ref,
                at=now,
            )
            if not agreed:  # what is still queued for them is not sent after all
                for survey_id in await rows.withdraw_unsent(
                    session=session, resident_id=resident.id
                ):
                    await rows.record(
                        session=session,
                        survey_id=survey_id,
                        resident_id=resident.id,
                        action="withdrawn",
                        actor=who.ref,
                        at=now,
                    )
            return Asked("subscribed" if agreed else "unsubscribed", resident.language)

    async def answer(self, who: Actor, recipient_id: int, index: int, value: str) -> Asked:
        """A button pressed: a choice, a rating, or 跳过 on a text question."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            found = await rows.recipient_of(session=session, recipient_id=recipient_id)
            if found is None or found[0].resident_id != resident.id:
                return Asked("stale", resident.language, refused=True)
            recipient, survey = found
            now = self.clock()
            if await self._closed(session, survey, now):
                return Asked(
                    "closed", resident.language, self._named(survey, resident), refused=True
                )
            if recipient.position != index or index >= len(survey.questions):
                return Asked("already_answered", resident.language, refused=True)
            answer = _read(
                survey.questions[index]["type"],
                value,
                len(survey.questions[index].get("options", ())),
            )
            if answer is None:
                return Asked("stale", resident.language, refused=True)
            return await self._store(session, survey, recipient, resident, index, answer, now)

    async def typed(self, who: Actor, text: str) -> Asked | None:
        """The resident's message as the answer to a text question they are on; None if they
        are on none (the message is then the conversation's, as usual)."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            now = self.clock()
            for recipient, survey in await rows.awaiting_text(
                session=session, resident_id=resident.id, sent_after=now - TEXT_WAITS
            ):
                index = recipient.position
                if index >= len(survey.questions) or survey.questions[index]["type"] != TEXT:
                    continue
                if await self._closed(session, survey, now):
                    continue  # a message after it closed is an ordinary message
                answer = SurveyAnswer(text=text.strip()[:TEXT_ANSWER_MAX])
                return await self._store(session, survey, recipient, resident, index, answer, now)
            return None

    # --- the steps ------------------------------------------------------------------------

    async def _store(
        self,
        session: AsyncSession,
        survey: Survey,
        recipient: SurveyRecipient,
        resident,
        index: int,
        answer: SurveyAnswer,
        now: datetime,
    ) -> Asked:
        last = index + 1 >= len(survey.questions)
        if not await rows.advance(
            session=session, recipient_id=recipient.id, question=index, finished=last, now=now
        ):
            return Asked("already_answered", resident.language, refused=True)
        answer.survey_id, answer.recipient_id, answer.question = survey.id, recipient.id, index
        answer.answered_at = now
        await rows.add_answer(session=session, answer=answer)
        detail = {"question": index, "recipient": recipient.id}
        if answer.skipped:
            detail["skipped"] = True
        else:
            detail |= {
                k: v
                for k, v in (
                    ("choice", answer.choice),
                    ("rating", answer.rating),
                    ("text", answer.text),
                )
                if v is not None
            }
        actor = f"resident:{resident.id}"
        await rows.record(
            session=session,
            survey_id=survey.id,
            resident_id=resident.id,
            action="answered",
            actor=actor,
            at=now,
            detail=detail,
        )
        if last:
            await rows.record(
                session=session,
                survey_id=survey.id,
                resident_id=resident.id,
                action="finished",
                actor=actor,
                at=now,
            )
            return Asked("thanks", resident.language, self._named(survey, resident))
        view = view_of(survey, recipient.id, index + 1, resident.language)
        return Asked("next", resident.language, question=view)

    async def _open_survey(self, session: AsyncSession, survey_id: int, now: datetime) -> Survey:
        survey = await session.get(Survey, survey_id)
        if survey is None:
            raise SurveyProblem(f"没有编号为 {survey_id} 的问卷", f"there is no survey {survey_id}")
        if await self._closed(session, survey, now):
            raise SurveyProblem(f"问卷 {survey_id} 已结束", f"survey {survey_id} is closed")
        return survey

    async def _closed(self, session: AsyncSession, survey: Survey, now: datetime) -> bool:
        """Closed, or past its closing time (closed now, once, with its event)."""
        if survey.status == rows.CLOSED:
            return True
        if survey.closes_at is not None and now >= survey.closes_at:
            await self._close(session, survey, now, actor="system")
            return True
        return False

    async def _close(
        self, session: AsyncSession, survey: Survey, now: datetime, actor: str
    ) -> None:
        if await rows.close(session=session, survey_id=survey.id, now=now):
            await rows.record(
                session=session, survey_id=survey.id, action="closed", actor=actor, at=now
            )
        survey.status, survey.closed_at = rows.CLOSED, survey.closed_at or now

    def _named(self, survey: Survey, resident) -> dict[str, str]:
        lang = resident.language if resident.language in ("zh", "en") else "zh"
        return {"title": survey.title.get(lang, "")}


def _read(kind: str, value: str, options: int) -> SurveyAnswer | None:
    """A button's value as an answer; None if it cannot be one for this question."""
    if kind == TEXT:
        return SurveyAnswer(skipped=True) if value == SKIP else None
    if not (value.isascii() and value.isdigit()) or len(value) > 2:
        return None
    number = int(value)
    if kind == RATING:
        return SurveyAnswer(rating=number) if 1 <= number <= 5 else None
    if kind == CHOICE:
        return SurveyAnswer(choice=number) if number < options else None
    return None
