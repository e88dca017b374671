"""One object's flush as one compiled statement (storage.flushing, through the session's
flush), on real databases: what it stores and what the session then holds are the ORM's,
failures and rollbacks included (each such case runs both ways and must end alike); what it
does not take goes to the ORM's flush, savepoints included."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, inspect, update
from sqlalchemy.exc import IntegrityError, InvalidRequestError, SAWarning
from sqlalchemy.orm.exc import FlushError, StaleDataError
from sqlmodel import select

from storage import flushing
from storage.engine import transaction
from storage.models import ReportDraft, Resident
from storage.types import utcnow
from tests.statements import Statements

NOW = utcnow()


def resident(n: int) -> Resident:
    return Resident(telegram_id=n, chat_id=n, name=f"居民{n}", created_at=NOW, located_at=NOW)


def words(said: list[str]) -> list[str]:
    return [w for w in said if w in ("INSERT", "UPDATE", "DELETE")]


def spy(monkeypatch) -> list[bool]:
    taken, real = [], flushing.flushed

    async def counted(session):
        taken.append(await real(session))
        return taken[-1]

    monkeypatch.setattr(flushing, "flushed", counted)
    return taken


async def test_a_new_object_is_one_insert_and_then_stored(sessions, monkeypatch):
    taken = spy(monkeypatch)
    with Statements(lambda w: w[0].upper()) as said:
        async with transaction(sessions) as session:
            made = resident(1)
            session.add(made)
            await session.flush()
            assert made.id is not None and inspect(made).persistent
            assert not session.new and not session.dirty
            draft = ReportDraft(resident_id=made.id, step="description", text="电动车楼道充电")
            session.add(draft)
            await session.flush()
    assert taken == [True, True] and words(said) == ["INSERT", "INSERT"]
    async with transaction(sessions) as session:
        stored = await session.get(Resident, made.id)
        assert (stored.name, stored.located_at, stored.language) == ("居民1", NOW, "zh")
        assert (await session.get(ReportDraft, made.id)).text == "电动车楼道充电"


async def test_a_changed_object_is_one_update_of_what_changed(sessions, monkeypatch):
    async with transaction(sessions) as session:
        made = resident(2)
        session.add(made)
    taken = spy(monkeypatch)
    with Statements(lambda w: " ".join(w) if w[0].upper() == "UPDATE" else None) as said:
        async with transaction(sessions) as session:
            held = await session.get(Resident, made.id)
            held.last_latitude, held.last_longitude = 31.23, 121.47
            await session.flush()
            assert not session.dirty
    assert taken == [True] and len(said) == 1
    assert "last_latitude" in said[0] and "name" not in said[0].split("WHERE")[0]
    async with transaction(sessions) as session:
        stored = await session.get(Resident, made.id)
    assert (stored.last_latitude, stored.last_longitude, stored.name) == (31.23, 121.47, "居民2")


async def test_a_row_gone_meanwhile_fails_as_the_orms_flush_does(sessions):
    async with transaction(sessions) as session:
        made = resident(3)
        session.add(made)
    with pytest.raises(StaleDataError):
        async with transaction(sessions) as session:
            held = await session.get(Resident, made.id)
            table = Resident.__table__  # behind the session's back
            await session.exec(delete(table).where(table.c.id == made.id))
            held.name = "改名"
            await session.flush()


async def test_a_second_resident_with_the_same_telegram_id_is_the_databases_error(sessions):
    async with transaction(sessions) as session:
        session.add(resident(4))
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(resident(4))
            await session.flush()


async def test_what_it_does_not_take_is_the_orms_flush(sessions, monkeypatch):
    """Two objects at once, a deletion with a new object, a savepoint (whose rollback takes
    the new object out of the session again, as only the ORM's flush knows to)."""
    taken = spy(monkeypatch)
    async with transaction(sessions) as session:
        session.add_all([resident(5), resident(6)])
        await session.flush()
        [gone] = (await session.exec(select(Resident).where(Resident.telegram_id == 6))).all()
        await session.delete(gone)
        session.add(resident(8))
        await session.flush()
        inner = await session.begin_nested()
        lost = resident(7)
        session.add(lost)
        await session.flush()
        await inner.rollback()
        assert inspect(lost).transient
    assert taken == [False, False, False]
    async with transaction(sessions) as session:
        found = (await session.exec(select(Resident.telegram_id))).all()
    assert sorted(found) == [5, 8]


async def test_a_deleted_object_is_one_delete_and_then_gone(sessions, monkeypatch):
    id_ = await stored_resident(sessions, 9)
    taken = spy(monkeypatch)
    with Statements(lambda w: w[0].upper()) as said:
        async with transaction(sessions) as session:
            held = await session.get(Resident, id_)
            await session.delete(held)
            await session.flush()
            assert inspect(held).deleted and not session.deleted
            assert await session.get(Resident, id_) is None
    assert taken == [True] and words(said) == ["DELETE"]
    async with transaction(sessions) as session:
        assert await session.get(Resident, id_) is None


@pytest.fixture(params=["compiled", "orm"])
def way(request, monkeypatch) -> str:
    """Each case below twice: through storage.flushing, and through the ORM's own flush
    (storage.flushing declining): both must end alike."""
    if request.param == "orm":

        async def declined(_session) -> bool:
            return False

        monkeypatch.setattr(flushing, "flushed", declined)
    return request.param


async def stored_resident(sessions, n: int) -> int:
    async with transaction(sessions) as session:
        made = resident(n)
        session.add(made)
        await session.flush()
        return made.id


async def test_a_value_set_again_as_it_was_is_not_written(sessions, way):
    """Not a lost update: a column given the value it was read with leaves a change made
    meanwhile, as the ORM compares and leaves it out."""
    id_ = await stored_resident(sessions, 11)
    table = Resident.__table__
    async with transaction(sessions) as session:
        held = await session.get(Resident, id_)
        await session.exec(update(table).where(table.c.id == id_).values(name="别人改的"))
        held.name, held.username = "居民11", "wang"
        await session.flush()
    async with transaction(sessions) as session:
        stored = await session.get(Resident, id_)
    assert (stored.name, stored.username) == ("别人改的", "wang"), way


async def test_nothing_changed_writes_nothing_even_if_the_row_is_gone(sessions, way):
    id_ = await stored_resident(sessions, 12)
    table = Resident.__table__
    async with transaction(sessions) as session:
        held = await session.get(Resident, id_)
        await session.exec(delete(table).where(table.c.id == id_))
        held.name = held.name
        await session.flush()
        assert not session.dirty, way


async def test_an_object_expired_and_then_changed_is_written(sessions, way):
    id_ = await stored_resident(sessions, 13)
    async with transaction(sessions) as session:
        held = await session.get(Resident, id_)
        session.expire(held)
        held.name = "新名字"
        await session.flush()
    async with transaction(sessions) as session:
        assert (await session.get(Resident, id_)).name == "新名字", way


async def test_after_a_rollback_an_inserted_object_is_new_again(sessions, way):
    made = resident(14)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            session.add(made)
            await session.flush()
            raise RuntimeError("the transaction failed after the flush")
    assert inspect(made).transient and made.name == "居民14", way
    async with transaction(sessions) as session:
        session.add(made)  # again, as a retry would
    async with transaction(sessions) as session:
        found = (await session.exec(select(Resident).where(Resident.telegram_id == 14))).all()
    assert len(found) == 1, way


async def test_a_failed_insert_leaves_the_session_refusing_until_rolled_back(sessions, way):
    """As after the ORM's failed flush: nothing flushed before it is committed, and the
    session says so rather than go on (on PostgreSQL the database aborted the transaction)."""
    await stored_resident(sessions, 16)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            session.add(resident(17))
            await session.flush()
            session.add(resident(16))
            with pytest.raises(IntegrityError):
                await session.flush()
            with pytest.raises(InvalidRequestError):  # PendingRollbackError, or closed
                await session.exec(select(Resident.telegram_id))
            raise IntegrityError("the owner's view", None, Exception())
    async with transaction(sessions) as session:
        found = (await session.exec(select(Resident.telegram_id))).all()
    assert sorted(found) == [16], way


async def test_a_row_without_its_key_is_refused_and_nothing_stored(sessions, way):
    """A draft's key is its resident's: given none, the ORM refuses to flush it (SQLite
    would otherwise choose a key, another resident's)."""
    await stored_resident(sessions, 19)
    with pytest.raises((FlushError, IntegrityError)):
        async with transaction(sessions) as session:
            session.add(ReportDraft(step="description", text="谁的？"))
            await session.flush()
    async with transaction(sessions) as session:
        assert (await session.exec(select(ReportDraft))).all() == [], way


async def test_after_a_rollback_a_deleted_object_is_stored_again(sessions, way):
    id_ = await stored_resident(sessions, 20)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            held = await session.get(Resident, id_)
            await session.delete(held)
            await session.flush()
            raise RuntimeError("the transaction failed after the flush")
    assert not inspect(held).deleted and not inspect(held).was_deleted, way
    async with transaction(sessions) as session:
        assert (await session.get(Resident, id_)).name == "居民20", way


async def test_a_row_deleted_meanwhile_is_the_orms_warning(sessions, way):
    """Deleting an object whose row is already gone matches no row: the ORM warns, and
    nothing fails."""
    id_ = await stored_resident(sessions, 21)
    table = Resident.__table__
    async with transaction(sessions) as session:
        held = await session.get(Resident, id_)
        await session.exec(delete(table).where(table.c.id == id_))
        await session.delete(held)
        with pytest.warns(SAWarning, match="expected to delete 1 row"):
            await session.flush()
        assert inspect(held).deleted, way
