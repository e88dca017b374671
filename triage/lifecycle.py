"""The life of a report, in one place: which action may move it from which state to which, by
whom, and whom to tell. `Lifecycle.transition` is the only way a report's state changes;
`Lifecycle.available_actions` is what a card, a page or an API may offer.

new ──assign──▶ assigned ──acknowledge──▶ acknowledged ──resolve──▶ resolved ──confirm──▶ closed
 │                ▲  │ ▲                       │                      │  ▲        close (silence)
 │                │  │ └── hand over / assign to ◀┘                   │  └──────────────┐
 │                │  └── escalate, remind (same state, up the chain)  │                 │
 │                └──────────── reopen (the resident: not fixed) ◀────┘                 │
 │                └──────────── reopen on reinspection (回头看) ◀────────────────────────┘
 ├── merge ──▶ merged (a duplicate follows the original)
open ──mark duplicate (staff)──▶ merged;  open or resolved ──close (staff, with a reason)──▶ closed
any state but merged ──note (staff)──▶ the same state, a note in the history
 └── file / answer from the FAQ ──▶ closed (nothing left for staff to do)
open or resolved ──withdraw──▶ closed (the resident asked to be forgotten)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import cards as card_rows
from storage import console as console_rows
from storage import deadlines as deadline_rows
from storage import reports as report_rows
from storage.models import Report
from storage.types import utcnow
from triage import effects
from triage.actors import STAFF_ROLES, Actor, Role
from triage.actors import SYSTEM as SYSTEM_ACTOR
from triage.console.scope import scope_of
from triage.escalation.policy import Policy
from triage.permissions import assignee_values, is_follower, on_task, told_about
from triage.reports.notices import Notice, card_of, cards_changed, post, to_followers


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


class Action(StrEnum):
    ASSIGN = "assign"  # the first level of the chain gets it
    ESCALATE = "escalate"  # unacknowledged past its deadline: one level up
    REMIND = "remind"  # at the top of the chain, everyone on it again
    STALL = "stall"  # nobody in the chain at all: the clock stops
    ACKNOWLEDGE = "acknowledge"  # 接单 / 接手
    ASK = "ask"  # 询问居民
    HAND_OVER = "hand_over"  # a worker's 转交 / 不是我的网格
    ASSIGN_TO = "assign_to"  # 指派给… from above
    ORDER = "order"  # 整改单: what to do, and by when
    RESOLVE = "resolve"  # 办结
    ANSWER = "answer"  # staff answer a question
    CONFIRM = "confirm"  # the resident: fixed
    REOPEN = "reopen"  # the resident: not fixed
    CLOSE = "close"  # the resident said nothing in time
    RATE = "rate"
    REINSPECTION_DUE = "reinspection_due"  # 回头看 is due
    REINSPECT = "reinspect"  # 仍已整改 (with a photo)
    REOPEN_ON_REINSPECTION = "reopen_on_reinspection"  # 重新打开
    RECTIFY_OVERDUE = "rectify_overdue"  # 督办
    MERGE = "merge"
    FILE = "file"  # feedback, out of scope: kept for the record
    ANSWER_FROM_FAQ = "answer_from_faq"
    REASK = "reask"  # the FAQ's answer did not help: staff answer it
    RECLASSIFY = "reclassify"  # the resident corrected how their message was read
    WITHDRAW = "withdraw"  # the resident asked to be forgotten
    FLAG_ABUSE = "flag_abuse"  # 标记骚扰
    CONFIRM_ABUSE = "confirm_abuse"
    REJECT_ABUSE = "reject_abuse"
    EDIT = "edit"  # the resident edited the message the report was made of
    NOTE = "note"  # 备注: staff write something down, nothing else changes
    MARK_DUPLICATE = "mark_duplicate"  # 标记重复: staff merge it into another report
    STAFF_CLOSE = "staff_close"  # 结案: those above close it (resolved, or nothing to do)


OPEN = frozenset({Status.NEW, Status.ASSIGNED, Status.ACKNOWLEDGED})
# What filing a report does to it in the same transaction, before anyone has seen it
FILING = frozenset({Action.ASSIGN, Action.FILE, Action.MERGE, Action.ANSWER_FROM_FAQ})
ALIVE = frozenset(set(Status) - {Status.MERGED})
STAFF = frozenset(STAFF_ROLES)
ABOVE = frozenset({Role.COORDINATOR, Role.OFFICER, Role.ADMIN})
RESIDENT = frozenset({Role.RESIDENT})
SYSTEM = frozenset({Role.SYSTEM})


@dataclass(frozen=True)
class Rule:
    start: frozenset[Status]  # the states it may be taken from
    to: Status | None  # None keeps the state
    roles: frozenset[Role]
    event: str  # the history's name for it
    tell: str | None = None  # the notice the resident (and followers) get
    kinds: frozenset[str] | None = None  # report kinds it applies to (None: every kind)
    offered: bool = True  # offered on a card; False: only as the answer to something else


def _s(*statuses: Status) -> frozenset[Status]:
    return frozenset(statuses)


N, AS, AC, R, C = Status.NEW, Status.ASSIGNED, Status.ACKNOWLEDGED, Status.RESOLVED, Status.CLOSED
HAZARDS = frozenset({"hazard", "emergency"})

TABLE: dict[Action, Rule] = {
    Action.ASSIGN: Rule(_s(N), AS, SYSTEM, "assigned"),
    Action.ESCALATE: Rule(_s(N, AS), None, SYSTEM, "escalated"),
    Action.REMIND: Rule(_s(AS), None, SYSTEM, "reminded"),
    Action.STALL: Rule(_s(N, AS), None, SYSTEM, "nobody_above"),
    Action.ACKNOWLEDGE: Rule(_s(AS), AC, STAFF, "acknowledged", "acknowledged"),
    Action.ASK: Rule(_s(AS, AC), None, STAFF, "asked_resident", kinds=HAZARDS | {"feedback"}),
    Action.ANSWER: Rule(_s(AS, AC), R, STAFF, "answered", kinds=frozenset({"question"})),
    Action.HAND_OVER: Rule(_s(AS, AC), AS, frozenset({Role.WORKER}), "handed_over", "handed_over"),
    Action.ASSIGN_TO: Rule(_s(AS, AC), AS, ABOVE, "handed_over", "handed_over"),
    Action.ORDER: Rule(
        _s(AC), None, STAFF, "rectification_order", "rectification_order", frozenset({"hazard"})
    ),
    Action.RESOLVE: Rule(_s(AC), R, STAFF, "resolved", "resolved"),
    Action.CONFIRM: Rule(_s(R), C, RESIDENT, "confirmed_fixed", offered=False),
    Action.REOPEN: Rule(_s(R), AS, RESIDENT, "reopened", offered=False),
    Action.CLOSE: Rule(_s(R), C, SYSTEM, "closed"),
    Action.RATE: Rule(_s(R, C), None, RESIDENT, "rated", offered=False),
    Action.REINSPECTION_DUE: Rule(_s(C), None, SYSTEM, "reinspection_due"),
    Action.REINSPECT: Rule(_s(C), None, STAFF, "reinspected"),
    Action.REOPEN_ON_REINSPECTION: Rule(_s(C), AS, STAFF, "reopened", "reopened_on_reinspection"),
    Action.RECTIFY_OVERDUE: Rule(_s(AC), None, SYSTEM, "rectify_overdue"),
    Action.MERGE: Rule(_s(N), Status.MERGED, SYSTEM, "merged"),
    Action.FILE: Rule(_s(N), C, SYSTEM, "filed"),
    Action.ANSWER_FROM_FAQ: Rule(
        _s(N), C, SYSTEM, "answered_from_faq", kinds=frozenset({"question"})
    ),
    Action.REASK: Rule(_s(C), N, RESIDENT, "faq_not_helpful", kinds=frozenset({"question"})),
    Action.RECLASSIFY: Rule(_s(N, AS, C), C, RESIDENT, "reclassified", offered=False),
    Action.WITHDRAW: Rule(
        OPEN | {R}, C, frozenset({Role.RESIDENT, Role.ADMIN, Role.SYSTEM}), "withdrawn"
    ),
    Action.FLAG_ABUSE: Rule(OPEN, None, STAFF, "harassment_flagged"),
    Action.CONFIRM_ABUSE: Rule(
        ALIVE, C, frozenset({Role.COORDINATOR, Role.ADMIN}), "closed_as_harassment", offered=False
    ),
    Action.REJECT_ABUSE: Rule(
        ALIVE, None, frozenset({Role.COORDINATOR, Role.ADMIN}), "harassment_rejected", offered=False
    ),
    Action.EDIT: Rule(OPEN, None, RESIDENT, "edited", offered=False),
    Action.NOTE: Rule(ALIVE, None, STAFF, "noted"),
    Action.MARK_DUPLICATE: Rule(OPEN, Status.MERGED, STAFF, "marked_duplicate", "marked_duplicate"),
    Action.STAFF_CLOSE: Rule(OPEN | {R}, C, ABOVE, "closed_by_staff", "closed_by_staff"),
}
# Actions that need words (the note, the reason), refused without them
_WORDED = frozenset({Action.NOTE, Action.STAFF_CLOSE})


# Steps of the scheduler that keep the state but change what a card should show: the level,
# or a deadline now past (each once per report). A reminder, every step at the top of the
# chain, brings its own new card; edits of the old ones each time would flood the chats.
_SEEN_ON_CARDS = frozenset({Action.ESCALATE, Action.STALL, Action.RECTIFY_OVERDUE})


@dataclass(frozen=True)
class Refusal:
    """Why an action changes nothing: a text key (under [staff] for staff) and its values."""

    key: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class Moved:
    """What a transition did: the state before, the card after, whom to tell; or why not."""

    report: Report | None
    refusal: Refusal | None = None
    previous: str | None = None
    card: dict[str, Any] | None = None
    notices: list[Notice] = field(default_factory=list)

    @property
    def won(self) -> bool:
        return self.refusal is None


def allowed_from(action: Action) -> frozenset[Status]:
    return TABLE[action].start


def can(action: Action, current: str) -> bool:
    return current in TABLE[action].start


class Lifecycle:
    def __init__(self, policy: Policy, clock: Callable[[], datetime] = utcnow):
        self.policy = policy
        self.clock = clock

    async def transition(
        self,
        session: AsyncSession,
        report: Report | None,
        action: Action,
        actor: Actor,
        *,
        note: str | None = None,
        photos: Sequence[str] = (),
        detail: dict[str, Any] | None = None,
        seen_assignee: int | None | object = ...,
        say: dict[str, Any] | None = None,
        drawn: tuple[int, int] | None = None,
        **args: Any,
    ) -> Moved:
        """Check the table and the actor's rights, make the change in one guarded update
        (in the state, and with the assignee, as read or as `seen_assignee` when the actor
        saw it earlier), write the event; a stale or concurrent try loses and says why.
        `say`: what the followers' notice needs; `drawn`: the card (chat, message id) the
        actor pressed, which the surface draws again itself; `args`: what the action needs
        (to=, level=, deadline=, stars=, text=), see triage.effects."""
        refused = await refusal(session, report, action, actor)
        if refused is None and action in _WORDED and not (note or "").strip():
            refused = Refusal("note_needed", {"reference": report.reference})
        if refused is None and action == Action.MARK_DUPLICATE:
            refused = await duplicate_refusal(session, report, actor, args.get("into"))
        if refused is not None:
            return Moved(report, refused)
        rule, previous, now = TABLE[action], report.status, self.clock()
        values = effects.of(action, report, actor, self.policy, now, **args)
        if rule.to is not None:
            values["status"] = rule.to
        if values and not await self._write(session, report, rule, values, seen_assignee):
            why = await refusal(session, report, action, actor)
            return Moved(
                report, why or Refusal("task_moved_on", await assignee_values(session, report))
            )
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor=actor.ref,
            action=rule.event,
            from_status=previous if rule.to else None,
            to_status=rule.to,
            detail=_detail(detail, note, photos),
            at=now,
        )
        # One place for every change: whatever did it, the cards show it (a report filed in
        # this transaction has none yet: its first assignment sends them, worded then, so
        # a later change in the same transaction still asks for them to be drawn again).
        filing = action in FILING and report_rows.filed_here(session, report.id)
        if values and not filing:
            await _cards_changed(session, report.id, drawn)
        card = await card_of(session, report)
        notices = []
        if rule.tell:
            notices = await to_followers(session, report, rule.tell, card, **(say or {}))
        if action == Action.MARK_DUPLICATE:  # its own followers follow on, told just now
            await report_rows.follow_on(
                session=session, merged_into=report.id, now_into=args["into"]
            )
        return Moved(report, None, previous, card, notices)

    async def _write(
        self, session: AsyncSession, report: Report, rule: Rule, values: dict, seen: Any
    ) -> bool:
        won = await report_rows.change_report(
            session=session,
            report_id=report.id,
            from_statuses=[report.status],
            values=values,
            assignee_id=report.assignee_id if seen is ... else seen,
        )
        if won:
            report_rows.as_stored(report, values)
        else:  # someone else got there first: what is it now?
            await session.refresh(report)
        return won

    async def refusal(
        self, session: AsyncSession, report: Report | None, action: Action, actor: Actor
    ) -> Refusal | None:
        return await refusal(session, report, action, actor)

    async def available_actions(
        self, session: AsyncSession, report: Report, actor: Actor
    ) -> list[Action]:
        return await available_actions(session, report, actor)

    async def advance(
        self,
        session: AsyncSession,
        action: Action,
        moves: Iterable[tuple[Report, dict[str, Any] | None, dict[str, Any]]],
    ) -> set[int]:
        """A deadline's step for many reports at once (the scheduler's batch): each (report,
        column values or None for the action's own, event detail) read in a state the action
        may start from, changed only while still as read (state, level, deadline passed);
        the ids that won."""
        rule, now = TABLE[action], self.clock()
        groups: dict[tuple, list[tuple[Report, dict]]] = {}
        for report, values, detail in moves:
            if report.status not in rule.start:
                continue
            if values is None:
                values = effects.of(action, report, SYSTEM_ACTOR, self.policy, now)
            key = (report.status, report.escalation_level, tuple(values.items()))
            groups.setdefault(key, []).append((report, detail))
        won: set[int] = set()
        events = []
        for (status, level, values), members in groups.items():
            changed = await deadline_rows.advance_deadlines(
                session=session,
                reports=[r for r, _ in members],
                status=status,
                level=level,
                now=now,
                values={**dict(values), **({"status": rule.to} if rule.to else {})},
            )
            won |= changed
            events += [_event(r, rule, status, d, now) for r, d in members if r.id in changed]
        await report_rows.add_events(session=session, events=events)
        if rule.to is not None or action in _SEEN_ON_CARDS:
            await post(session, cards_changed(sorted(won)))
        return won


# Actions on the resident who filed the report: none on a patrol's, a campaign's, Open311's
NEEDS_RESIDENT = frozenset({Action.ASK, Action.FLAG_ABUSE})


async def refusal(
    session: AsyncSession, report: Report | None, action: Action, actor: Actor
) -> Refusal | None:
    """Why this actor may not take this action on this report now; None if they may."""
    rule = TABLE[action]
    if actor is None:
        return Refusal("not_staff")
    if actor.is_staff and not actor.active or not actor.is_staff and rule.roles <= STAFF:
        return Refusal("not_staff")
    if report is None:
        return Refusal("task_gone")
    if report.status == Status.MERGED:  # into which one, for whoever pressed an old button
        into = report.merged_into_id and await session.get(Report, report.merged_into_id)
        return Refusal(
            "task_merged",
            {"reference": report.reference, "original": into.reference if into else "—"},
        )
    if not await _on_it(session, report, actor):
        if actor.is_staff and actor.id in await told_about(session, report.id):
            return Refusal("task_moved_on", await assignee_values(session, report))
        return Refusal("not_your_task")
    if actor.role not in rule.roles:
        return Refusal("not_for_your_role")
    if rule.kinds is not None and report.kind not in rule.kinds:
        return Refusal("not_for_this_kind")
    if report.status not in rule.start:
        return Refusal(_wrong_state(action, report.status), await assignee_values(session, report))
    if action in NEEDS_RESIDENT and report.resident_id is None:
        return Refusal("no_resident")
    return None


async def duplicate_refusal(
    session: AsyncSession, report: Report, actor: Actor, into: int | None
) -> Refusal | None:
    """Why `report` may not be marked a duplicate of report `into` by this actor: the
    original must be another report, not merged itself, and in the actor's scope."""
    original = await session.get(Report, into) if into is not None else None
    if original is None:
        return Refusal("duplicate_unknown", {"reference": report.reference})
    values = {"reference": report.reference, "original": original.reference}
    if original.id == report.id:
        return Refusal("duplicate_of_itself", values)
    if original.status == Status.MERGED:
        further = original.merged_into_id and await session.get(Report, original.merged_into_id)
        return Refusal(
            "duplicate_of_merged", {**values, "further": further.reference if further else "—"}
        )
    scope = scope_of(actor)
    if not await console_rows.is_in_scope(session=session, report_id=original.id, scope=scope):
        return Refusal("duplicate_out_of_scope", values)
    return None


async def _on_it(session: AsyncSession, report: Report, actor: Actor) -> bool:
    if actor.role == Role.SYSTEM:
        return True
    if actor.is_resident:
        return await is_follower(session, report, actor.id)
    return await on_task(session, report, actor)


async def available_actions(session: AsyncSession, report: Report, actor: Actor) -> list[Action]:
    """What this actor may do to this report now, in the table's order."""
    if report is None or report.status == Status.MERGED:
        return []
    if actor.is_staff and not actor.active:
        return []
    if not await _on_it(session, report, actor):
        return []
    return offered(report.status, report.kind, actor.role, resident=report.resident_id is not None)


def offered(status: str, kind: str, role: str, *, resident: bool = True) -> list[Action]:
    """What someone of this role, on a report in this state, may be offered: the table
    alone (available_actions also checks that they are on it). `resident`: whether a
    resident filed it — a patrol's, a campaign's or another system's report has nobody to
    ask or to flag."""
    return [
        action
        for action, rule in TABLE.items()
        if rule.offered
        and role in rule.roles
        and status in rule.start
        and (rule.kinds is None or kind in rule.kinds)
        and (resident or action not in NEEDS_RESIDENT)
    ]


def _wrong_state(action: Action, status: str) -> str:
    if status == Status.ACKNOWLEDGED and action == Action.ACKNOWLEDGE:
        return "already_acknowledged"
    if status == Status.ASSIGNED and action in (Action.RESOLVE, Action.ORDER):
        return "acknowledge_first"
    if status in (Status.RESOLVED, Status.CLOSED):
        return f"already_{status}"
    return "task_moved_on"


async def _cards_changed(
    session: AsyncSession, report_id: int, drawn: tuple[int, int] | None
) -> None:
    """Every card of the report drawn again by the sender; not when the one pressed is its only
    card and nothing of it is on its way (SQLite, see storage.cards.only_card): the press
    draws that one itself, and the sender's edit would say the same again (issue 14: ≈ 7 %
    of a report's CPU)."""
    if drawn is None or not await card_rows.only_card(
        session=session, report_id=report_id, card=drawn
    ):
        await post(session, cards_changed([report_id]))


def _detail(detail: dict | None, note: str | None, photos: Sequence[str]) -> dict:
    out = dict(detail or {})
    if note is not None:
        out["note"] = note
    if photos:
        out["photos"] = list(photos)
    return out


def _event(report: Report, rule: Rule, status: str, detail: dict, now: datetime) -> dict:
    return {
        "report_id": report.id,
        "actor": "system",
        "action": rule.event,
        "from_status": status if rule.to else None,
        "to_status": rule.to,
        "at": now,
        "detail": detail,
    }


def as_markdown() -> str:
    """The table as README shows it (`python -m triage.lifecycle`; a test keeps them equal)."""
    lines = [
        "| action | from | to | who | history | the resident hears |",
        "|---|---|---|---|---|---|",
    ]
    for action, rule in TABLE.items():
        start = ", ".join(s for s in Status if s in rule.start)
        who = ", ".join(r for r in Role if r in rule.roles)
        kinds = f" ({', '.join(sorted(rule.kinds))})" if rule.kinds else ""
        lines.append(
            f"| {action}{kinds} | {start} | {rule.to or '(same)'} | {who} | {rule.event} "
            f"| {rule.tell or ''} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(as_markdown())
