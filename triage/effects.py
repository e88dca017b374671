"""What each action of the lifecycle writes besides the state: who holds the report, and its
deadlines under the policy. Only triage.lifecycle calls this."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.models import Report
from triage.actors import Actor
from triage.escalation.policy import Policy


def of(
    action: str, report: Report, actor: Actor, policy: Policy, now: datetime, **args: Any
) -> dict[str, Any]:
    """The columns `action` sets (without `status`, which the table gives)."""
    make = _EFFECTS.get(action)
    values = make(report, actor, policy, now, **args) if make else {}
    if values:
        values["updated_at"] = now
    return values


def _put_in_hands(
    report: Report, _actor, policy: Policy, now: datetime, *, to: int, level: int, cell=None
):
    """Assigned (or handed over) to `to`: a fresh acknowledgement deadline; `cell` puts a
    report that had no grid cell on one."""
    deadline = now + policy.ack_within(report.kind, report.severity)
    placed = {"grid_id": cell.id, "community": cell.community} if cell is not None else {}
    return {
        **placed,
        "assignee_id": to,
        "escalation_level": level,
        "assigned_at": now,
        "acknowledged_at": None,
        "rectify_deadline_at": None,
        "ack_deadline_at": deadline,
        "next_deadline_at": deadline,
    }


def _acknowledge(report: Report, actor: Actor, policy: Policy, now: datetime):
    rectify = now + policy.rectify_within(report.severity) if report.kind == "hazard" else None
    return {
        "assignee_id": actor.id,
        "acknowledged_at": now,
        "rectify_deadline_at": rectify,
        "next_deadline_at": rectify,
    }


def _order(_report, _actor, _policy, _now, *, deadline: datetime):
    return {"rectify_deadline_at": deadline, "next_deadline_at": deadline}


def _resolve(report: Report, _actor, policy: Policy, now: datetime):
    """The resident's silence after 办结 closes it; filed by another system (Open311), there
    is nobody in the chat to ask, so it closes at once (the scheduler's next pass)."""
    wait = policy.confirm_within if report.resident_id is not None else timedelta(0)
    return {"resolved_at": now, "next_deadline_at": now + wait}


def _answer(report: Report, actor: Actor, _policy, now: datetime):
    return {
        "assignee_id": actor.id,
        "resolved_at": now,
        "acknowledged_at": report.acknowledged_at or now,
        "next_deadline_at": None,
    }


def _close_fixed(report: Report, _actor, policy: Policy, now: datetime):
    """Fixed (said so, or nothing said in time): 回头看 later for the risky ones."""
    return {
        "closed_at": now,
        "next_deadline_at": policy.reinspection_at(report.kind, report.severity, now),
    }


def _reopen(report: Report, _actor, policy: Policy, now: datetime):
    deadline = now + policy.ack_within(report.kind, report.severity)
    return {
        "assigned_at": now,
        "acknowledged_at": None,
        "resolved_at": None,
        "closed_at": None,
        "ack_deadline_at": deadline,
        "next_deadline_at": deadline,
        "reopen_count": report.reopen_count + 1,
    }


def _reopen_to_actor(report: Report, actor: Actor, policy: Policy, now: datetime):
    return {**_reopen(report, actor, policy, now), "assignee_id": actor.id}


def _ended(_report, _actor, _policy, now: datetime):
    """Closed with nothing left to wait for."""
    return {
        "closed_at": now,
        "ack_deadline_at": None,
        "rectify_deadline_at": None,
        "next_deadline_at": None,
    }


def _reask(_report, _actor, _policy, _now):
    return {"closed_at": None}


def _rate(_report, _actor, _policy, _now, *, stars: int):
    return {"rating": stars}


def _edit(_report, _actor, _policy, _now, *, text: str):
    return {"text": text}


def _deadline_passed(_report, _actor, _policy, _now):
    return {"next_deadline_at": None}


def _supervised(_report, _actor, _policy, _now):
    return {"supervised": True, "next_deadline_at": None}


def _merge(_report, _actor, _policy, _now, *, into: int):
    return {"merged_into_id": into, "next_deadline_at": None}


def _marked_duplicate(_report, _actor, _policy, _now, *, into: int):
    """Staff say it is the same as another report: it follows that one, its clocks stop."""
    return {
        "merged_into_id": into,
        "ack_deadline_at": None,
        "rectify_deadline_at": None,
        "next_deadline_at": None,
    }


def _closed_by_staff(report: Report, actor: Actor, policy: Policy, now: datetime):
    """Closed from above: a resolved one as if the resident had confirmed it (回头看 later
    for the risky ones); an open one with nothing left to wait for."""
    if report.status == "resolved":
        return {
            **_close_fixed(report, actor, policy, now),
            "ack_deadline_at": None,
            "rectify_deadline_at": None,
        }
    return _ended(report, actor, policy, now)


_EFFECTS = {
    "assign": _put_in_hands,
    "hand_over": _put_in_hands,
    "assign_to": _put_in_hands,
    "acknowledge": _acknowledge,
    "order": _order,
    "resolve": _resolve,
    "answer": _answer,
    "confirm": _close_fixed,
    "close": _close_fixed,
    "reopen": _reopen,
    "reopen_on_reinspection": _reopen_to_actor,
    "rate": _rate,
    "reinspection_due": _deadline_passed,
    "rectify_overdue": _supervised,
    "merge": _merge,
    "file": _ended,
    "answer_from_faq": _ended,
    "reask": _reask,
    "reclassify": _ended,
    "withdraw": _ended,
    "confirm_abuse": _ended,
    "edit": _edit,
    "mark_duplicate": _marked_duplicate,
    "staff_close": _closed_by_staff,
}
