"""A good staff answer becomes a knowledge-base entry in one press (收入知识库).

When staff answer a resident's question, a coordinator is offered a button: the coordinator
who answered, on their own confirmation; otherwise the coordinators of the report's community
(else of its street), with the question and the answer. One press stores the resident's
question and the staff answer as a new entry in the question's language. The entry's id comes
from the report (staff-fc-000123), so a second press, an old button, or two coordinators at
once add nothing. The first entry promoted into an empty table (the bot answering from the
shipped file) stores the shipped entries with it. Answering desks notice the new entry on
their next question (they compare the table's version), on every instance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import faq as faq_queries
from storage import reports as report_rows
from storage import staff as staff_rows
from storage.models import Report, Staff
from triage.answers.faq_file import Entry, detect_language, shipped_entries
from triage.answers.faq_table import new_row
from triage.answers.knowledge import KnowledgeBase
from triage.permissions import above_in_chain, street_of
from triage.reports.lengths import QUOTE_CHARS, quoted
from triage.reports.masking import mask_phones
from triage.reports.notices import RESIDENT, Notice

PROMOTERS = ("coordinator", "admin")
PROMOTED = "promoted_to_faq"  # the report's event; its detail names the entry
FALLBACK_TOPIC = "general"


@dataclass(frozen=True)
class Promotion:
    say: str  # a text key under [staff]
    entry: str = ""
    refused: bool = False


async def offer(
    session: AsyncSession, report: Report, answerer: Staff, card: dict[str, Any], text: str
) -> list[Notice]:
    """The answer, with the button, for the coordinators concerned; none when the one who
    answered may promote it themselves (their confirmation carries the button)."""
    if answerer.role in PROMOTERS:
        return []
    coordinators = await staff_rows.community_coordinators(
        session=session, community=report.community
    ) or await staff_rows.street_coordinators(
        session=session, street=await street_of(session, report)
    )
    half = QUOTE_CHARS // 2  # the question and the answer, in one message
    extra = {"text": quoted(text, half), "staff": answerer.name, "role": answerer.role}
    card = {**card, "text": quoted(card["text"], half)}
    return [
        Notice("answer_review", c.telegram_id, c.language, report.id, card, extra, RESIDENT)
        for c in coordinators
    ]


async def promote(
    session: AsyncSession,
    staff: Staff | None,
    report: Report | None,
    kb: KnowledgeBase,
    now: datetime,
) -> Promotion:
    """Store the report's question and its staff answer as a new entry, once."""
    refused = await _refusal(session, staff, report)
    if refused is not None:
        return refused
    done = await report_rows.events_of(session=session, report_id=report.id, action=PROMOTED)
    if done:
        return Promotion("promote_already", done[0].detail.get("entry", ""), refused=True)
    answer = await staff_answer(session, report)
    if answer is None:
        return Promotion("promote_nothing", refused=True)
    entry = entry_for(report, answer, kb)
    if await faq_queries.entry_by_slug(session=session, slug=entry.id) is not None:
        return Promotion("promote_already", entry.id, refused=True)
    if await faq_queries.count_entries(session=session) == 0:
        # The bot was answering from the shipped file: keep those entries alongside.
        session.add_all([new_row(e, now) for e in shipped_entries()])
    session.add(new_row(entry, now))
    await report_rows.add_event(
        session=session,
        report_id=report.id,
        actor=f"staff:{staff.id}",
        action=PROMOTED,
        detail={"entry": entry.id},
        at=now,
    )
    return Promotion("promote_ok", entry.id)


async def _refusal(
    session: AsyncSession, staff: Staff | None, report: Report | None
) -> Promotion | None:
    if staff is None or not staff.active:
        return Promotion("not_staff", refused=True)
    if staff.role not in PROMOTERS:
        return Promotion("promote_not_allowed", refused=True)
    if report is None:
        return Promotion("task_gone", refused=True)
    if not above_in_chain(staff, report, await street_of(session, report)):
        return Promotion("not_your_task", refused=True)
    return None


async def staff_answer(session: AsyncSession, report: Report) -> str | None:
    """What staff last answered to a question, as relayed to the resident."""
    if report.kind != "question":
        return None
    events = await report_rows.events_of(session=session, report_id=report.id, action="answered")
    notes = [e.detail.get("note") for e in events if e.actor.startswith("staff:")]
    return next((n.strip() for n in reversed(notes) if n and n.strip()), None)


def entry_for(report: Report, answer: str, kb: KnowledgeBase) -> Entry:
    """The new entry: the resident's words as the question, the staff answer as the short
    answer, both in the question's language; its topic that of the nearest existing entry."""
    question = report.text.strip()
    nearest = kb.answer(question).entry
    topic = nearest.topic if nearest is not None else FALLBACK_TOPIC
    language = detect_language(question)
    # An entry answers every resident who asks alike: no one's phone number goes with it.
    texts = {
        f"question_{language}": mask_phones(question),
        f"answer_{language}": mask_phones(answer),
    }
    return Entry(id=slug_for(report), topic=topic, source="staff", **texts)


def slug_for(report: Report) -> str:
    return f"staff-{(report.reference or str(report.id)).lower()}"
