"""The life of a report: its states and which action may move it from where to where.

new ──assign──▶ assigned ──acknowledge──▶ acknowledged ──resolve──▶ resolved ──close──▶ closed
 │                 ▲  │                                               │
 │                 │  └── escalate (same state, level + 1)            │
 │                 └──────────── reassign / hand over ◀── reopen ─────┘
 └── merge ──▶ merged (a duplicate follows the original)
new, assigned, acknowledged, resolved ──withdraw──▶ closed (the resident asked to be forgotten)
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


class Action(StrEnum):
    ASSIGN = "assign"
    ACKNOWLEDGE = "acknowledge"
    ESCALATE = "escalate"
    RESOLVE = "resolve"
    RESOLVE_QUESTION = "resolve_question"  # an answer settles a question, acknowledged or not
    REOPEN = "reopen"
    CLOSE = "close"
    MERGE = "merge"
    REINSPECT = "reinspect"  # 回头看 on a closed report: confirm it, or reopen it
    WITHDRAW = "withdraw"  # the resident asked to be forgotten: an unsettled report ends


OPEN = frozenset({Status.NEW, Status.ASSIGNED, Status.ACKNOWLEDGED})

# action → (the states it may start from, the state it leads to; None keeps the state)
TRANSITIONS: dict[Action, tuple[frozenset[Status], Status | None]] = {
    Action.ASSIGN: (frozenset({Status.NEW, Status.ASSIGNED, Status.ACKNOWLEDGED}), Status.ASSIGNED),
    Action.ACKNOWLEDGE: (frozenset({Status.ASSIGNED}), Status.ACKNOWLEDGED),
    Action.ESCALATE: (frozenset({Status.NEW, Status.ASSIGNED}), None),
    Action.RESOLVE: (frozenset({Status.ACKNOWLEDGED}), Status.RESOLVED),
    Action.RESOLVE_QUESTION: (frozenset({Status.ASSIGNED, Status.ACKNOWLEDGED}), Status.RESOLVED),
    Action.REOPEN: (frozenset({Status.RESOLVED, Status.CLOSED}), Status.ASSIGNED),
    Action.CLOSE: (frozenset({Status.RESOLVED}), Status.CLOSED),
    Action.MERGE: (frozenset({Status.NEW}), Status.MERGED),
    Action.REINSPECT: (frozenset({Status.CLOSED}), None),
    Action.WITHDRAW: (OPEN | {Status.RESOLVED}, Status.CLOSED),
}


def allowed_from(action: Action) -> frozenset[Status]:
    return TRANSITIONS[action][0]


def leads_to(action: Action, current: Status) -> Status:
    target = TRANSITIONS[action][1]
    return current if target is None else target


def can(action: Action, current: str) -> bool:
    return current in allowed_from(action)
