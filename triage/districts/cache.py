"""The district map as the service holds it: rebuilt when the grid cells change."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import directory
from triage.districts.cells import DistrictMap


class DistrictCache:
    """Hands out the current DistrictMap, rebuilt when the directory's version moves."""

    def __init__(self) -> None:
        self._map = DistrictMap([])
        self._revision: object = None

    async def current(self, session: AsyncSession) -> DistrictMap:
        found = await directory.current(session)  # its version moves with any cell's change
        if found.version != self._revision:
            self._map = DistrictMap(found.cells_by_code())
            self._revision = found.version
        return self._map
