"""Filling the database fast, and reading back what the service did.

Open assigned reports are written as rows the way dispatch leaves them (status assigned, level
0, an `assigned` event naming the on-duty worker), so that the real escalation code finds real
cells and the sample staff behind them; a bulk send is written as outbox rows."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import col, select

from storage.engine import SessionFactory, transaction
from storage.models import GridCell, GridDuty, OutboxMessage, Report, ReportEvent
from storage.signals import DEADLINES, OUTBOX, touch
from storage.types import utcnow
from triage.reports.notices import BULK

CHUNK = 5_000  # rows per executemany: big enough to be fast, small enough to stay light


@dataclass(frozen=True)
class Cell:
    grid_id: int
    community: str
    worker_id: int  # the staff id on duty (position 0)
    bounds: tuple[float, float, float, float]  # lat0, lat1, lon0, lon1

    def random_point(self, rng: random.Random) -> tuple[float, float]:
        lat0, lat1, lon0, lon1 = self.bounds
        return rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)


async def sample_cells(sessions: SessionFactory) -> list[Cell]:
    async with transaction(sessions) as session:
        rows = (
            await session.exec(
                select(GridCell, GridDuty.staff_id)
                .join(GridDuty, GridDuty.grid_id == GridCell.id)
                .where(GridDuty.position == 0)
                .order_by(GridCell.code)
            )
        ).all()
    return [
        Cell(cell.id, cell.community, staff_id, _bounds(cell.geometry)) for cell, staff_id in rows
    ]


def _bounds(geometry: str) -> tuple[float, float, float, float]:
    shape = json.loads(geometry)
    rings = shape["coordinates"] if shape["type"] == "Polygon" else shape["coordinates"][0]
    lons = [p[0] for p in rings[0]]
    lats = [p[1] for p in rings[0]]
    return min(lats), max(lats), min(lons), max(lons)


async def insert_assigned_reports(sessions: SessionFactory, deadlines: Sequence[datetime]) -> None:
    """One open report per deadline (ack and next deadline both set to it), spread over the
    sample cells; the scheduler is told, as dispatch would tell it."""
    cells = await sample_cells(sessions)
    rng = random.Random(4)
    now = utcnow()
    async with transaction(sessions) as session:
        first = await _next_report_id(session)
        for start in range(0, len(deadlines), CHUNK):
            chunk = deadlines[start : start + CHUNK]
            ids = range(first + start, first + start + len(chunk))
            picks = [cells[i % len(cells)] for i in ids]
            reports = [
                _report_row(i, c, d, now, rng) for i, c, d in zip(ids, picks, chunk, strict=True)
            ]
            events = [_assigned_event(i, c, now) for i, c in zip(ids, picks, strict=True)]
            await session.execute(insert(Report), reports)
            await session.execute(insert(ReportEvent), events)
        await _advance_sequence(session)
        await touch(session, DEADLINES)


async def _next_report_id(session) -> int:
    return ((await session.exec(select(func.max(Report.id)))).one() or 0) + 1


async def _advance_sequence(session) -> None:
    """Ids were given explicitly; PostgreSQL's sequence must hear of them."""
    if session.bind.dialect.name == "postgresql":
        sequence = "pg_get_serial_sequence('report', 'id')"
        await session.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM report))"))


def _report_row(
    report_id: int, cell: Cell, deadline: datetime, now: datetime, rng: random.Random
) -> dict:
    latitude, longitude = cell.random_point(rng)
    return {
        "id": report_id,
        "reference": f"FC-{report_id:06d}",
        "language": "zh",
        "text": "楼道里有人给电动车充电，电线从窗户拉下来",
        "kind": "hazard",
        "category": "ebike",
        "severity": "high",
        "cues": [],
        "latitude": latitude,
        "longitude": longitude,
        "community": cell.community,
        "grid_id": cell.grid_id,
        "status": "assigned",
        "assignee_id": cell.worker_id,
        "escalation_level": 0,
        "photos": [],
        "supervised": False,
        "reopen_count": 0,
        "created_at": now,
        "updated_at": now,
        "assigned_at": now,
        "ack_deadline_at": deadline,
        "next_deadline_at": deadline,
    }


def _assigned_event(report_id: int, cell: Cell, now: datetime) -> dict:
    return {
        "report_id": report_id,
        "at": now,
        "actor": "system",
        "action": "assigned",
        "from_status": "new",
        "to_status": "assigned",
        "detail": {"assignee": cell.worker_id, "level": 0, "told": [cell.worker_id]},
    }


def observer(url: str) -> AsyncEngine:
    """An engine for the benchmark's own reads. On SQLite a plain one: the service's engine
    begins every transaction IMMEDIATE (a write lock), which polling must not take."""
    return create_async_engine(url)


async def escalation_outcomes(engine: AsyncEngine) -> tuple[list[float], list[datetime]]:
    """Seconds from each escalated report's ack deadline to its `escalated` event (both from
    the database), and the ack deadlines of the reports still waiting at level 0."""
    async with engine.connect() as conn:
        lags = await conn.execute(
            select(ReportEvent.at, Report.ack_deadline_at)
            .join(Report, col(Report.id) == ReportEvent.report_id)
            .where(ReportEvent.action == "escalated")
        )
        waiting = await conn.execute(
            select(Report.ack_deadline_at).where(Report.escalation_level == 0)
        )
        return (
            [(at - deadline).total_seconds() for at, deadline in lags.all()],
            [deadline for (deadline,) in waiting.all()],
        )


async def count_escalated(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(func.count()).select_from(Report).where(Report.escalation_level >= 1)
        )
        return result.scalar_one()


async def first_escalation_at(engine: AsyncEngine) -> datetime | None:
    async with engine.connect() as conn:
        result = await conn.execute(
            select(func.min(ReportEvent.at)).where(ReportEvent.action == "escalated")
        )
        return result.scalar_one()


async def enqueue_bulk(sessions: SessionFactory, chat_ids: Sequence[int], text: str) -> None:
    """A bulk send (a safety tip to every subscriber) as the outbox would hold it: one
    pending sendMessage row per chat at the lowest priority; the sender is told."""
    now = utcnow()
    rows = [
        {
            "chat_id": chat,
            "method": "sendMessage",
            "payload": {"chat_id": chat, "text": text},
            "priority": BULK,
            "status": "pending",
            "attempts": 0,
            "created_at": now,
            "next_attempt_at": now,
        }
        for chat in chat_ids
    ]
    async with transaction(sessions) as session:
        for start in range(0, len(rows), CHUNK):
            await session.execute(insert(OutboxMessage), rows[start : start + CHUNK])
        await touch(session, OUTBOX)


async def outbox_rows(engine: AsyncEngine) -> list[tuple[str, int, str]]:
    """Every outbox row that is a Bot API call (not a notice): method, chat, status."""
    async with engine.connect() as conn:
        result = await conn.execute(
            select(OutboxMessage.method, OutboxMessage.chat_id, OutboxMessage.status).where(
                OutboxMessage.method != "notice"
            )
        )
        return [tuple(row) for row in result.all()]
