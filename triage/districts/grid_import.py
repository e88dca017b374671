"""Importing grid cells from GeoJSON (polygons with code, name, community, street)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely import STRtree
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

from storage import grid as grid_rows
from storage.engine import SessionFactory, transaction
from storage.models import GridCell
from storage.types import utcnow
from triage.districts import files

REQUIRED = ("code", "name", "community", "street")
# Cells may share an edge; overlapping by more than this (square degrees, about a square metre)
# would leave a place in two cells, so a report there would have two grids.
OVERLAP_EPSILON = 1e-10


class GridFileError(ValueError):
    """The file cannot be imported; the message says where and why."""


@dataclass(frozen=True)
class CellSpec:
    code: str
    name: str
    community: str
    street: str
    geometry: dict[str, Any]


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int


def parse_grid_file(text: str) -> list[CellSpec]:
    """Validate the whole file before anything is stored, so a bad file changes nothing."""
    read = files.features(text, GridFileError)
    if not read:
        raise GridFileError("the FeatureCollection has no features")
    specs = [_cell(feature) for feature in read]
    codes = [s.code for s in specs]
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        raise GridFileError(f"duplicate codes: {', '.join(duplicates)}")
    check_overlaps({s.code: shape(s.geometry) for s in specs})
    return specs


def check_overlaps(
    cells: dict[str, BaseGeometry], others: dict[str, BaseGeometry] | None = None
) -> None:
    """Raises for the first two cells that overlap: two of `cells`, or one of `cells` and one
    of `others` (cells already stored)."""
    codes = list(cells) + list(others or {})
    shapes = list(cells.values()) + list((others or {}).values())
    tree = STRtree(shapes)
    for i, code in enumerate(cells):
        for j in sorted(int(j) for j in tree.query(shapes[i])):
            if j > i and shapes[i].intersection(shapes[j]).area > OVERLAP_EPSILON:
                stored = " (already stored)" if j >= len(cells) else ""
                raise GridFileError(f"cells {code} and {codes[j]}{stored} overlap")


def _cell(feature: files.Feature) -> CellSpec:
    where, props = feature.where, feature.properties
    missing = [k for k in REQUIRED if not str(props.get(k) or "").strip()]
    if missing:
        raise GridFileError(f"{where}: missing properties {', '.join(missing)}")
    geometry = feature.geometry
    if not isinstance(geometry, dict) or geometry.get("type") not in ("Polygon", "MultiPolygon"):
        raise GridFileError(f"{where} ({props['code']}): geometry must be a Polygon")
    try:
        polygon = shape(geometry)
    except Exception as exc:  # shapely raises several types for malformed coordinates
        raise GridFileError(f"{where} ({props['code']}): bad coordinates ({exc})") from None
    if polygon.is_empty or not polygon.is_valid:
        raise GridFileError(f"{where} ({props['code']}): {explain_validity(polygon)}")
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
        raise GridFileError(f"{where} ({props['code']}): coordinates must be longitude, latitude")
    return CellSpec(*(str(props[k]).strip() for k in REQUIRED), geometry=geometry)


async def import_cells(
    sessions: SessionFactory, specs: list[CellSpec], now: datetime | None = None
) -> ImportResult:
    """Add new cells and update those whose code exists; never deletes (reports point at them)."""
    now = now or utcnow()
    added = updated = 0
    async with transaction(sessions) as session:
        new = {spec.code: shape(spec.geometry) for spec in specs}
        stored = {
            cell.code: shape(json.loads(cell.geometry))
            for cell in await grid_rows.all_grid_cells(session=session)
            if cell.code not in new  # those are replaced
        }
        check_overlaps(new, stored)
        for spec in specs:
            cell = await grid_rows.grid_cell_by_code(session=session, code=spec.code)
            if cell is None:
                cell = GridCell(
                    code=spec.code, created_at=now, name="", community="", street="", geometry=""
                )
                session.add(cell)
                added += 1
            else:
                updated += 1
            cell.name, cell.community, cell.street = spec.name, spec.community, spec.street
            cell.geometry = json.dumps(spec.geometry, ensure_ascii=False)
            cell.updated_at = now
    return ImportResult(added, updated)
