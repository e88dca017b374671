"""Issue 15, in the chat: `/overdue` and `/stats` show each staff member their own scope (a
worker their grid cells, a coordinator the community, the duty officer everything); a
resident is told they are for staff."""

from __future__ import annotations

from datetime import timedelta

from storage import reports as report_rows
from storage.engine import transaction
from storage.types import utcnow
from tests.harness import (
    COORDINATOR_XINGFU,
    OFFICER,
    PATIENCE,
    WORKER_1,
    WORKER_2,
    file_report,
    labels,
    next_text,
    running_service,
)

# 幸福社区第一网格 (王建国, WORKER_1) and 第二网格 (李秀英, WORKER_2)
IN_A, IN_B = (30.5415, 114.3320), (30.5415, 114.3370)
RESIDENT_A, RESIDENT_B = 1951, 1952


async def _overdue(bot, reference: str) -> None:
    async with transaction(bot.sessions) as session:  # nobody took it for 12 minutes
        report = await report_rows.report_by_reference(session=session, reference=reference)
        report.ack_deadline_at = utcnow() - timedelta(minutes=12)


async def _answer(player, command: str, first: str) -> dict:
    """The first message after the command that starts with `first` (task cards assigned a
    moment ago may still be arriving)."""
    mark = len(player.messages)
    await player.command(command)

    def found():
        new = player.messages[mark:]
        return next((m for m in new if m.get("text", "").startswith(first)), None)

    return await player.wait_for(found, PATIENCE)


async def test_overdue_and_stats_in_the_chat_keep_to_each_ones_scope(database_url):
    async with running_service(database_url) as bot:
        in_a = await file_report(bot.emulator, RESIDENT_A, "楼道里有电动车在充电", where=IN_A)
        in_b = await file_report(bot.emulator, RESIDENT_B, "消防通道被车堵住了", where=IN_B)
        for reference in (in_a, in_b):
            await _overdue(bot, reference)
        worker_1, worker_2 = bot.staff(WORKER_1), bot.staff(WORKER_2)

        listed = await _answer(worker_1, "/overdue", "⏰")
        assert "超时的任务共 1 条" in listed["text"] and in_a in listed["text"]
        assert in_b not in listed["text"] and labels(listed) == [in_a]
        listed = await _answer(worker_2, "/overdue", "⏰")
        assert in_b in listed["text"] and in_a not in listed["text"]
        listed = await _answer(bot.staff(OFFICER), "/overdue", "⏰")
        assert "超时的任务共 2 条" in listed["text"]

        shown = await _answer(worker_1, "/stats", "📊")
        assert shown["text"].startswith("📊 我的网格 ")
        assert "受理隐患与警情：1 件" in shown["text"]
        assert labels(shown) == ["今天", "近7天", "近30天", "· 本月"]
        await worker_1.press(shown, "今天")
        today = utcnow().astimezone(bot.service.policy.timezone).date()
        await worker_1.wait_for(lambda: "· 今天" in labels(_newest(worker_1, "📊")), PATIENCE)
        redrawn = _newest(worker_1, "📊")["text"]
        assert f"📊 我的网格 {today} 至 {today}" in redrawn and "受理隐患与警情：1 件" in redrawn
        coordinator = await _answer(bot.staff(COORDINATOR_XINGFU), "/stats", "📊")
        assert (
            "📊 幸福社区" in coordinator["text"] and "受理隐患与警情：2 件" in coordinator["text"]
        )
        officer = await _answer(bot.staff(OFFICER), "/stats", "📊")
        assert "📊 全辖区" in officer["text"] and "受理隐患与警情：2 件" in officer["text"]

        resident = bot.emulator.player(RESIDENT_A)
        for command, words in (("/overdue", "超时任务只对"), ("/stats", "统计只对")):
            told = await _answer(resident, command, words)
            assert "工作人员" in told["text"] and in_b not in told["text"]
        assert "reply_markup" not in told


async def test_a_resident_pressing_an_old_stats_button_is_told_it_is_for_staff(sqlite_url):
    async with running_service(sqlite_url) as bot:
        resident = bot.emulator.user(1960, "小周")
        await resident.command("/start")
        message = await next_text(resident)
        query = resident._callback(message, "st:7")  # a forged press, as a client may send
        answer = await resident.callback_answer(query)
        assert "统计只对工作人员开放" in answer["text"]


def _newest(player, first: str) -> dict:
    return next(m for m in reversed(player.messages) if m.get("text", "").startswith(first))
