"""Units of work on real databases: rows that nothing reads back before an update is done
(its history, its messages out) wait and go in one statement a table; a unit rolled back
writes none of them; a careful unit and a plain transaction write them at once. A unit asked
to settle before its task tells anyone commits then. A step with nothing to write makes no
flush."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import func, select

from storage import directory, outbox
from storage import reports as report_rows
from storage.engine import (
    settle_before_telling,
    start_afresh,
    transaction,
    unit_of_work,
    write_waiting,
)
from storage.models import OutboxMessage, Report, ReportEvent, Resident
from storage.session import Session
from storage.types import utcnow
from tests.statements import Statements


def inserts() -> Statements:
    """The tables of the INSERT statements run while it is open."""
    return Statements(lambda words: words[2] if words[0].upper() == "INSERT" else None)


@pytest.fixture
async def report_id(sessions) -> int:
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="小李")
        session.add(resident)
        await session.flush()
        report = Report(resident_id=resident.id, text="楼道堆物", status="new")
        await report_rows.add_report(session=session, report=report, actor="resident:77")
    return report.id


async def _say_three_things(session, report_id: int) -> None:
    notice = {"kind": "assigned"}
    await outbox.enqueue_notices(session=session, notices=[(1, 1, report_id, notice)] * 2)
    reply = outbox.pending(
        77, "sendMessage", {"text": "收到"}, priority=0, now=utcnow(), report_id=None
    )
    await outbox.enqueue_values(session=session, rows=[reply])
    await report_rows.add_events(
        session=session,
        events=[{"report_id": report_id, "actor": "system", "action": "noted", "at": utcnow()}] * 2,
    )


async def _counts(sessions) -> tuple[int, int]:
    async with transaction(sessions) as session:
        messages = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
        events = (await session.exec(select(func.count()).select_from(ReportEvent))).one()
    return messages, events


async def test_an_updates_rows_wait_and_go_in_one_statement_a_table(sessions, report_id):
    before = await _counts(sessions)
    with inserts() as into:
        async with unit_of_work(sessions) as unit:
            async with transaction(sessions) as step:  # a step of the update joins its unit
                await _say_three_things(step, report_id)
            assert into == [], "written before the update was done"
            await start_afresh(unit.session)
            assert sorted(into) == ["outboxmessage", "reportevent"], into
    assert await _counts(sessions) == (before[0] + 3, before[1] + 2)


async def test_a_unit_rolled_back_writes_none_of_its_waiting_rows(sessions, report_id):
    before = await _counts(sessions)
    with pytest.raises(RuntimeError), inserts() as into:
        async with unit_of_work(sessions):
            async with transaction(sessions) as step:
                await _say_three_things(step, report_id)
            assert into == []
            raise RuntimeError("a step failed")
    async with unit_of_work(sessions) as unit:
        await write_waiting(unit.session)  # a new unit holds nothing of the old one
    assert await _counts(sessions) == before


@pytest.mark.parametrize("careful", [True, False])
async def test_outside_a_plain_unit_the_rows_are_written_at_once(sessions, report_id, careful):
    with inserts() as into:
        if careful:
            async with unit_of_work(sessions, careful=True):
                async with transaction(sessions) as step:
                    await _say_three_things(step, report_id)
                    assert into.count("outboxmessage") == 2 and into.count("reportevent") == 1
        else:
            async with transaction(sessions) as session:
                await _say_three_things(session, report_id)
                assert into.count("outboxmessage") == 2 and into.count("reportevent") == 1


async def test_a_unit_writes_what_waits_when_its_owner_did_not(sessions, report_id):
    before = await _counts(sessions)
    async with unit_of_work(sessions), transaction(sessions) as step:
        await _say_three_things(step, report_id)
    assert await _counts(sessions) == (before[0] + 3, before[1] + 2)


async def test_a_tables_rows_keep_the_order_they_came_in_whatever_their_columns(
    sessions, report_id
):
    plain = outbox.pending(77, "sendMessage", {"text": "一"}, priority=0, now=utcnow())
    marked = outbox.pending(
        77, "sendMessage", {"text": "二"}, priority=0, now=utcnow(), subject="s"
    )
    last = outbox.pending(77, "sendMessage", {"text": "三"}, priority=0, now=utcnow())
    async with unit_of_work(sessions) as unit:
        for row in (plain, marked, last):
            await outbox.enqueue_values(session=unit.session, rows=[row])
    async with transaction(sessions) as session:
        rows = await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))
        said = [row.payload["text"] for row in rows]
    assert said == ["一", "二", "三"]


async def test_a_unit_that_settles_before_telling_has_committed_and_lets_others_write(
    sessions, report_id
):
    """What it did and its waiting rows are stored and seen by others; another transaction
    (on SQLite, the next in turn for the write lock) goes on while the task still runs; the
    task's later steps commit apart."""
    before = await _counts(sessions)
    async with unit_of_work(sessions) as unit:
        unit.settles_early = True
        async with transaction(sessions) as step:
            await _say_three_things(step, report_id)
        await settle_before_telling()
        assert unit.settled
        assert await _counts(sessions) == (before[0] + 3, before[1] + 2)  # no wait for a turn
        async with transaction(sessions) as later:
            assert later is not unit.session
            await _say_three_things(later, report_id)
        await settle_before_telling()  # nothing left to settle
    assert await _counts(sessions) == (before[0] + 6, before[1] + 4)


async def test_a_unit_settles_only_if_asked_with_no_step_open_and_no_step_failed(
    sessions, report_id
):
    before = await _counts(sessions)
    async with unit_of_work(sessions) as unit:  # not asked: commits at its end as always
        async with transaction(sessions) as step:
            await _say_three_things(step, report_id)
        await settle_before_telling()
        assert not unit.settled
    async with unit_of_work(sessions) as unit:
        unit.settles_early = True
        async with transaction(sessions) as step:
            await settle_before_telling()  # a call made inside a step: it goes on after
            assert not unit.settled
            await _say_three_things(step, report_id)
        with pytest.raises(RuntimeError):  # a step that failed is closed all the same
            async with transaction(sessions):
                raise RuntimeError("a step failed")
        unit.spoiled = False  # (as if the owner had redone it)
        await settle_before_telling()  # no step open now
        assert unit.settled
    assert await _counts(sessions) == (before[0] + 6, before[1] + 4)

    with pytest.raises(RuntimeError):
        async with unit_of_work(sessions) as unit:
            unit.settles_early = True
            async with transaction(sessions) as step:
                await _say_three_things(step, report_id)
            unit.spoiled = True  # as a failing step leaves it
            await settle_before_telling()
            assert not unit.settled
            raise RuntimeError("rolled back by its owner")
    assert await _counts(sessions) == (before[0] + 6, before[1] + 4)


async def test_a_unit_that_cannot_settle_is_spoiled_and_commits_nothing(sessions, report_id):
    before = await _counts(sessions)
    with pytest.raises(IntegrityError):
        async with unit_of_work(sessions) as unit:
            unit.settles_early = True
            async with transaction(sessions) as step:
                await _say_three_things(step, report_id)
            await report_rows.add_events(  # waits, and fails when written: no such report
                session=unit.session,
                events=[{"report_id": 10**9, "actor": "system", "action": "x", "at": utcnow()}],
            )
            try:
                await settle_before_telling()  # raised into the Telegram call: not sent
            finally:
                assert unit.spoiled and not unit.settled
    assert await _counts(sessions) == before


async def test_a_step_flushes_only_what_it_changed(sessions, report_id, monkeypatch):
    flushes = []
    flush = Session.flush

    async def counted(self, *args, **kwargs):
        flushes.append(1)
        return await flush(self, *args, **kwargs)

    monkeypatch.setattr(Session, "flush", counted)
    async with unit_of_work(sessions):
        async with transaction(sessions) as session:  # a step that reads only
            await session.get(Report, report_id)
        assert flushes == []
        async with transaction(sessions) as session:  # a step that changes a row
            (await session.get(Report, report_id)).text = "楼道堆物，已清理一半"
        assert flushes == [1]
    async with transaction(sessions) as session:
        assert (await session.get(Report, report_id)).text == "楼道堆物，已清理一半"


async def test_the_directory_is_read_once_a_transaction_even_as_its_first_statement(sessions):
    """A transaction begins with its first statement: the directory's first look, made
    before any, is still the look the next one finds."""
    versions = Statements(lambda words: "version" if "directoryversion" in words[-5:] else None)
    with versions as said:
        async with transaction(sessions) as session:
            first = await directory.current(session)
            assert await directory.current(session) is first
    assert said == ["version"]
