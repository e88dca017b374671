"""Open311 clients: their keys (hashed), when they were last used, their requests a minute."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import case, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ApiClient


async def add_client(
    *, session: AsyncSession, name: str, key_hash: str, now: datetime
) -> ApiClient:
    client = ApiClient(name=name, key_hash=key_hash, created_at=now)
    session.add(client)
    await session.flush()
    return client


async def client_named(*, session: AsyncSession, name: str) -> ApiClient | None:
    result = await session.exec(select(ApiClient).where(ApiClient.name == name))
    return result.first()


async def all_clients(*, session: AsyncSession) -> Sequence[ApiClient]:
    result = await session.exec(select(ApiClient).order_by(col(ApiClient.id)))
    return result.all()


async def count_request(
    *, session: AsyncSession, key_hash: str, now: datetime, window: timedelta
) -> ApiClient | None:
    """Count one request against the key's current window, in one statement (two instances
    counting at once both land), and return the row as counted; None for no such live key."""
    fresh = col(ApiClient.window_start).is_(None) | (col(ApiClient.window_start) <= now - window)
    result = await session.exec(
        update(ApiClient)
        .where(ApiClient.key_hash == key_hash, col(ApiClient.revoked_at).is_(None))
        .values(
            last_used_at=now,
            window_start=case((fresh, now), else_=ApiClient.window_start),
            window_count=case((fresh, 1), else_=ApiClient.window_count + 1),
        )
        .returning(ApiClient.id, ApiClient.name, ApiClient.window_start, ApiClient.window_count)
    )
    row = result.first()
    if row is None:
        return None
    return ApiClient(
        id=row.id,
        name=row.name,
        key_hash=key_hash,
        window_start=row.window_start,
        window_count=row.window_count,
    )


async def revoke(*, session: AsyncSession, name: str, now: datetime) -> bool:
    result = await session.exec(
        update(ApiClient)
        .where(ApiClient.name == name, col(ApiClient.revoked_at).is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount > 0
