"""The statistics' SQL: one pass over the history of the reports received in a period makes a
row a report (a temporary table), and small aggregates over that table make every figure.

Nothing here knows what the figures mean (triage.figures does); this is how to count fast on
SQLite and PostgreSQL alike: the durations in minutes are computed by the database, the
percentiles are picked by rank, and only aggregated rows come back."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import GridCell, Report, ReportEvent, Staff, TeamCall

COHORT = "fc_figures_cohort"
# The per-report flags and durations summed per grid, kind and category (see cohort_select).
FLAGS = (
    "assigned",
    "ack_in_time",
    "resolved",
    "on_time",
    "closed",
    "reopened",
    "visit_answered",
    "rated",
    "rated_well",
    "stars",
    "faq_at_once",
    "staff_answered",
)
MEASURES = ("ack_minutes", "resolve_minutes", "answer_minutes")


@dataclass(frozen=True)
class Scope:
    """Which reports: one community (the report's), one street's cells, one cell, or a
    worker's cells (`grid_ids`: None, any cell; empty, none)."""

    community: str | None = None
    street: str | None = None
    grid_id: int | None = None
    grid_ids: tuple[int, ...] | None = None


@dataclass(frozen=True)
class AckWindows:
    """The minutes to acknowledge: by "kind.severity", by kind, else the default."""

    default: float
    by: Mapping[str, float]


class _CreateTempAs(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, name: str, query):
        self.name, self.query = name, query


@compiles(_CreateTempAs)
def _create_temp_as(element: _CreateTempAs, compiler, **kw) -> str:
    return f"CREATE TEMPORARY TABLE {element.name} AS {compiler.process(element.query, **kw)}"


def minutes_between(session: AsyncSession, later, earlier):
    """`later - earlier` in minutes, computed by the database (SQLite or PostgreSQL)."""
    if session.bind.dialect.name == "sqlite":
        return (func.julianday(later) - func.julianday(earlier)) * 1440.0
    return func.extract("epoch", later - earlier) / 60.0


def _first(action: str):
    return func.min(case((ReportEvent.action == action, ReportEvent.at)))


# Four yes/no facts of a history in one sum (each fact's count in its own three digits):
# one aggregate instead of four, over every event of a year, is what keeps this fast.
REOPENED, VISITED, FAQ_ANSWERED, FAQ_REJECTED = 1, 1_000, 1_000_000, 1_000_000_000


def _facts():
    e = ReportEvent
    summed = func.sum(
        case(
            (
                e.action == "reopened",  # 没解决 (from resolved) is also an answer to the visit
                case((e.from_status == "resolved", REOPENED + VISITED), else_=REOPENED),
            ),
            (e.action == "confirmed_fixed", VISITED),
            (e.action == "answered_from_faq", FAQ_ANSWERED),
            (e.action == "faq_not_helpful", FAQ_REJECTED),
            else_=0,
        )
    )
    return cast(summed, BigInteger)  # PostgreSQL sums bigints as numeric: divide whole


def _has(facts, fact: int):
    return (func.coalesce(facts, 0) // fact) % 1000 > 0


# Escalations by the level reached, six levels to a sum in the same way (level n counted in the
# three digits at 1000^((n-1) % 6)); `reportevent.level` is in the history index (0020).
LEVELS_A_SUM = 6


def escalated_column(level: int) -> str:
    return f"escalated_{level}"


def _escalations(levels: int):
    """One packed count per six levels: (label, expression) for the history subquery."""
    e = ReportEvent
    packed = []
    for first in range(1, levels + 1, LEVELS_A_SUM):
        last = min(levels, first + LEVELS_A_SUM - 1)
        whens = [(e.level == n, 1000 ** (n - first)) for n in range(first, last + 1)]
        counted = case((e.action == "escalated", case(*whens, else_=0)), else_=0)
        summed = cast(func.sum(counted), BigInteger)
        packed.append((f"escalated_from_{first}", summed))
    return packed


def _escalated(history, level: int):
    first = (level - 1) // LEVELS_A_SUM * LEVELS_A_SUM + 1
    packed = func.coalesce(history.c[f"escalated_from_{first}"], 0)
    return (packed // 1000 ** (level - first)) % 1000


def _events(end: datetime, first_id, last_id, levels: int):
    """Per report with an id in [first_id, last_id], what its history says up to `end`: first
    times, facts, escalations by level, its last move (×10, +1 if it closed the report) and
    its last rating. One pass over the events in the order of the (report_id, at, action, …)
    index, reading nothing else ("created" says nothing a figure needs)."""
    e = ReportEvent
    closed = case((e.to_status == "closed", 1), else_=0)
    return (
        select(
            e.report_id,
            _first("assigned").label("first_assigned"),
            _first("acknowledged").label("first_ack"),
            _first("resolved").label("first_resolved"),
            _first("rectify_overdue").label("first_overdue"),
            _first("answered").label("first_answered"),
            _facts().label("facts"),
            func.max(case((col(e.to_status).is_not(None), e.id * 10 + closed))).label("last_move"),
            # the last rating's stars (×10 under its id, as the last move)
            func.max(case((e.action == "rated", e.id * 10 + e.level))).label("last_rating"),
            *(summed.label(label) for label, summed in _escalations(levels)),
        )
        .where(e.report_id >= first_id, e.report_id <= last_id, e.at < end)
        .group_by(e.report_id)
        .subquery("history")
    )


def _ack_window(windows: AckWindows):
    """The acknowledgement window of each report's kind and severity, as the policy says."""
    kind_severity = Report.kind + literal(".") + func.coalesce(Report.severity, "")
    whens = [(kind_severity == k, v) for k, v in windows.by.items() if "." in k]
    whens += [(Report.kind == k, v) for k, v in windows.by.items() if "." not in k]
    return case(*whens, else_=windows.default) if whens else literal(windows.default)


def _scoped(query, scope: Scope):
    if scope.community is not None:
        query = query.where(Report.community == scope.community)
    if scope.street is not None:
        cells = select(GridCell.id).where(GridCell.street == scope.street)
        query = query.where(col(Report.grid_id).in_(cells))
    if scope.grid_id is not None:
        query = query.where(Report.grid_id == scope.grid_id)
    if scope.grid_ids is not None:
        query = query.where(col(Report.grid_id).in_(scope.grid_ids or (-1,)))
    return query


def cohort_select(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    scope: Scope,
    windows: AckWindows,
    levels: int,
):
    """One row a report received in [start, end) (merged duplicates left out): its kind,
    category and cell, 0/1 flags, its escalations to each of `levels`, and its durations in
    minutes, as of `end`."""
    in_period = and_(Report.created_at >= start, Report.created_at < end)
    # Ids grow with time: the period's reports are a narrow range of ids, whose events are
    # read in one stretch of the index (exact whatever the order; fast as it is in practice)
    first_id = select(func.min(Report.id)).where(in_period).scalar_subquery()
    last_id = select(func.max(Report.id)).where(in_period).scalar_subquery()
    h = _events(end, first_id, last_id, levels)
    stars = h.c.last_rating % 10
    ack = minutes_between(session, h.c.first_ack, h.c.first_assigned)
    resolved = h.c.first_resolved.is_not(None)

    def flag(condition):
        return case((condition, 1), else_=0)

    columns = [
        Report.id,
        Report.kind,
        func.coalesce(Report.category, "").label("category"),
        Report.grid_id,
        Report.assignee_id,
        Report.source,
        flag(h.c.first_assigned.is_not(None)).label("assigned"),
        flag(and_(h.c.first_ack.is_not(None), ack <= _ack_window(windows))).label("ack_in_time"),
        flag(resolved).label("resolved"),
        flag(
            and_(
                resolved,
                or_(h.c.first_overdue.is_(None), h.c.first_overdue > h.c.first_resolved),
            )
        ).label("on_time"),
        flag(h.c.last_move % 10 == 1).label("closed"),
        flag(and_(resolved, _has(h.c.facts, REOPENED))).label("reopened"),
        flag(and_(resolved, _has(h.c.facts, VISITED))).label("visit_answered"),
        flag(stars.is_not(None)).label("rated"),
        flag(stars >= 4).label("rated_well"),
        func.coalesce(stars, 0).label("stars"),
        flag(and_(_has(h.c.facts, FAQ_ANSWERED), ~_has(h.c.facts, FAQ_REJECTED))).label(
            "faq_at_once"
        ),
        flag(h.c.first_answered.is_not(None)).label("staff_answered"),
        *(_escalated(h, n).label(escalated_column(n)) for n in range(1, levels + 1)),
        cast(ack, Float).label("ack_minutes"),
        cast(minutes_between(session, h.c.first_resolved, Report.created_at), Float).label(
            "resolve_minutes"
        ),
        cast(minutes_between(session, h.c.first_answered, h.c.first_assigned), Float).label(
            "answer_minutes"
        ),
    ]
    query = (
        select(*columns)
        .select_from(Report)
        .join(h, h.c.report_id == Report.id)
        .where(in_period, col(Report.merged_into_id).is_(None))
    )
    return _scoped(query, scope)


async def make_cohort(session: AsyncSession, query) -> None:
    """The period's rows, once, in a temporary table the aggregates below read."""
    await drop_cohort(session)
    if session.bind.dialect.name == "postgresql":
        # A year's history per report (200,000 rows) hashed in memory, not in batches on disk
        await session.exec(text("SET LOCAL work_mem = '64MB'"))
    await session.exec(_CreateTempAs(COHORT, query))


async def drop_cohort(session: AsyncSession) -> None:
    await session.exec(text(f"DROP TABLE IF EXISTS {COHORT}"))


async def sums(session: AsyncSession, levels: int) -> list[dict[str, Any]]:
    """Per kind, category, cell, assignee and source: the count of reports, the sum of every flag and
    the escalations to each level."""
    names = (*FLAGS, *(escalated_column(n) for n in range(1, levels + 1)))
    totals = ", ".join(f"SUM({name}) AS {name}" for name in names)
    rows = await session.exec(
        text(
            f"SELECT kind, category, grid_id, assignee_id, source, COUNT(*) AS reports, {totals} "
            f"FROM {COHORT} GROUP BY kind, category, grid_id, assignee_id, source"
        )
    )
    return [dict(row._mapping) for row in rows]


async def percentiles(
    session: AsyncSession, measure: str, kinds: Sequence[str], ranks: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], float | None]:
    """Nearest-rank percentiles of a duration over the given kinds: for each fraction p/q, the
    value at rank ⌈n·p/q⌉ of the n known values in order (the same on both databases)."""
    assert measure in MEASURES
    kind_list = ", ".join(f"'{k}'" for k in kinds)  # our constants, never user input
    picks = " OR ".join(f"rn = (n * {p} + {q} - 1) / {q}" for p, q in ranks)
    rows = await session.exec(
        text(
            f"SELECT rn, n, value FROM (SELECT {measure} AS value, "
            f"ROW_NUMBER() OVER (ORDER BY {measure}) AS rn, COUNT(*) OVER () AS n "
            f"FROM {COHORT} WHERE {measure} IS NOT NULL AND kind IN ({kind_list})) ranked "
            f"WHERE {picks}"
        )
    )
    ranked = rows.all()
    if not ranked:  # no value at all; otherwise every rank asked for is there
        return {rank: None for rank in ranks}
    n = int(ranked[0].n)
    found = {int(row.rn): float(row.value) for row in ranked}
    return {(p, q): found[(n * p + q - 1) // q] for p, q in ranks}


async def staff_names(session: AsyncSession, ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """Staff by id: (name, role)."""
    if not ids:
        return {}
    query = select(Staff.id, Staff.name, Staff.role).where(col(Staff.id).in_(list(ids)))
    return {sid: (name, role) for sid, name, role in (await session.exec(query)).all()}


async def grid_cells(session: AsyncSession, scope: Scope) -> list[tuple[int, str, str]]:
    """The cells in scope (id, code, name), in code order: every one is ranked."""
    query = select(GridCell.id, GridCell.code, GridCell.name).order_by(col(GridCell.code))
    if scope.community is not None:
        query = query.where(GridCell.community == scope.community)
    if scope.street is not None:
        query = query.where(GridCell.street == scope.street)
    if scope.grid_id is not None:
        query = query.where(GridCell.id == scope.grid_id)
    if scope.grid_ids is not None:
        query = query.where(col(GridCell.id).in_(scope.grid_ids or (-1,)))
    return [tuple(row) for row in (await session.exec(query)).all()]


async def known_places(session: AsyncSession) -> tuple[set[str], set[str]]:
    """The communities and streets the cells name."""
    rows = (await session.exec(select(GridCell.community, GridCell.street).distinct())).all()
    return {c for c, _ in rows}, {s for _, s in rows}


def _case_columns():
    return (
        Report.reference,
        Report.created_at,
        Report.kind,
        Report.category,
        Report.community,
        GridCell.code.label("grid"),
        GridCell.name.label("grid_name"),
    )


async def oldest_overdue(
    session: AsyncSession, end: datetime, scope: Scope, kinds: Sequence[str]
) -> dict[str, Any] | None:
    """The oldest report in scope still past its rectification deadline at `end`: a
    `rectify_overdue` (督办) event before `end`, and neither resolved nor closed by then."""
    e = ReportEvent
    overdue = (
        select(e.report_id, func.min(e.at).label("overdue_at"))
        .where(e.action == "rectify_overdue", e.at < end)
        .group_by(e.report_id)
        .subquery("overdue")
    )
    settled = select(e.report_id).where(
        e.at < end, or_(e.action == "resolved", e.to_status == "closed")
    )
    query = (
        select(*_case_columns(), overdue.c.overdue_at)
        .select_from(Report)
        .join(overdue, overdue.c.report_id == Report.id)
        .join(GridCell, GridCell.id == Report.grid_id, isouter=True)
        .where(
            Report.created_at < end,
            col(Report.kind).in_(kinds),
            col(Report.merged_into_id).is_(None),
            col(Report.id).not_in(settled),
        )
        .order_by(col(Report.created_at), col(Report.id))
        .limit(1)
    )
    row = (await session.exec(_scoped(query, scope))).first()
    return dict(row._mapping) if row is not None else None


async def most_escalated(
    session: AsyncSession, start: datetime, end: datetime, scope: Scope, kinds: Sequence[str]
) -> dict[str, Any] | None:
    """The report received in [start, end) escalated highest (then most often, then first)
    by `end`."""
    e = ReportEvent
    steps = (
        select(
            e.report_id,
            func.max(e.level).label("level"),
            func.count().label("escalations"),
        )
        .where(e.action == "escalated", e.at < end)
        .group_by(e.report_id)
        .subquery("steps")
    )
    query = (
        select(*_case_columns(), steps.c.level, steps.c.escalations)
        .select_from(Report)
        .join(steps, steps.c.report_id == Report.id)
        .join(GridCell, GridCell.id == Report.grid_id, isouter=True)
        .where(
            Report.created_at >= start,
            Report.created_at < end,
            col(Report.kind).in_(kinds),
            col(Report.merged_into_id).is_(None),
        )
        .order_by(
            steps.c.level.desc(),
            steps.c.escalations.desc(),
            col(Report.created_at),
            col(Report.id),
        )
        .limit(1)
    )
    row = (await session.exec(_scoped(query, scope))).first()
    return dict(row._mapping) if row is not None else None


# --- the ten-minute circle: patrol teams met the fires in time? --------------------------------

TEAM_MEASURES = ("depart_minutes", "arrive_minutes")


def team_select(session: AsyncSession, start: datetime, end: datetime, scope: Scope):
    """One row an emergency a team was first called to in [start, end): the minutes from the
    first call to the first team setting off and to the first team arriving (the fire is met
    when the first team gets there; over every team called to it), as of `end`."""
    first = (
        select(
            TeamCall.report_id,
            func.min(TeamCall.called_at).label("called"),
            func.min(case((col(TeamCall.departed_at) < end, TeamCall.departed_at))).label(
                "departed"
            ),
            func.min(case((col(TeamCall.arrived_at) < end, TeamCall.arrived_at))).label("arrived"),
        )
        .group_by(TeamCall.report_id)
        .having(func.min(TeamCall.called_at) >= start, func.min(TeamCall.called_at) < end)
        .subquery("first_calls")
    )
    query = (
        select(
            first.c.report_id,
            cast(minutes_between(session, first.c.departed, first.c.called), Float).label(
                "depart_minutes"
            ),
            cast(minutes_between(session, first.c.arrived, first.c.called), Float).label(
                "arrive_minutes"
            ),
        )
        .select_from(first)
        .join(Report, Report.id == first.c.report_id)
    )
    return _scoped(query, scope).subquery("team_times")


async def team_sums(session: AsyncSession, times, promise_minutes: float) -> tuple[int, int, int]:
    """(emergencies a team was called to, reached, reached within the promise)."""
    arrive = times.c.arrive_minutes
    within = func.sum(case((arrive <= promise_minutes, 1), else_=0))
    called, arrived, in_time = (
        await session.exec(select(func.count(), func.count(arrive), within).select_from(times))
    ).one()
    return int(called), int(arrived), int(in_time or 0)


async def team_percentiles(
    session: AsyncSession, times, measure: str, ranks: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], float | None]:
    """Nearest-rank percentiles of one of TEAM_MEASURES, picked by the database as in
    `percentiles`."""
    assert measure in TEAM_MEASURES
    value = times.c[measure]
    ranked = (
        select(
            value.label("value"),
            func.row_number().over(order_by=value).label("rn"),
            func.count().over().label("n"),
        )
        .where(value.is_not(None))
        .subquery("ranked")
    )
    rn, n = ranked.c.rn, ranked.c.n  # rn = ⌈n·p/q⌉, in whole numbers on both databases
    picks = or_(*(and_(rn * q >= n * p, (rn - 1) * q < n * p) for p, q in ranks))
    rows = (await session.exec(select(ranked.c.rn, ranked.c.n, ranked.c.value).where(picks))).all()
    if not rows:
        return {rank: None for rank in ranks}
    n = int(rows[0].n)
    found = {int(row.rn): float(row.value) for row in rows}
    return {(p, q): found[(n * p + q - 1) // q] for p, q in ranks}
