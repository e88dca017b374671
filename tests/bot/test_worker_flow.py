"""From a resident's words to a grid worker holding a task, and the worker working it."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from storage import reports as report_rows
from storage.engine import transaction
from storage.models import InboxUpdate, Report
from storage.types import utcnow
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    OFFICER,
    PATIENCE,
    REFERENCE,
    STREET_COORDINATOR,
    WORKER_1,
    WORKER_2,
    next_text,
    running_service,
)
from triage.escalation.ladder import escalate_due

NEAR_INSIDE = (INSIDE[0] + 0.0002, INSIDE[1])  # about 22 m away
EBIKE = "7栋楼道里停了好几辆电动车在充电，电线从窗户拉下来"


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def report_ebike(bot, user_id=1101, name="小李", where=INSIDE, photo=True) -> str:
    resident = bot.emulator.user(user_id, name)
    await resident.send(EBIKE)
    await resident.next_message()
    await resident.send_location(*where)
    await resident.next_message()
    if photo:
        await resident.send_photo()
        await resident.next_message()
    await resident.command("/skip")
    return REFERENCE.search((await next_text(resident))["text"]).group()


async def report_of(bot, reference: str) -> tuple[Report, list[str]]:
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        events = [
            e.action for e in await report_rows.history_of(session=session, report_id=report.id)
        ]
    return report, events


def sent_to(bot, chat_id: int) -> list[dict]:
    return [
        c
        for c in bot.emulator.calls
        if c.method.lower().startswith("send") and int(c.params.get("chat_id", 0)) == chat_id
    ]


async def task_message(worker) -> dict:
    """The worker's newest task card (the message with the task buttons)."""
    message = await worker.next_message()
    while "reply_markup" not in message:
        message = await worker.next_message()
    return message


async def test_report_reaches_the_cells_on_duty_worker_and_no_one_else(bot):
    reference = await report_ebike(bot)
    worker = bot.staff(WORKER_1)
    task = await task_message(worker)
    assert reference in task["text"] and "电动车违规停放充电" in task["text"]
    assert "幸福社区第一网格" in task["text"] and "前接单" in task["text"]
    labels = [b["text"] for row in task["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [
        "接单",
        "联系居民",
        "转交",
        "📝 备注",
        "标记重复",
        "🚫 标记骚扰",
    ]  # 办结 only once taken
    location, photo = await worker.next_message(), await worker.next_message()  # in this order
    assert location["location"]["latitude"] == pytest.approx(INSIDE[0], abs=1e-5)
    assert "photo" in photo
    for other in (WORKER_2, COORDINATOR_XINGFU, STREET_COORDINATOR, OFFICER):
        assert sent_to(bot, other) == []
    report, events = await report_of(bot, reference)
    assert report.status == "assigned" and report.escalation_level == 0
    assert report.ack_deadline_at is not None and events == ["created", "assigned"]


async def test_acknowledge_tells_the_resident_and_a_second_press_changes_nothing(bot):
    reference = await report_ebike(bot)
    resident, worker = bot.emulator.player(1101), bot.staff(WORKER_1)
    task = await task_message(worker)
    data = task["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    answer = await worker.callback_answer(await worker.press(task, "接单"))
    assert "已接单" in answer["text"]
    told = await resident.next_message()
    assert reference in told["text"] and "网格员王建国" in told["text"]
    edited = await worker.wait_for(
        lambda: "已接单" in worker.messages[0]["text"] and worker.messages[0]
    )
    assert "接单" not in [
        b["text"] for row in edited["reply_markup"]["inline_keyboard"] for b in row
    ]
    report, events = await report_of(bot, reference)
    assert report.status == "acknowledged" and report.rectify_deadline_at is not None

    stale = await worker.callback_answer(press_as(worker, task, data))  # the pre-edit card
    assert "已由王建国接单" in stale["text"]
    assert (await report_of(bot, reference))[1] == events


async def test_a_press_is_stored_before_the_worker_hears_of_it(bot):
    """On SQLite the 接单 is committed with the press's mark before Telegram gets its answer
    (the write lock never waits on Telegram; a crash then leaves the press unanswered, and
    pressed again it says what became of it); on PostgreSQL the transaction holding the chat
    stays open until the handler is done, and the press commits whole."""
    reference = await report_ebike(bot)
    worker = bot.staff(WORKER_1)
    task = await task_message(worker)
    hold = bot.emulator.faults.hold("answerCallbackQuery")
    query = await worker.press(task, "接单")
    try:
        await asyncio.wait_for(hold.reached.wait(), PATIENCE)
        report, _ = await report_of(bot, reference)
        waiting = await unhandled_updates(bot)
    finally:
        hold.release()
    on_sqlite = bot.sessions.kw["bind"].dialect.name == "sqlite"
    assert report.status == ("acknowledged" if on_sqlite else "assigned")
    assert len(waiting) == (0 if on_sqlite else 1)  # PostgreSQL: a crash now handles it again
    assert "已接单" in (await worker.callback_answer(query))["text"]
    await asyncio.wait_for(all_handled(bot), PATIENCE)
    report, events = await report_of(bot, reference)
    assert report.status == "acknowledged" and events.count("acknowledged") == 1


async def all_handled(bot) -> None:
    while await unhandled_updates(bot):
        await asyncio.sleep(0.05)  # re-check a database condition; no event reaches the test


async def unhandled_updates(bot) -> list[InboxUpdate]:
    async with transaction(bot.sessions) as session:
        query = select(InboxUpdate).where(InboxUpdate.processed_at.is_(None))
        return list((await session.exec(query)).all())


async def test_cards_that_cannot_be_drawn_again_never_stop_the_sending(bot, monkeypatch):
    """A statement failing while the sender draws a report's cards again (on PostgreSQL it
    would spoil the claim's whole transaction) leaves the cards as they were; the rest of
    what it claimed goes out."""
    from bot import sender

    failed: list = []

    async def broken(session, report_ids, *_):
        failed.append(report_ids)
        await session.exec(text("SELECT no_such_column FROM report"))

    monkeypatch.setattr(sender, "redraws", broken)
    reference = await report_ebike(bot)
    resident, worker = bot.emulator.player(1101), bot.staff(WORKER_1)
    await worker.press(await task_message(worker), "接单")
    told = await resident.next_message()
    assert reference in told["text"] and "网格员王建国" in told["text"]
    # The press may have drawn its card alone: the report's cards asked for again, as
    # after any change, before the resident writes (claimed no later than the reply)
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
    await bot.service.desk.draw_cards_again(report.id)
    await resident.send("还有一处楼道堆了纸箱")  # and the sender goes on after it
    assert (await resident.next_message())["text"]
    assert failed, "no card was drawn again: the test tested nothing"


def press_as(player, message: dict, data: str) -> str:
    """A press of a button as it was on a message (an old copy, or another chat's message
    forwarded to this player): what a stale or foreign client can send Telegram."""
    return player._callback(message, data)


async def test_someone_not_on_the_task_is_refused(bot):
    reference = await report_ebike(bot)
    task = await task_message(bot.staff(WORKER_1))
    data = task["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    other_worker = bot.staff(2004)  # 刘芳, a worker of 和平社区
    answer = await other_worker.callback_answer(press_as(other_worker, task, data))
    assert "不是派给您的" in answer["text"] and answer["show_alert"]
    stranger = bot.emulator.user(999, "路人")
    answer = await stranger.callback_answer(press_as(stranger, task, data))
    assert "不是登记的工作人员" in answer["text"]
    assert (await report_of(bot, reference))[0].status == "assigned"


async def test_resolve_asks_for_a_note_and_a_photo_and_tells_the_resident(bot):
    reference = await report_ebike(bot)
    resident, worker = bot.emulator.player(1101), bot.staff(WORKER_1)
    task = await task_message(worker)
    assert "办结" not in str(task["reply_markup"])  # offered only once taken
    answer = await worker.callback_answer(worker._callback(task, f"t:res:{task_id(task)}"))
    assert "请先点「接单」" in answer["text"]
    await worker.press(task, "接单")
    await resident.next_message()
    await worker.press_data(task, f"t:res:{task_id(task)}")
    assert "整改后的现场照片" in (await next_text(worker))["text"]
    await worker.send("已清理楼道电动车，拆除飞线")
    assert "还差一张" in (await next_text(worker))["text"]
    await worker.send_photo()
    assert "已办结" in (await next_text(worker))["text"]
    done = await resident.next_message()
    assert reference in done["text"] and "已清理楼道电动车" in done["text"]
    assert "photo" in await resident.next_message()
    report, events = await report_of(bot, reference)
    assert report.status == "resolved" and events[-1] == "resolved"


async def test_a_note_from_the_card_goes_in_the_history_and_to_nobody(bot):
    reference = await report_ebike(bot)
    resident, worker = bot.emulator.player(1101), bot.staff(WORKER_1)
    task = await task_message(worker)
    await worker.press(task, "📝 备注")
    assert "写一句备注" in (await next_text(worker))["text"]
    await worker.send("物业说明天统一清理")
    assert f"备注已记入 {reference}" in (await next_text(worker))["text"]
    report, events = await report_of(bot, reference)
    assert report.status == "assigned" and events[-1] == "noted"
    assert [m for m in resident.messages if "物业说明天" in m.get("text", "")] == []


async def test_a_photo_caption_adds_to_the_note_and_the_resident_gets_both(bot):
    reference = await report_ebike(bot)
    resident, worker = bot.emulator.player(1101), bot.staff(WORKER_1)
    task = await task_message(worker)
    await worker.press(task, "接单")
    await resident.next_message()
    await worker.press_data(task, f"t:res:{task_id(task)}")
    await next_text(worker)
    await worker.send("已清理楼道电动车")
    await next_text(worker)
    await worker.send_photo(caption="飞线已拆除，插座已封")
    assert "已办结" in (await next_text(worker))["text"]
    done = await resident.next_message()
    assert reference in done["text"]
    assert "已清理楼道电动车" in done["text"] and "飞线已拆除" in done["text"]
    async with transaction(bot.sessions) as session:
        events = await report_rows.history_of(session=session, report_id=int(reference[3:]))
    assert events[-1].detail["note"] == "已清理楼道电动车\n飞线已拆除，插座已封"


async def test_a_residents_photo_caption_reaches_the_worker(bot):
    resident = bot.emulator.user(1109, "小沈")
    await resident.send(EBIKE)
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.send_photo(caption="电线是从三楼窗户拉下来的")
    await resident.next_message()
    await resident.command("/skip")
    reference = REFERENCE.search((await next_text(resident))["text"]).group()
    card = await task_message(bot.staff(WORKER_1))
    assert reference in card["text"] and "电线是从三楼窗户拉下来的" in card["text"]


def task_id(task: dict) -> int:
    return int(task["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[2])


async def test_asking_the_resident_relays_both_ways(bot):
    reference = await report_ebike(bot, photo=False)
    resident, worker = bot.emulator.player(1101), bot.staff(WORKER_1)
    task = await task_message(worker)
    await worker.press(task, "联系居民")
    assert "要问居民的话" in (await next_text(worker))["text"]
    await worker.send("请问是几单元？")
    assert "已发给居民" in (await next_text(worker))["text"]
    asked = await resident.next_message()
    assert "王建国问您" in asked["text"] and "请问是几单元？" in asked["text"]
    await resident.send("2单元，一楼到三楼都有")
    assert "已转告" in (await next_text(resident))["text"]
    relayed = await worker.next_message()
    assert reference in relayed["text"] and "2单元，一楼到三楼都有" in relayed["text"]
    _, events = await report_of(bot, reference)
    assert events[-2:] == ["asked_resident", "resident_answered"]


async def test_hand_over_to_another_worker_with_a_reason(bot):
    reference = await report_ebike(bot, photo=False)
    resident, worker, other = bot.emulator.player(1101), bot.staff(WORKER_1), bot.staff(WORKER_2)
    task = await task_message(worker)
    await worker.press(task, "转交")
    choices = await next_text(worker)
    await worker.press(choices, "→ 李秀英")
    assert "转交原因" in (await next_text(worker))["text"]
    await worker.send("这栋楼归二网格")
    assert "已转交给李秀英" in (await next_text(worker))["text"]
    handed = await task_message(other)
    assert reference in handed["text"] and "由王建国转交：这栋楼归二网格" in handed["text"]
    assert "李秀英" in (await next_text(resident))["text"]
    data = task["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    old = await worker.wait_for(lambda: _edited(worker, task, "待李秀英接单"))
    assert "reply_markup" not in old  # the card no longer offers what is not his to do
    stale = press_as(worker, task, data)  # 接单 from a client that still shows the old card
    assert "已转由李秀英处理" in (await worker.callback_answer(stale))["text"]
    report, events = await report_of(bot, reference)
    assert report.status == "assigned" and events[-1] == "handed_over"


def _edited(player, card: dict, words: str) -> dict | None:
    """The card as it reads now, once it says `words`."""
    now = player._message(card)
    return now if words in now["text"] else None


async def test_a_stale_take_over_after_a_hand_over_is_refused_saying_when_and_to_whom(bot):
    reference = await report_ebike(bot, photo=False)
    worker, coordinator = bot.staff(WORKER_1), bot.staff(COORDINATOR_XINGFU)
    task = await task_message(worker)
    world = bot.emulator.world
    world.clock = lambda: time.time() - 120  # the coordinator's card: sent two minutes ago
    service = bot.service
    await escalate_due(service.sessions, service.policy, utcnow() + timedelta(hours=1))
    card = await task_message(coordinator)
    world.clock = time.time
    await worker.press(task, "转交")
    await worker.wait_for(lambda: any("→ 李秀英" in str(m) for m in worker.messages))
    await worker.press("→ 李秀英")
    await worker.wait_for(lambda: "转交原因" in str(worker.messages[-1]))
    await worker.send("这栋楼归二网格")
    await worker.wait_for(lambda: "已转交给李秀英" in str(worker.messages[-1]))
    # Pressed on the card as it was drawn before the hand-over (before its redraw arrived)
    data = next(
        b["callback_data"]
        for row in card["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "接手"
    )
    answer = await coordinator.callback_answer(press_as(coordinator, card, data))
    assert "已于" in answer["text"] and "转给李秀英" in answer["text"]
    report, events = await report_of(bot, reference)
    assert report.status == "assigned" and events[-1] == "handed_over"


async def test_not_my_grid_goes_back_to_the_coordinator(bot):
    reference = await report_ebike(bot, photo=False)
    worker = bot.staff(WORKER_1)
    task = await task_message(worker)
    await worker.press(task, "转交")
    await worker.press(await next_text(worker), "🗺 不是我的网格")
    coordinator_task = await task_message(bot.staff(COORDINATOR_XINGFU))
    assert reference in coordinator_task["text"] and "不是我的网格" in coordinator_task["text"]
    assert (await report_of(bot, reference))[0].escalation_level == 1


async def test_tasks_lists_a_workers_open_tasks(bot):
    reference = await report_ebike(bot, photo=False)
    worker = bot.staff(WORKER_1)
    await task_message(worker)
    await worker.next_message()  # the location
    await worker.command("/tasks")
    assert "任务" in (await next_text(worker))["text"]
    assert reference in (await next_text(worker))["text"]
    await bot.staff(WORKER_2).command("/tasks")
    assert "没有待办任务" in (await next_text(bot.staff(WORKER_2)))["text"]


async def test_tasks_lists_a_coordinators_community_not_only_their_own(bot):
    reference = await report_ebike(bot, photo=False)
    worker = bot.staff(WORKER_1)
    await task_message(worker)
    coordinator = bot.staff(COORDINATOR_XINGFU)
    await coordinator.command("/tasks")
    said = (await next_text(coordinator))["text"]
    assert "辖区内未办结的任务共 1 条" in said
    assert reference in (await next_text(coordinator))["text"]  # held by the worker
    await bot.staff(STREET_COORDINATOR).command("/tasks")
    assert "共 1 条" in (await next_text(bot.staff(STREET_COORDINATOR)))["text"]


async def test_two_presses_at_once_only_one_wins(bot):
    reference = await report_ebike(bot, photo=False)
    report, _ = await report_of(bot, reference)
    desk = bot.service.desk
    worker = await bot.service.desk.actor_for(WORKER_1)
    coordinator = await bot.service.desk.actor_for(COORDINATOR_XINGFU)
    outcomes = await asyncio.gather(
        desk.acknowledge(worker, report.id), desk.acknowledge(coordinator, report.id)
    )
    assert sorted(o.refused for o in outcomes) == [False, True]
    _, events = await report_of(bot, reference)
    assert events.count("acknowledged") == 1


async def test_a_duplicate_nearby_is_merged_and_its_resident_follows_the_original(bot):
    first = await report_ebike(bot, 1101, "小李")
    second_resident = bot.emulator.user(1102, "小王")
    await second_resident.send("楼道有人给电动车充电，好危险")
    await second_resident.next_message()
    await second_resident.send_location(*NEAR_INSIDE)
    await second_resident.next_message()
    await second_resident.command("/skip")
    merged = (await next_text(second_resident))["text"]
    assert "已经有人报告过" in merged and first in merged
    worker = bot.staff(WORKER_1)
    task = await task_message(worker)
    await worker.press(task, "接单")
    assert first in (await next_text(second_resident))["text"]
    assert first in (await bot.emulator.player(1101).next_message())["text"]
    async with transaction(bot.sessions) as session:
        tasks = (await session.exec(select(Report).where(Report.status != "merged"))).all()
    assert len(tasks) == 1


async def test_a_worker_off_duty_passes_the_task_up_the_chain(bot):
    from triage.districts import staffing

    await staffing.remove_staff(bot.sessions, telegram_id=WORKER_1)
    reference = await report_ebike(bot, photo=False)
    task = await task_message(bot.staff(COORDINATOR_XINGFU))
    assert reference in task["text"]
    assert (await report_of(bot, reference))[0].escalation_level == 1


async def test_every_button_fits_telegrams_64_bytes(bot):
    await report_ebike(bot, photo=False)
    for call in bot.emulator.calls:
        markup = call.params.get("reply_markup")
        if isinstance(markup, dict):
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    assert len(button.get("callback_data", "").encode()) <= 64


async def test_a_location_outside_every_cell_goes_to_the_district_coordinators(bot):
    resident = bot.emulator.user(1103, "老周")
    await resident.send("路边的配电箱门开着，电线裸露")
    await resident.next_message()
    await resident.send_location(30.5300, 114.3320)  # inside the margin, outside every cell
    await resident.next_message()
    await resident.command("/skip")
    reference = REFERENCE.search((await next_text(resident))["text"]).group()
    card = await task_message(bot.staff(STREET_COORDINATOR))
    assert reference in card["text"] and "指派给…" in str(card["reply_markup"])
    report, events = await report_of(bot, reference)
    # the coordinators' level; the duty officer hears of it only if nobody places it in time
    assert report.grid_id is None and report.escalation_level == 1
    assert not any(c.params.get("chat_id") == OFFICER for c in bot.emulator.calls)


async def test_a_typed_address_on_no_grid_is_placed_by_the_community_coordinator(bot):
    """Bug 9: the community's coordinator gets it with 指派给…, picks a grid, and its worker
    on duty gets the task; a coordinator is never offered 退回协调员."""
    resident = bot.emulator.user(1105, "老钱")
    await resident.send("楼道里堆满了纸箱，挡住了消防通道")
    await resident.next_message()
    await resident.send("幸福社区7栋2单元")
    await resident.next_message()
    await resident.command("/skip")
    reference = REFERENCE.search((await next_text(resident))["text"]).group()
    coordinator = bot.staff(COORDINATOR_XINGFU)
    card = await task_message(coordinator)
    labels = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert reference in card["text"] and "指派给…" in labels and "转交" not in labels
    await coordinator.press(card, "指派给…")
    choices = await next_text(coordinator)
    names = [b["text"] for row in choices["reply_markup"]["inline_keyboard"] for b in row]
    assert "→ 幸福社区第二网格" in names and not any("退回协调员" in n for n in names)
    await coordinator.press(choices, "→ 幸福社区第二网格")
    await next_text(coordinator)  # the reason
    await coordinator.send("7栋属于第二网格")
    assert "李秀英" in (await next_text(coordinator))["text"]
    task = await task_message(bot.staff(WORKER_2))
    assert reference in task["text"] and "幸福社区第二网格" in task["text"]
    report, events = await report_of(bot, reference)
    assert report.grid_id is not None and report.escalation_level == 0
    assert events[-1] == "handed_over"


async def test_an_english_resident_hears_back_in_english(bot):
    resident = bot.emulator.user(1104, "Tom", language_code="en")
    await resident.send("Someone keeps charging an e-bike in the stairwell overnight")
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    reference = REFERENCE.search((await next_text(resident))["text"]).group()
    worker = bot.staff(WORKER_1)
    await worker.press(await task_message(worker), "接单")
    told = (await next_text(resident))["text"]
    assert f"Your report {reference} was taken by grid worker 王建国" in told
