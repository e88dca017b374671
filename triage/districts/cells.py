"""Where a point falls: the grid cells of the district, with a spatial index."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from shapely import STRtree
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

from storage.models import GridCell

METERS_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class CellInfo:
    id: int
    code: str
    name: str
    community: str
    street: str


class DistrictMap:
    """An immutable snapshot of the grid; build a new one when the cells change."""

    def __init__(self, cells: Sequence[GridCell]):
        self.cells = [CellInfo(c.id, c.code, c.name, c.community, c.street) for c in cells]
        self._shapes: list[BaseGeometry] = [shape(json.loads(c.geometry)) for c in cells]
        self._tree = STRtree(self._shapes) if self._shapes else None
        self._bounds = _union_bounds(self._shapes)

    @property
    def empty(self) -> bool:
        return not self.cells

    def cell_at(self, latitude: float, longitude: float) -> CellInfo | None:
        if self._tree is None:
            return None
        point = Point(longitude, latitude)
        for index in self._tree.query(point, predicate="intersects"):
            return self.cells[int(index)]
        return None

    def serves(self, latitude: float, longitude: float, margin_meters: float) -> bool:
        """True when the point is within the district's extent (plus a margin).

        With no cells loaded every valid point is accepted: there is nothing to compare to.
        """
        if self._bounds is None:
            return True
        min_lon, min_lat, max_lon, max_lat = self._bounds
        d_lat = margin_meters / METERS_PER_DEGREE
        d_lon = d_lat / max(math.cos(math.radians(latitude)), 0.01)
        return (min_lat - d_lat <= latitude <= max_lat + d_lat) and (
            min_lon - d_lon <= longitude <= max_lon + d_lon
        )

    def communities(self) -> list[str]:
        return sorted({c.community for c in self.cells})


def _union_bounds(shapes: list[BaseGeometry]) -> tuple[float, float, float, float] | None:
    if not shapes:
        return None
    boxes = [s.bounds for s in shapes]
    return (
        min(b[0] for b in boxes),
        min(b[1] for b in boxes),
        max(b[2] for b in boxes),
        max(b[3] for b in boxes),
    )


def valid_coordinates(latitude: float, longitude: float) -> bool:
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )
