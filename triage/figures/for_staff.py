"""The headline figures for staff, in their scope: `/stats` in the chat and the console's
statistics page. A worker sees their grid cells, a coordinator their community (or street),
an officer or admin the whole district; each over today, the last 7 or 30 days, or this
month so far, against the same number of days before (环比). The same figures as `firecircle
stats` (indicators.figures), fewer of them."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.engine import SessionFactory
from storage.types import utcnow
from triage.actors import Actor, Role
from triage.escalation.policy import Policy
from triage.figures.indicators import Place, figures
from triage.figures.period import Period

MAY_SEE = frozenset({Role.WORKER, Role.COORDINATOR, Role.OFFICER, Role.ADMIN})
HEADLINE = (
    "received",
    "ack_in_time_rate",
    "rectified_on_time_rate",
    "closed_rate",
    "reopen_rate",
    "satisfaction_rate",
    "team_arrived_in_ten_rate",
)
# What a period is called where it is chosen (a button, a query parameter): days, or the month
PERIODS = ("1", "7", "30", "month")
DEFAULT_PERIOD = "month"


def place_of(actor: Actor) -> tuple[Place, str]:
    """The place this person answers for, and what kind of place it is ("grids": a worker's
    cells; "community", "street"; "district": everything)."""
    if actor.role == Role.WORKER:
        return Place(grid_ids=tuple(actor.grids)), "grids"
    if actor.role == Role.COORDINATOR and actor.community:
        return Place(community=actor.community), "community"
    if actor.role == Role.COORDINATOR and actor.street:
        return Place(street=actor.street), "street"
    return Place(), "district"


def period_of(choice: str, today) -> Period:
    """The local days of a period choice ending today (an unknown choice: this month)."""
    if choice in PERIODS and choice != "month":
        return Period(today - timedelta(days=int(choice) - 1), today)
    return Period(today.replace(day=1), today)


async def headline(
    sessions: SessionFactory,
    policy: Policy,
    actor: Actor | None,
    choice: str = DEFAULT_PERIOD,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The headline figures, each with its value before; None: not for them (a resident,
    someone unknown or no longer active)."""
    if actor is None or actor.role not in MAY_SEE or not actor.active:
        return None
    choice = choice if choice in PERIODS else DEFAULT_PERIOD
    today = (now or utcnow()).astimezone(policy.timezone).date()
    place, where = place_of(actor)
    found = await figures(sessions, policy, period_of(choice, today), place)
    return {
        "choice": choice,
        "period": found["period"],
        "previous": found["previous"]["period"],
        "where": where,
        "place": actor.community or actor.street if where in ("community", "street") else None,
        "figures": {key: (found[key], found["previous"][key]) for key in HEADLINE},
        "emergencies": found["emergencies"],
        "by_category": found["by_category"],
        "by_grid": found["by_grid"],
    }


async def month_so_far(
    sessions: SessionFactory, policy: Policy, actor: Actor | None, now: datetime | None = None
) -> dict[str, Any] | None:
    """This month so far (what `/stats` shows first)."""
    return await headline(sessions, policy, actor, "month", now)
