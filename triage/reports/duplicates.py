"""Is this hazard already reported? Same category, still open, within a few tens of metres."""

from __future__ import annotations

import math

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage.models import Report

EARTH_RADIUS_M = 6_371_000
METERS_PER_DEGREE = 111_320.0


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


async def find_original(
    session: AsyncSession, *, category: str, latitude: float, longitude: float, radius_m: float
) -> Report | None:
    """The nearest open hazard of the category within radius_m, if any."""
    if radius_m <= 0:
        return None
    d_lat = radius_m / METERS_PER_DEGREE
    d_lon = d_lat / max(math.cos(math.radians(latitude)), 0.01)
    candidates = await report_rows.open_hazards_near(
        session=session,
        category=category,
        latitude=latitude,
        longitude=longitude,
        d_lat=d_lat,
        d_lon=d_lon,
    )
    near = [
        (distance_m(latitude, longitude, r.latitude, r.longitude), r)
        for r in candidates
        if r.latitude is not None and r.longitude is not None
    ]
    near = [(d, r) for d, r in near if d <= radius_m]
    return min(near, key=lambda pair: (pair[0], pair[1].id))[1] if near else None
