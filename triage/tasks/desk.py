"""The desk staff act through, from the chat, the web console or an API: each press is one
lifecycle transition by an Actor; a step that needs words or a photo first asks for them
(triage.tasks.prompts) and finishes in triage.tasks.steps."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import console as console_rows
from storage import reports as report_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, Staff
from storage.types import utcnow
from triage.actors import Actor, Role, staff_actor
from triage.console.scope import scope_of
from triage.escalation.policy import Policy
from triage.lifecycle import Action, Lifecycle, Refusal, Status
from triage.permissions import may_see
from triage.reports.lengths import CLOSE_REASON_MAX, quoted
from triage.reports.notices import RESIDENT, TASK, card_of, cards_changed, post, to_staff
from triage.tasks import handing, prompts, steps
from triage.tasks.handing import NOT_MY_GRID, TO_COORDINATOR
from triage.tasks.outcome import Outcome, done, refused

# A press starts a step that asks for words first: the action it will be, its prompt
OVERDUE_SCAN = 500  # overdue reports looked at for one person's list
OVERDUE_LISTED = 40  # listed (a message's worth of lines, with a button each)
AREA_TASKS_LISTED = 10  # a coordinator's /tasks: cards sent (the count says how many in all)

_ASKING = {
    "ask": (Action.ASK, "ask_prompt"),
    "resolve": (Action.RESOLVE, "resolve_prompt"),
    "order": (Action.ORDER, "order_prompt"),
    "reinspect": (Action.REINSPECT, "reinspect_prompt"),
    "note": (Action.NOTE, "note_prompt"),
    "duplicate": (Action.MARK_DUPLICATE, "duplicate_prompt"),
    "close": (Action.STAFF_CLOSE, "close_prompt"),
}
# Steps from a card that a button (✖ 取消) may cancel as well as /cancel
CANCELLABLE = frozenset({"duplicate", "close"})


class StaffDesk:
    def __init__(
        self, sessions: SessionFactory, policy: Policy, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.policy = policy
        self.clock = clock
        self.lifecycle = Lifecycle(policy, clock)

    async def actor_for(self, telegram_id: int) -> Actor | None:
        """The staff member a Telegram user is, as an actor; None if they are not staff."""
        async with transaction(self.sessions) as session:
            staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=telegram_id)
            if staff is None or not staff.active:
                return None
            duties = await staff_rows.duties_of_staff(session=session, staff_id=staff.id)
            return staff_actor(staff, tuple(d.grid_id for d in duties))

    # --- presses --------------------------------------------------------------------------

    async def acknowledge(
        self,
        actor: Actor,
        report_id: int,
        shown_at: datetime | None = None,
        card: tuple[int, int] | None = None,
    ) -> Outcome:
        """接单 (or 接手 from higher up). `shown_at`: when the card pressed was sent; a task
        handed to someone else since then is theirs, whoever presses the old card. `card`:
        the card pressed (chat, message id), which the caller draws again itself."""
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            why = await self.lifecycle.refusal(session, report, Action.ACKNOWLEDGE, actor)
            if why is None and report.assignee_id != actor.id:
                why = await self._handed_since(session, report, shown_at)
            if why is not None:
                return await self._refused_on_a_stale_card(session, report, actor, why)
            moved = await self.lifecycle.transition(
                session, report, Action.ACKNOWLEDGE, actor, drawn=card
            )
            return await done(session, actor, moved, "acknowledged_ok")

    async def _refused_on_a_stale_card(
        self, session: AsyncSession, report: Report | None, actor: Actor, why: Refusal
    ) -> Outcome:
        """接单 on a task already theirs: the card pressed still offered it (its redraw was
        lost, say), so it is drawn as the task is now along with the refusal."""
        if why.key != "already_acknowledged" or report is None or report.assignee_id != actor.id:
            return refused(actor, why)
        card = await self.card_for(session, report, actor)
        return Outcome(why.key, actor.language, dict(why.values), card=card, refused=True)

    async def draw_cards_again(self, report_id: int) -> None:
        """A card the caller meant to draw itself could not be: the sender draws them all."""
        async with transaction(self.sessions) as session:
            await post(session, cards_changed([report_id]))

    async def _handed_since(
        self, session: AsyncSession, report: Report, shown_at: datetime | None
    ) -> Refusal | None:
        """When and to whom the task was last handed over, if after the card was shown."""
        if shown_at is None:
            return None
        events = await report_rows.events_of_reports(
            session=session, report_ids=[report.id], actions=("handed_over",)
        )
        # A message's date is whole seconds: within the second it was sent, not "since"
        if not events or events[-1].at < shown_at + timedelta(seconds=1):
            return None
        to = await session.get(Staff, events[-1].detail.get("to")) if events[-1].detail else None
        at = events[-1].at.astimezone(self.policy.timezone).strftime("%H:%M")
        values = {"reference": report.reference, "at": at, "assignee": to.name if to else "—"}
        return Refusal("task_handed_since", values)

    async def start(self, actor: Actor, report_id: int, purpose: str) -> Outcome:
        """询问 / 办结 / 整改单 / 仍已整改: ask for what the step needs, if it may be taken."""
        action, prompt = _ASKING[purpose]
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            if purpose == "ask" and report is not None and report.kind == "question":
                action, prompt = Action.ANSWER, "answer_prompt"
            why = await self.lifecycle.refusal(session, report, action, actor)
            if why is not None:
                return refused(actor, why)
            # What the task looked like when they pressed: the later step checks it is unchanged
            detail = {"seen_assignee": report.assignee_id, "seen_status": report.status}
            await prompts.expect(session, actor, purpose, report.id, detail, self.clock())
            values = {"reference": report.reference, "photo": report.kind == "hazard"}
            if purpose in CANCELLABLE:
                values["cancel"] = report.id
            return Outcome(prompt, actor.language, values=values)

    async def start_asking(self, actor: Actor, report_id: int) -> Outcome:
        return await self.start(actor, report_id, "ask")

    async def start_resolving(self, actor: Actor, report_id: int) -> Outcome:
        return await self.start(actor, report_id, "resolve")

    async def start_order(self, actor: Actor, report_id: int) -> Outcome:
        return await self.start(actor, report_id, "order")

    async def start_note(self, actor: Actor, report_id: int) -> Outcome:
        return await self.start(actor, report_id, "note")

    async def start_duplicate(self, actor: Actor, report_id: int) -> Outcome:
        """标记重复 from a card: asks for the other report's number, then to confirm."""
        return await self.start(actor, report_id, "duplicate")

    async def start_closing(self, actor: Actor, report_id: int) -> Outcome:
        """结案 from a card: asks for the reason the resident will read."""
        return await self.start(actor, report_id, "close")

    async def confirm_duplicate(self, actor: Actor, report_id: int, into_id: int) -> Outcome:
        """确认 under 标记重复's question: the report is merged into the one it named, if
        the question is still the one waiting and the report is as it was when asked."""
        return await steps.confirm_duplicate(self, actor, report_id, into_id)

    async def start_reinspecting(self, actor: Actor, report_id: int) -> Outcome:
        return await self.start(actor, report_id, "reinspect")

    async def reopen_on_reinspection(self, actor: Actor, report_id: int) -> Outcome:
        """重新打开: it is not fixed after all; whoever looked holds it again."""
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            action = Action.REOPEN_ON_REINSPECTION
            moved = await self.lifecycle.transition(
                session, report, action, actor, detail={"on": "reinspection"}
            )
            if moved.won:
                moved.notices.append(
                    to_staff(actor, "task", moved.card, priority=TASK, reopened=True)
                )
            return await done(session, actor, moved, "reopened_ok")

    async def note(self, actor: Actor, report_id: int, text: str) -> Outcome:
        """备注: a note in the report's history for those who work on it; nothing else."""
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            moved = await self.lifecycle.transition(
                session, report, Action.NOTE, actor, note=quoted(text.strip())
            )
            return await done(session, actor, moved, "noted_ok", reference=_ref(report))

    async def mark_duplicate(
        self, actor: Actor, report_id: int, original: str, seen_assignee: Any = ...
    ) -> Outcome:
        """标记重复: the report is the same as `original` (FC-… or its number); it follows
        that one from now on, its resident is told, whoever holds the original sees it.
        `seen_assignee`: who held it when the actor chose (changed since, nothing is done)."""
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            reference = duplicate_reference(original)
            into = await report_rows.report_by_reference(session=session, reference=reference)
            if into is None and report is not None:
                shown = reference or original.strip()[:20] or "—"
                values = {"reference": report.reference, "original": shown}
                why = await self.lifecycle.refusal(session, report, Action.MARK_DUPLICATE, actor)
                return refused(actor, why or Refusal("duplicate_unknown", values))
            moved = await self.lifecycle.transition(
                session,
                report,
                Action.MARK_DUPLICATE,
                actor,
                detail={"into": into.reference if into else None},
                seen_assignee=seen_assignee,
                say={"original": into.reference if into else "", "staff": actor.name},
                into=into.id if into else None,
            )
            if not moved.won:
                return refused(actor, moved.refusal)
            await report_rows.add_event(
                session=session,
                report_id=into.id,
                actor=actor.ref,
                action="duplicate_merged",
                at=self.clock(),
                detail={"duplicate": report.reference, "by": actor.ref},
            )
            holder = await session.get(Staff, into.assignee_id) if into.assignee_id else None
            if holder is not None and holder.id != actor.id:
                moved.notices.append(
                    to_staff(
                        holder,
                        "duplicate_added",
                        await card_of(session, into),
                        text=quoted(report.text),
                        photos=list(report.photos),
                        priority=RESIDENT,
                    )
                )
            await post(session, moved.notices)
            values = {"reference": report.reference, "original": into.reference}
            return Outcome("duplicate_marked", actor.language, values, tuple(moved.notices))

    async def close(
        self, actor: Actor, report_id: int, reason: str, seen_assignee: Any = ...
    ) -> Outcome:
        """结案 from above: a resolved report without waiting for the resident, or one with
        nothing to do (not a fire hazard); the reason goes to the resident."""
        reason = reason.replace("\r\n", "\n").strip()  # a web form's line breaks count once
        if len(reason) > CLOSE_REASON_MAX:  # the resident reads it on a phone
            values = {"length": len(reason), "limit": CLOSE_REASON_MAX}
            return Outcome("close_reason_too_long", actor.language, values, refused=True)
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            note = quoted(reason)
            moved = await self.lifecycle.transition(
                session,
                report,
                Action.STAFF_CLOSE,
                actor,
                note=note,
                seen_assignee=seen_assignee,
                say={"note": note, "staff": actor.name, "role": actor.role},
            )
            return await done(session, actor, moved, "closed_ok", reference=_ref(report))

    async def handover_choices(self, actor: Actor, report_id: int) -> Outcome:
        """转交 (a worker) or 指派给… (staff above): whom it may go to."""
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            why = await self.lifecycle.refusal(session, report, _giving(actor), actor)
            if why is not None:
                return refused(actor, why)
            choices = await handing.choices(session, report, actor)
            say = "handover_choose" if _giving(actor) == Action.HAND_OVER else "assign_choose"
            values = {"choices": choices, "report_id": report.id, "worker": actor.role == "worker"}
            return Outcome(say, actor.language, values=values)

    async def hand_over(self, actor: Actor, report_id: int, target: str) -> Outcome:
        """Step one of handing over: "not my grid" goes at once, others ask for a reason."""
        if target == NOT_MY_GRID:
            return await steps.hand_over(self, actor, report_id, TO_COORDINATOR, reason=None)
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            why = await self.lifecycle.refusal(session, report, _giving(actor), actor)
            if why is None and target != TO_COORDINATOR:
                worker, _ = await handing.chosen(
                    session, report, target, actor, self.policy, self.clock()
                )
                why = None if worker is not None else Refusal("handover_outside")
            if why is not None:
                return refused(actor, why)
            detail = {"target": target, "seen_assignee": report.assignee_id}
            await prompts.expect(session, actor, "handover", report.id, detail, self.clock())
            return Outcome(
                "handover_reason_prompt", actor.language, {"reference": report.reference}
            )

    # --- what staff type or send after a prompt -------------------------------------------

    async def staff_input(
        self, actor: Actor, text: str | None, photo: str | None
    ) -> Outcome | None:
        """Text or a photo from someone the bot is waiting on; None if it is waiting on nothing."""
        async with transaction(self.sessions) as session:
            pending = await prompts.waiting(session, actor)
        if pending is None:
            return None
        return await steps.finish(self, actor, pending, text, photo)

    async def cancel_input(self, actor: Actor, report_id: int | None = None) -> Outcome | None:
        """/cancel from a staff member: the prompt they were answering is dropped. A prompt's
        ✖ 取消 (`report_id`) drops only a step of that report still waiting."""
        async with transaction(self.sessions) as session:
            pending = await resident_rows.pending_input(
                session=session, telegram_id=actor.telegram_id
            )
            if pending is None:
                return None
            if report_id is not None and (
                pending.report_id != report_id or pending.purpose not in CANCELLABLE
            ):
                return None
            await session.delete(pending)
            return Outcome("input_cancelled", actor.language)

    async def hint(self, actor: Actor) -> Outcome | None:
        """A sticker, a file, a voice note or a location while a task's step waits for words
        (or a photo): that step's prompt again, said to be what it wants. None: nothing waits."""
        async with transaction(self.sessions) as session:
            pending = await prompts.waiting(session, actor)
            if pending is None:
                return None
            report = await session.get(Report, pending.report_id)
            return steps.prompt_of(actor, pending, report, odd=True)

    # --- looking ----------------------------------------------------------------------------

    async def open_tasks(self, actor: Actor | None) -> tuple[Outcome, list[dict[str, Any]]]:
        if actor is None or not actor.active:
            return Outcome("not_staff", "zh", refused=True), []
        if actor.role == Role.COORDINATOR:
            return await self._area_tasks(actor)
        async with transaction(self.sessions) as session:
            reports = await report_rows.open_tasks_of(session=session, staff_id=actor.id)
            cards = [await self.card_for(session, r, actor) for r in reports]
            return Outcome("tasks" if cards else "no_tasks", actor.language), cards

    async def _area_tasks(self, actor: Actor) -> tuple[Outcome, list[dict[str, Any]]]:
        """A coordinator's /tasks: every open task of their community (or street), not only
        those they hold, oldest first; the count is of all, the cards of the first few."""
        async with transaction(self.sessions) as session:
            total, reports = await console_rows.open_tasks_in(
                session=session, scope=scope_of(actor), limit=AREA_TASKS_LISTED
            )
            cards = [await self.card_for(session, r, actor) for r in reports]
        key = "area_tasks" if cards else "no_area_tasks"
        shown = {"count": total, "listed": len(cards)}
        return Outcome(key, actor.language, shown), cards

    async def overdue(self, actor: Actor | None) -> tuple[Outcome, list[dict[str, Any]]]:
        """/overdue: the open tasks past a deadline that this person may see (on it, told
        about it, or above it in the chain), longest overdue first."""
        if actor is None or not actor.active:
            return Outcome("not_staff", "zh", refused=True), []
        now = self.clock()
        async with transaction(self.sessions) as session:
            late = await report_rows.overdue(session=session, now=now, limit=OVERDUE_SCAN)
            items = [
                _overdue_item(report, await card_of(session, report), now)
                for report in late
                if await may_see(session, actor, report) is None
            ]
        key = "overdue" if items else "no_overdue"
        return Outcome(key, actor.language, {"count": len(items)}), items[:OVERDUE_LISTED]

    async def show_task(self, actor: Actor, report_id: int) -> Outcome:
        """One task's card, as the person may act on it now (from a list of escalations)."""
        async with transaction(self.sessions) as session:
            report = await session.get(Report, report_id)
            why = await may_see(session, actor, report)
            if why is not None:
                return refused(actor, Refusal(*why))
            card = await self.card_for(session, report, actor)
            return Outcome("task_shown", actor.language, card=card)

    async def card_for(self, session: AsyncSession, report: Report, actor: Actor) -> dict:
        """The report's card with what this actor may do to it now."""
        card = await card_of(session, report)
        actions = await self.lifecycle.available_actions(session, report, actor)
        return {**card, "actions": [str(a) for a in actions]}


_REFERENCE = re.compile(r"^(?:FC)?[-_\s#:—–]*(\d{1,12})$", re.I)
_WITHIN_WORDS = re.compile(r"(?<![A-Z])FC[-_\s#:—–]*(\d{1,12})(?!\d)", re.I)


def duplicate_reference(text: str) -> str:
    """ "FC-000012", "fc 12", "#12", "12", full-width "ＦＣ－０００１２" or "和 FC-000012 重复"
    (one number among words) → "FC-000012"; anything else → "" (none)."""
    typed = unicodedata.normalize("NFKC", text).strip()
    match = _REFERENCE.match(typed)
    if match:
        return report_rows.reference_for(int(match.group(1)))
    found = {int(m.group(1)) for m in _WITHIN_WORDS.finditer(typed)}
    return report_rows.reference_for(found.pop()) if len(found) == 1 else ""


def _ref(report: Report | None) -> str:
    return report.reference if report is not None else ""


def _giving(actor: Actor) -> Action:
    return Action.HAND_OVER if actor.role == "worker" else Action.ASSIGN_TO


def _overdue_item(report: Report, card: dict[str, Any], now: datetime) -> dict[str, Any]:
    deadline = (
        report.rectify_deadline_at if report.status == Status.ACKNOWLEDGED else None
    ) or report.ack_deadline_at
    return {**card, "late_seconds": int((now - deadline).total_seconds())}
