"""Field work through the emulator: a patrol report fixed on the spot, a volunteer's patrol
report reaching the grid worker, and a campaign run on three sites with one failing answer."""

from __future__ import annotations

import pytest

from storage import reports as report_rows
from storage.engine import transaction
from tests.harness import INSIDE, REFERENCE, WORKER_1, labels, next_text, running_service
from triage.districts import staffing

VOLUNTEER = 6001


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def history(bot, reference: str):
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        events = await report_rows.history_of(session=session, report_id=report.id)
    return report, events


async def until(player, wanted) -> dict:
    """The next text message `wanted` accepts, passing over the others."""
    message = await next_text(player)
    while not wanted(message):
        message = await next_text(player)
    return message


def a_card(message: dict) -> bool:
    return "reply_markup" in message and "接单" in labels(message)


async def patrol_until_ready(player, category: str = "电动车违规停放充电") -> dict:
    await player.command("/patrol")
    ask = await next_text(player)
    assert "哪类隐患" in ask["text"]
    await player.press(ask, category)
    assert "位置" in (await next_text(player))["text"]
    await player.send(player_text := "我在这里")  # words where a location is wanted
    assert "还差位置" in (await next_text(player))["text"], player_text
    await player.send_location(*INSIDE)
    assert "照片" in (await next_text(player))["text"]
    await player.send_photo()
    assert "一句话" in (await next_text(player))["text"]
    await player.send("3号楼一楼楼道5辆电动车充电")
    return await next_text(player)


async def test_a_patrol_report_fixed_on_the_spot_is_found_and_fixed_in_one_go(bot):
    worker = bot.staff(WORKER_1)
    ready = await patrol_until_ready(worker)
    assert "电动车违规停放充电" in ready["text"] and labels(ready) == ["📤 提交", "✅ 当场整改"]
    await worker.press(ready, "✅ 当场整改")
    assert "整改后的照片" in (await next_text(worker))["text"]
    await worker.send("已挪走")  # words where the photo is wanted
    assert "整改后的照片" in (await next_text(worker))["text"]
    await worker.send_photo(caption="电动车已移到车棚")
    done = await next_text(worker)
    assert "当场整改" in done["text"]
    reference = REFERENCE.search(done["text"]).group()

    report, events = await history(bot, reference)
    assert report.source == "patrol" and report.category == "ebike"
    assert report.status == "closed" and report.assignee_id is not None
    assert report.resident_id is None and len(report.photos) == 1
    steps = [(e.action, e.actor) for e in events]
    assert [a for a, _ in steps] == ["created", "assigned", "acknowledged", "resolved", "closed"]
    assert steps[0][1].startswith("staff:") and steps[2][1] == steps[0][1]
    resolved = events[3].detail
    assert resolved["on_the_spot"] is True and resolved["note"] == "电动车已移到车棚"
    assert resolved["before"] == report.photos[0] and resolved["photos"] != report.photos


async def test_a_staff_patrol_report_is_the_workers_task_at_once(bot):
    worker = bot.staff(WORKER_1)
    ready = await patrol_until_ready(worker, "消防车通道堵塞")
    await worker.press(ready, "📤 提交")
    card = await until(worker, a_card)  # the task first, then the answer to 提交
    filed = await until(worker, lambda m: "已上报" in m["text"])
    reference = REFERENCE.search(filed["text"]).group()
    assert reference in card["text"]
    report, events = await history(bot, reference)
    assert report.status == "assigned" and report.source == "patrol"
    assert [e.action for e in events] == ["created", "assigned"]
    stale = await worker.callback_answer(await worker.press(ready, "✅ 当场整改"))
    assert "过期" in stale["text"]


async def test_a_volunteers_patrol_report_goes_to_the_grid_worker(bot):
    await staffing.add_staff(
        bot.sessions, telegram_id=VOLUNTEER, name="张志愿", role="volunteer", grids=["DH-01-01"]
    )
    volunteer = bot.emulator.user(VOLUNTEER, "张志愿", language_code="zh")
    await volunteer.command("/start")
    assert "巡查志愿者" in (await next_text(volunteer))["text"]
    ready = await patrol_until_ready(volunteer)
    assert labels(ready) == ["📤 提交"]  # fixing on the spot is a worker's
    await volunteer.press(ready, "📤 提交")
    filed = await next_text(volunteer)
    reference = REFERENCE.search(filed["text"]).group()
    assert "网格员" in filed["text"]
    card = await until(bot.staff(WORKER_1), a_card)
    assert reference in card["text"]
    report, events = await history(bot, reference)
    assert report.source == "patrol" and report.status == "assigned"
    assert events[0].actor.startswith("staff:") and report.assignee_id != events[0].actor
