"""storage.bulk.any_of, on real databases: a list of ids bound as one parameter finds the
same rows as an IN list, in one statement whatever the list's length (asyncpg prepares every
statement a connection has not seen, a round trip each; storage.compiled takes only
statements whose SQL does not depend on the values)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select, update

from storage.bulk import any_of, insert_into
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.types import utcnow
from tests.statements import Statements

_TABLE = OutboxMessage.__table__
_FIND = select(_TABLE.c.chat_id).where(any_of(_TABLE.c.id, "ids")).order_by(_TABLE.c.chat_id)


async def test_a_list_of_any_length_finds_its_rows_in_one_statement(sessions, database_url):
    now = utcnow()
    rows = [
        {"chat_id": 100 + n, "method": "sendMessage", "payload": {}, "priority": 30,
         "status": "pending", "attempts": 0, "created_at": now, "next_attempt_at": now}
        for n in range(4)
    ]  # fmt: skip
    async with transaction(sessions) as session:
        await session.exec(insert_into(OutboxMessage), params=rows)
        ids = (await session.exec(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
    found = {}
    with Statements(lambda words: " ".join(words) if words[0] == "SELECT" else None) as said:
        async with transaction(sessions) as session:
            for chosen in ([], ids[1:2], [ids[0], ids[2], ids[3]], tuple(ids)):
                result = await session.exec(_FIND, params={"ids": list(chosen)})
                found[len(chosen)] = list(result.all())
    assert found == {0: [], 1: [101], 3: [100, 102, 103], 4: [100, 101, 102, 103]}
    assert len(set(said)) == 1
    assert ("= ANY" if database_url.startswith("postgresql") else "json_each") in said[0]


async def test_a_list_of_strings_finds_its_rows(sessions):
    now = utcnow()
    row = {"chat_id": 1, "method": "sendMessage", "payload": {}, "priority": 30,
           "attempts": 0, "created_at": now, "next_attempt_at": now}  # fmt: skip
    statuses = ["pending", "sent", "发送中"]
    async with transaction(sessions) as session:
        await session.exec(
            insert_into(OutboxMessage), params=[row | {"status": s} for s in statuses]
        )
        chosen = select(_TABLE.c.status).where(any_of(_TABLE.c.status, "s")).order_by(_TABLE.c.id)
        found = (await session.exec(chosen, params={"s": ["发送中", "sent", "failed"]})).all()
    assert found == ["sent", "发送中"]


async def test_an_update_by_the_list_changes_those_rows_only(sessions):
    now = utcnow()
    row = {"method": "sendMessage", "payload": {}, "priority": 30, "status": "pending",
           "attempts": 0, "created_at": now, "next_attempt_at": now}  # fmt: skip
    async with transaction(sessions) as session:
        await session.exec(
            insert_into(OutboxMessage), params=[row | {"chat_id": n} for n in (1, 2, 3)]
        )
        ids = (await session.exec(select(OutboxMessage.id).order_by(OutboxMessage.id))).all()
        statement = update(_TABLE).where(any_of(_TABLE.c.id, "ids")).values(status="sent")
        await session.exec(statement, params={"ids": [ids[0], ids[2]]})
        statuses = (
            await session.exec(select(OutboxMessage.status).order_by(OutboxMessage.id))
        ).all()
    assert statuses == ["sent", "pending", "sent"]


async def test_a_list_of_times_finds_its_rows(sessions):
    """Values the column's type converts (times) find their rows as an IN list would."""
    now = utcnow()
    row = {"method": "sendMessage", "payload": {}, "priority": 30, "status": "pending",
           "attempts": 0, "next_attempt_at": now}  # fmt: skip
    times = [now - timedelta(minutes=n) for n in range(3)]
    rows = [row | {"chat_id": n, "created_at": t} for n, t in enumerate(times)]
    by_time = select(_TABLE.c.chat_id).where(any_of(_TABLE.c.created_at, "at"))
    async with transaction(sessions) as session:
        await session.exec(insert_into(OutboxMessage), params=rows)
        at = (
            await session.exec(by_time.order_by(_TABLE.c.chat_id), params={"at": times[1:]})
        ).all()
    assert at == [1, 2]
