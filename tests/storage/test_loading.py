"""Table objects read through storage.compiled (on SQLite made by storage.loading, elsewhere by
the ORM) and the session's `get` (storage.session), on real databases: each behaves as the
ORM's own reading does, so the two databases give the same."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, inspect, update
from sqlalchemy.exc import SAWarning
from sqlmodel import col, select

from storage import compiled, inline_sqlite, residents
from storage.engine import transaction
from storage.models import PendingInput, ReportDraft, Resident
from storage.types import utcnow
from tests.statements import Statements

NOW = utcnow()
_BY_TELEGRAM = select(Resident).where(col(Resident.telegram_id) == bindparam("t"))
_NAMED = select(Resident.name, Resident).where(col(Resident.telegram_id) == bindparam("t"))


def resident(n: int, **values) -> Resident:
    return Resident(telegram_id=n, chat_id=n, name=f"居民{n}", created_at=NOW, **values)


async def stored(sessions, *rows) -> list[int]:
    async with transaction(sessions) as session:
        session.add_all(rows)
        await session.flush()
        return [getattr(row, "id", None) for row in rows]


def columns(row) -> dict:
    return {key: getattr(row, key) for key in inspect(type(row)).columns.keys()}  # noqa: SIM118


async def test_a_read_object_is_the_one_the_orm_loads(sessions):
    """Every value as the ORM reads it, the object persistent and clean, held by the session
    (its `get` gives it without a statement), and a change to it is written as usual."""
    await stored(sessions, resident(1, username="wang", last_latitude=31.2, located_at=NOW))
    async with transaction(sessions) as session:
        [read] = await compiled.read(session, _BY_TELEGRAM, {"t": 1})
        state = inspect(read)
        assert state.persistent and not session.dirty and not state.unloaded
        with Statements(lambda words: words[0]) as said:
            assert await session.get(Resident, read.id) is read
        assert said == []
        read.name = "王先生"
    async with transaction(sessions) as session:
        orm = (await session.exec(_BY_TELEGRAM, params={"t": 1})).one()
        assert columns(orm) == columns(read) and orm.name == "王先生"
        assert orm.located_at == NOW and orm.last_latitude == 31.2


@pytest.mark.parametrize("way", ["compiled", "orm"])
async def test_after_a_rollback_a_read_object_is_read_again_as_the_orms(sessions, way):
    """Rolled back, an object read in the transaction is expired, still persistent in the
    session, and reads the row again when next used, whichever way it was read."""
    [id_] = await stored(sessions, resident(5))
    async with sessions() as session:  # a session that lives on after its rollback
        if way == "compiled":
            [read] = await compiled.read(session, _BY_TELEGRAM, {"t": 5})
        else:
            read = (await session.exec(_BY_TELEGRAM, params={"t": 5})).one()
        read.name = "改了又撤回"
        await session.flush()
        await session.rollback()
        state = inspect(read)
        assert state.persistent and state.expired_attributes and not session.dirty
        assert await session.get(Resident, id_) is read
        assert (
            await session.exec(select(Resident.name).where(Resident.id == id_))
        ).one() == "居民5"
        await session.refresh(read)
        assert read.name == "居民5"


async def test_an_object_the_session_holds_is_given_as_it_holds_it(sessions):
    """As the ORM does: not overwritten by the row (what it holds may be newer), but an
    attribute it had expired is filled in from the row."""
    [id_] = await stored(sessions, resident(2))
    async with transaction(sessions) as session:
        held = await session.get(Resident, id_)
        table = Resident.__table__
        behind = update(table).where(table.c.id == id_).values(name="改名", username="li")
        await session.exec(behind)
        session.expire(held, ["username"])
        [(name, read)] = await compiled.read(session, _NAMED, {"t": 2})
    assert read is held and name == "改名"
    assert held.name == "居民2" and held.username == "li"


async def test_an_outer_joins_missing_row_is_none(sessions):
    [id_] = await stored(sessions, resident(3))
    await stored(sessions, ReportDraft(resident_id=id_, step="location", text="楼道堆放杂物"))
    async with transaction(sessions) as session:
        [row] = await compiled.read(session, residents._VISITOR, {"telegram_id": 3})
        _version, found, pending, draft, asked = row
        assert found.id == id_ and pending is None and asked is False
        assert draft.text == "楼道堆放杂物" and inspect(draft).persistent
        [(_, nobody, *_)] = await compiled.read(session, residents._VISITOR, {"telegram_id": 4})
        assert nobody is None


async def test_get_is_the_orms_get(sessions):
    """A row not held is read; a missing one is None; one whose attributes were expired is
    loaded again; one deleted in the session is None, as session.get gives them."""
    [id_] = await stored(sessions, resident(5))
    await stored(sessions, PendingInput(telegram_id=5, purpose="reason", created_at=NOW))
    async with transaction(sessions) as session:
        got = await session.get(Resident, id_)
        assert got.telegram_id == 5 and inspect(got).persistent
        assert await session.get(Resident, 999_999) is None
        assert (await session.get(PendingInput, 5)).purpose == "reason"
        table = Resident.__table__
        await session.exec(update(table).where(table.c.id == id_).values(name="新名字"))
        session.expire(got)
        assert (await session.get(Resident, id_)).name == "新名字"
        await session.delete(got)
        await session.flush()
        assert await session.get(Resident, id_) is None


async def test_on_sqlite_the_rows_go_to_sqlite3_itself(sessions, monkeypatch):
    if sessions.kw["bind"].dialect.name != "sqlite":
        pytest.skip("SQLite's straight path")
    [id_] = await stored(sessions, resident(6))
    went, real = [], inline_sqlite.run
    monkeypatch.setattr(inline_sqlite, "run", lambda *a: went.append(real(*a)) or went[-1])
    async with transaction(sessions) as session:
        assert (await session.get(Resident, id_)).telegram_id == 6
        [found] = await compiled.read(session, _BY_TELEGRAM, {"t": 6})
    assert len(went) == 2 and None not in went and found.id == id_


async def test_get_of_no_key_or_a_key_of_another_shape_is_the_orms_get(sessions):
    """None finds nothing (SQLAlchemy warns), a one-item list is the key it holds."""
    [id_] = await stored(sessions, resident(7))
    async with transaction(sessions) as session:
        with pytest.warns(SAWarning):
            assert await session.get(Resident, None) is None
        assert (await session.get(Resident, [id_])).telegram_id == 7


async def test_a_read_that_asks_the_orm_to_refresh_is_the_orms(sessions):
    """populate_existing: the held object is refreshed from the row, on both databases."""
    [id_] = await stored(sessions, resident(8))
    fresh = _BY_TELEGRAM.execution_options(populate_existing=True)
    async with transaction(sessions) as session:
        held = await session.get(Resident, id_)
        table = Resident.__table__
        await session.exec(update(table).where(table.c.id == id_).values(name="刷新"))
        [read] = await compiled.read(session, fresh, {"t": 8})
    assert read is held and held.name == "刷新"
