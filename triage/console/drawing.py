"""The map page's drawing: grid cells' polygons and open reports' points projected onto a
plane the page draws as SVG (no tiles), coloured by what is open and overdue in each cell."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 800.0  # the drawing's width in SVG units; the height follows the district's shape
MARGIN = 10.0


@dataclass(frozen=True)
class Drawn:
    width: float
    height: float
    cells: list[dict[str, Any]]  # code, name, community, path (SVG "d"), open, overdue
    dots: list[dict[str, Any]]  # reference, x, y, late


def _rings(geometry: dict) -> Iterable[Sequence[Sequence[float]]]:
    if geometry.get("type") == "Polygon":
        yield from geometry["coordinates"]
    elif geometry.get("type") == "MultiPolygon":
        for polygon in geometry["coordinates"]:
            yield from polygon


def draw(cells, counts: dict[str, tuple[int, int]], points: list[dict[str, Any]]) -> Drawn:
    """cells: rows with code, name, community, geometry (GeoJSON); counts: code → (open,
    overdue); points: reference, latitude, longitude, late."""
    shapes = [(cell, list(_rings(json.loads(cell.geometry)))) for cell in cells]
    corners = [p for _, rings in shapes for ring in rings for p in ring]
    if not corners:
        return Drawn(WIDTH, WIDTH / 2, [], [])
    west, east = min(p[0] for p in corners), max(p[0] for p in corners)
    south, north = min(p[1] for p in corners), max(p[1] for p in corners)
    squeeze = math.cos(math.radians((south + north) / 2))  # a degree east is shorter
    span_x = max((east - west) * squeeze, 1e-9)
    scale = (WIDTH - 2 * MARGIN) / span_x
    height = (north - south) * scale + 2 * MARGIN

    def at(lon: float, lat: float) -> tuple[float, float]:
        return (
            round(MARGIN + (lon - west) * squeeze * scale, 1),
            round(MARGIN + (north - lat) * scale, 1),
        )

    drawn_cells = []
    for cell, rings in shapes:
        path = " ".join(
            "M" + " L".join(f"{x},{y}" for x, y in (at(*p[:2]) for p in ring)) + " Z"
            for ring in rings
        )
        open_, overdue = counts.get(cell.code, (0, 0))
        centre = at(*_middle(rings))
        drawn_cells.append(
            {
                "code": cell.code,
                "name": cell.name,
                "community": cell.community,
                "path": path,
                "open": open_,
                "overdue": overdue,
                "label": centre,
            }
        )
    dots = []
    for point in points:
        lon, lat = point["longitude"], point["latitude"]
        if west <= lon <= east and south <= lat <= north:
            x, y = at(lon, lat)
            dots.append({**point, "x": x, "y": y})
    return Drawn(WIDTH, round(height, 1), drawn_cells, dots)


def _middle(rings) -> tuple[float, float]:
    outer = rings[0]
    return (
        sum(p[0] for p in outer) / len(outer),
        sum(p[1] for p in outer) / len(outer),
    )
