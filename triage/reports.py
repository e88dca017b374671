"""Creating a report: the one place a report comes into being."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import queries
from storage.models import Report, Resident
from triage.classify import classify
from triage.district import DistrictMap
from triage.lifecycle import Status
from triage.taxonomy import Category, Kind, Severity


@dataclass
class NewReport:
    text: str
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    community: str | None = None
    photos: list[str] = field(default_factory=list)


async def create_report(
    session: AsyncSession,
    *,
    resident: Resident,
    new: NewReport,
    district: DistrictMap,
    now: datetime,
) -> Report:
    """Classify, place on the grid and store a report with its first event.

    The resident chose to report, so whatever the classifier thinks the kind is, this is a
    hazard, unless it reads as an emergency (which must never be played down).
    """
    label = classify(new.text)
    kind = Kind.EMERGENCY if label.kind == Kind.EMERGENCY else Kind.HAZARD
    cell = _cell_for(new, district)
    report = Report(
        resident_id=resident.id,
        chat_id=resident.chat_id,
        language=resident.language,
        text=new.text,
        kind=kind,
        category=label.category or (Category.OTHER if kind == Kind.HAZARD else None),
        severity=label.severity or (Severity.NORMAL if kind == Kind.HAZARD else None),
        cues=list(label.cues),
        latitude=new.latitude,
        longitude=new.longitude,
        address=new.address,
        community=cell.community if cell else new.community,
        grid_id=cell.id if cell else None,
        photos=list(new.photos),
        status=Status.NEW,
        created_at=now,
        updated_at=now,
    )
    return await queries.add_report(session=session, report=report, actor=f"resident:{resident.id}")


def _cell_for(new: NewReport, district: DistrictMap):
    if new.latitude is None or new.longitude is None:
        return None
    return district.cell_at(new.latitude, new.longitude)
