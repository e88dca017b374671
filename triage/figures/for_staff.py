"""`/stats` in the chat: this month so far, against the same number of days before, for the
place a coordinator answers for (an officer or admin: the whole district). The same figures
as `firecircle stats` (indicators.figures), fewer of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from storage.engine import SessionFactory
from storage.types import utcnow
from triage.actors import Actor, Role
from triage.escalation.policy import Policy
from triage.figures.indicators import Place, figures
from triage.figures.period import Period

MAY_SEE = frozenset({Role.COORDINATOR, Role.OFFICER, Role.ADMIN})
HEADLINE = (
    "received",
    "ack_in_time_rate",
    "rectified_on_time_rate",
    "closed_rate",
    "reopen_rate",
    "satisfaction_rate",
    "team_arrived_in_ten_rate",
)


async def month_so_far(
    sessions: SessionFactory, policy: Policy, actor: Actor | None, now: datetime | None = None
) -> dict[str, Any] | None:
    """The headline figures, each with its value before (`previous`); None: not for them."""
    if actor is None or actor.role not in MAY_SEE or not actor.active:
        return None
    today = (now or utcnow()).astimezone(policy.timezone).date()
    period = Period(today.replace(day=1), today)
    place = Place()
    if actor.role == Role.COORDINATOR:
        place = Place(community=actor.community, street=None if actor.community else actor.street)
    found = await figures(sessions, policy, period, place)
    return {
        "period": found["period"],
        "place": actor.community or actor.street if actor.role == Role.COORDINATOR else None,
        "figures": {key: (found[key], found["previous"][key]) for key in HEADLINE},
    }
