"""Creating a report: the one place a report comes into being (classified, placed, merged or
dispatched, with its first events)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage import staff as staff_rows
from storage.models import Report, Resident, Staff
from triage.actors import SYSTEM
from triage.circle.calls import call_team
from triage.districts.cells import CellInfo, DistrictMap
from triage.escalation.dispatch import dispatch
from triage.escalation.policy import Policy
from triage.lifecycle import Action, Lifecycle, Status
from triage.reports.duplicates import find_original
from triage.reports.lengths import quoted
from triage.reports.notices import RESIDENT, Notice, card_of, post, to_staff
from triage.understanding.classify import Classification, classify
from triage.understanding.taxonomy import Category, Kind, Severity


@dataclass
class NewReport:
    text: str
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    community: str | None = None
    grid_id: int | None = None  # known without a location (e.g. a question from a past reporter)
    photos: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # see Report.sources
    # From another system (Open311): who filed it and what it sent besides the words
    source: str = "resident"
    client_id: int | None = None
    contact: dict[str, str] = field(default_factory=dict)
    media_url: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    # Field work (source "patrol" or "campaign"): the staff member or volunteer who found it
    # ("staff:3"), and the campaign and site it was found at
    filed_by: str | None = None
    campaign_id: int | None = None
    site_id: int | None = None


FIELD_SOURCES = ("patrol", "campaign")  # seen by staff themselves: never merged away


@dataclass(frozen=True)
class Created:
    report: Report
    notices: list[Notice]
    original: Report | None = None  # the open report this one was merged into


async def create_report(
    session: AsyncSession,
    *,
    resident: Resident | None,
    new: NewReport,
    district: DistrictMap,
    policy: Policy,
    now: datetime,
    kind: Kind | None = None,
    to_staff: bool = True,
    label: Classification | None = None,
) -> Created:
    """Store a report and hand it on (its notices stored with it). Reported through /report,
    it is a hazard unless it reads as an emergency, which must never be played down. Without
    a resident it was filed by another system (new.client_id): nobody in the chat follows it."""
    label = label or classify(new.text)
    if kind is None:
        kind = Kind.EMERGENCY if label.kind == Kind.EMERGENCY else Kind.HAZARD
    cell = _cell_for(new, district)
    report = Report(
        resident_id=resident.id if resident else None,
        language=resident.language if resident else "zh",
        text=new.text,
        kind=kind,
        cues=list(label.cues),
        category=label.category or (Category.OTHER if kind == Kind.HAZARD else None),
        severity=label.severity or (Severity.NORMAL if kind == Kind.HAZARD else None),
        latitude=new.latitude,
        longitude=new.longitude,
        address=new.address,
        community=cell.community if cell else new.community,
        grid_id=cell.id if cell else new.grid_id,
        photos=list(new.photos),
        sources=dict(new.sources),
        source=new.source,
        client_id=new.client_id,
        contact=dict(new.contact),
        media_url=new.media_url,
        attributes=dict(new.attributes),
        campaign_id=new.campaign_id,
        site_id=new.site_id,
        status=Status.NEW,
        created_at=now,
        updated_at=now,
    )
    if kind not in (Kind.HAZARD, Kind.EMERGENCY):
        report.category = report.severity = None
    filer = new.filed_by or (f"resident:{resident.id}" if resident else f"client:{new.client_id}")
    original = None if new.source in FIELD_SOURCES else await _original(session, report, policy)
    if original is not None:
        return await _merge(session, report, original, filer, policy, now)
    await report_rows.add_report(session=session, report=report, actor=filer)
    lifecycle = Lifecycle(policy, lambda: now)
    if kind in (Kind.OUT_OF_SCOPE, Kind.FEEDBACK):  # kept for the record: nothing left to do
        await lifecycle.transition(session, report, Action.FILE, SYSTEM)
    notices: list[Notice] = []
    if kind in (Kind.HAZARD, Kind.EMERGENCY, Kind.QUESTION) and to_staff:
        notices = await dispatch(session, report, policy=policy, now=now)
    if kind == Kind.EMERGENCY and to_staff:  # a patrol team sets off as the 119 call is made
        notices += await call_team(session, report, policy, now)
    elif kind == Kind.FEEDBACK:
        notices = await _to_coordinators(session, report)
    await post(session, notices)
    return Created(report, notices)


async def _to_coordinators(session: AsyncSession, report: Report) -> list[Notice]:
    """Feedback goes to the coordinators of the resident's community, else of the street."""
    staff = await staff_rows.community_coordinators(session=session, community=report.community)
    staff = staff or await staff_rows.street_coordinators(session=session, street=None)
    card = await card_of(session, report)
    return [
        to_staff(s, "feedback_received", card, text=quoted(report.text), priority=RESIDENT)
        for s in staff
    ]


async def _original(session: AsyncSession, report: Report, policy: Policy) -> Report | None:
    if report.kind != Kind.HAZARD or report.latitude is None or report.longitude is None:
        return None
    return await find_original(
        session,
        category=report.category,
        latitude=report.latitude,
        longitude=report.longitude,
        radius_m=policy.duplicate_radius_meters,
    )


async def _merge(
    session: AsyncSession,
    report: Report,
    original: Report,
    filer: str,
    policy: Policy,
    now: datetime,
) -> Created:
    await report_rows.add_report(session=session, report=report, actor=filer)
    await Lifecycle(policy, lambda: now).transition(
        session, report, Action.MERGE, SYSTEM, detail={"into": original.reference}, into=original.id
    )
    await report_rows.add_event(
        session=session,
        report_id=original.id,
        actor="system",
        action="duplicate_merged",
        at=now,
        detail={"duplicate": report.reference, "by": filer},
    )
    notices = []
    assignee = await session.get(Staff, original.assignee_id) if original.assignee_id else None
    if assignee is not None:  # what the second resident saw may help whoever is on it
        card = await card_of(session, original)
        notices.append(
            to_staff(
                assignee,
                "duplicate_added",
                card,
                text=quoted(report.text),
                photos=list(report.photos),
                priority=RESIDENT,
            )
        )
    await post(session, notices)
    return Created(report, notices, original)


def _cell_for(new: NewReport, district: DistrictMap) -> CellInfo | None:
    if new.latitude is None or new.longitude is None:
        return None
    return district.cell_at(new.latitude, new.longitude)
