"""The return visit (回访): fixed or not, a rating, and silence that closes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage import reports as report_rows
from storage.engine import transaction
from storage.types import utcnow
from tests.harness import (
    INSIDE,
    REFERENCE,
    WORKER_1,
    file_report,
    next_text,
    running_service,
    task_card,
)
from triage.escalation.ladder import escalate_due


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url) as running:
        yield running


async def resolved(bot, user_id: int = 1701) -> tuple[str, dict]:
    """A hazard reported, acknowledged and resolved; returns its reference and the notice."""
    resident = bot.emulator.user(user_id, "小李")
    await resident.send("楼道里有电动车在充电")
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    reference = REFERENCE.search((await resident.next_message())["text"]).group()
    worker = bot.staff(WORKER_1)
    card = await task_card(worker)
    await worker.press(card, "接单")
    await next_text(resident)
    await worker.press(card, "办结")
    await next_text(worker)
    await worker.send_photo(caption="已清理，拆除飞线")
    await next_text(worker)
    notice = await next_text(resident)
    assert reference in notice["text"] and "真的解决了吗" in notice["text"]
    return reference, notice


async def report(bot, reference):
    async with transaction(bot.sessions) as session:
        return await report_rows.report_by_reference(session=session, reference=reference)


async def test_fixed_closes_it_and_a_rating_is_kept(bot):
    reference, notice = await resolved(bot)
    resident = bot.emulator.player(1701)
    await resident.press(notice, "✅ 已解决")
    assert "已结束" in (await next_text(resident))["text"]
    await resident.press(notice, "4⭐")
    assert "4星" in (await next_text(resident))["text"]
    stored = await report(bot, reference)
    assert (stored.status, stored.rating) == ("closed", 4)


async def test_not_fixed_goes_back_to_the_worker_with_the_residents_words(bot):
    reference, notice = await resolved(bot, 1702)
    resident, worker = bot.emulator.player(1702), bot.staff(WORKER_1)
    await resident.press(notice, "❌ 没解决")
    assert "重新交给网格员" in (await next_text(resident))["text"]
    reopened = await task_card(worker)
    assert "重新处理" in reopened["text"] and reference in reopened["text"]
    await resident.send("晚上又有人拉线充电了")
    await next_text(resident)
    assert "晚上又有人拉线充电了" in (await next_text(worker))["text"]
    stored = await report(bot, reference)
    assert (stored.status, stored.reopen_count) == ("assigned", 1)
    assert stored.ack_deadline_at > utcnow()


async def test_silence_closes_it(bot):
    reference, _ = await resolved(bot, 1703)
    stored = await report(bot, reference)
    assert stored.next_deadline_at is not None
    later = stored.resolved_at + timedelta(hours=24, seconds=1)
    assert await escalate_due(bot.sessions, bot.service.policy, later) == 1
    assert (await report(bot, reference)).status == "closed"


async def closed_and_due(bot, user_id: int) -> tuple[str, dict]:
    """A high-severity hazard confirmed fixed, then a week later: the re-inspection card."""
    reference, notice = await resolved(bot, user_id)
    resident = bot.emulator.player(user_id)
    await resident.press(notice, "✅ 已解决")
    await next_text(resident)
    stored = await report(bot, reference)
    assert stored.next_deadline_at == stored.closed_at + timedelta(days=7)
    a_week_on = stored.next_deadline_at + timedelta(seconds=1)
    assert await escalate_due(bot.sessions, bot.service.policy, a_week_on) == 1
    card = await task_card(bot.staff(WORKER_1))
    assert "回头看" in card["text"] and reference in card["text"]
    return reference, card


async def test_a_reinspection_confirmed_with_a_photo(bot):
    reference, card = await closed_and_due(bot, 1704)
    worker = bot.staff(WORKER_1)
    await worker.press(card, "✅ 仍已整改")
    assert "现场照片" in (await next_text(worker))["text"]
    await worker.send_photo()
    assert "复查正常" in (await next_text(worker))["text"]
    async with transaction(bot.sessions) as session:
        stored = await report_rows.report_by_reference(session=session, reference=reference)
        events = [
            e.action for e in await report_rows.history_of(session=session, report_id=stored.id)
        ]
    assert events[-2:] == ["reinspection_due", "reinspected"] and stored.status == "closed"


async def test_a_reinspection_that_finds_it_unfixed_reopens_it(bot):
    reference, card = await closed_and_due(bot, 1705)
    await bot.staff(WORKER_1).press(card, "↩ 重新打开")
    assert "复查时发现问题还在" in (await next_text(bot.emulator.player(1705)))["text"]
    stored = await report(bot, reference)
    assert (stored.status, stored.reopen_count) == ("assigned", 1)


async def test_a_rectification_order_sets_the_deadline_and_tells_the_resident(bot):
    reference = await file_report(bot.emulator, 1706, "楼道里电线老化，外皮都裂开了", name="小陈")
    resident = bot.emulator.player(1706)
    worker = bot.staff(WORKER_1)
    card = await task_card(worker)
    await worker.press(card, "接单")
    await next_text(resident)
    acknowledged = await worker.wait_for(
        lambda: (
            worker.messages[0].get("reply_markup")
            and "📋 整改单" in str(worker.messages[0])
            and worker.messages[0]
        )
    )
    await worker.press(acknowledged, "📋 整改单")
    assert "整改要求和期限" in (await next_text(worker))["text"]
    await worker.send("3天 物业更换老化电线")
    assert "整改单已记录" in (await next_text(worker))["text"]
    told = (await next_text(resident))["text"]
    assert reference in told and "物业更换老化电线" in told
    stored = await report(bot, reference)
    assert stored.status == "acknowledged"
    assert stored.rectify_deadline_at - stored.acknowledged_at > timedelta(days=2, hours=23)
