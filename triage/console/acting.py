"""What staff do from the console: the chat's own desk steps (StaffDesk), so a press on the
web passes the same guards as a press on a card, and the resident is told the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from storage import console as console_rows
from storage import reports as report_rows
from storage.engine import SessionFactory, transaction
from triage.actors import Actor
from triage.console.scope import scope_of
from triage.console.views import seen_of
from triage.lifecycle import Action
from triage.tasks import handing
from triage.tasks.desk import StaffDesk
from triage.tasks.outcome import Outcome

# Actions that need words: the desk's step that asks for them (the chat's prompt)
WORDED = {
    Action.ASK: "ask",
    Action.ANSWER: "ask",
    Action.RESOLVE: "resolve",
    Action.ORDER: "order",
}
GIVING = (Action.ASSIGN_TO, Action.HAND_OVER)
# Steps the web takes at once, with what was typed (a note, a reason, the original's number)
AT_ONCE = (Action.NOTE, Action.MARK_DUPLICATE, Action.STAFF_CLOSE)
ON_THE_WEB = (Action.ACKNOWLEDGE, *WORDED, *GIVING, Action.REOPEN_ON_REINSPECTION, *AT_ONCE)
# What a form remembers of the report as shown; a note is welcome whatever changed since
SEEN_MATTERS = frozenset(set(ON_THE_WEB) - {Action.NOTE})


@dataclass(frozen=True)
class Done:
    key: str  # the desk's text key (the chat's [staff] keys)
    refused: bool
    values: dict[str, Any]


_MOVES = ("acknowledged", "handed_over")  # events that change the holder, not the state


def _done(outcome: Outcome) -> Done:
    return Done(outcome.say, outcome.refused, dict(outcome.values))


class Acting:
    def __init__(self, sessions: SessionFactory, desk: StaffDesk):
        self.sessions = sessions
        self.desk = desk

    async def _report_id(self, actor: Actor, reference: str) -> int | None:
        async with transaction(self.sessions) as session:
            report = await console_rows.report_in_scope(
                session=session, reference=reference, scope=scope_of(actor)
            )
            return report.id if report else None

    async def choices(self, actor: Actor, reference: str) -> list[tuple[str, str]]:
        """Whom the report may be given to (the chat's 转交 / 指派给… list)."""
        report_id = await self._report_id(actor, reference)
        if report_id is None:
            return []
        async with transaction(self.sessions) as session:
            report = await console_rows.report_by_id(session=session, report_id=report_id)
            return await handing.choices(session, report, actor)

    async def act(
        self,
        actor: Actor,
        reference: str,
        action: str,
        words: str = "",
        target: str = "",
        seen: str | None = None,
    ) -> Done | None:
        """Take an action on a report in the actor's scope (None: no such report there).
        `seen`: the report as the form showed it (`seen_of`); changed since, nothing is done
        and the answer says what happened."""
        report_id = await self._report_id(actor, reference)
        if report_id is None:
            return await self._merged_meanwhile(actor, reference)
        words = words.strip()
        if seen and action in SEEN_MATTERS:
            stale = await self._changed_since(report_id, seen)
            if stale is not None:
                return stale
        if action == Action.NOTE:
            return await self._at_once(self.desk.note, actor, report_id, words)
        if action == Action.MARK_DUPLICATE:
            if not target.strip():
                return Done("duplicate_unknown", True, {"reference": reference, "original": "—"})
            return _done(await self.desk.mark_duplicate(actor, report_id, target))
        if action == Action.STAFF_CLOSE:
            return await self._at_once(self.desk.close, actor, report_id, words)
        if action == Action.ACKNOWLEDGE:
            return _done(await self.desk.acknowledge(actor, report_id))
        if action == Action.REOPEN_ON_REINSPECTION:
            return _done(await self.desk.reopen_on_reinspection(actor, report_id))
        if action in WORDED:
            return await self._with_words(actor, report_id, WORDED[Action(action)], words)
        if action in GIVING:
            return await self._give(actor, report_id, target, words)
        return Done("not_on_the_web", True, {})

    async def _merged_meanwhile(self, actor: Actor, reference: str) -> Done | None:
        """A form for a report merged since (it has no page now): into which one."""
        async with transaction(self.sessions) as session:
            report = await report_rows.report_by_reference(session=session, reference=reference)
            if report is None or report.status != "merged" or report.merged_into_id is None:
                return None
            if not await console_rows.is_in_scope(
                session=session, report_id=report.id, scope=scope_of(actor)
            ):
                return None
            original = await console_rows.report_by_id(
                session=session, report_id=report.merged_into_id
            )
            values = {"reference": reference, "original": original.reference}
            return Done("merged_meanwhile", True, values)

    async def _at_once(self, step, actor: Actor, report_id: int, words: str) -> Done:
        if not words:
            return Done("note_needed", True, {})
        return _done(await step(actor, report_id, words))

    async def _changed_since(self, report_id: int, seen: str) -> Done | None:
        """The report's state and holder differ from the form's: what changed it last."""
        async with transaction(self.sessions) as session:
            report = await console_rows.report_by_id(session=session, report_id=report_id)
            if seen_of(report) == seen:
                return None
            events = await console_rows.events_with_names(session=session, report_id=report_id)
        moves = [(e, name) for e, name in events if e.to_status or e.action in _MOVES]
        event, name = moves[-1] if moves else (None, None)
        values = {
            "reference": report.reference,
            "status": report.status,
            "event": event.action if event else "",
            "who": name or (event.actor.split(":")[0] if event else ""),
            "at": event.at if event else None,
        }
        return Done("form_stale", True, values)

    async def _with_words(self, actor: Actor, report_id: int, purpose: str, words: str) -> Done:
        if not words:
            return Done("words_needed", True, {})
        started = await self.desk.start(actor, report_id, purpose)
        if started.refused:
            return _done(started)
        finished = await self.desk.staff_input(actor, words, None)
        return _done(finished) if finished is not None else Done("task_moved_on", True, {})

    async def _give(self, actor: Actor, report_id: int, target: str, reason: str) -> Done:
        if not target:
            return Done("target_needed", True, {})
        if target == handing.NOT_MY_GRID:
            return _done(await self.desk.hand_over(actor, report_id, target))
        asked = await self.desk.hand_over(actor, report_id, target)
        if asked.refused:
            return _done(asked)
        finished = await self.desk.staff_input(actor, reason or "—", None)
        return _done(finished) if finished is not None else Done("task_moved_on", True, {})
