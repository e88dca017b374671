"""An update is one transaction without a savepoint per step; when a step fails, the update
is rolled back and handled again step by step, so nothing is half done or said twice."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from storage import outbox
from storage.engine import transaction
from storage.models import Report, ReportEvent
from tests.harness import INSIDE, REFERENCE, WORKER_1, running_service, task_card

DESCRIPTION = "楼道里堆满了纸箱，还有人在充电"
ERROR = "系统出了点问题"


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


def fail_enqueue(monkeypatch, *, times: int | None = None, chat: int | None = None) -> list[int]:
    """Make storage.outbox.enqueue_values raise (a step fails midway); returns the
    calls that failed so far."""
    real, failed = outbox.enqueue_values, []

    async def flaky(*, session, rows):
        if (times is None or len(failed) < times) and (chat is None or rows[0]["chat_id"] == chat):
            failed.append(rows[0]["chat_id"])
            raise RuntimeError("the disk hiccuped")
        return await real(session=session, rows=rows)

    monkeypatch.setattr(outbox, "enqueue_values", flaky)
    return failed


async def test_a_step_failing_once_is_rolled_back_and_the_update_done_once(bot, monkeypatch):
    resident = bot.emulator.user(1501, "小周")
    await resident.send(DESCRIPTION)
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    failed = fail_enqueue(monkeypatch, times=1)
    await resident.command("/skip")  # files the report, then a message fails to queue once
    receipt = await resident.next_message()
    card = await task_card(bot.staff(WORKER_1))
    assert failed, "the receipt never failed: the test tested nothing"
    reference = REFERENCE.search(receipt["text"]).group()
    assert reference in card["text"]
    async with transaction(bot.sessions) as session:
        assert (await session.exec(select(func.count()).select_from(Report))).one() == 1
        report = (await session.exec(select(Report))).one()
        actions = (
            await session.exec(select(ReportEvent.action).where(ReportEvent.report_id == report.id))
        ).all()
    assert sorted(actions) == sorted(set(actions)), f"an event was written twice: {actions}"
    assert [m for m in resident.messages if ERROR in m.get("text", "")] == []


async def test_a_step_that_keeps_failing_says_sorry_once_and_keeps_what_came_before(
    bot, monkeypatch
):
    resident = bot.emulator.user(1502, "小吴")
    failed = fail_enqueue(monkeypatch, chat=1502)
    await resident.send(DESCRIPTION)
    assert ERROR in (await resident.next_message())["text"]
    assert len(failed) == 2  # tried at once, then step by step
    monkeypatch.undo()
    await resident.send_location(*INSIDE)  # the draft stored before the failing step is there
    assert "照片" in (await resident.next_message())["text"]
