"""Sites campaigns visit (`firecircle sites import FILE.csv|FILE.geojson`, `sites list`):
buildings and premises, each with a name, an address, a type, and a place — a location
(which names its grid cell) or a grid cell's code. A file is checked whole; one bad row stops
the import, naming the row, and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass

from storage import fieldwork as field_rows
from storage import grid as grid_rows
from storage.engine import SessionFactory, transaction
from storage.models import Site
from storage.types import utcnow
from triage.districts import files
from triage.districts.cells import DistrictMap, valid_coordinates

# The types, and the Chinese names a file may use instead
TYPES = {
    "residential": ("住宅", "居民楼", "小区"),
    "shop": ("商铺", "沿街商铺", "门店"),
    "three_in_one": ("三合一", "三合一场所"),
    "warehouse": ("仓库",),
    "factory": ("厂房", "工厂"),
    "office": ("办公", "写字楼"),
    "school": ("学校",),
    "other": ("其他",),
}
FIELDS = ("name", "address", "type", "lat", "lon", "grid")


class SiteProblem(ValueError):
    """A file that cannot be imported; the message names the row and what is wrong."""


@dataclass(frozen=True)
class SiteSpec:
    where: str  # "line 3", "feature 2": for errors found against the grid
    name: str
    address: str
    type: str
    latitude: float | None
    longitude: float | None
    grid: str | None


@dataclass(frozen=True)
class SiteEntry:
    site: Site
    grid: str

    def as_dict(self) -> dict:
        s = self.site
        return {
            "name": s.name,
            "address": s.address,
            "type": s.type,
            "grid": self.grid,
            "community": s.community,
            "latitude": s.latitude,
            "longitude": s.longitude,
        }


def site_type(text: str) -> str | None:
    """A type's code from its code or a Chinese name; None if it is neither."""
    text = text.strip()
    for code, names in TYPES.items():
        if text.casefold() == code or text in names:
            return code
    return None


def parse_sites(text: str, *, geojson: bool) -> list[SiteSpec]:
    rows = _features(text) if geojson else _csv_rows(text)
    specs = [_spec(where, row) for where, row in rows]
    seen: dict[str, str] = {}
    for spec in specs:
        if spec.name in seen:
            raise SiteProblem(f"{spec.where}: the name {spec.name!r} is also on {seen[spec.name]}")
        seen[spec.name] = spec.where
    if not specs:
        raise SiteProblem("the file has no sites")
    return specs


@dataclass(frozen=True)
class Imported:
    added: int
    updated: int
    notes: tuple[
        str, ...
    ]  # "zh / en", a line each: what the import did that a reader would not expect


async def import_sites(sessions: SessionFactory, specs: list[SiteSpec]) -> Imported:
    """Add new sites and update those of the same name. All or none. A row without a location
    keeps the one its site had; a row whose grid column names another cell than its location
    is placed in the named cell (the grid column wins, as it always has); both are noted."""
    async with transaction(sessions) as session:
        cells = await grid_rows.all_grid_cells(session=session)
        district, by_code = DistrictMap(cells), {c.code: c for c in cells}
        known = await field_rows.sites_by_name(session=session)
        placed, notes = [], []
        for spec in specs:
            site = known.get(spec.name)
            at = (spec.latitude, spec.longitude)
            if spec.latitude is None and site is not None and site.latitude is not None:
                at = (site.latitude, site.longitude)
                notes.append(_kept(spec, at))
            if spec.grid is not None:
                cell = by_code.get(spec.grid)
                if cell is None:
                    raise SiteProblem(
                        f"{spec.where} ({spec.name}): no grid cell {spec.grid!r} "
                        "(`firecircle grids list` shows them)"
                    )
                info = district.cell_at(*at) if at[0] is not None else None
                if info is not None and info.code != cell.code:
                    notes.append(_elsewhere(spec, info.code))
            else:
                info = district.cell_at(*at)
                if info is None:
                    raise SiteProblem(
                        f"{spec.where} ({spec.name}): the location is in no grid cell "
                        "(give its grid code)"
                    )
                cell = by_code[info.code]
            placed.append((spec, cell, at))
        now = utcnow()
        for spec, cell, (latitude, longitude) in placed:
            site = known.get(spec.name) or Site(name=spec.name, address="", type="", grid_id=0)
            site.address, site.type, site.grid_id = spec.address, spec.type, cell.id
            site.latitude, site.longitude = latitude, longitude
            site.community, site.updated_at = cell.community, now
            session.add(site)
            if site.id is not None:  # moved to another cell: its unfinished visits go with it
                await field_rows.move_open_visits(session=session, site_id=site.id, grid_id=cell.id)
        added = sum(spec.name not in known for spec in specs)
    return Imported(added, len(specs) - added, tuple(notes))


def _kept(spec: SiteSpec, at: tuple[float, float]) -> str:
    where = f"{at[0]:.6g},{at[1]:.6g}"
    return (
        f"{spec.where}（{spec.name}）：文件里没有坐标，保留原来的 {where}"
        f" / {spec.where} ({spec.name}): no lat,lon in the file, kept its old {where}"
    )


def _elsewhere(spec: SiteSpec, located: str) -> str:
    return (
        f"{spec.where}（{spec.name}）：坐标在网格 {located}，grid 列写的是 {spec.grid}，按 grid 列归入"
        f" {spec.grid} / {spec.where} ({spec.name}): its location is in cell {located} but its"
        f" grid column says {spec.grid}: placed in {spec.grid} (the grid column wins)"
    )


async def list_sites(sessions: SessionFactory) -> list[SiteEntry]:
    async with transaction(sessions) as session:
        codes = await grid_rows.grid_codes_by_id(session=session)
        return [
            SiteEntry(site, codes.get(site.grid_id, ""))
            for site in await field_rows.all_sites(session=session)
        ]


def _csv_rows(text: str):
    header, rows = files.csv_table(text)
    missing = [f for f in ("name", "address", "type") if f not in header]
    if missing or not ({"lat", "lon"} <= set(header) or "grid" in header):
        raise SiteProblem(
            f"the CSV header needs name, address, type and lat,lon or grid (columns: "
            f"{', '.join(FIELDS)})"
        )
    return rows


def _features(text: str):
    for feature in files.features(text, SiteProblem):
        row = dict(feature.properties)
        if feature.geometry:
            at = files.point(feature.geometry)
            if at is None:
                raise SiteProblem(f"{feature.where}: a site is a Point (or no geometry and a grid)")
            row["lon"], row["lat"] = at
        yield feature.where, row


def _spec(where: str, row: dict) -> SiteSpec:
    def text(key: str, limit: int = 200) -> str:
        value = row.get(key)
        value = "" if value is None else str(value).strip()
        if len(value) > limit:
            raise SiteProblem(f"{where}: {key} is longer than {limit} characters")
        return value

    name, address, kind = text("name", 100), text("address"), text("type", 40)
    if not name or not address:
        raise SiteProblem(f"{where}: a site needs a name and an address")
    code = site_type(kind)
    if code is None:
        raise SiteProblem(
            f"{where} ({name}): type {kind!r} is not one of {', '.join(TYPES)} "
            "(or 住宅, 商铺, 三合一, 仓库…)"
        )
    lat, lon, grid = text("lat"), text("lon"), text("grid", 40) or None
    latitude = longitude = None
    if lat or lon:
        try:
            latitude, longitude = float(lat), float(lon)
        except ValueError:
            raise SiteProblem(f"{where} ({name}): lat and lon must be numbers") from None
        if not valid_coordinates(latitude, longitude):
            raise SiteProblem(f"{where} ({name}): lat and lon are not a place on Earth")
    elif grid is None:
        raise SiteProblem(f"{where} ({name}): give a location (lat, lon) or a grid cell's code")
    return SiteSpec(where, name, address, code, latitude, longitude, grid)
