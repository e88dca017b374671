"""A resident reports a hazard in Telegram: the real bot, the emulator over HTTP, a real DB."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from storage import reports as report_rows
from storage.engine import transaction
from storage.models import Report, ReportDraft
from tests.harness import INSIDE, OCEAN, REFERENCE, running_service


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def counts(sessions) -> tuple[int, int]:
    async with transaction(sessions) as session:
        reports = (await session.exec(select(func.count()).select_from(Report))).one()
        drafts = (await session.exec(select(func.count()).select_from(ReportDraft))).one()
    return reports, drafts


async def stored_report(sessions, reference: str) -> tuple[Report, list[str]]:
    async with transaction(sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        assert report is not None, f"{reference} is not in the database"
        history = await report_rows.history_of(session=session, report_id=report.id)
    return report, [e.action for e in history]


async def test_whole_report_in_chinese(bot):
    resident = bot.emulator.user(1001, "小李", language_code="zh-hans")
    await resident.command("/start")
    assert "十分钟" in (await resident.next_message())["text"]
    await resident.command("/report")
    assert "描述" in (await resident.next_message())["text"]
    await resident.send("7栋2单元楼道里停了三辆电动车，还拉了飞线在充电")
    ask_location = await resident.next_message()
    assert "在哪里" in ask_location["text"]
    await resident.tap_reply_button("📍 发送我的位置", latitude=INSIDE[0], longitude=INSIDE[1])
    assert "幸福社区第一网格" in (await resident.next_message())["text"]
    await resident.send_photo()
    assert "第1张" in (await resident.next_message())["text"]
    await resident.tap_reply_button("✅ 完成")
    receipt = (await resident.next_message())["text"]

    reference = REFERENCE.search(receipt).group()
    report, history = await stored_report(bot.sessions, reference)
    assert "10分钟" in receipt and "电动车" in receipt and "幸福社区第一网格" in receipt
    assert report.category == "ebike" and report.community == "幸福社区"
    assert report.grid_id is not None and len(report.photos) == 1
    assert (report.latitude, report.longitude) == INSIDE
    assert history == ["created", "assigned"]
    assert await counts(bot.sessions) == (1, 0)


async def test_whole_report_in_english_with_a_typed_address(bot):
    resident = bot.emulator.user(1002, "Anna", language_code="en-GB")
    await resident.command("/start")
    assert "fire-safety" in (await resident.next_message())["text"]
    await resident.send("The fire exit door on floor 3 is locked with a chain")
    assert "Where is it?" in (await resident.next_message())["text"]
    await resident.send("Block 7, Heping Estate")
    assert "Block 7, Heping Estate" in (await resident.next_message())["text"]
    await resident.command("/skip")
    receipt = (await resident.next_message())["text"]
    assert "Report submitted" in receipt and "10 minutes" in receipt
    report, _ = await stored_report(bot.sessions, REFERENCE.search(receipt).group())
    assert report.address == "Block 7, Heping Estate" and report.language == "en"


async def test_choosing_a_community_when_there_is_no_location(bot):
    resident = bot.emulator.user(1003, "老王")
    await resident.send("小区消防栓被圈起来了，用不了")
    await resident.next_message()
    await resident.tap_reply_button("🏘 没有定位，选择社区")
    choices = await resident.next_message()
    assert "选择" in choices["text"]
    query = await resident.press(choices, "和平社区")
    await resident.callback_answer(query)
    assert "和平社区" in (await resident.next_message())["text"]
    await resident.tap_reply_button("✅ 完成")
    receipt = (await resident.next_message())["text"]
    report, _ = await stored_report(bot.sessions, REFERENCE.search(receipt).group())
    assert report.community == "和平社区" and report.latitude is None


@pytest.mark.parametrize("steps_before_cancel", [0, 1, 2])
async def test_cancel_at_each_step_stores_nothing(bot, steps_before_cancel):
    resident = bot.emulator.user(1004, "小张")
    await resident.command("/report")
    await resident.next_message()
    steps = [
        lambda: resident.send("配电箱的门坏了，电线露在外面"),
        lambda: resident.send_location(*INSIDE),
    ]
    for step in steps[:steps_before_cancel]:
        await step()
        await resident.next_message()
    await resident.command("/cancel")
    assert "已取消" in (await resident.next_message())["text"]
    assert await counts(bot.sessions) == (0, 0)
    await resident.command("/cancel")
    assert "没有进行中" in (await resident.next_message())["text"]


async def test_a_location_sent_first_is_kept(bot):
    resident = bot.emulator.user(1005, "小陈")
    await resident.send_location(*INSIDE)
    assert "已记下您的位置" in (await resident.next_message())["text"]
    await resident.send("这里的灭火器压力表指针在红区")
    assert "照片" in (await resident.next_message())["text"]
    await resident.command("/skip")
    receipt = (await resident.next_message())["text"]
    report, _ = await stored_report(bot.sessions, REFERENCE.search(receipt).group())
    assert (report.latitude, report.longitude) == INSIDE


async def test_a_sticker_gets_an_answer_and_changes_nothing(bot):
    resident = bot.emulator.user(1006, "小孙")
    await resident.command("/report")
    await resident.next_message()
    await resident.send("楼梯间堆了很多纸箱")
    await resident.next_message()
    await resident.send_sticker()
    assert (await resident.next_message())["text"].startswith("您好！这里是十分钟消防便民服务圈")
    async with transaction(bot.sessions) as session:
        draft = (await session.exec(select(ReportDraft))).one()
    assert (draft.step, draft.text) == ("location", "楼梯间堆了很多纸箱")


async def test_details_past_4096_characters_are_refused_and_the_report_goes_on(bot):
    resident = bot.emulator.user(1007, "小周")
    await resident.command("/report")
    await resident.next_message()
    await resident.send("电梯间有人私拉电线充电，" * 330)  # 3,960 characters
    assert "在哪里" in (await resident.next_message())["text"]
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.send("电" * 200)
    assert "太长" in (await resident.next_message())["text"]
    assert await counts(bot.sessions) == (0, 1)
    await resident.command("/skip")
    assert REFERENCE.search((await resident.next_message())["text"])


async def test_a_location_in_the_ocean_is_refused(bot):
    resident = bot.emulator.user(1008, "小吴")
    await resident.send("仓库里住人了")
    await resident.next_message()
    await resident.send_location(*OCEAN)
    assert "不在本辖区" in (await resident.next_message())["text"]
    await resident.send_location(*INSIDE)
    assert "照片" in (await resident.next_message())["text"]
    assert await counts(bot.sessions) == (0, 1)


async def test_my_lists_reports_with_their_status(bot):
    resident = bot.emulator.user(1009, "小郑")
    await resident.command("/my")
    assert "还没有" in (await resident.next_message())["text"]
    await resident.send("消防通道被私家车堵死了")
    await resident.next_message()
    await resident.send("春晖社区北门")
    await resident.next_message()
    await resident.command("/skip")
    receipt = (await resident.next_message())["text"]
    await resident.command("/my")
    listing = (await resident.next_message())["text"]
    assert REFERENCE.search(receipt).group() in listing and "待接单" in listing


async def test_language_switch_and_unknown_command(bot):
    resident = bot.emulator.user(1010, "Li")
    await resident.command("/lang")
    choice = await resident.next_message()
    await resident.press(choice, "English")
    assert "English" in (await resident.next_message())["text"]
    await resident.command("/frobnicate")
    assert "Unknown command" in (await resident.next_message())["text"]


async def test_half_written_report_survives_a_restart(sqlite_url):
    async with running_service(sqlite_url) as first:
        resident = first.emulator.user(1011, "小冯")
        await resident.send("地下室住了十几个人，还用电炉做饭")
        await resident.next_message()
    # Telegram's update ids only grow, across restarts too.
    async with running_service(sqlite_url, first_update_id=20_000) as second:
        resident = second.emulator.user(1011, "小冯")
        await resident.send("幸福社区3栋地下室")
        assert "幸福社区3栋地下室" in (await resident.next_message())["text"]
        await resident.command("/skip")
        receipt = (await resident.next_message())["text"]
        report, _ = await stored_report(second.sessions, REFERENCE.search(receipt).group())
        assert report.text == "地下室住了十几个人，还用电炉做饭"


async def test_a_malformed_update_is_passed_over(bot):
    resident = bot.emulator.user(1012, "小何")
    bad = bot.emulator.raw_update({"message": {"text": "no chat, no sender"}})
    await bot.emulator.wait_confirmed(bad)
    await resident.command("/start")
    assert "十分钟" in (await resident.next_message())["text"]


async def test_an_update_delivered_twice_is_processed_once(bot):
    resident = bot.emulator.user(1013, "小何")
    update = {
        "update_id": 10**9,
        "message": {
            "message_id": 999,
            "date": 1,
            "text": "/my",
            "chat": {"id": 1013, "type": "private", "first_name": "小何"},
            "from": {"id": 1013, "is_bot": False, "first_name": "小何"},
            "entities": [{"type": "bot_command", "offset": 0, "length": 3}],
        },
    }
    assert await bot.service.inbox.receive([update, update]) == 1
    assert await bot.service.inbox.receive([update]) == 0
    assert "还没有" in (await resident.next_message())["text"]
    await resident.command("/start")
    assert "十分钟" in (await resident.next_message())["text"]  # no second answer to /my
