"""What the console shows, read within the viewer's scope: the board, a filtered page of
reports, the rows of an export, the overdue list and one report with its history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from storage import console as console_rows
from storage import grid as grid_rows
from storage import outbox
from storage.console import SORTS
from storage.engine import SessionFactory, transaction
from storage.models import Report
from storage.types import utcnow
from triage.actors import Actor
from triage.console.drawing import Drawn, draw
from triage.console.scope import scope_of
from triage.escalation.policy import Policy
from triage.figures import for_staff
from triage.lifecycle import Lifecycle

PAGE_SIZE = 50
MAP_DOTS = 2000  # the newest open reports drawn; more would only blot the map
EXPORT_LIMIT = 100_000
STATUSES = ("open", "overdue", "new", "assigned", "acknowledged", "resolved", "closed")
KINDS = ("hazard", "emergency", "question", "feedback", "out_of_scope")


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    kind: str | None = None
    category: str | None = None
    grid: str | None = None
    community: str | None = None
    since: date | None = None  # local days, both included
    until: date | None = None
    q: str | None = None
    sort: str = "newest"
    page: int = 1

    @classmethod
    def parse(cls, query: dict[str, str]) -> Filters:
        """From a query string: unknown or malformed values are ignored, never an error."""

        def text(name: str, limit: int = 100) -> str | None:
            value = (query.get(name) or "").strip()
            return value[:limit] or None

        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(text(name) or "")
            except ValueError:
                return None

        page = text("page")
        return cls(
            status=text("status") if text("status") in STATUSES else None,
            kind=text("kind"),
            category=text("category"),
            grid=text("grid"),
            community=text("community"),
            since=day("since"),
            until=day("until"),
            q=text("q", 200),
            sort=text("sort") if text("sort") in SORTS else "newest",
            page=max(1, min(int(page), 10_000)) if page and page.isdigit() else 1,
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """As query parameters (for links to other pages, sorts, exports)."""
        values = {**self.__dict__, **changes}
        out = {k: str(v) for k, v in values.items() if v not in (None, "")}
        if out.get("sort") == "newest":
            del out["sort"]
        if out.get("page") == "1":
            del out["page"]
        return out


@dataclass(frozen=True)
class _Bounds:
    """Filters with local days turned into UTC instants, as storage compares them."""

    status: str | None
    kind: str | None
    category: str | None
    grid: str | None
    community: str | None
    since: datetime | None
    until: datetime | None
    q: str | None


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    filters: Filters
    pages: int
    choices: dict[str, list[str]] = field(default_factory=dict)


class Views:
    def __init__(
        self,
        sessions: SessionFactory,
        lifecycle: Lifecycle,
        timezone: ZoneInfo,
        clock: Callable[[], datetime] = utcnow,
        policy: Policy | None = None,
    ):
        self.sessions = sessions
        self.lifecycle = lifecycle
        self.timezone = timezone
        self.clock = clock
        self.policy = policy or Policy(timezone=timezone)

    def _bounds(self, filters: Filters) -> _Bounds:
        def start(day: date | None) -> datetime | None:
            return datetime.combine(day, time(), self.timezone) if day else None

        until = filters.until + timedelta(days=1) if filters.until else None
        return _Bounds(
            filters.status,
            filters.kind,
            filters.category,
            filters.grid,
            filters.community,
            start(filters.since),
            start(until),
            filters.q,
        )

    async def figures(self) -> dict[str, Any]:
        return await figures(self.sessions, self.clock())

    async def stats(self, actor: Actor, choice: str) -> dict[str, Any] | None:
        """The headline figures in the person's scope over a period choice (for_staff's:
        1, 7, 30 days or this month so far), the same as /stats in the chat."""
        return await for_staff.headline(self.sessions, self.policy, actor, choice, self.clock())

    async def stamp(self) -> str:
        """What the board's page polls: it changes when a report or event is added, and each
        minute (deadlines pass with no event); the page fetches the board again when it does."""
        minute = self.clock().astimezone(self.timezone).strftime("%Y%m%d%H%M")
        async with transaction(self.sessions) as session:
            report_id, event_id = await console_rows.last_change(session=session)
        return f"{report_id}.{event_id}.{minute}"

    async def board(self, actor: Actor) -> dict[str, Any]:
        now = self.clock()
        local = now.astimezone(self.timezone)
        day_start = datetime.combine(local.date(), time(), self.timezone)
        scope = scope_of(actor)
        async with transaction(self.sessions) as session:
            # blocked the bot, chat gone, refused by Telegram: for those who see everything
            undelivered = await outbox.undeliverable(session=session) if scope.everything else []
            return {
                "undelivered": undelivered,
                "counts": await console_rows.board_counts(
                    session=session, scope=scope, now=now, day_start=day_start
                )
                | await console_rows.team_counts(
                    session=session,
                    scope=scope,
                    day_start=day_start,
                    promise_minutes=self.lifecycle.policy.team_arrive.total_seconds() / 60,
                ),
                "grids": await console_rows.open_by_grid(session=session, scope=scope, now=now),
                "workers": await console_rows.open_by_worker(session=session, scope=scope, now=now),
                "at": now,
            }

    async def map(self, actor: Actor) -> Drawn:
        """The cells in the person's scope coloured by open and overdue, open reports as dots."""
        now, scope = self.clock(), scope_of(actor)
        async with transaction(self.sessions) as session:
            cells = await console_rows.cells_in_scope(session=session, scope=scope)
            counts = await console_rows.open_by_grid(session=session, scope=scope, now=now)
            points = await console_rows.open_points(
                session=session, scope=scope, now=now, limit=MAP_DOTS
            )
        by_code = {code: (n, late) for code, _, n, late in counts if code}
        dots = [
            {"reference": ref, "latitude": lat, "longitude": lon, "late": bool(late)}
            for ref, lat, lon, late in points
        ]
        return draw(cells, by_code, dots)

    async def reports(self, actor: Actor, filters: Filters) -> Page:
        now = self.clock()
        where = console_rows.matching(scope_of(actor), self._bounds(filters), now)
        async with transaction(self.sessions) as session:
            total = await console_rows.count_reports(session=session, where=where)
            pages = max(1, -(-total // PAGE_SIZE))
            filters = replace(filters, page=min(filters.page, pages))
            rows = await console_rows.list_reports(
                session=session,
                where=where,
                sort=filters.sort,
                offset=(filters.page - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
            )
            cells, communities = await console_rows.cells_and_communities(session=session)
        return Page(
            [_row(r, code, name, now) for r, code, name in rows],
            total,
            filters,
            pages,
            {"grid": [c.code for c in cells], "community": communities},
        )

    async def export(self, actor: Actor, filters: Filters) -> list[dict[str, Any]]:
        now = self.clock()
        where = console_rows.matching(scope_of(actor), self._bounds(filters), now)
        async with transaction(self.sessions) as session:
            rows = await console_rows.export_rows(
                session=session, where=where, sort=filters.sort, limit=EXPORT_LIMIT
            )
        return [_row(r, code, name, now) for r, code, name in rows]

    async def photo(self, actor: Actor, reference: str, index: int) -> str | None:
        """The file id of a report's photo (of its own, then those its history added), if
        the report is in the person's scope."""
        shown = await self.report(actor, reference)
        if shown is None or not 0 <= index < len(shown["all_photos"]):
            return None
        return shown["all_photos"][index]

    async def report(self, actor: Actor, reference: str) -> dict[str, Any] | None:
        """One report as this person may see it (None: there is none in their scope)."""
        async with transaction(self.sessions) as session:
            report = await console_rows.report_in_scope(
                session=session, reference=reference, scope=scope_of(actor)
            )
            if report is None:
                return None
            events = await console_rows.events_with_names(session=session, report_id=report.id)
            actions = await self.lifecycle.available_actions(session, report, actor)
            _, code, assignee = await console_rows.report_row(session=session, report_id=report.id)
            cell = await grid_rows.grid_cell_by_id(session=session, grid_id=report.grid_id)
        return {
            **_row(report, code, assignee, self.clock()),
            "events": [_event(e, name) for e, name in events],
            "conversation": _conversation(report, events),
            "actions": [str(a) for a in actions],
            "cell": cell,
            "all_photos": _photos(report, events),
            "cell_map": _cell_map(cell, report),
            "seen": seen_of(report),
        }


def seen_of(report: Report) -> str:
    """What a form remembers of the report it was drawn for: its state and who held it."""
    return f"{report.status}:{report.assignee_id or ''}"


def _row(report: Report, code: str | None, assignee: str | None, now: datetime) -> dict[str, Any]:
    late_ack = report.status in ("new", "assigned") and _past(report.ack_deadline_at, now)
    late_fix = report.status == "acknowledged" and _past(report.rectify_deadline_at, now)
    return {
        "id": report.id,
        "reference": report.reference,
        "created_at": report.created_at,
        "kind": report.kind,
        "category": report.category,
        "severity": report.severity,
        "source": report.source,
        "status": report.status,
        "level": report.escalation_level,
        "community": report.community,
        "grid": code,
        "assignee": assignee,
        "text": report.text,
        "address": report.address,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "photos": list(report.photos),
        "assigned_at": report.assigned_at,
        "acknowledged_at": report.acknowledged_at,
        "resolved_at": report.resolved_at,
        "closed_at": report.closed_at,
        "ack_deadline_at": report.ack_deadline_at,
        "rectify_deadline_at": report.rectify_deadline_at,
        "reopen_count": report.reopen_count,
        "rating": report.rating,
        "supervised": report.supervised,
        "late": "ack" if late_ack else "fix" if late_fix else None,
    }


def _past(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and deadline < now


def _event(event, staff_name: str | None) -> dict[str, Any]:
    return {
        "at": event.at,
        "actor": event.actor,
        "who": staff_name,
        "action": event.action,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "note": event.detail.get("note") or event.detail.get("text") or event.detail.get("reason"),
    }


# Events whose detail carries words exchanged with the resident
_SAID = {"asked_resident": "staff", "answered": "staff", "resident_answered": "resident"}


def _conversation(report: Report, events) -> list[dict[str, Any]]:
    said = [{"at": report.created_at, "by": "resident", "text": report.text}]
    for event, name in events:
        words = event.detail.get("text") or event.detail.get("note")
        if event.action in _SAID and words:
            said.append({"at": event.at, "by": _SAID[event.action], "who": name, "text": words})
    return said


async def figures(sessions: SessionFactory, now: datetime) -> dict[str, Any]:
    """/metrics' gauges: name → (help, label names, {label values: value})."""
    async with transaction(sessions) as session:
        read = await console_rows.figures(session=session, now=now)
    reports: dict[tuple, float] = {}
    open_: dict[tuple, float] = {}
    for kind, category, status, n in read["reports"]:
        key = (kind, category or "", status)
        reports[key] = reports.get(key, 0) + n
        if status in console_rows.OPEN:
            open_[(kind,)] = open_.get((kind,), 0) + n
    levels: dict[tuple, float] = {}
    for detail in read["escalations"]:
        key = (str(detail.get("level", "")),)
        levels[key] = levels.get(key, 0) + 1
    return {
        "time_to_acknowledge_seconds": (
            "Time from report to acknowledgement, reports acknowledged in the last 30 days",
            "histogram",
            [(ack - created).total_seconds() for created, ack in read["acks"]],
        ),
        "escalations_30d": ("Escalations in the last 30 days by level reached", ("level",), levels),
        "reports": (
            "Reports by kind, category and status",
            ("kind", "category", "status"),
            reports,
        ),
        "open_reports": ("Open reports (new, assigned, acknowledged) by kind", ("kind",), open_),
        "overdue_reports": (
            "Open reports past their acknowledgement or rectification deadline",
            ("deadline",),
            {(k,): v for k, v in read["overdue"].items()},
        ),
        "open_by_escalation_level": (
            "Open reports by escalation level",
            ("level",),
            {(str(level),): n for level, n in read["levels"]},
        ),
        "outbox_messages": (
            "Messages in the outbox by status (pending is the queue's depth)",
            ("status",),
            {(status,): n for status, n in read["outbox"]},
        ),
    }


def _photos(report: Report, events) -> list[str]:
    """The report's photos, then those its history added (a resolution's, a reinspection's)."""
    found = list(report.photos)
    for event, _ in events:
        more = event.detail.get("photos") or (
            [event.detail["photo"]] if event.detail.get("photo") else []
        )
        found += [p for p in more if isinstance(p, str) and p not in found]
    return found


def _cell_map(cell, report: Report) -> Drawn | None:
    """The report's grid cell, with the report as a dot when it has a location."""
    if cell is None:
        return None
    dots = []
    if report.latitude is not None and report.longitude is not None:
        dots.append(
            {
                "reference": report.reference,
                "latitude": report.latitude,
                "longitude": report.longitude,
            }
        )
    return draw([cell], {}, dots)
