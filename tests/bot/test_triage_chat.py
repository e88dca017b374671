"""Free text is understood: each kind gets its own answer, and the resident can correct it."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.engine import transaction
from storage.models import Report
from tests.harness import INSIDE, OFFICER, REFERENCE, STREET_COORDINATOR, next_text, running_service


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url) as running:
        yield running


async def stored(bot) -> list[Report]:
    async with transaction(bot.sessions) as session:
        return list((await session.exec(select(Report).order_by(Report.id))).all())


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("楼下有家店着火了，浓烟都冲上来了！", "zh"),
        ("There's a fire in the flat next door, smoke everywhere", "en"),
    ],
)
async def test_an_emergency_says_call_119_and_alerts_the_duty_officer_at_once(bot, text, language):
    resident = bot.emulator.user(1201, "小赵", language_code=language)
    await resident.send(text)
    reply = await resident.next_message()
    assert "119" in reply["text"]
    assert resident.reply_keyboard["keyboard"][0][0]["request_location"] is True
    officer, street = bot.staff(OFFICER), bot.staff(STREET_COORDINATOR)
    alert = await next_text(officer)
    assert "紧急警情" in alert["text"] and text[:6] in alert["text"]
    assert "紧急警情" in (await next_text(street))["text"]
    await resident.send_location(*INSIDE)
    assert "119" in (await resident.next_message())["text"]
    located = await next_text(officer)
    assert "幸福社区第一网格" in located["text"]
    assert "location" in await officer.next_message()
    [report] = await stored(bot)
    assert report.kind == "emergency" and report.latitude == INSIDE[0]


async def test_a_question_is_acknowledged_and_queued_for_staff(bot):
    resident = bot.emulator.user(1202, "老李")
    await resident.send("社区的消防培训什么时候报名？")
    reply = await resident.next_message()
    reference = REFERENCE.search(reply["text"]).group()
    assert "10分钟内答复" in reply["text"]
    task = await next_text(bot.staff(STREET_COORDINATOR))
    assert "居民咨询" in task["text"] and reference in task["text"]
    labels = [b["text"] for row in task["reply_markup"]["inline_keyboard"] for b in row]
    assert "回复居民" in labels
    [report] = await stored(bot)
    assert (report.kind, report.status) == ("question", "assigned")


async def test_feedback_is_thanked_and_recorded(bot):
    resident = bot.emulator.user(1203, "小钱")
    await resident.send("你们网格员小王上次来得特别快，服务很好，点个赞")
    assert "谢谢您的意见" in (await resident.next_message())["text"]
    [report] = await stored(bot)
    assert report.kind == "feedback" and report.assignee_id is None


async def test_out_of_scope_names_12345_and_can_be_corrected_to_a_hazard(bot):
    resident = bot.emulator.user(1204, "小孙")
    await resident.send("楼上邻居天天半夜装修，吵得睡不着")
    reply = await resident.next_message()
    assert "12345" in reply["text"]
    await resident.press(reply, "🔥 这是消防隐患")
    assert "在哪里" in (await resident.next_message())["text"]
    [report] = await stored(bot)
    assert report.kind == "out_of_scope" and report.status == "closed"


async def test_typing_not_this_turns_a_hazard_into_a_question(bot):
    resident = bot.emulator.user(1205, "小周")
    await resident.send("消防栓里面没有水带")
    first = (await resident.next_message())["text"]
    assert "看起来是" in first
    await resident.send("不是这个")
    menu = await resident.next_message()
    await resident.press(menu, "❓ 咨询消防问题")
    assert "问题已收到" in (await resident.next_message())["text"]
    [report] = await stored(bot)
    assert report.kind == "question" and report.text == "消防栓里面没有水带"


async def test_a_question_corrected_to_a_hazard_is_withdrawn_and_reported(bot):
    resident = bot.emulator.user(1206, "小吴")
    await resident.send("电动车可以放在楼道里吗")
    reply = await resident.next_message()
    await resident.press(reply, "🔄 不是这个意思")
    menu = await resident.next_message()
    await resident.press(menu, "🔥 报告消防隐患")
    assert "在哪里" in (await resident.next_message())["text"]
    [report] = await stored(bot)
    assert report.status == "closed"
    old_button = menu["reply_markup"]["inline_keyboard"][2][0]["callback_data"]
    await resident.callback_answer(resident._callback(menu, old_button))  # an old copy of it
    assert "已过期" in (await resident.next_message())["text"]


async def test_correcting_with_nothing_to_correct(bot):
    resident = bot.emulator.user(1207, "小郑")
    await resident.send("不对")
    assert "没有可以更改" in (await resident.next_message())["text"]


async def test_an_emergencys_card_says_urgent_and_that_the_resident_was_told_119(bot):
    resident = bot.emulator.user(1209, "小秦")
    await resident.send("电动车在楼道里充电冒烟着火了")
    await resident.next_message()
    alert = await next_text(bot.staff(OFFICER))
    assert "紧急警情" in alert["text"] and "已提示居民立即拨打 119" in alert["text"]
    assert "一般" not in alert["text"] and "紧急" in alert["text"].split("类别：")[1]
