"""A resident edits a message they sent. The words it added to a report (or to the report
being written) change, the change is an event in the report's history (`edited`) and whoever
has the task is told; an edit never files anything new. An edit of anything else is
acknowledged and left alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, Resident, Staff
from storage.types import utcnow
from triage.actors import Actor
from triage.escalation.policy import Policy
from triage.intake import residents
from triage.intake.limits import SILENT
from triage.intake.reply import Reply, Step
from triage.lifecycle import Action, Lifecycle
from triage.permissions import told_about
from triage.reports.lengths import TEXT_MAX_CHARS, quoted
from triage.reports.notices import TASK, post, to_staff
from triage.understanding.classify import classify
from triage.understanding.taxonomy import Kind

PHOTO = "📷 "  # how a photo's caption stands in a report's text
RECENT_REPORTS = 20  # an edit is looked for among the resident's latest reports


class Edits:
    def __init__(
        self,
        sessions: SessionFactory,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.lifecycle = Lifecycle(policy, clock)

    async def edited(self, who: Actor, source: str, text: str) -> Reply:
        """`source`: the chat's reference to the message edited; `text`: its words now."""
        words = text.strip()
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            if not words:  # nothing left to read (a command alone): nothing to change
                return Reply(SILENT, resident)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is not None and source in draft.sources:
                old = draft.sources[source]
                new = _as_before(old, words)
                draft.text = _rewritten(draft.text or "", old, new)
                draft.sources = {**draft.sources, source: new}
                return Reply("edit_saved_draft", resident, step=Step(draft.step))
            step = Step(draft.step) if draft is not None else None
            report = await _made_of(session, resident, source)
            if report is None:
                urgent = classify(words).kind == Kind.EMERGENCY
                return Reply(
                    "edit_not_used_emergency" if urgent else "edit_not_used", resident, step=step
                )
            return await self._edit(session, who, resident, report, source, words, step)

    async def _edit(
        self,
        session: AsyncSession,
        who: Actor,
        resident: Resident,
        report: Report,
        source: str,
        words: str,
        step: Step | None,
    ) -> Reply:
        old = report.sources[source]
        new = _as_before(old, words)
        if not words or new == old:  # only formatting changed: nothing to tell anyone
            return Reply(SILENT, resident, step=step)
        moved = await self.lifecycle.transition(
            session,
            report,
            Action.EDIT,
            who,
            detail={"before": old, "after": new},
            text=_rewritten(report.text, old, new),
        )
        if not moved.won:
            return Reply("edit_too_late", resident, report=report, step=step)
        report.sources = {**report.sources, source: new}
        notices = [
            to_staff(s, "resident_edited", moved.card, priority=TASK, text=quoted(new))
            for s in await _on_it(session, report)
        ]
        await post(session, notices)
        urgent = classify(words).kind == Kind.EMERGENCY and report.kind != Kind.EMERGENCY
        key = "edit_emergency" if urgent else "edit_saved"
        return Reply(key, resident, report=report, step=step, notices=tuple(notices))


async def _made_of(session: AsyncSession, resident: Resident, source: str) -> Report | None:
    for report in await report_rows.reports_of_resident(
        session=session, resident_id=resident.id, limit=RECENT_REPORTS
    ):
        if source in report.sources:
            return report
    return None


async def _on_it(session: AsyncSession, report: Report) -> list[Staff]:
    """Whoever has the task; before anyone has, those who were told about it."""
    ids = (
        [report.assignee_id] if report.assignee_id else sorted(await told_about(session, report.id))
    )
    return [s for s in await staff_rows.staff_by_ids(session=session, ids=ids) if s.active]


def _as_before(old: str, words: str) -> str:
    """A caption stays marked as one."""
    return f"{PHOTO}{words}" if old.startswith(PHOTO) else words


def _rewritten(text: str, old: str, new: str) -> str:
    """The text with the message's words replaced; appended if they are no longer found
    (trimmed to fit since)."""
    if old and old in text:
        return text.replace(old, new, 1)[:TEXT_MAX_CHARS]
    return f"{text}\n{new}"[:TEXT_MAX_CHARS]
