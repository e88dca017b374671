"""Service points residents can walk to."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Place


async def all_places(*, session: AsyncSession) -> Sequence[Place]:
    return (await session.exec(select(Place).order_by(col(Place.type), col(Place.name)))).all()


async def places_by_name(*, session: AsyncSession) -> dict[str, Place]:
    return {p.name: p for p in await all_places(session=session)}
