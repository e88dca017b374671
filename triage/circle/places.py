"""Fire-safety service points (`firecircle places import|list`): consultation points, micro
fire stations, community police rooms, service windows, extinguisher refill and check
services. A file is checked whole; one bad row stops the import, naming the row."""

from __future__ import annotations

from dataclasses import dataclass

from storage import grid as grid_rows
from storage import places as place_rows
from storage.engine import SessionFactory, transaction
from storage.models import Place
from storage.types import utcnow
from triage.districts import files
from triage.districts.cells import DistrictMap, valid_coordinates
from triage.districts.staffing import StaffError, duty_hours_of

# The types, and the Chinese names a file may use instead
TYPES = {
    "consultation": "咨询点",
    "micro_station": "微型消防站",
    "police_room": "社区警务室",
    "service_window": "服务窗口",
    "refill": "灭火器充装",
    "check": "灭火器检测",
}
ALWAYS = ("", "24h", "24小时", "全天")
FIELDS = ("name", "type", "address", "phone", "hours", "lat", "lon", "community")


class PlaceProblem(ValueError):
    """A file that cannot be imported; the message names the row and what is wrong."""


@dataclass(frozen=True)
class PlaceSpec:
    name: str
    type: str
    address: str
    phone: str | None
    hours: str | None
    latitude: float
    longitude: float
    community: str | None
    row: str = ""  # where in the file: "line 3", "feature 2"


def parse_places(text: str, *, geojson: bool) -> list[PlaceSpec]:
    rows = _features(text) if geojson else _csv_rows(text)
    specs = [_spec(number, row) for number, row in rows]
    names = [s.name for s in specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise PlaceProblem(f"the name {twice[0]!r} is on more than one row")
    if not specs:
        raise PlaceProblem("the file has no places")
    return specs


async def import_places(
    sessions: SessionFactory, specs: list[PlaceSpec], *, margin_meters: float
) -> tuple[int, int]:
    """Add new places and update those of the same name; (added, updated). All or none."""
    async with transaction(sessions) as session:
        district = DistrictMap(await grid_rows.all_grid_cells(session=session))
        for spec in specs:
            if not district.serves(spec.latitude, spec.longitude, margin_meters):
                raise PlaceProblem(f"{spec.row} ({spec.name}): outside the district")
        known = await place_rows.places_by_name(session=session)
        for spec in specs:
            cell = district.cell_at(spec.latitude, spec.longitude)
            place = known.get(spec.name) or Place(name=spec.name, type=spec.type, address="")
            place.type, place.address, place.phone, place.hours = (
                spec.type,
                spec.address,
                spec.phone,
                spec.hours,
            )
            place.latitude, place.longitude = spec.latitude, spec.longitude
            place.community = spec.community or (cell.community if cell else None)
            place.updated_at = utcnow()
            session.add(place)
        added = sum(s.name not in known for s in specs)
    return added, len(specs) - added


async def list_places(sessions: SessionFactory) -> list[Place]:
    async with transaction(sessions) as session:
        return list(await place_rows.all_places(session=session))


def _csv_rows(text: str):
    header, rows = files.csv_table(text)
    missing = [f for f in ("name", "type", "address", "lat", "lon") if f not in header]
    if missing:
        raise PlaceProblem(
            f"the CSV header lacks {', '.join(missing)} (columns: {', '.join(FIELDS)})"
        )
    return rows


def _features(text: str):
    for feature in files.features(text, PlaceProblem):
        at = files.point(feature.geometry)
        if at is None:
            raise PlaceProblem(f"{feature.where}: a place is a Point")
        lon, lat = at
        yield feature.where, {**feature.properties, "lat": lat, "lon": lon}


def _spec(where: str, row: dict) -> PlaceSpec:
    def text(key: str, limit: int = 200) -> str:
        value = str(row.get(key) or "").strip()
        if len(value) > limit:
            raise PlaceProblem(f"{where}: {key} is longer than {limit} characters")
        return value

    name, kind, address = text("name", 64), text("type"), text("address")
    if not name or not address:
        raise PlaceProblem(f"{where}: a place needs a name and an address")
    kind = next((code for code, label in TYPES.items() if kind in (code, label)), None)
    if kind is None:
        raise PlaceProblem(f"{where} ({name}): type is one of {', '.join(TYPES)}")
    try:
        latitude, longitude = float(row.get("lat")), float(row.get("lon"))
    except (TypeError, ValueError):
        raise PlaceProblem(f"{where} ({name}): lat and lon must be numbers") from None
    if not valid_coordinates(latitude, longitude):
        raise PlaceProblem(f"{where} ({name}): lat and lon are not a place on Earth")
    hours = text("hours")
    try:
        start, end = duty_hours_of(None if hours in ALWAYS else hours)
    except StaffError:
        raise PlaceProblem(f"{where} ({name}): hours look like 08:00-20:00, or 24h") from None
    phone = text("phone", 40)
    if phone and not all(c.isdigit() or c in "+-() " for c in phone):
        raise PlaceProblem(f"{where} ({name}): phone has characters a number does not")
    return PlaceSpec(
        name,
        kind,
        address,
        phone or None,
        f"{start}-{end}" if start else None,
        latitude,
        longitude,
        text("community") or None,
        where,
    )
