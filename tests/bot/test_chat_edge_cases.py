"""The awkward moments: emergencies mid-report, stale states, staff small talk, races."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from storage import reports as report_rows
from storage import staff as staff_rows
from storage.engine import transaction
from storage.models import Report
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    OFFICER,
    REFERENCE,
    STREET_COORDINATOR,
    WORKER_1,
    WORKER_2,
    file_report,
    next_text,
    running_service,
    task_card,
)
from triage.districts import staffing
from triage.intake.people import Person

FIRE = "楼下着火了，好多烟，快来人"


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url) as running:
        yield running


async def reports(bot) -> list[Report]:
    async with transaction(bot.sessions) as session:
        return list((await session.exec(select(Report).order_by(Report.id))).all())


async def test_an_emergency_typed_in_the_middle_of_a_report_is_raised(bot):
    resident = bot.emulator.user(1301, "小李")
    await resident.send("楼道里堆满了纸箱")
    await resident.next_message()
    await resident.send(FIRE)
    assert "119" in (await resident.next_message())["text"]
    assert "紧急警情" in (await next_text(bot.staff(OFFICER)))["text"]
    visit = await bot.service.conversation.enter(Person(1301, 1301))
    assert await bot.service.conversation.account.has_draft(
        visit.resident
    )  # the report waits for them


async def test_after_an_emergency_a_new_hazard_is_not_taken_for_its_address(bot):
    resident = bot.emulator.user(1302, "小王")
    await resident.send(FIRE)
    await resident.next_message()
    await resident.send("楼道里有电动车在充电")
    assert "在哪里" in (await next_text(resident))["text"]
    emergency = (await reports(bot))[0]
    assert emergency.address is None


async def test_an_emergency_while_staff_wait_for_an_answer_is_raised_not_relayed(bot):
    resident = bot.emulator.user(1303, "小张")
    await resident.send("消防通道被车堵了")
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    await resident.next_message()
    worker = bot.staff(WORKER_1)
    await worker.press(await task_card(worker), "联系居民")
    await next_text(worker)
    await worker.send("车牌号是多少？")
    await next_text(worker)
    await next_text(resident)  # the question
    await resident.send(FIRE)
    assert "119" in (await next_text(resident))["text"]
    assert "紧急警情" in (await next_text(bot.staff(OFFICER)))["text"]
    await resident.command("/cancel")
    await next_text(resident)
    await resident.send("粤B12345")  # after /cancel, no longer taken as the answer
    assert "居民回复" not in " ".join(m.get("text", "") for m in worker.messages[-2:])


async def test_a_photo_where_a_question_was_asked_for_repeats_the_prompt(bot):
    reference = await file_report(bot.emulator, 1304, "配电箱门坏了电线露在外面", name="小陈")
    worker = bot.staff(WORKER_1)
    await worker.press(await task_card(worker), "联系居民")
    await next_text(worker)
    await worker.send_photo()
    assert f"要问居民的话（{reference}）" in (await next_text(worker))["text"]


async def test_staff_answer_a_question_and_it_is_settled(bot):
    resident = bot.emulator.user(1305, "老李")
    await resident.send("我们小区下个月哪天搞消防检查？")  # nothing in the FAQ says
    reference = REFERENCE.search((await resident.next_message())["text"]).group()
    coordinator = bot.staff(STREET_COORDINATOR)
    await coordinator.press(await task_card(coordinator), "回复居民")
    assert "答复" in (await next_text(coordinator))["text"]
    await coordinator.send("下月15号上午，物业会提前贴通知")
    assert "已办结" in (await next_text(coordinator))["text"]
    answer = (await next_text(resident))["text"]
    assert reference in answer and "15号" in answer and "直接回复" not in answer
    [question] = await reports(bot)
    assert question.status == "resolved"


async def test_staff_small_talk_gets_their_help_not_a_report(bot):
    worker = bot.staff(WORKER_1)
    await worker.send("收到")
    assert "/tasks" in (await next_text(worker))["text"]
    assert await reports(bot) == []


async def test_feedback_reaches_a_coordinator_and_my_names_kinds(bot):
    resident = bot.emulator.user(1306, "小赵")
    await resident.send("网格员上次来得很快，服务态度很好，表扬一下")
    await resident.next_message()
    assert "居民意见" in (await next_text(bot.staff(STREET_COORDINATOR)))["text"]
    await resident.command("/my")
    assert "意见建议" in (await resident.next_message())["text"]


async def test_a_coordinator_of_another_street_cannot_act(bot):
    await staffing.add_staff(
        bot.sessions, telegram_id=3200, name="外街协调员", role="coordinator", street="西湖街道"
    )
    resident = bot.emulator.user(1307, "小钱")
    await resident.send("消防栓被圈起来了，用不了")
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    await resident.next_message()
    task = await task_card(bot.staff(WORKER_1))
    outsider = bot.emulator.user(3200, "外街协调员")
    data = task["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    answer = await outsider.callback_answer(outsider._callback(task, data))
    assert "不是派给您的" in answer["text"]


async def test_two_hand_overs_at_once_only_one_wins(bot):
    reference = await file_report(bot.emulator, 1308, "电动车在楼道充电", name="小孙")
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        other = await staff_rows.staff_by_telegram_id(session=session, telegram_id=WORKER_2)
    target = str(other.id)
    desk = bot.service.desk
    worker = await bot.service.desk.actor_for(WORKER_1)
    coordinator = await bot.service.desk.actor_for(COORDINATOR_XINGFU)
    await desk.hand_over(worker, report.id, target)
    await desk.hand_over(coordinator, report.id, target)
    outcomes = await asyncio.gather(
        desk.staff_input(worker, "给二网格", None), desk.staff_input(coordinator, "给二网格", None)
    )
    assert sorted(o.refused for o in outcomes) == [False, True], outcomes
    async with transaction(bot.sessions) as session:
        history = await report_rows.events_of(
            session=session, report_id=report.id, action="handed_over"
        )
    assert len(history) == 1


async def test_a_coordinator_assigns_a_task_instead_of_handing_it_back(bot):
    await staffing.remove_staff(bot.sessions, telegram_id=WORKER_1)
    resident = bot.emulator.user(1309, "小周")
    await resident.send("楼道电动车充电")
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    await resident.next_message()
    coordinator = bot.staff(COORDINATOR_XINGFU)
    await coordinator.press(await task_card(coordinator), "指派给…")
    choices = await next_text(coordinator)
    names = [b["text"] for row in choices["reply_markup"]["inline_keyboard"] for b in row]
    assert "↩ 退回协调员" not in names and "→ 李秀英" in names
    await coordinator.press(choices, "→ 李秀英")
    await next_text(coordinator)
    await coordinator.send("第一网格暂时没人，请先处理")
    assert "李秀英" in (await next_text(coordinator))["text"]
    assert "转交任务" in (await task_card(bot.staff(WORKER_2)))["text"]


async def test_a_duplicate_tells_the_worker_what_the_second_resident_saw(bot):
    first = bot.emulator.user(1310, "小吴")
    await first.send("楼道里电动车在充电")
    await first.next_message()
    await first.send_location(*INSIDE)
    await first.next_message()
    await first.command("/skip")
    await first.next_message()
    worker = bot.staff(WORKER_1)
    await task_card(worker)
    second = bot.emulator.user(1311, "小郑")
    await second.send("楼道有人拉飞线给电动车充电，三楼")
    await second.next_message()
    await second.send_location(INSIDE[0] + 0.0001, INSIDE[1])
    await second.next_message()
    await second.send_photo()
    await second.next_message()
    await second.command("/skip")
    await second.next_message()
    added = await next_text(worker)
    assert "又有居民报告" in added["text"] and "三楼" in added["text"]
    assert "photo" in await worker.next_message()
