"""The SQLite file, its WAL and lock files, and the directory made for them: the owner's only."""

from __future__ import annotations

import os

from sqlalchemy import text

from storage.engine import make_engine
from storage.leader import Leadership


def mode(path) -> int:
    return path.stat().st_mode & 0o777


async def test_a_new_database_and_its_directory_are_private(tmp_path):
    previous = os.umask(0o022)  # the usual umask, which would leave them readable by all
    try:
        database = tmp_path / "var" / "data" / "firecircle.db"
        engine = make_engine(f"sqlite+aiosqlite:///{database}")
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE note (body TEXT)"))
            await conn.execute(text("INSERT INTO note VALUES ('13812345678')"))
        leadership = Leadership(engine)
        leadership.claim_sqlite()
        try:
            assert mode(tmp_path / "var") == 0o700 and mode(database.parent) == 0o700
            assert mode(database) == 0o600
            wal = database.with_name(database.name + "-wal")
            assert wal.exists() and mode(wal) == 0o600
            assert mode(database.with_name(database.name + ".lock")) == 0o600
        finally:
            await leadership.release()
            await engine.dispose()
    finally:
        os.umask(previous)


async def test_an_existing_directory_keeps_the_mode_its_owner_gave_it(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    engine = make_engine(f"sqlite+aiosqlite:///{shared / 'firecircle.db'}")
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    await engine.dispose()
    assert mode(shared) == 0o755 and mode(shared / "firecircle.db") == 0o600
