"""Issue 12 bug 12: an edited message is never triaged again as new. An edit of a message a
report is made of changes the report's words (an `edited` event) and the worker is told;
an edit of anything else is acknowledged, and nothing is filed."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage import reports as report_rows
from storage.engine import transaction
from storage.models import Report
from tests.harness import INSIDE, REFERENCE, WORKER_1, next_text, running_service, task_card

BEFORE = "楼道里堆满了纸箱"
AFTER = "楼道里堆满了纸箱，还有一辆电动车在充电"


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def reports(bot) -> list[Report]:
    async with transaction(bot.sessions) as session:
        return list((await session.exec(select(Report).order_by(Report.id))).all())


async def test_an_edit_of_a_filed_report_changes_its_words_and_the_worker_is_told(bot):
    resident = bot.emulator.user(1501, "小周")
    described = await resident.send(BEFORE)
    await resident.next_message()
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    reference = REFERENCE.search((await resident.next_message())["text"]).group()
    worker = bot.staff(WORKER_1)
    assert BEFORE in (await task_card(worker))["text"]

    await resident.edit(described, AFTER)
    said = (await next_text(resident))["text"]
    assert said == f"✏️ 已更新 {reference} 的描述，处理人员会看到修改。"
    told = (await next_text(worker))["text"]
    assert told == f"✏️ 居民修改了描述（{reference}）：\n{AFTER}"

    [report] = await reports(bot)
    assert report.text == AFTER
    async with transaction(bot.sessions) as session:
        history = await report_rows.history_of(session=session, report_id=report.id)
    [edit] = [e for e in history if e.action == "edited"]
    assert (edit.actor, edit.detail) == (
        f"resident:{report.resident_id}",
        {"before": BEFORE, "after": AFTER},
    )


async def test_an_edit_while_the_report_is_written_changes_the_draft(bot):
    resident = bot.emulator.user(1502, "小吴")
    described = await resident.send(BEFORE)
    assert "在哪里" in (await resident.next_message())["text"]
    await resident.edit(described, AFTER)
    assert (await next_text(resident))["text"] == "✏️ 已按修改后的内容更新描述。"
    await resident.send_location(*INSIDE)
    await resident.next_message()
    await resident.command("/skip")
    assert REFERENCE.search((await resident.next_message())["text"])
    [report] = await reports(bot)
    assert report.text == AFTER


async def test_an_edit_that_reads_as_a_fire_files_nothing_but_says_call_119(bot):
    resident = bot.emulator.user(1503, "小郑")
    hello = await resident.send("/help")
    await resident.next_message()
    await resident.edit(hello, "楼下着火了，好多烟，快来人")
    said = (await next_text(resident))["text"]
    assert "改过的消息不会重新处理" in said and "119" in said
    assert await reports(bot) == []


async def test_an_edit_of_something_already_dealt_with_says_so_and_files_nothing(bot):
    resident = bot.emulator.user(1504, "小冯")
    words = await resident.send("楼上邻居家漏水，滴到我家天花板了")
    assert "12345" in (await next_text(resident))["text"]  # filed for the record, and closed
    before = len(await reports(bot))
    await resident.edit(words, "楼上邻居家漏水，滴到我家卧室天花板了")
    said = (await next_text(resident))["text"]
    assert said == "FC-000001 已处理完毕，修改没有更新。如有新情况，请发一条新消息。"
    assert len(await reports(bot)) == before


async def test_an_edit_of_small_talk_is_acknowledged(bot):
    resident = bot.emulator.user(1505, "小韩")
    words = await resident.send("谢谢你们")
    await resident.next_message()
    await resident.edit(words, "谢谢你们，辛苦了")
    said = (await next_text(resident))["text"]
    assert said.startswith("收到你修改的消息") and "119" not in said
    assert await reports(bot) == []
