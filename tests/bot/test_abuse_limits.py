"""Abuse limits through the chat: reports an hour, messages a minute, repeats merged, blocked
residents; never at the cost of the 119 advice."""

from __future__ import annotations

import asyncio
import os
import sys

from sqlmodel import col, select

from storage.engine import transaction
from storage.models import InboxUpdate, Report, ReportDraft, ReportEvent, Resident
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    OFFICER,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
    settled_outbox,
    task_card,
)

HAZARDS = [
    "3栋楼道里停了电动车在充电",
    "小区消防通道被汽车堵死了",
    "5栋安全出口被铁链锁住了",
    "地下室的灭火器都过期了",
    "楼下配电箱电线裸露老化",
    "6栋走廊里堆满了纸箱杂物",
    "车库里有人存放好几桶汽油",
]
FIRE = "着火了，楼下冒浓烟！"
QUESTION = "灭火器多久换一次？"  # the knowledge base answers it: no report for staff
TRY_LATER = "稍后再试"
ADVICE = "请立即拨打 119"


async def cli(database_url: str, *argv: str) -> tuple[int, str, str]:
    """`firecircle residents …` in a process of its own, beside the running service."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "firecircle.cli",
        "residents",
        *argv,
        env={**os.environ, "FIRECIRCLE_DATABASE_URL": database_url},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def reports_of(bot, telegram_id: int) -> list[Report]:
    async with transaction(bot.sessions) as session:
        resident = (
            await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))
        ).one()
        rows = await session.exec(
            select(Report).where(Report.resident_id == resident.id).order_by(col(Report.id))
        )
        return list(rows.all())


async def test_the_sixth_report_in_an_hour_is_refused_once_even_after_a_restart(database_url):
    async with running_service(database_url, duplicate_radius_meters=0) as bot:
        for text in HAZARDS[:5]:
            await file_report(bot.emulator, 1501, text)
        resident = bot.emulator.player(1501)
        await resident.send(HAZARDS[5])
        assert (await resident.next_message())[
            "text"
        ] == "您发得太频繁了，请稍后再试。🚨 如遇火情请直接拨打 119。"
        assert len(await reports_of(bot, 1501)) == 5
    # A new process on the same database: the hour is counted from the stored reports.
    async with running_service(
        database_url, duplicate_radius_meters=0, first_update_id=50_000
    ) as bot:
        resident = bot.emulator.user(1501, "居民1501")
        await resident.send(HAZARDS[6])  # told once already: nothing this time
        await resident.send(QUESTION)
        answer = await resident.next_message()
        assert "灭火器" in answer["text"] and TRY_LATER not in answer["text"]
        reports = await reports_of(bot, 1501)
        assert len([r for r in reports if r.kind == "hazard"]) == 5
        async with transaction(bot.sessions) as session:  # nor a draft begun
            assert await session.get(ReportDraft, reports[0].resident_id) is None


async def test_the_31st_message_in_a_minute_gets_one_try_later_but_a_fire_still_gets_119(
    database_url,
):
    async with running_service(database_url) as bot:
        resident = bot.emulator.user(1502, "小钱")
        for _ in range(32):
            await resident.command("/help")
        await resident.send(FIRE)
        # The advice jumps the chat's queue; the 30 answers and the one 稍后再试 follow it.
        await resident.wait_for(lambda: len(resident.messages) >= 32)
        texts = [m.get("text", "") for m in resident.messages]
        assert any(ADVICE in t for t in texts)
        assert sum(TRY_LATER in t for t in texts) == 1
        assert sum("发文字描述隐患" in t for t in texts) == 30  # the 32nd got nothing
        assert "紧急警情" in (await next_text(bot.staff(OFFICER)))["text"]


async def test_the_same_text_three_times_is_one_report(database_url):
    async with running_service(database_url) as bot:
        reference = await file_report(bot.emulator, 1503, HAZARDS[0])
        resident = bot.emulator.player(1503)
        for _ in range(2):
            await resident.send(f"  {HAZARDS[0]}！ ")  # spacing and punctuation aside, the same
            told = (await resident.next_message())["text"]
            assert told.startswith(f"这条和您的报告 {reference} 内容相同，已合并到 {reference}")
        [report] = await reports_of(bot, 1503)
        async with transaction(bot.sessions) as session:
            events = await session.exec(
                select(ReportEvent.action).where(ReportEvent.report_id == report.id)
            )
            assert list(events.all()).count("repeated") == 2


async def test_a_blocked_residents_hazard_is_stored_but_creates_nothing(database_url):
    async with running_service(database_url) as bot:
        resident = bot.emulator.user(1504, "小孙")
        await resident.command("/start")
        await resident.next_message()
        code, out, _ = await cli(database_url, "block", "--telegram-id", "1504", "--reason", "刷屏")
        assert code == 0 and "blocked resident 1504 (小孙)" in out
        await resident.send(HAZARDS[1])
        assert "已被限制" in (await resident.next_message())["text"]
        await resident.send(HAZARDS[2])  # told once this minute: silence
        await resident.send(FIRE)
        assert ADVICE in (await resident.next_message())["text"]
        alert = await next_text(bot.staff(OFFICER))
        assert "紧急警情" in alert["text"]
        note = await next_text(bot.staff(OFFICER))
        assert "标记为骚扰" in note["text"]
        [report] = await reports_of(bot, 1504)
        assert report.kind == "emergency"
        async with transaction(bot.sessions) as session:
            stored = (await session.exec(select(InboxUpdate.payload))).all()
        texts = [p.get("message", {}).get("text") for p in stored]
        assert HAZARDS[1] in texts and HAZARDS[2] in texts


async def blocked_at(bot, telegram_id: int):
    async with transaction(bot.sessions) as session:
        resident = (
            await session.exec(select(Resident).where(Resident.telegram_id == telegram_id))
        ).one()
        return resident.blocked_at, resident.blocked_by


async def flag_from_the_card(bot, user_id: int) -> tuple[str, dict]:
    """A resident reports; the worker presses 标记骚扰; the coordinator's review card."""
    reference = await file_report(bot.emulator, user_id, HAZARDS[3])
    worker = bot.staff(WORKER_1)
    card = await task_card(worker)
    assert "🚫 标记骚扰" in labels(card)
    answer = await worker.callback_answer(await worker.press(card, "🚫 标记骚扰"))
    assert "已请协调员确认" in answer["text"]
    again = await worker.callback_answer(await worker.press(card, "🚫 标记骚扰"))
    assert "等协调员确认" in again["text"]
    review = await task_card(bot.staff(COORDINATOR_XINGFU))
    assert "骚扰标记待确认" in review["text"] and reference in review["text"]
    assert "王建国标记此居民为骚扰" in review["text"]
    assert labels(review) == ["✅ 确认骚扰", "✖ 驳回"]
    return reference, review


async def test_a_coordinator_confirms_the_workers_abuse_mark(database_url):
    async with running_service(database_url) as bot:
        reference, review = await flag_from_the_card(bot, 1505)
        coordinator = bot.staff(COORDINATOR_XINGFU)
        answer = await coordinator.callback_answer(await coordinator.press(review, "✅ 确认骚扰"))
        assert f"{reference} 按骚扰关闭" in answer["text"]
        await coordinator.wait_for(
            lambda: any("按骚扰关闭" in m.get("text", "") for m in coordinator.messages)
        )
        told = await next_text(bot.staff(WORKER_1))
        assert reference in told["text"] and "确认了骚扰标记" in told["text"]
        [report] = await reports_of(bot, 1505)
        assert report.status == "closed"
        async with transaction(bot.sessions) as session:
            events = await session.exec(
                select(ReportEvent.action).where(ReportEvent.report_id == report.id)
            )
            assert "closed_as_harassment" in events.all()
        when, by = await blocked_at(bot, 1505)
        assert when is not None and by.startswith("staff:")
        # The buttons are gone; an old copy of the card changes nothing.
        stale = await coordinator.callback_answer(
            press_as(coordinator, review, review_data(review, 1))
        )
        assert "已经处理过了" in stale["text"]
        resident = bot.emulator.player(1505)
        await resident.send(HAZARDS[4])
        assert "已被限制" in (await resident.next_message())["text"]
        assert len(await reports_of(bot, 1505)) == 1


async def test_a_rejected_abuse_mark_leaves_the_task_and_the_resident_as_they_were(sqlite_url):
    async with running_service(sqlite_url) as bot:
        reference, review = await flag_from_the_card(bot, 1506)
        worker = bot.staff(WORKER_1)  # a worker cannot decide it
        refused = await worker.callback_answer(press_as(worker, review, review_data(review, 0)))
        assert "只有协调员或管理员" in refused["text"]
        coordinator = bot.staff(COORDINATOR_XINGFU)
        answer = await coordinator.callback_answer(await coordinator.press(review, "✖ 驳回"))
        assert "已驳回" in answer["text"]
        told = await next_text(worker)
        assert reference in told["text"] and "驳回了骚扰标记" in told["text"]
        [report] = await reports_of(bot, 1506)
        assert report.status == "assigned"
        assert (await blocked_at(bot, 1506)) == (None, None)


def review_data(message: dict, index: int) -> str:
    return message["reply_markup"]["inline_keyboard"][0][index]["callback_data"]


def press_as(player, message: dict, data: str) -> str:
    """A press on another chat's message, as a foreign client can send it."""
    return player._callback(message, data)


async def test_block_and_unblock_from_the_command_line(sqlite_url):
    async with running_service(sqlite_url) as bot:
        resident = bot.emulator.user(1507, "小吴")
        await resident.command("/start")
        await resident.next_message()
        assert (await cli(sqlite_url, "block", "--telegram-id", "1507"))[0] == 0
        code, out, _ = await cli(sqlite_url, "block", "--telegram-id", "1507")
        assert code == 0 and "already blocked" in out
        when, by = await blocked_at(bot, 1507)
        assert when is not None and by == "cli"
        code, out, _ = await cli(sqlite_url, "unblock", "--telegram-id", "1507")
        assert code == 0 and "unblocked resident 1507" in out
        assert (await blocked_at(bot, 1507)) == (None, None)
        assert "was not blocked" in (await cli(sqlite_url, "unblock", "--telegram-id", "1507"))[1]
        await resident.send(HAZARDS[0])  # heard again: a report begins
        assert "隐患在哪里" in (await resident.next_message())["text"]
        code, out, err = await cli(sqlite_url, "block", "--telegram-id", "999999")
        assert code == 1 and out == ""
        assert (
            err.strip() == "firecircle: no resident with Telegram id 999999 has written to the bot"
        )


async def test_a_flood_of_120_updates_makes_at_most_five_tasks(sqlite_url):
    async with running_service(sqlite_url, duplicate_radius_meters=0) as bot:
        resident = bot.emulator.user(1508, "小郑")
        for i in range(40):  # each a whole report: description, location, /skip
            await resident.send(f"{i}号楼楼道里停了电动车在充电")
            await resident.send_location(*INSIDE)
            await resident.command("/skip")
        await resident.send(FIRE)
        await resident.wait_for(lambda: any(ADVICE in m.get("text", "") for m in resident.messages))
        await settled_outbox(bot.sessions)  # the advice went first; the rest follows it
        reports = await reports_of(bot, 1508)
        assert len([r for r in reports if r.kind == "hazard"]) == 5
        assert [r.kind for r in reports].count("emergency") == 1
        texts = [m.get("text", "") for m in resident.messages]
        assert sum(TRY_LATER in t for t in texts) == 2  # the hour's reports, then the minute's
