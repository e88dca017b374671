from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.engine import SessionFactory, make_engine, make_session_factory
from tests.databases import database, drop_template


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request, tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database of each kind."""
    async with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def sqlite_url(tmp_path: Path) -> AsyncIterator[str]:
    async with database("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    await engine.dispose()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    asyncio.run(drop_template())
