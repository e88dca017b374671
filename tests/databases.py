"""Real databases for tests: a SQLite file per test, and a PostgreSQL database per test.

PostgreSQL comes from FIRECIRCLE_TEST_POSTGRES_URL (`.ci/run` starts a server and sets it).
Without it those tests are skipped with the reason shown; with FIRECIRCLE_TEST_REQUIRE_POSTGRES
set, they fail instead, so CI cannot pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import make_engine
from storage.migrate import upgrade

POSTGRES_URL = os.environ.get("FIRECIRCLE_TEST_POSTGRES_URL")
REQUIRE_POSTGRES = bool(os.environ.get("FIRECIRCLE_TEST_REQUIRE_POSTGRES"))
# One per test run: two runs against the same server (a developer's, CI's) must not drop
# each other's template.
TEMPLATE = f"firecircle_test_template_{os.getpid()}"
_template_ready = False
_sqlite_template_path: Path | None = None


def require_postgres() -> str:
    if POSTGRES_URL:
        return POSTGRES_URL
    if REQUIRE_POSTGRES:
        pytest.fail("FIRECIRCLE_TEST_REQUIRE_POSTGRES is set but no PostgreSQL URL is given")
    pytest.skip("no PostgreSQL server: set FIRECIRCLE_TEST_POSTGRES_URL (as .ci/run does)")


async def _admin(sql: str) -> None:
    engine = make_engine(require_postgres())
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


async def _ensure_template() -> None:
    """One migrated database to copy from: CREATE DATABASE … TEMPLATE is far faster."""
    global _template_ready
    if _template_ready:
        return
    await _admin(f"DROP DATABASE IF EXISTS {TEMPLATE}")
    await _admin(f"CREATE DATABASE {TEMPLATE}")
    url = make_url(require_postgres()).set(database=TEMPLATE)
    engine = make_engine(url.render_as_string(hide_password=False))
    await upgrade(engine)
    await engine.dispose()
    _template_ready = True


async def drop_template() -> None:
    """At the end of the run: the template is this run's alone."""
    if _sqlite_template_path is not None:
        shutil.rmtree(_sqlite_template_path.parent, ignore_errors=True)
    if _template_ready:
        await _admin(f"DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")


@asynccontextmanager
async def postgres_database(*, migrated: bool = True) -> AsyncIterator[str]:
    name = f"fc_test_{uuid.uuid4().hex[:12]}"
    if migrated:
        await _ensure_template()
        await _admin(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    else:
        await _admin(f"CREATE DATABASE {name}")
    url = make_url(require_postgres()).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _sqlite_template() -> Path:
    """One migrated SQLite file per run, copied for each test (a copy is milliseconds; running
    every migration is a few hundred)."""
    global _sqlite_template_path
    if _sqlite_template_path is None:
        path = Path(tempfile.mkdtemp(prefix="firecircle-template-")) / "template.db"
        engine = make_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()
        _sqlite_template_path = path
    return _sqlite_template_path


@asynccontextmanager
async def sqlite_database(directory: Path, *, migrated: bool = True) -> AsyncIterator[str]:
    target = directory / "firecircle.db"
    if migrated:
        template = await _sqlite_template()
        for suffix in ("", "-wal"):  # the WAL is gone once the last connection closed
            if template.with_name(template.name + suffix).exists():
                shutil.copyfile(template.with_name(template.name + suffix), f"{target}{suffix}")
    yield f"sqlite+aiosqlite:///{target}"


@asynccontextmanager
async def database(kind: str, directory: Path, *, migrated: bool = True) -> AsyncIterator[str]:
    if kind == "postgresql":
        async with postgres_database(migrated=migrated) as url:
            yield url
    else:
        async with sqlite_database(directory, migrated=migrated) as url:
            yield url
