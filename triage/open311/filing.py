"""POST requests: a service request from another system becomes a report like any other —
classified, placed on the grid, sent to the worker on duty — or is refused with nothing
stored."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from storage.engine import transaction
from triage.actors import Actor
from triage.desks import DeskContext
from triage.districts.cells import CellInfo, DistrictMap, valid_coordinates
from triage.escalation.policy import Policy
from triage.open311.refusals import Refused
from triage.open311.services import Service, services
from triage.reports.filing import NewReport, create_report
from triage.understanding.classify import classify
from triage.understanding.taxonomy import Category, Kind

MAX_DESCRIPTION = 4000  # the specification's limit
MAX_FIELD = 200  # a name, phone, email, device id, address
CONTACT_FIELDS = ("first_name", "last_name", "phone", "email", "device_id")


@dataclass
class RequestForm:
    """What the client sent, as strings: everything is checked here, not by the caller."""

    service_code: str = ""
    lat: str = ""
    long: str = ""
    address_string: str = ""
    description: str = ""
    media_url: str = ""
    contact: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Filed:
    reference: str
    notice: str  # what to tell the client: emergency, merged or sent
    values: dict[str, object]


class Filing:
    def __init__(self, context: DeskContext):
        self.context = context

    async def file(self, client: Actor, form: RequestForm) -> Filed:
        service = _service(form.service_code)
        attributes = _attributes(service, form.attributes)
        description = form.description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise Refused("too_long", field="description", limit=MAX_DESCRIPTION)
        contact = _contact(form.contact)
        media_url = _media_url(form.media_url)
        async with transaction(self.context.sessions) as session:
            district = await self.context.district.current(session)
            new = self._placed(form, district)
            new.text = description or service.name
            new.source, new.client_id = "open311", client.id
            new.contact, new.media_url, new.attributes = contact, media_url, attributes
            label = classify(new.text)
            created = await create_report(
                session,
                resident=None,
                new=new,
                district=district,
                policy=self.context.policy,
                now=self.context.clock(),
                kind=Kind.EMERGENCY if label.kind == Kind.EMERGENCY else Kind.HAZARD,
                label=dataclasses.replace(label, category=Category(service.code)),
            )
        return _filed(created.report, created.original, self.context.policy)

    def _placed(self, form: RequestForm, district: DistrictMap) -> NewReport:
        address = form.address_string.strip()
        if len(address) > MAX_FIELD:
            raise Refused("too_long", field="address_string", limit=MAX_FIELD)
        if form.lat.strip() or form.long.strip():
            latitude, longitude = _coordinates(form.lat, form.long)
            if district.cell_at(latitude, longitude) is None and not district.serves(
                latitude, longitude, self.context.margin_meters
            ):
                raise Refused("outside_district")
            return NewReport(
                text="", latitude=latitude, longitude=longitude, address=address or None
            )
        if not address:
            raise Refused("no_location")
        cell = _cell_named(address, district)
        community = cell.community if cell else _community_named(address, district)
        if cell is None and community is None:
            raise Refused("unknown_address")
        return NewReport(
            text="", address=address, community=community, grid_id=cell.id if cell else None
        )


def _service(code: str) -> Service:
    code = code.strip()
    if not code:
        raise Refused("no_service")
    service = services().get(code)
    if service is None:
        raise Refused("unknown_service", code=code[:40])
    return service


def _attributes(service: Service, given: Mapping[str, str]) -> dict[str, str]:
    checked = {}
    for code, value in given.items():
        attribute = service.attribute(code)
        value = value.strip()
        if attribute is None or not attribute.accepts(value):
            raise Refused("bad_attribute", code=code[:40], service=service.code)
        checked[code] = value
    return checked


def _coordinates(lat: str, long: str) -> tuple[float, float]:
    try:
        latitude, longitude = float(lat), float(long)
    except ValueError:
        raise Refused("bad_coordinates") from None
    if not valid_coordinates(latitude, longitude):
        raise Refused("bad_coordinates")
    return latitude, longitude


def _cell_named(address: str, district: DistrictMap) -> CellInfo | None:
    """The cell whose code or name the address contains (the longest name wins: 'A-10'
    before 'A-1')."""
    text = address.casefold()
    matches = [c for c in district.cells if c.code.casefold() in text or c.name in address]
    return max(matches, key=lambda c: max(len(c.code), len(c.name)), default=None)


def _community_named(address: str, district: DistrictMap) -> str | None:
    named = [c for c in district.communities() if c and c in address]
    return max(named, key=len, default=None)


def _contact(given: Mapping[str, str]) -> dict[str, str]:
    contact = {}
    for name in CONTACT_FIELDS:
        value = given.get(name, "").strip()
        if len(value) > MAX_FIELD:
            raise Refused("too_long", field=name, limit=MAX_FIELD)
        if value:
            contact[name] = value
    return contact


def _media_url(url: str) -> str | None:
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if len(url) > 2000 or parts.scheme not in ("http", "https") or not parts.netloc:
        raise Refused("bad_media_url")
    return url


def _filed(report, original, policy: Policy) -> Filed:
    if report.kind == Kind.EMERGENCY:
        return Filed(report.reference, "emergency", {})
    if original is not None:
        return Filed(report.reference, "merged", {"original": original.reference})
    minutes = round(policy.ack_within(report.kind, report.severity).total_seconds() / 60)
    return Filed(report.reference, "sent", {"minutes": max(1, minutes)})
