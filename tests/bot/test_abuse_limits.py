"""Abuse limits through the chat: reports an hour, messages a minute, repeats merged, blocked
residents; never at the cost of the 119 advice."""

from __future__ import annotations

from sqlmodel import col, select

from storage.engine import transaction
from storage.models import InboxUpdate, Report, ReportDraft, ReportEvent, Resident
from storage.types import utcnow
from tests.harness import OFFICER, file_report, next_text, running_service
from triage import abuse

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
        assert TRY_LATER in (await resident.next_message())["text"]
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
        # Updates of a chat go in order: once the advice is here, every /help was handled.
        await resident.wait_for(lambda: any(ADVICE in m.get("text", "") for m in resident.messages))
        texts = [m.get("text", "") for m in resident.messages]
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
            assert f"已合并到 {reference}" in told
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
        await abuse.block(bot.sessions, telegram_id=1504, reason="test", by="cli", now=utcnow())
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
