"""Queries on the fire-safety knowledge base (FaqEntry), as keyword-only functions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FaqEntry


async def all_entries(*, session: AsyncSession, active_only: bool = False) -> list[FaqEntry]:
    """Every entry in the order they were first stored (a file's order), or only active ones."""
    query = select(FaqEntry).order_by(col(FaqEntry.id))
    if active_only:
        query = query.where(col(FaqEntry.active).is_(True))
    return list((await session.exec(query)).all())


async def entry_by_slug(*, session: AsyncSession, slug: str) -> FaqEntry | None:
    result = await session.exec(select(FaqEntry).where(FaqEntry.slug == slug))
    return result.first()


async def entries_by_slug(*, session: AsyncSession, slugs: Iterable[str]) -> dict[str, FaqEntry]:
    wanted = list(dict.fromkeys(slugs))
    if not wanted:
        return {}
    result = await session.exec(select(FaqEntry).where(col(FaqEntry.slug).in_(wanted)))
    return {entry.slug: entry for entry in result.all()}


async def count_entries(*, session: AsyncSession, active_only: bool = False) -> int:
    query = select(func.count()).select_from(FaqEntry)
    if active_only:
        query = query.where(col(FaqEntry.active).is_(True))
    return (await session.exec(query)).one()


async def faq_version(*, session: AsyncSession) -> tuple[int, datetime | None]:
    """(number of entries, latest change): a cached knowledge base is stale when this moves."""
    result = await session.exec(select(func.count(), func.max(FaqEntry.updated_at)))
    count, latest = result.one()
    return count, latest
