"""A year of a busy district as rows: reports of every kind with the history the lifecycle
would have written for them (acknowledged in time or late, escalated, resolved on time or
past the deadline, confirmed, reopened, closed by silence, rated; questions answered from the
knowledge base or by staff), inserted in bulk. What `firecircle stats` is timed on."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import select

from bench.seed import CHUNK, Cell, _advance_sequence, _next_report_id, sample_cells
from storage.engine import SessionFactory, transaction
from storage.models import Report, ReportEvent, Team, TeamCall

KINDS = (("hazard", 78), ("emergency", 2), ("question", 15), ("feedback", 3), ("out_of_scope", 2))
CATEGORIES = ("fire_lane", "exit_blocked", "ebike", "electrical", "fire_equipment", "flammables")
SEVERITIES = (("urgent", 10), ("high", 50), ("normal", 40))
RECTIFY_HOURS = {"urgent": 2, "high": 24, "normal": 72}


async def insert_year(sessions: SessionFactory, count: int, start: datetime, days: int) -> int:
    """`count` reports spread at random over `days` from `start`, with their events;
    the number of events written."""
    cells = await sample_cells(sessions)
    async with transaction(sessions) as session:
        teams = list((await session.exec(select(Team.id))).all())
    rng = random.Random(16)
    # Ids grow with time, as when the service files them
    moments = sorted(rng.randrange(days * 86400) for _ in range(count))
    written = 0
    async with transaction(sessions) as session:
        first = await _next_report_id(session)
        for chunk in range(0, count, CHUNK):
            reports, events, calls = [], [], []
            for n in range(chunk, min(count, chunk + CHUNK)):
                report_id, created = first + n, start + timedelta(seconds=moments[n])
                row, history = _report(report_id, rng.choice(cells), created, rng)
                reports.append(row)
                events += history
                if row["kind"] == "emergency" and teams:
                    calls += _team_calls(report_id, created, teams, rng)
            # Core's executemany: the ORM's bulk insert would go row by row here (through the
            # session: an AsyncConnection's execute cannot run in storage.engine's transaction)
            await session.execute(insert(Report.__table__), reports)
            await session.execute(insert(ReportEvent.__table__), events)
            if calls:
                await session.execute(insert(TeamCall.__table__), calls)
            written += len(events)
        await _advance_sequence(session)
    return written


def _team_calls(report_id: int, called: datetime, teams: list[int], rng: random.Random):
    """A patrol team called at once; it sets off in a minute or two (one in ten does not, and
    the next team is called), and gets there minutes later (a few never report 到场)."""
    calls = []
    for round_, team_id in enumerate(rng.sample(teams, len(teams)), start=1):
        call = {
            "report_id": report_id,
            "team_id": team_id,
            "round": round_,
            "status": "passed",
            "called_at": called,
            "depart_deadline_at": None,
            "departed_at": None,
            "arrived_at": None,
        }
        calls.append(call)
        if rng.random() < 0.1 and round_ < len(teams):
            called += timedelta(minutes=2)
            continue
        departed = called + timedelta(minutes=rng.expovariate(1 / 1.2))
        call.update(status="departed", departed_at=departed)
        if rng.random() < 0.95:
            arrived = departed + timedelta(minutes=rng.expovariate(1 / 5))
            call.update(status="arrived", arrived_at=arrived)
        break
    return calls


def _report(report_id: int, cell: Cell, created: datetime, rng: random.Random):
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    severity = rng.choices([s for s, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]
    handled = kind in ("hazard", "emergency")
    history = _Events(report_id, created)
    if handled:
        _handle(history, kind, severity, cell, rng)
    elif kind == "question":
        _question(history, cell, rng)
    else:
        history.add("filed", created, "closed")
    latitude, longitude = cell.random_point(rng)
    row = {
        "id": report_id,
        "reference": f"FC-{report_id:06d}",
        "language": "zh",
        "text": "楼道里有人给电动车充电",
        "kind": kind,
        "category": rng.choice(CATEGORIES) if handled else None,
        "severity": severity if handled else None,
        "cues": [],
        "latitude": latitude,
        "longitude": longitude,
        "community": cell.community,
        "grid_id": cell.grid_id,
        "status": history.status,
        "assignee_id": cell.worker_id,
        "escalation_level": 0,
        "photos": [],
        "sources": {},
        "supervised": False,
        "reopen_count": 0,
        "rating": history.rating,
        "created_at": created,
        "updated_at": created,
    }
    return row, history.rows


class _Events:
    def __init__(self, report_id: int, created: datetime):
        self.report_id, self.status, self.rating = report_id, "new", None
        self.rows: list[dict] = []
        self.add("created", created, "new")

    def add(self, action: str, at: datetime, to: str | None = None, **detail) -> None:
        self.rows.append(
            {
                "report_id": self.report_id,
                "at": at,
                "actor": "resident:1" if action in _BY_RESIDENT else "system",
                "action": action,
                "from_status": self.status if to else None,
                "to_status": to,
                "detail": detail,
            }
        )
        self.status = to or self.status


_BY_RESIDENT = {"confirmed_fixed", "rated", "faq_not_helpful"}


def _handle(history: _Events, kind: str, severity: str, cell: Cell, rng: random.Random) -> None:
    """Assigned at once; acknowledged after minutes (a few late, escalated on the way);
    resolved after hours (some past the rectification deadline); then the return visit."""
    at = history.rows[0]["at"]
    history.add("assigned", at, "assigned", assignee=cell.worker_id, level=0)
    if rng.random() < 0.02:
        return  # still waiting
    delay = timedelta(minutes=rng.expovariate(1 / 6))
    for level in (1, 2):
        if delay > timedelta(minutes=10 * level):
            history.add("escalated", at + timedelta(minutes=10 * level), level=level)
    at += delay
    history.add("acknowledged", at, "acknowledged")
    if rng.random() < 0.05:
        return
    took = timedelta(hours=rng.expovariate(1 / (RECTIFY_HOURS[severity] / 3)))
    deadline = timedelta(hours=RECTIFY_HOURS[severity])
    if kind == "hazard" and took > deadline:
        history.add("rectify_overdue", at + deadline)
    at += took
    history.add("resolved", at, "resolved")
    _visit(history, at, rng)


def _visit(history: _Events, at: datetime, rng: random.Random) -> None:
    answer = rng.random()
    if answer < 0.06:
        history.add("reopened", at + timedelta(minutes=40), "assigned")
        return
    if answer < 0.65:
        history.add("confirmed_fixed", at + timedelta(minutes=30), "closed")
    else:
        history.add("closed", at + timedelta(hours=24), "closed")
    if rng.random() < 0.45:
        stars = rng.choices([1, 2, 3, 4, 5], [2, 2, 6, 30, 60])[0]
        history.add("rated", at + timedelta(minutes=31), stars=stars)
        history.rating = stars


def _question(history: _Events, cell: Cell, rng: random.Random) -> None:
    at = history.rows[0]["at"]
    if rng.random() < 0.7:
        history.add("answered_from_faq", at, "closed")
        if rng.random() > 0.1:
            return
        at += timedelta(minutes=2)
        history.add("faq_not_helpful", at, "new")
    history.add("assigned", at, "assigned", assignee=cell.worker_id, level=0)
    history.add("answered", at + timedelta(minutes=rng.expovariate(1 / 20)), "resolved")
