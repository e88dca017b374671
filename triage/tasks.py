"""The staff side of a report: acknowledge, ask the resident, hand over, resolve.

Every change is a guarded update (only from the states the lifecycle allows), so two presses
at once cannot both win; the loser is told what happened instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import queries
from storage.engine import SessionFactory, transaction
from storage.models import PendingInput, Report, Resident, Staff
from storage.types import utcnow
from triage import promotion, routing
from triage.dispatch import place_of
from triage.lengths import quoted
from triage.lifecycle import Action, Status, allowed_from
from triage.notices import TASK, Notice, card_of, post, to_followers, to_staff
from triage.people import Person
from triage.permissions import above_in_chain, assignee_values, may_see, refusal, street_of
from triage.policy import Policy

NOT_MY_GRID, TO_COORDINATOR = "n", "c"
PURPOSES = ("ask", "resolve", "handover", "reinspect", "order")
_WITHIN = re.compile(
    r"^\s*(\d{1,3})\s*(days?|hours?|天|日|小时|d|h)\s*[,，:：]?\s*(.*)$", re.I | re.S
)


def order_terms(text: str, default: timedelta) -> tuple[timedelta, str]:
    """ "3天 更换老化电线" → (3 days, "更换老化电线"); without a time, the policy's default."""
    match = _WITHIN.match(text)
    if not match:
        return default, text.strip()
    amount, unit = int(match.group(1)), match.group(2).lower()
    in_hours = unit in ("小时", "h", "hour", "hours")
    within = timedelta(hours=amount) if in_hours else timedelta(days=amount)
    return (within if within.total_seconds() > 0 else default), match.group(
        3
    ).strip() or text.strip()


@dataclass(frozen=True)
class Outcome:
    say: str  # a text key under [staff]
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    card: dict[str, Any] | None = None  # the task after the change, to redraw its message
    refused: bool = False


class StaffDesk:
    def __init__(
        self, sessions: SessionFactory, policy: Policy, clock: Callable[[], datetime] = utcnow
    ):
        self.sessions = sessions
        self.policy = policy
        self.clock = clock

    # --- pressing a task's buttons --------------------------------------------------------

    async def acknowledge(
        self, person: Person, report_id: int, shown_at: datetime | None = None
    ) -> Outcome:
        """接单 (or 接手 from higher up). `shown_at`: when the card pressed was sent; a task
        handed to someone else since then is theirs, whoever presses the old card."""
        async with transaction(self.sessions) as session:
            staff, report, refused = await self._check(
                session, person, report_id, Action.ACKNOWLEDGE
            )
            if refused:
                return refused
            handed = await self._handed_since(session, report, shown_at)
            if handed is not None and report.assignee_id != staff.id:
                return Outcome("task_handed_since", staff.language, handed, refused=True)
            now = self.clock()
            rectify = (
                now + self.policy.rectify_within(report.severity)
                if report.kind == "hazard"
                else None
            )
            values = {
                "status": Status.ACKNOWLEDGED,
                "assignee_id": staff.id,
                "acknowledged_at": now,
                "rectify_deadline_at": rectify,
                "next_deadline_at": rectify,
                "updated_at": now,
            }
            if not await self._change(session, report, Action.ACKNOWLEDGE, values):
                return await self._lost_race(session, staff, report, Action.ACKNOWLEDGE)
            await self._event(
                session, report, staff, "acknowledged", Status.ASSIGNED, Status.ACKNOWLEDGED
            )
            card = await card_of(session, report)
            notices = await to_followers(session, report, "acknowledged", card)
            await post(session, notices)
            return Outcome("acknowledged_ok", staff.language, card=card, notices=tuple(notices))

    async def _handed_since(
        self, session: AsyncSession, report: Report, shown_at: datetime | None
    ) -> dict | None:
        """When and to whom the task was last handed over, if after the card was shown."""
        if shown_at is None:
            return None
        events = await queries.events_of_reports(
            session=session, report_ids=[report.id], actions=("handed_over",)
        )
        # A message's date is whole seconds: within the second it was sent, not "since"
        if not events or events[-1].at < shown_at + timedelta(seconds=1):
            return None
        to = await session.get(Staff, events[-1].detail.get("to")) if events[-1].detail else None
        at = events[-1].at.astimezone(self.policy.timezone).strftime("%H:%M")
        return {"reference": report.reference, "at": at, "assignee": to.name if to else "—"}

    async def start_asking(self, person: Person, report_id: int) -> Outcome:
        return await self._await_input(person, report_id, Action.ASSIGN, "ask", "ask_prompt")

    async def start_resolving(self, person: Person, report_id: int) -> Outcome:
        return await self._await_input(
            person, report_id, Action.RESOLVE, "resolve", "resolve_prompt"
        )

    async def start_order(self, person: Person, report_id: int) -> Outcome:
        """整改单: a hazard that cannot be fixed on the spot gets what to do and by when."""
        return await self._await_input(person, report_id, Action.RESOLVE, "order", "order_prompt")

    async def _order(self, person: Person, pending: PendingInput, text: str) -> Outcome:
        async with transaction(self.sessions) as session:
            pending, staff, report, refused = await self._answering(
                session, person, pending, Action.RESOLVE
            )
            if refused:
                return refused
            await _drop(session, pending)
            within, note = order_terms(text, self.policy.rectify_within(report.severity))
            deadline = self.clock() + within
            values = {
                "rectify_deadline_at": deadline,
                "next_deadline_at": deadline,
                "updated_at": self.clock(),
            }
            if not await self._change(session, report, Action.RESOLVE, values):
                return await self._lost_race(session, staff, report, Action.RESOLVE)
            await self._event(
                session,
                report,
                staff,
                "rectification_order",
                detail={"note": note, "deadline": deadline.isoformat()},
            )
            card = await card_of(session, report)
            notices = await to_followers(
                session,
                report,
                "rectification_order",
                card,
                note=quoted(note),
                staff=staff.name,
                role=staff.role,
            )
            await post(session, notices)
            return Outcome("order_set", staff.language, card=card, notices=tuple(notices))

    async def start_reinspecting(self, person: Person, report_id: int) -> Outcome:
        """仍已整改: a photo of the place now confirms it."""
        return await self._await_input(
            person, report_id, Action.REINSPECT, "reinspect", "reinspect_prompt"
        )

    async def reopen_on_reinspection(self, person: Person, report_id: int) -> Outcome:
        """重新打开: it is not fixed after all; the worker holds it again."""
        async with transaction(self.sessions) as session:
            staff, report, refused = await self._check(session, person, report_id, Action.REINSPECT)
            if refused:
                return refused
            now = self.clock()
            deadline = now + self.policy.ack_within(report.kind, report.severity)
            values = {
                "status": Status.ASSIGNED,
                "assignee_id": staff.id,
                "assigned_at": now,
                "acknowledged_at": None,
                "resolved_at": None,
                "closed_at": None,
                "ack_deadline_at": deadline,
                "next_deadline_at": deadline,
                "reopen_count": report.reopen_count + 1,
                "updated_at": now,
            }
            if not await self._change(session, report, Action.REOPEN, values):
                return await self._lost_race(session, staff, report, Action.REOPEN)
            await self._event(
                session,
                report,
                staff,
                "reopened",
                Status.CLOSED,
                Status.ASSIGNED,
                {"on": "reinspection"},
            )
            card = await card_of(session, report)
            notices = await to_followers(session, report, "reopened_on_reinspection", card)
            notices.append(to_staff(staff, "task", card, priority=TASK, reopened=True))
            await post(session, notices)
            return Outcome("reopened_ok", staff.language, card=card, notices=tuple(notices))

    async def _reinspected(
        self, person: Person, pending: PendingInput, text: str | None, photo: str | None
    ) -> Outcome:
        async with transaction(self.sessions) as session:
            pending, staff, report, refused = await self._answering(
                session, person, pending, Action.REINSPECT
            )
            if refused:
                return refused
            if not photo:
                return Outcome(
                    "reinspect_prompt", staff.language, values={"reference": report.reference}
                )
            await _drop(session, pending)
            await self._event(
                session, report, staff, "reinspected", detail={"photo": photo, "note": text or ""}
            )
            return Outcome("reinspected_ok", staff.language, values={"reference": report.reference})

    async def handover_choices(self, person: Person, report_id: int) -> Outcome:
        async with transaction(self.sessions) as session:
            staff, report, refused = await self._check(session, person, report_id, Action.ASSIGN)
            if refused:
                return refused
            choices = [(w.id, w.name) for w in await _pick_list(session, report, staff)]
            return Outcome(
                "handover_choose",
                staff.language,
                values={"choices": choices, "report_id": report.id},
            )

    async def hand_over(self, person: Person, report_id: int, target: str) -> Outcome:
        """Step one of handing over: "not my grid" goes at once, others ask for a reason."""
        if target == NOT_MY_GRID:
            return await self._hand_over(person, report_id, TO_COORDINATOR, reason=None)
        if target != TO_COORDINATOR:
            refused = await self._refuse_worker(person, report_id, target)
            if refused is not None:
                return refused
        outcome = await self._await_input(
            person,
            report_id,
            Action.ASSIGN,
            "handover",
            "handover_reason_prompt",
            {"target": target},
        )
        return outcome

    async def _refuse_worker(self, person: Person, report_id: int, target: str) -> Outcome | None:
        """A worker named by a press (any client can name anyone) must be one the pick list
        offers; said at the press, before a reason is asked for."""
        async with transaction(self.sessions) as session:
            staff, report, refused = await self._check(session, person, report_id, Action.ASSIGN)
            if refused:
                return refused
            if await _chosen_worker(session, report, target, staff) is None:
                return Outcome("handover_outside", staff.language, refused=True)
            return None

    # --- what staff type or send after a prompt -------------------------------------------

    async def staff_input(
        self, person: Person, text: str | None, photo: str | None
    ) -> Outcome | None:
        """Text or a photo from someone the bot is waiting on; None if it is waiting on nothing."""
        async with transaction(self.sessions) as session:
            pending = await queries.pending_input(session=session, telegram_id=person.telegram_id)
            if pending is None or pending.purpose not in PURPOSES:
                return None
        if pending.purpose == "handover":
            if not text:
                return await self._simple(person, "handover_reason_prompt", pending.report_id)
            return await self._hand_over(
                person, pending.report_id, pending.detail["target"], reason=text
            )
        if pending.purpose == "ask":
            if not text:
                return await self._simple(person, "ask_prompt", pending.report_id)
            return await self._ask(person, pending, text)
        if pending.purpose == "reinspect":
            return await self._reinspected(person, pending, text, photo)
        if pending.purpose == "order":
            if not text:
                return await self._simple(person, "order_prompt", pending.report_id)
            return await self._order(person, pending, text)
        return await self._resolve_input(person, pending, text, photo)

    async def cancel_input(self, person: Person) -> Outcome | None:
        async with transaction(self.sessions) as session:
            pending = await queries.pending_input(session=session, telegram_id=person.telegram_id)
            staff = await queries.staff_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
            if pending is None or staff is None:
                return None
            await session.delete(pending)
            return Outcome("input_cancelled", staff.language)

    async def open_tasks(self, person: Person) -> tuple[Outcome, list[dict[str, Any]]]:
        async with transaction(self.sessions) as session:
            staff = await queries.staff_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
            if staff is None or not staff.active:
                return Outcome("not_staff", "zh", refused=True), []
            reports = await queries.open_tasks_of(session=session, staff_id=staff.id)
            cards = [await card_of(session, r) for r in reports]
            return Outcome("tasks" if cards else "no_tasks", staff.language), cards

    async def show_task(self, person: Person, report_id: int) -> Outcome:
        """One task's card, as the person may act on it now (from a list of escalations)."""
        async with transaction(self.sessions) as session:
            staff = await queries.staff_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
            report = await session.get(Report, report_id)
            why = await may_see(session, staff, report)
            if why is not None:
                language = staff.language if staff else "zh"
                return Outcome(why[0], language, why[1], refused=True)
            card = await card_of(session, report)
            mine = staff.id == report.assignee_id
            above = not mine and above_in_chain(staff, report, await street_of(session, report))
            # Someone told of it but neither its assignee nor above it sees it, acts on nothing
            values = {"above": above, "may_act": mine or above}
            return Outcome("task_shown", staff.language, values, card=card)

    async def is_staff(self, person: Person) -> Staff | None:
        async with transaction(self.sessions) as session:
            staff = await queries.staff_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
            return staff if staff and staff.active else None

    # --- the steps ------------------------------------------------------------------------

    async def _ask(self, person: Person, pending: PendingInput, text: str) -> Outcome:
        async with transaction(self.sessions) as session:
            pending, staff, report, refused = await self._answering(
                session, person, pending, Action.ASSIGN
            )
            if refused:
                return refused
            await _drop(session, pending)
            resident = (
                await session.get(Resident, report.resident_id) if report.resident_id else None
            )
            if resident is None:
                return Outcome("no_resident", staff.language, refused=True)
            if report.kind == "question":
                return await self._answer(session, staff, report, resident, text)
            await queries.expect_input(
                session=session,
                telegram_id=resident.telegram_id,
                purpose="answer",
                report_id=report.id,
                detail={"staff_id": staff.id},
                now=self.clock(),
            )
            await self._event(session, report, staff, "asked_resident", detail={"text": text})
            card = await card_of(session, report)
            notice = Notice(
                "staff_question",
                resident.chat_id,
                resident.language,
                report.id,
                card,
                {"text": quoted(text), "staff": staff.name, "role": staff.role},
            )
            await post(session, [notice])
            return Outcome("ask_sent", staff.language, notices=(notice,))

    async def _answer(
        self, session: AsyncSession, staff: Staff, report: Report, resident: Resident, text: str
    ) -> Outcome:
        """Staff answer a resident's question: the answer goes out and the question is done."""
        now = self.clock()
        values = {
            "status": Status.RESOLVED,
            "assignee_id": staff.id,
            "resolved_at": now,
            "acknowledged_at": report.acknowledged_at or now,
            "next_deadline_at": None,
            "updated_at": now,
        }
        previous = report.status
        if not await self._change(session, report, Action.RESOLVE_QUESTION, values):
            return await self._lost_race(session, staff, report, Action.RESOLVE_QUESTION)
        await self._event(
            session, report, staff, "answered", previous, Status.RESOLVED, {"note": text}
        )
        card = await card_of(session, report)
        notice = Notice(
            "staff_answer",
            resident.chat_id,
            resident.language,
            report.id,
            card,
            {"text": quoted(text), "staff": staff.name, "role": staff.role},
        )
        notices = [notice, *await promotion.offer(session, report, staff, card, text)]
        await post(session, notices)
        if staff.role in promotion.PROMOTERS:  # their confirmation offers 收入知识库
            values = {"promote": report.id}
            return Outcome("answer_sent_promote", staff.language, values, tuple(notices), card)
        return Outcome("answer_sent", staff.language, card=card, notices=tuple(notices))

    async def _resolve_input(
        self, person: Person, pending: PendingInput, text: str | None, photo: str | None
    ) -> Outcome:
        async with transaction(self.sessions) as session:
            pending, staff, report, refused = await self._answering(
                session, person, pending, Action.RESOLVE
            )
            if refused:
                return refused
            detail = dict(pending.detail)
            if text and text.strip():  # a photo's caption adds to the note, never replaces it
                earlier, line = detail.get("note"), text.strip()
                detail["note"] = f"{earlier}\n{line}" if earlier and line != earlier else line
            if photo:
                detail["photos"] = [*detail.get("photos", []), photo]
            pending.detail = detail
            needs_photo = report.kind == "hazard" and not detail.get("photos")
            if not detail.get("note") or needs_photo:
                key = "resolve_need_note" if not detail.get("note") else "resolve_need_photo"
                return Outcome(key, staff.language)
            now = self.clock()
            values = {
                "status": Status.RESOLVED,
                "resolved_at": now,
                "next_deadline_at": now + self.policy.confirm_within,  # silence closes it
                "updated_at": now,
            }
            await _drop(session, pending)
            if not await self._change(session, report, Action.RESOLVE, values):
                return await self._lost_race(session, staff, report, Action.RESOLVE)
            note, photos = detail["note"], detail.get("photos", [])
            await self._event(
                session,
                report,
                staff,
                "resolved",
                Status.ACKNOWLEDGED,
                Status.RESOLVED,
                {"note": note, "photos": photos},
            )
            card = await card_of(session, report)
            notices = await to_followers(
                session,
                report,
                "resolved",
                card,
                note=quoted(note),
                photos=photos,
                staff=staff.name,
                role=staff.role,
            )
            await post(session, notices)
            return Outcome("resolved_ok", staff.language, card=card, notices=tuple(notices))

    async def _hand_over(
        self, person: Person, report_id: int, target: str, reason: str | None
    ) -> Outcome:
        async with transaction(self.sessions) as session:
            staff, report, refused = await self._check(session, person, report_id, Action.ASSIGN)
            pending = await queries.pending_input(session=session, telegram_id=person.telegram_id)
            seen = pending.detail.get("seen_assignee", ...) if pending is not None else ...
            if pending is not None:
                await _drop(session, pending)
            if refused:
                return refused
            if seen is not ... and seen != report.assignee_id:  # it moved while they typed
                return await self._lost_race(session, staff, report, Action.ASSIGN)
            receivers, level = await self._receivers(session, report, target, staff)
            if not receivers:
                to_worker = target not in (TO_COORDINATOR, NOT_MY_GRID)
                key = "handover_outside" if to_worker else "handover_nobody"
                return Outcome(key, staff.language, refused=True)
            now = self.clock()
            values = {
                "status": Status.ASSIGNED,
                "assignee_id": receivers[0].id,
                "escalation_level": level,
                "assigned_at": now,
                "acknowledged_at": None,
                "rectify_deadline_at": None,
                "ack_deadline_at": now + self.policy.ack_within(report.kind, report.severity),
                "next_deadline_at": now + self.policy.ack_within(report.kind, report.severity),
                "updated_at": now,
            }
            previous = report.status
            if not await self._change(session, report, Action.ASSIGN, values):
                return await self._lost_race(session, staff, report, Action.ASSIGN)
            reason = reason or (
                "not_my_grid" if target == TO_COORDINATOR and reason is None else ""
            )
            await self._event(
                session,
                report,
                staff,
                "handed_over",
                previous,
                Status.ASSIGNED,
                {"to": receivers[0].id, "told": [r.id for r in receivers], "reason": reason},
            )
            card = await card_of(session, report)
            notices = [
                to_staff(r, "task", card, priority=TASK, handed_from=staff.name, reason=reason)
                for r in receivers
            ]
            notices += await to_followers(session, report, "handed_over", card)
            await post(session, notices)
            return Outcome(
                "handover_ok",
                staff.language,
                values={"to": receivers[0].name},
                card=card,
                notices=tuple(notices),
            )

    async def _receivers(
        self, session: AsyncSession, report: Report, target: str, giver: Staff
    ) -> tuple[list[Staff], int]:
        """Who takes a handed-over task: the worker chosen (of the report's community), else
        the coordinators above, never the person handing it over."""
        if target not in (TO_COORDINATOR, NOT_MY_GRID):
            worker = await _chosen_worker(session, report, target, giver)
            return ([worker] if worker else []), 0
        place = await place_of(session, report)
        now = self.clock()
        for level in (1, 2):
            staff = await routing.staff_at(session, place, level=level, now=now, policy=self.policy)
            staff = [s for s in staff if s.role != "worker" and s.id != giver.id]
            if staff:
                return staff, level
        return [], 2

    async def _await_input(
        self,
        person: Person,
        report_id: int,
        action: Action,
        purpose: str,
        prompt: str,
        detail: dict | None = None,
    ) -> Outcome:
        async with transaction(self.sessions) as session:
            staff, report, refused = await self._check(session, person, report_id, action)
            if refused:
                return refused
            # What the task looked like when they pressed: a later step checks it is unchanged.
            detail = {**(detail or {}), "seen_assignee": report.assignee_id}
            await queries.expect_input(
                session=session,
                telegram_id=person.telegram_id,
                purpose=purpose,
                report_id=report.id,
                detail=detail,
                now=self.clock(),
            )
            if purpose == "ask" and report.kind == "question":
                prompt = "answer_prompt"
            values = {"reference": report.reference, "photo": report.kind == "hazard"}
            return Outcome(prompt, staff.language, values=values)

    async def _answering(
        self, session: AsyncSession, person: Person, seen: PendingInput, action: Action
    ) -> tuple[PendingInput, Staff | None, Report | None, Outcome | None]:
        """What someone sends after a prompt: the pending input as this transaction sees it,
        and whether they may still do what it was for (if not, the prompt is over)."""
        pending = await self._fresh(session, person, seen)
        staff, report, refused = await self._check(session, person, pending.report_id, action)
        if refused:
            await _drop(session, pending)
        return pending, staff, report, refused

    async def _fresh(
        self, session: AsyncSession, person: Person, seen: PendingInput
    ) -> PendingInput:
        """The pending row as this transaction sees it (the one read earlier is detached)."""
        pending = await queries.pending_input(session=session, telegram_id=person.telegram_id)
        return pending if pending is not None else seen

    async def _simple(self, person: Person, key: str, report_id: int) -> Outcome:
        """Repeat a prompt (the person sent something other than what it asked for)."""
        async with transaction(self.sessions) as session:
            staff = await queries.staff_by_telegram_id(
                session=session, telegram_id=person.telegram_id
            )
            report = await session.get(Report, report_id)
            values = {"reference": report.reference if report else "", "photo": True}
            return Outcome(key, staff.language if staff else "zh", values=values)

    async def _check(self, session: AsyncSession, person: Person, report_id: int, action: Action):
        staff = await queries.staff_by_telegram_id(session=session, telegram_id=person.telegram_id)
        report = await session.get(Report, report_id)
        why = await refusal(session, staff, report, action)
        if why is None:
            return staff, report, None
        return (
            staff,
            report,
            Outcome(why[0], staff.language if staff else "zh", why[1], refused=True),
        )

    async def _change(
        self, session: AsyncSession, report: Report, action: Action, values: dict
    ) -> bool:
        """Guarded on the state and on the assignee as this press saw them."""
        won = await queries.change_report(
            session=session,
            report_id=report.id,
            from_statuses=allowed_from(action),
            values=values,
            assignee_id=report.assignee_id,
        )
        await session.refresh(report)
        return won

    async def _lost_race(
        self, session: AsyncSession, staff: Staff, report: Report, action: Action
    ) -> Outcome:
        why = await refusal(session, staff, report, action) or (
            "task_moved_on",
            await assignee_values(session, report),
        )
        return Outcome(why[0], staff.language, why[1], refused=True)

    async def _event(
        self,
        session: AsyncSession,
        report: Report,
        staff: Staff,
        action: str,
        from_status: str | None = None,
        to_status: str | None = None,
        detail: dict | None = None,
    ) -> None:
        await queries.add_event(
            session=session,
            report_id=report.id,
            actor=f"staff:{staff.id}",
            action=action,
            from_status=from_status,
            to_status=to_status,
            detail=detail,
            at=self.clock(),
        )


async def _pick_list(session: AsyncSession, report: Report, giver: Staff) -> list[Staff]:
    """Whom a task may be handed to: the active workers of its community, not the giver."""
    workers = await queries.workers_of_community(session=session, community=report.community)
    return [w for w in workers if w.id != giver.id]


async def _chosen_worker(
    session: AsyncSession, report: Report, target: str, giver: Staff
) -> Staff | None:
    """The worker a press names, if the pick list has them (compared as text: a forged id
    never reaches the database)."""
    return next((w for w in await _pick_list(session, report, giver) if str(w.id) == target), None)


async def _drop(session: AsyncSession, pending: PendingInput) -> None:
    await session.delete(pending)
    await session.flush()
