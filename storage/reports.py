"""Reports and their history: filing, guarded changes, events, lookups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, func, insert, literal, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled
from storage.bulk import any_of, bound_params, bound_values, chunks
from storage.engine import insert_soon
from storage.models import (
    Report,
    ReportEvent,
    event_level,
)
from storage.signals import DEADLINES, touch
from storage.types import utcnow


def _filing(dialect: str):
    """INSERT of a new report that sets its reference from its id in the same statement (the
    ORM's INSERT, then an UPDATE of the reference, cost two statements and a flush each).
    SQLite: the id SQLite would choose itself, the highest plus one (no AUTOINCREMENT; the
    transaction holds the write lock). PostgreSQL: the id column's sequence."""
    table = Report.__table__
    columns = [c for c in table.columns if c.name not in ("id", "reference")]
    if dialect == "postgresql":
        n = core_select(
            func.nextval(func.pg_get_serial_sequence("report", "id")).label("id")
        ).subquery("n")
        digits = cast(n.c.id, Text)
        reference = literal("FC-") + func.lpad(digits, func.greatest(6, func.length(digits)), "0")
    else:
        n = core_select((func.coalesce(func.max(table.c.id), 0) + 1).label("id")).subquery("n")
        reference = func.printf("FC-%06d", n.c.id)
    values = [bindparam(f"v_{c.name}", type_=c.type) for c in columns]
    rows = core_select(n.c.id, reference, *values)
    return (
        insert(table)
        .from_select(["id", "reference", *(c.name for c in columns)], rows)
        .returning(table.c.id, table.c.reference)
    )


# Built once: a report is filed at every /skip.
_FILING = {"postgresql": _filing("postgresql"), "sqlite": _filing("sqlite")}
_FILED_COLUMNS = [c.name for c in Report.__table__.columns if c.name not in ("id", "reference")]


async def add_report(*, session: AsyncSession, report: Report, actor: str) -> Report:
    """Insert a report with its reference and its first history event, in one transaction.
    The report joins the session as stored (later steps change it like a row they read)."""
    dialect = "postgresql" if session.bind.dialect.name == "postgresql" else "sqlite"
    params = {f"v_{name}": getattr(report, name) for name in _FILED_COLUMNS}
    report.id, report.reference = (await compiled.execute(session, _FILING[dialect], params)).one()
    make_transient_to_detached(report)  # what it holds is what was stored
    session.add(report)
    _filed_here(session).add(report.id)
    await add_events(
        session=session,
        events=[
            {
                "report_id": report.id,
                "actor": actor,
                "action": "created",
                "from_status": None,
                "to_status": report.status,
                "at": report.created_at,
                "detail": {
                    "kind": report.kind,
                    "category": report.category,
                    "severity": report.severity,
                },
            }
        ],
    )
    return report


_FILED = "filed_here"  # session.info: (the transaction, the reports it filed)


def _filed_here(session: AsyncSession) -> set[int]:
    transaction = session.sync_session.get_transaction()
    held = session.info.get(_FILED)
    if held is None or held[0] is not transaction:
        held = session.info[_FILED] = (transaction, set())
    return held[1]


def filed_here(session: AsyncSession, report_id: int) -> bool:
    """Whether the report was filed in this session's transaction: nobody outside has seen
    it yet (no card of it has been sent)."""
    held = session.info.get(_FILED)
    return (
        held is not None
        and held[0] is session.sync_session.get_transaction()
        and (report_id in held[1])
    )


def reference_for(report_id: int | None) -> str:
    assert report_id is not None
    return f"FC-{report_id:06d}"


async def add_event(
    *,
    session: AsyncSession,
    report_id: int,
    actor: str,
    action: str,
    from_status: str | None = None,
    to_status: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    # Its column values as they are (a Core INSERT, its id not read back): an ORM add and
    # flush cost twice as much, a table object built only to be dumped again half as much.
    event = {
        "report_id": report_id,
        "at": at or utcnow(),
        "actor": actor,
        "action": action,
        "from_status": from_status,
        "to_status": to_status,
        "detail": detail or {},
    }
    await add_events(session=session, events=[event])


async def change_report(
    *,
    session: AsyncSession,
    report_id: int,
    from_statuses: Iterable[str],
    values: dict[str, Any],
    assignee_id: int | None | object = ...,
) -> bool:
    """A guarded state change: applies only while the report is in one of from_statuses
    (and, when given, still with the assignee the caller saw).

    Two presses, jobs or instances racing for the same step: exactly one sees True.
    """
    seen = "any" if assignee_id is ... else "none" if assignee_id is None else "one"
    params = bound_params(values) | {"g_id": report_id, "g_statuses": list(from_statuses)}
    if seen == "one":
        params["g_assignee"] = assignee_id
    result = await compiled.execute(session, _guarded_update(tuple(values), seen), params)
    if result.rowcount == 1 and "next_deadline_at" in values:
        # the scheduler's hint; other instances hear of it from the table's trigger
        await touch(session, DEADLINES, values["next_deadline_at"], by_trigger=True)
    return result.rowcount == 1


@lru_cache(maxsize=128)
def _guarded_update(columns: tuple[str, ...], seen: str):
    """change_report's UPDATE of these columns, the assignee as seen (any, none or one),
    built once a shape: building and keying it at every change cost more than running it
    (issue 14). Core: the ORM's UPDATE cost more still."""
    table = Report.__table__
    statement = update(table).where(
        table.c.id == bindparam("g_id"),
        any_of(table.c.status, "g_statuses"),
    )
    if seen == "none":
        statement = statement.where(table.c.assignee_id.is_(None))
    elif seen == "one":
        statement = statement.where(table.c.assignee_id == bindparam("g_assignee"))
    return statement.values(bound_values(columns))


async def follow_on(*, session: AsyncSession, merged_into: int, now_into: int) -> int:
    """Reports merged into one that is itself merged now follow where it went (their
    residents keep getting updates); how many."""
    result = await session.exec(
        update(Report)
        .where(col(Report.merged_into_id) == merged_into)
        .values(merged_into_id=now_into)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def as_stored(report: Report, values: dict[str, Any]) -> None:
    """Values an update just wrote, set on the object as stored (nothing left to flush)."""
    for key, value in values.items():
        set_committed_value(report, key, value)


async def report_by_reference(*, session: AsyncSession, reference: str) -> Report | None:
    result = await session.exec(select(Report).where(Report.reference == reference))
    return result.first()


async def reports_of_resident(
    *, session: AsyncSession, resident_id: int, limit: int = 10
) -> Sequence[Report]:
    result = await session.exec(
        select(Report)
        .where(Report.resident_id == resident_id)
        .order_by(col(Report.created_at).desc(), col(Report.id).desc())
        .limit(limit)
    )
    return result.all()


async def history_of(*, session: AsyncSession, report_id: int) -> Sequence[ReportEvent]:
    result = await session.exec(
        select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(col(ReportEvent.id))
    )
    return result.all()


async def count_reports_by_status(*, session: AsyncSession) -> dict[str, int]:
    result = await session.exec(select(Report.status, func.count()).group_by(Report.status))
    return dict(result.all())


async def latest_reports(*, session: AsyncSession, limit: int) -> Sequence[Report]:
    result = await session.exec(
        select(Report).order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(limit)
    )
    return result.all()


async def open_hazards_near(
    *,
    session: AsyncSession,
    category: str,
    latitude: float,
    longitude: float,
    d_lat: float,
    d_lon: float,
) -> Sequence[Report]:
    """Open hazards of a category inside a lat/lon box (the caller checks the real distance)."""
    result = await session.exec(
        select(Report)
        .where(
            Report.kind == "hazard",
            Report.category == category,
            col(Report.status).in_(["new", "assigned", "acknowledged"]),
            col(Report.latitude).between(latitude - d_lat, latitude + d_lat),
            col(Report.longitude).between(longitude - d_lon, longitude + d_lon),
        )
        .order_by(col(Report.id))
    )
    return result.all()


async def latest_report_of(*, session: AsyncSession, resident_id: int) -> Report | None:
    result = await session.exec(
        select(Report)
        .where(Report.resident_id == resident_id)
        .order_by(col(Report.id).desc())
        .limit(1)
    )
    return result.first()


async def open_tasks_of(*, session: AsyncSession, staff_id: int) -> Sequence[Report]:
    result = await session.exec(
        select(Report)
        .where(Report.assignee_id == staff_id, col(Report.status).in_(["assigned", "acknowledged"]))
        .order_by(col(Report.created_at))
    )
    return result.all()


async def overdue(*, session: AsyncSession, now: datetime, limit: int) -> Sequence[Report]:
    """Open reports past a deadline, longest overdue first: not taken within the
    acknowledgement deadline, or not fixed by the rectification deadline."""
    late_ack = and_(col(Report.status).in_(["new", "assigned"]), col(Report.ack_deadline_at) < now)
    late_fix = and_(Report.status == "acknowledged", col(Report.rectify_deadline_at) < now)
    result = await session.exec(
        select(Report)
        .where(or_(late_ack, late_fix))
        .order_by(func.coalesce(Report.ack_deadline_at, Report.rectify_deadline_at))
        .limit(limit)
    )
    return result.all()


async def events_of(*, session: AsyncSession, report_id: int, action: str) -> Sequence[ReportEvent]:
    result = await session.exec(
        select(ReportEvent)
        .where(ReportEvent.report_id == report_id, ReportEvent.action == action)
        .order_by(col(ReportEvent.id))
    )
    return result.all()


async def events_of_reports(
    *, session: AsyncSession, report_ids: Sequence[int], actions: Sequence[str]
) -> Sequence[ReportEvent]:
    events: list[ReportEvent] = []
    for chunk in chunks(report_ids):
        result = await session.exec(
            select(ReportEvent)
            .where(col(ReportEvent.report_id).in_(chunk), col(ReportEvent.action).in_(actions))
            .order_by(col(ReportEvent.id))
        )
        events += result.all()
    return events


async def add_events(*, session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """Many history entries, as column values, in one statement (ids are not read back;
    in an update's unit of work, with its other entries when it is done)."""
    if events:
        # The level given, not left to the column's default: a default computed in Python
        # sends the INSERT the long way round (storage.compiled).
        rows = [{"level": event_level(e.get("action"), e.get("detail")), **e} for e in events]
        await insert_soon(session, ReportEvent, rows)
