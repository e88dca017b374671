"""The district map as the service holds it: rebuilt when the grid cells change."""

from __future__ import annotations

import asyncio

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import grid as grid_rows
from triage.districts.cells import DistrictMap


class DistrictCache:
    """Hands out the current DistrictMap; one cheap query per use tells whether to rebuild."""

    def __init__(self) -> None:
        self._map = DistrictMap([])
        self._revision: object = None
        self._lock = asyncio.Lock()

    async def current(self, session: AsyncSession) -> DistrictMap:
        revision = await grid_rows.grid_revision(session=session)
        if revision == self._revision:
            return self._map
        async with self._lock:
            if revision != self._revision:
                cells = await grid_rows.all_grid_cells(session=session)
                self._map = DistrictMap(cells)
                self._revision = revision
        return self._map
