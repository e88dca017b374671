"""storage.bulk.any_of, on real databases: a list of ids bound as one parameter finds the
same rows as an IN list, and on PostgreSQL it is one statement whatever the list's length
(asyncpg prepares every statement a connection has not seen, a round trip each)."""

from __future__ import annotations

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
    if database_url.startswith("postgresql"):
        assert len(set(said)) == 1 and "= ANY" in said[0]
    else:
        assert len(set(said)) == 4  # an IN list each (the empty one SQLAlchemy's own)


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
