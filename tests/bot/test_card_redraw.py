"""A task card reads as the task is now: the time left or overdue as of when it is drawn, and
every card of a report is edited when the report changes, so an old card never offers a press
that would fail."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from bot import sender as sender_module
from bot import staff as staff_module
from storage import outbox
from storage import reports as report_rows
from storage.engine import transaction
from storage.models import OutboxMessage, Report
from storage.types import utcnow
from tests.harness import (
    COORDINATOR_XINGFU,
    PATIENCE,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
    settled_outbox,
    task_card,
)
from triage.escalation.ladder import escalate_due

EBIKE = "7栋楼道里停了好几辆电动车在充电，电线从窗户拉下来"


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


def now_reads(player, card: dict, words: str) -> dict | None:
    """The card as it reads now in the player's chat, once it says `words`."""
    current = player._message(card)
    return current if words in current["text"] else None


async def escalated(bot) -> tuple[dict, dict]:
    """A report nobody took, one level up: the worker's card and the coordinator's."""
    await file_report(bot.emulator, 1101, EBIKE)
    worker, coordinator = bot.staff(WORKER_1), bot.staff(COORDINATOR_XINGFU)
    task = await task_card(worker)
    assert "⏱ 还剩" in task["text"] and "接单" in task["text"]
    service = bot.service
    await escalate_due(service.sessions, service.policy, utcnow() + timedelta(hours=1))
    return task, await task_card(coordinator)


async def test_the_workers_card_follows_an_escalation_and_a_take_over(bot):
    task, card = await escalated(bot)
    worker, coordinator = bot.staff(WORKER_1), bot.staff(COORDINATOR_XINGFU)
    assert "接手" in labels(card)
    before = await worker.wait_for(lambda: now_reads(worker, task, "已升级到第1级"), PATIENCE)
    assert "接单" in labels(before)  # still his to take

    await coordinator.press(card, "接手")
    after = await worker.wait_for(lambda: now_reads(worker, task, "孙红梅已接单"), PATIENCE)
    assert "reply_markup" not in after  # nothing left on it for him to press
    # The clock it shows is the fix's now, not the acknowledgement's any more
    assert "⏱ 整改还剩" in after["text"] and after["text"].count("还剩") == 1


async def test_the_coordinators_card_loses_take_over_once_the_worker_acknowledges(bot):
    task, card = await escalated(bot)
    worker, coordinator = bot.staff(WORKER_1), bot.staff(COORDINATOR_XINGFU)
    await worker.press(task, "接单")
    after = await coordinator.wait_for(
        lambda: now_reads(coordinator, card, "王建国已接单"), PATIENCE
    )
    assert "接手" not in labels(after) and "办结" in labels(after)  # still above it
    mine = await worker.wait_for(lambda: now_reads(worker, task, "王建国已接单"), PATIENCE)
    assert "办结" in labels(mine) and "接单" not in labels(mine)


async def test_a_card_drawn_after_its_deadline_says_how_long_it_is_overdue(bot):
    reference = await file_report(bot.emulator, 1101, EBIKE)
    worker = bot.staff(WORKER_1)
    task = await task_card(worker)
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        late = utcnow() - timedelta(minutes=12, seconds=30)
        await session.exec(
            update(Report).where(Report.id == report.id).values(ack_deadline_at=late)
        )
    await worker.command("/tasks")
    await next_text(worker)  # the list's heading
    card = await task_card(worker)
    assert reference in card["text"] and "⚠️ 接单已超时12分钟" in card["text"]

    # The card /tasks showed is kept current too: taken on the first card, both say so
    await worker.press(task, "接单")
    listed = await worker.wait_for(lambda: now_reads(worker, card, "王建国已接单"), PATIENCE)
    assert "接单已超时" not in listed["text"] and "办结" in labels(listed)


async def test_an_edit_telegram_finds_moot_is_done_not_retried(bot):
    worker = bot.staff(WORKER_1)
    async with transaction(bot.sessions) as session:
        await outbox.enqueue(
            session=session,
            rows=[
                OutboxMessage(
                    chat_id=worker.id,
                    method="editMessageText",
                    payload={"chat_id": worker.id, "message_id": 999_999, "text": "gone"},
                    priority=20,
                )
            ],
        )
    assert await settled_outbox(bot.sessions) == {outbox.SENT}


async def test_a_fix_past_its_deadline_turns_the_card_to_overdue(bot):
    reference = await file_report(bot.emulator, 1101, EBIKE)
    worker = bot.staff(WORKER_1)
    task = await task_card(worker)
    await worker.press(task, "接单")
    taken = await worker.wait_for(lambda: now_reads(worker, task, "⏱ 整改还剩"), PATIENCE)
    assert "办结" in labels(taken)
    late = utcnow() - timedelta(minutes=5, seconds=30)
    async with transaction(bot.sessions) as session:  # as if the day to fix it had gone by
        report = await report_rows.report_by_reference(session=session, reference=reference)
        await session.exec(
            update(Report)
            .where(Report.id == report.id)
            .values(rectify_deadline_at=late, next_deadline_at=late)
        )
    service = bot.service
    await escalate_due(service.sessions, service.policy, utcnow())  # 督办
    overdue = await worker.wait_for(lambda: now_reads(worker, task, "⚠️ 整改已超时5分钟"), PATIENCE)
    assert "整改还剩" not in overdue["text"] and "办结" in labels(overdue)


async def card_edits(bot, chat_id: int, at_least: int = 0) -> list[OutboxMessage]:
    """The outbox's edits of cards in the chat (once there are `at_least`, or PATIENCE
    passed)."""
    deadline = time.monotonic() + PATIENCE
    query = select(OutboxMessage).where(
        OutboxMessage.chat_id == chat_id, OutboxMessage.method == "editMessageText"
    )
    while True:
        async with transaction(bot.sessions) as session:
            found = list((await session.exec(query)).all())
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.05)  # re-check a database condition; no event reaches the test


async def test_the_only_card_of_a_report_is_drawn_by_its_press_alone(bot, database_url):
    """A press seconds after the card came: the press draws it, and the sender, with nothing
    else of the report on its way, leaves it as the press drew it (an edit saying the same
    again would cost Telegram a call and a refusal). On PostgreSQL the sender draws it
    again (storage.cards.only_card)."""
    await file_report(bot.emulator, 1101, EBIKE)
    worker, resident = bot.staff(WORKER_1), bot.emulator.player(1101)
    task = await task_card(worker)
    await settled_outbox(bot.sessions)  # delivered, remembered
    await worker.callback_answer(await worker.press(task, "接单"), PATIENCE)
    taken = await worker.wait_for(lambda: now_reads(worker, task, "王建国已接单"), PATIENCE)
    assert "办结" in labels(taken) and "接单" not in labels(taken)
    told = await next_text(resident)  # the press's notice: it committed
    while "已由网格员" not in told["text"]:
        told = await next_text(resident)
    await settled_outbox(bot.sessions)
    again = 1 if database_url.startswith("postgresql") else 0
    assert len(await card_edits(bot, WORKER_1)) == again
    edits = [c for c in bot.emulator.calls_to("editMessageText") if c.params["chat_id"] == WORKER_1]
    assert len(edits) == 1 + again
    assert "办结" in labels(now_reads(worker, task, "王建国已接单"))


async def test_a_card_pressed_before_its_sending_was_recorded_is_drawn_once_more(bot, monkeypatch):
    """The card's row still being sent when it is pressed: the sender draws the report's
    cards again, that one too (an edit it worded before the press could reach Telegram after
    it), once, and it still reads as taken."""
    monkeypatch.setattr(sender_module, "SETTLE_AFTER", 3600)  # outcomes recorded when asked
    await file_report(bot.emulator, 1101, EBIKE)
    worker = bot.staff(WORKER_1)
    task = await task_card(worker)
    await worker.callback_answer(await worker.press(task, "接单"), PATIENCE)
    # The press's notice drawn first (the card still unrecorded is drawn with it), then the
    # card's delivery recorded: it finds the card drawn since the change, and asks no more
    assert len(await card_edits(bot, WORKER_1, at_least=1)) == 1
    monkeypatch.undo()
    bot.service.sender._flush_now()
    taken = await worker.wait_for(lambda: now_reads(worker, task, "王建国已接单"), PATIENCE)
    assert "办结" in labels(taken) and "接单" not in labels(taken)
    assert len(await card_edits(bot, WORKER_1, at_least=1)) == 1
    await settled_outbox(bot.sessions)
    assert len(await card_edits(bot, WORKER_1)) == 1
    assert "办结" in labels(now_reads(worker, task, "王建国已接单"))


async def test_a_card_the_press_could_not_redraw_is_drawn_by_the_sender(bot):
    await file_report(bot.emulator, 1101, EBIKE)
    worker = bot.staff(WORKER_1)
    task = await task_card(worker)
    await settled_outbox(bot.sessions)
    bot.emulator.faults.add("editMessageText", status=500)  # the press's own redraw
    await worker.press(task, "接单")
    taken = await worker.wait_for(lambda: now_reads(worker, task, "王建国已接单"), PATIENCE)
    assert "办结" in labels(taken)
    assert [edit.last_error for edit in await card_edits(bot, WORKER_1)] == [None]
    await settled_outbox(bot.sessions)  # the 接单 stood: no word of a failure
    assert not [m for m in worker.messages if "系统出了点问题" in m.get("text", "")]


async def test_a_press_whose_answer_failed_still_redraws_its_card_and_stands(bot):
    """Telegram refused the press's answer: the press still redraws its card, and the
    worker is not told of a failure."""
    await file_report(bot.emulator, 1101, EBIKE)
    worker = bot.staff(WORKER_1)
    task = await task_card(worker)
    await settled_outbox(bot.sessions)
    bot.emulator.faults.add("answerCallbackQuery", status=500)
    await worker.press(task, "接单")
    taken = await worker.wait_for(lambda: now_reads(worker, task, "王建国已接单"), PATIENCE)
    assert "办结" in labels(taken) and "接单" not in labels(taken)
    await settled_outbox(bot.sessions)  # the 接单 stood: no word of a failure
    assert not [m for m in worker.messages if "系统出了点问题" in m.get("text", "")]


async def test_a_card_left_offering_acknowledge_is_drawn_as_it_is_when_pressed_again(
    sqlite_url, monkeypatch
):
    """The press's own redraw lost (a crash just after its commit: on SQLite nothing else
    draws a report's only card): pressed again, the worker is told the task is already
    theirs, and the card is drawn as the task is now."""
    async with running_service(sqlite_url) as bot:
        await file_report(bot.emulator, 1101, EBIKE)
        worker = bot.staff(WORKER_1)
        task = await task_card(worker)
        await settled_outbox(bot.sessions)
        lost = []

        async def lose(_context, _query, outcome) -> None:
            lost.append(outcome)

        monkeypatch.setattr(staff_module, "_redraw", lose)
        await worker.callback_answer(await worker.press(task, "接单"), PATIENCE)
        monkeypatch.undo()
        await settled_outbox(bot.sessions)
        assert lost and "接单" in labels(worker._message(task))  # still offered
        answer = await worker.callback_answer(await worker.press(task, "接单"), PATIENCE)
        assert "已由王建国接单" in answer["text"] and answer["show_alert"]
        taken = await worker.wait_for(lambda: now_reads(worker, task, "王建国已接单"), PATIENCE)
        assert "办结" in labels(taken) and "接单" not in labels(taken)
