"""Every figure of `firecircle stats`, for a period and a place, and for the period before.

The reports counted are those received in the period (created between the local midnights
that bound it, merged duplicates left out); what happened to them is read from their history
up to the end of the period, so a past month's figures never change. README ("Statistics")
defines each figure; the SQL is in storage.figures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import figures as rows
from storage import grid as grid_rows
from storage.engine import SessionFactory, transaction
from triage.escalation.policy import Policy
from triage.figures.period import FiguresError, Period
from triage.figures.ranking import ranked
from triage.understanding.taxonomy import Kind

HANDLED = ("hazard", "emergency")  # what `received` counts; questions have figures of their own
MEDIAN, P90 = (1, 2), (9, 10)
UNCATEGORISED = "uncategorised"


@dataclass(frozen=True)
class Place:
    """Where, as the user named it (all None: the whole district); `grid_ids`: a worker's
    cells by id (the chat and the console scope by them)."""

    community: str | None = None
    street: str | None = None
    grid: str | None = None
    grid_ids: tuple[int, ...] | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"community": self.community, "street": self.street, "grid": self.grid}


async def figures(
    sessions: SessionFactory,
    policy: Policy,
    period: Period,
    place: Place = Place(),
    before: Period | None = None,
) -> dict[str, Any]:
    """The figures of the period with those of the period before under `previous`: by
    default the one of equal length just before, or `before` (the report's calendar month)."""
    before = before or period.previous()
    async with transaction(sessions) as session:
        scope = await scope_of(session, place)
        current = await _figures(session, policy, period, scope)
        earlier = await _figures(session, policy, before, scope)
    return {
        "period": period.as_dict(),
        "timezone": policy.timezone.key,
        "place": place.as_dict(),
        **current,
        "previous": {"period": before.as_dict(), **earlier},
    }


async def scope_of(session: AsyncSession, place: Place) -> rows.Scope:
    communities, streets = await rows.known_places(session)
    if place.community is not None and place.community not in communities:
        raise FiguresError(f"no community {place.community!r} (the grid cells name none such)")
    if place.street is not None and place.street not in streets:
        raise FiguresError(f"no street {place.street!r} (the grid cells name none such)")
    grid_id = None
    if place.grid is not None:
        cell = await grid_rows.grid_cell_by_code(session=session, code=place.grid)
        if cell is None:
            raise FiguresError(f"no grid cell {place.grid!r} (see `firecircle grids list`)")
        grid_id = cell.id
    return rows.Scope(place.community, place.street, grid_id, place.grid_ids)


async def _figures(
    session: AsyncSession, policy: Policy, period: Period, scope: rows.Scope
) -> dict[str, Any]:
    start, end = period.bounds(policy.timezone)
    windows = rows.AckWindows(
        policy.ack.total_seconds() / 60,
        {key: within.total_seconds() / 60 for key, within in policy.ack_by.items()},
    )
    levels = policy.top_level
    query = rows.cohort_select(session, start, end, scope, windows, levels)
    await rows.make_cohort(session, query)
    try:
        sums = await rows.sums(session, levels)
        ack = await rows.percentiles(session, "ack_minutes", HANDLED, (MEDIAN, P90))
        fix = await rows.percentiles(session, "resolve_minutes", HANDLED, (MEDIAN, P90))
        answer = await rows.percentiles(session, "answer_minutes", ("question",), (MEDIAN,))
    finally:
        await rows.drop_cohort(session)
    cells = await rows.grid_cells(session, scope)
    teams = await _teams(session, policy, start, end, scope)
    handled = [r for r in sums if r["kind"] in HANDLED]
    assignees = sorted({r["assignee_id"] for r in handled if r["assignee_id"] is not None})
    staff = await rows.staff_names(session, assignees)
    return {
        **_received(sums, handled),
        **_handling(handled),
        "escalations": {
            str(n): _total(handled, rows.escalated_column(n)) for n in range(1, levels + 1)
        },
        "ack_minutes_median": _minutes(ack[MEDIAN]),
        "ack_minutes_p90": _minutes(ack[P90]),
        "resolve_minutes_median": _minutes(fix[MEDIAN]),
        "resolve_minutes_p90": _minutes(fix[P90]),
        **_questions([r for r in sums if r["kind"] == Kind.QUESTION], answer[MEDIAN]),
        **teams,
        "by_grid": _by_grid(handled, cells, policy.score_weights),
        "by_worker": _by_worker(handled, staff, policy.score_weights),
    }


async def _teams(
    session: AsyncSession, policy: Policy, start, end, scope: rows.Scope
) -> dict[str, Any]:
    """The ten-minute circle: emergencies a patrol team was called to, how many it reached,
    the share reached within `policy.team_arrive` of the first call, and the minutes."""
    times = rows.team_select(session, start, end, scope)
    called, arrived, in_time = await rows.team_sums(
        session, times, policy.team_arrive.total_seconds() / 60
    )
    depart = await rows.team_percentiles(session, times, "depart_minutes", (MEDIAN, P90))
    arrive = await rows.team_percentiles(session, times, "arrive_minutes", (MEDIAN, P90))
    return {
        "team_calls": called,
        "team_arrived": arrived,
        "team_arrived_in_ten_rate": _rate(in_time, called),
        "team_depart_minutes_median": _minutes(depart[MEDIAN]),
        "team_depart_minutes_p90": _minutes(depart[P90]),
        "team_arrive_minutes_median": _minutes(arrive[MEDIAN]),
        "team_arrive_minutes_p90": _minutes(arrive[P90]),
    }


SOURCES = ("resident", "patrol", "campaign", "open311")


def _received(sums: list[dict], handled: list[dict]) -> dict[str, Any]:
    categories: dict[str, int] = {}
    for row in handled:
        name = row["category"] or UNCATEGORISED
        categories[name] = categories.get(name, 0) + row["reports"]
    return {
        "received": _total(handled, "reports"),
        "by_kind": {k.value: _total([r for r in sums if r["kind"] == k], "reports") for k in Kind},
        "by_category": dict(sorted(categories.items(), key=lambda item: (-item[1], item[0]))),
        # Where the handled reports came from: residents, patrols, campaigns, other systems
        "by_source": {
            source: _total([r for r in handled if r["source"] == source], "reports")
            for source in SOURCES
        },
        "emergencies": _total([r for r in handled if r["kind"] == Kind.EMERGENCY], "reports"),
    }


def _handling(handled: list[dict]) -> dict[str, Any]:
    """Acknowledged, resolved, closed, reopened, visited and rated: counts and rates."""
    t = {name: _total(handled, name) for name in (*rows.FLAGS, "reports")}
    return {
        "assigned": t["assigned"],
        "ack_in_time_rate": _rate(t["ack_in_time"], t["assigned"]),
        "resolved": t["resolved"],
        "closed": t["closed"],
        "closed_rate": _rate(t["closed"], t["reports"]),
        "rectified_on_time_rate": _rate(t["on_time"], t["resolved"]),
        "reopen_rate": _rate(t["reopened"], t["resolved"]),
        "return_visit_rate": _rate(t["visit_answered"], t["resolved"]),
        "satisfaction_rate": _rate(t["rated_well"], t["rated"]),
        "rating_mean": round(t["stars"] / t["rated"], 2) if t["rated"] else None,
        "ratings": t["rated"],
    }


def _questions(asked: list[dict], answer_median: float | None) -> dict[str, Any]:
    questions = _total(asked, "reports")
    return {
        "questions": questions,
        "questions_answered_at_once_rate": _rate(_total(asked, "faq_at_once"), questions),
        "staff_answer_minutes_median": _minutes(answer_median),
    }


def _by_grid(handled: list[dict], cells: list, weights: dict[str, float]) -> list[dict]:
    grids = []
    for grid_id, code, name in cells:
        mine = [r for r in handled if r["grid_id"] == grid_id]
        grids.append({"grid": code, "name": name, **_unit(mine)})
    return ranked(grids, weights)


def _by_worker(
    handled: list[dict], staff: dict[int, tuple[str, str]], weights: dict[str, float]
) -> list[dict]:
    """Everyone holding handled reports of the period (their assignee now), ranked as cells."""
    workers = []
    for staff_id, (name, role) in staff.items():
        mine = [r for r in handled if r["assignee_id"] == staff_id]
        workers.append({"worker": staff_id, "name": name, "role": role, **_unit(mine)})
    return ranked(workers, weights)


def _unit(mine: list[dict]) -> dict[str, Any]:
    t = {n: _total(mine, n) for n in (*rows.FLAGS, "reports")}
    return {
        "received": t["reports"],
        "ack_in_time_rate": _rate(t["ack_in_time"], t["assigned"]),
        "rectified_on_time_rate": _rate(t["on_time"], t["resolved"]),
        "satisfaction_rate": _rate(t["rated_well"], t["rated"]),
        "closed_rate": _rate(t["closed"], t["reports"]),
    }


def _total(sums: list[dict], name: str) -> int:
    return int(sum(row[name] or 0 for row in sums))


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None
