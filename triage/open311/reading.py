"""GET requests and servicerequestupdates: the reports other systems may read, without the
people in them (no names, chat ids or contacts; phone numbers in the words masked)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from storage import requests as request_rows
from storage.engine import SessionFactory, transaction
from storage.models import GridCell, Report, ReportEvent
from storage.types import utcnow
from triage.lifecycle import Status
from triage.open311.refusals import Refused
from triage.open311.services import services
from triage.reports.masking import mask_phones

SPAN = timedelta(days=90)  # the specification's default window and longest range
MAX_PAGE = 1000
CLOSED = (Status.CLOSED, Status.MERGED)
NOT_CLOSED = tuple(s for s in Status if s not in CLOSED)  # resolved: open until it is closed
RUNNING = (Status.NEW, Status.ASSIGNED, Status.ACKNOWLEDGED)  # a deadline for the work runs


@dataclass(frozen=True)
class RequestQuery:
    """The client's filters, checked (see `query_from`)."""

    references: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # open, closed
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = MAX_PAGE


@dataclass(frozen=True)
class PublicRequest:
    reference: str
    code: str
    status: str  # the report's own; `is_open` is the specification's open/closed
    kind: str
    description: str
    address: str | None
    latitude: float | None
    longitude: float | None
    grid: str | None  # the cell's code and name, its community: who is responsible
    community: str | None
    media_url: str | None
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None  # the deadline now running

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED


@dataclass(frozen=True)
class Update:
    id: int
    reference: str
    status: str  # the status it moved to
    event: str  # what happened (the history's action)
    at: datetime


class Reading:
    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime] = utcnow):
        self.sessions = sessions
        self.clock = clock

    async def requests(self, query: RequestQuery) -> list[PublicRequest]:
        start, end = _window(query.start, query.end, self.clock())
        statuses = [
            s for wanted in query.statuses for s in (CLOSED if wanted == "closed" else NOT_CLOSED)
        ]
        where = request_rows.RequestFilter(
            references=query.references,
            categories=query.codes,
            statuses=statuses,
            since=start,
            until=end,
        )
        async with transaction(self.sessions) as session:
            rows = await request_rows.requests_matching(
                session=session,
                where=where,
                offset=(query.page - 1) * query.page_size,
                limit=query.page_size,
            )
        return [_public(report, cell) for report, cell in rows]

    async def request(self, reference: str) -> PublicRequest:
        async with transaction(self.sessions) as session:
            row = await request_rows.request_by_reference(session=session, reference=reference)
        if row is None:
            raise Refused("unknown_request", id=reference[:40])
        return _public(*row)

    async def updates(self, start: str = "", end: str = "") -> list[Update]:
        """Status changes since `start` (the last 90 days unless told), oldest first."""
        start, end = _window(when(start), when(end), self.clock())
        async with transaction(self.sessions) as session:
            rows = await request_rows.status_changes(
                session=session, since=start, until=end, limit=MAX_PAGE
            )
        return [_update(event, reference) for event, reference in rows]


def query_from(
    *,
    ids: str = "",
    codes: str = "",
    statuses: str = "",
    start: str = "",
    end: str = "",
    page: str = "",
    page_size: str = "",
) -> RequestQuery:
    """The filters as the client sent them (comma lists, numbers as text), checked."""
    code_list = _comma_list(codes)
    unknown = [c for c in code_list if c not in services()]
    if unknown:
        raise Refused("unknown_service", code=unknown[0][:40])
    status_list = tuple(s.lower() for s in _comma_list(statuses))
    if any(s not in ("open", "closed") for s in status_list):
        raise Refused("bad_status")
    return RequestQuery(
        references=tuple(r.upper() for r in _comma_list(ids)),
        codes=code_list,
        statuses=status_list,
        start=when(start),
        end=when(end),
        page=_number(page, 1, 1, 1_000_000),
        page_size=_number(page_size, MAX_PAGE, 1, MAX_PAGE),
    )


def when(text: str) -> datetime | None:
    """A W3C date-time as the specification writes them (2026-12-01T08:00:00+08:00, …Z); a
    bare date is that day's start in UTC."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Refused("bad_date", value=text[:40]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _comma_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _number(text: str, default: int, low: int, high: int) -> int:
    if not text.strip():
        return default
    try:
        value = int(text)
    except ValueError:
        raise Refused("bad_page") from None
    if not low <= value <= high:
        raise Refused("bad_page")
    return value


def _window(start: datetime | None, end: datetime | None, now: datetime):
    """The specification's window: the last 90 days unless told, never longer than 90."""
    if start is None and end is None:
        return now - SPAN, None
    if start is None:
        start = end - SPAN
    if end is not None and end < start:
        raise Refused("bad_range")
    if end is not None and end - start > SPAN:
        raise Refused("bad_range")
    return start, end


def _public(report: Report, cell: GridCell | None) -> PublicRequest:
    return PublicRequest(
        reference=report.reference,
        code=report.category or "other",
        status=report.status,
        kind=report.kind,
        description=mask_phones(report.text),
        address=mask_phones(report.address) if report.address else None,
        latitude=report.latitude,
        longitude=report.longitude,
        grid=f"{cell.code} {cell.name}" if cell else None,
        community=cell.community if cell else report.community,
        media_url=report.media_url,
        requested_at=report.created_at,
        updated_at=report.updated_at,
        expected_at=report.next_deadline_at if report.status in RUNNING else None,
    )


def _update(event: ReportEvent, reference: str) -> Update:
    return Update(event.id, reference, event.to_status, event.action, event.at)
