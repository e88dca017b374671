"""How fast fires were met: of the emergencies a team was called to in a period, the share
reached within ten minutes of the first call, and the minutes to set off and to arrive."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from storage import teams as team_rows
from storage.engine import SessionFactory, transaction


@dataclass(frozen=True)
class Arrivals:
    called: int  # emergencies a team was called to
    arrived: int
    arrived_in_time_rate: float | None  # arrived within the promise ÷ called
    depart_minutes_median: float | None
    arrive_minutes_median: float | None
    arrive_minutes_p90: float | None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


async def arrivals(
    sessions: SessionFactory, since: datetime, until: datetime, promise: timedelta
) -> Arrivals:
    async with transaction(sessions) as session:
        rows = await team_rows.first_and_fastest(session=session, since=since, until=until)
    departs = [(d - c).total_seconds() / 60 for c, d, _ in rows if d is not None]
    arrives = [(a - c).total_seconds() / 60 for c, _, a in rows if a is not None]
    in_time = sum(m <= promise.total_seconds() / 60 for m in arrives)
    return Arrivals(
        called=len(rows),
        arrived=len(arrives),
        arrived_in_time_rate=in_time / len(rows) if rows else None,
        depart_minutes_median=_rank(departs, 0.5),
        arrive_minutes_median=_rank(arrives, 0.5),
        arrive_minutes_p90=_rank(arrives, 0.9),
    )


def _rank(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile, in minutes to one decimal."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(math.ceil(share * len(ordered)), 1) - 1], 1)


@dataclass(frozen=True)
class Met:
    """One team's call-out to one emergency, timed from the call."""

    team: str
    reference: str
    depart_seconds: float | None
    arrive_seconds: float | None


async def latest_call(sessions: SessionFactory) -> Met | None:
    """The last team called out, and how long it took to set off and to get there."""
    async with transaction(sessions) as session:
        found = await team_rows.latest_call(session=session)
    if found is None:
        return None
    call, team, reference = found

    def seconds(at: datetime | None) -> float | None:
        return None if at is None else round((at - call.called_at).total_seconds(), 1)

    return Met(team, reference, seconds(call.departed_at), seconds(call.arrived_at))
