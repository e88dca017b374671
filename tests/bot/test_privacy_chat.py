"""/privacy says what is kept and for how long; /forget erases, after a confirmation."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.emulator import BotApiEmulator
from firecircle.settings import SettingsError, load_settings
from storage import reports as report_rows
from storage import residents as resident_rows
from storage.engine import transaction
from storage.models import InboxUpdate
from storage.types import utcnow
from tests.harness import (
    STREET_COORDINATOR,
    TOKEN,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
    sample_service,
    service_settings,
    task_card,
)

RESIDENT = 1701


async def test_privacy_names_the_retention_settings_and_forget(sqlite_url):
    async with running_service(sqlite_url, raw_updates_days=7) as bot:
        resident = bot.emulator.user(RESIDENT, "小周")
        await resident.command("/privacy")
        text = (await resident.next_message())["text"]
        assert "7天" in text and "365天" in text and "/forget" in text
        assert "工作人员" in text  # how to get the export
        assert "问卷" in text and "/unsubscribe" in text and "巡逻队" in text  # consent, location
        english = bot.emulator.user(RESIDENT + 1, "Ann", language_code="en")
        await english.command("/privacy")
        said = (await english.next_message())["text"]
        assert "7 days" in said and "questionnaires" in said and "location you share" in said
        published = [c for c in bot.emulator.calls if c.method == "setMyCommands"]
        assert published and all(
            {"privacy", "forget"} <= {c["command"] for c in call.params["commands"]}
            for call in published
        )


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def stored(bot, reference: str):
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        history = await report_rows.history_of(session=session, report_id=report.id)
    return report, [e.action for e in history]


async def test_forget_asks_first_and_cancel_keeps_everything(bot):
    reference = await file_report(bot.emulator, RESIDENT, "楼梯间堆满了纸箱", name="小周")
    resident = bot.emulator.player(RESIDENT)
    await resident.command("/forget")
    question = await resident.next_message()
    assert "无法恢复" in question["text"] and labels(question) == ["确认删除", "取消"]
    await resident.callback_answer(await resident.press(question, "取消"))
    assert "什么都没有删" in (await resident.next_message())["text"]
    report, _ = await stored(bot, reference)
    assert report.text == "楼梯间堆满了纸箱" and report.status == "assigned"


async def test_forget_confirmed_withdraws_and_erases(bot):
    reference = await file_report(bot.emulator, RESIDENT, "楼梯间堆满了纸箱", name="小周")
    resident, worker = bot.emulator.player(RESIDENT), bot.staff(WORKER_1)
    card = await task_card(worker)
    await resident.command("/forget")
    question = await resident.next_message()
    await resident.callback_answer(await resident.press(question, "确认删除"))
    done = (await resident.next_message())["text"]
    assert "已删除您的个人信息（涉及1份报告）" in done
    assert "reply_markup" not in resident.messages[-2]  # the question lost its buttons

    report, history = await stored(bot, reference)
    assert report.status == "closed" and report.resident_id is None
    assert report.text == "[已匿名]" and report.anonymised_at is not None
    assert history[-1] == "withdrawn" and report.next_deadline_at is None
    async with transaction(bot.sessions) as session:
        row = await resident_rows.resident_by_telegram_id(session=session, telegram_id=RESIDENT)
        assert row.name == "" and not row.subscribed_tips

    # the worker's card is drawn again, anonymised and with nothing to press ...
    redrawn = await worker.wait_for(
        lambda: "[已匿名]" in worker._message(card)["text"] and worker._message(card)
    )
    assert "楼梯间" not in redrawn["text"] and "reply_markup" not in redrawn
    # ... and a client still showing the old one does not start the task
    data = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    answer = await worker.callback_answer(worker._callback(card, data))
    assert "已经结束" in answer["text"]
    assert (await stored(bot, reference))[0].status == "closed"


async def test_a_broadcast_tip_carries_no_phone_number(sqlite_url):
    async with running_service(sqlite_url, send_rate=2000, broadcast_progress_seconds=0.05) as bot:
        subscriber = bot.emulator.user(RESIDENT, "小周")
        await subscriber.command("/tips")
        await subscriber.next_message()
        coordinator = bot.staff(STREET_COORDINATOR)
        await coordinator.command("/broadcast", "有隐患请联系王主任13812345678，着火打119")
        preview = await next_text(coordinator)
        assert "王主任138****5678，着火打119" in preview["text"]
        assert "13812345678" not in preview["text"]
        await coordinator.callback_answer(await coordinator.press(preview, "✅ 确认发送"))
        tip = await next_text(subscriber)
        assert "王主任138****5678，着火打119" in tip["text"]


async def test_the_leader_applies_retention_as_it_takes_the_lead(sqlite_url):
    old = utcnow() - timedelta(days=31)
    async with BotApiEmulator(token=TOKEN, bot_username="firecircle_bot") as emulator:
        service = await sample_service(emulator, service_settings(emulator, sqlite_url))
        async with transaction(service.sessions) as session:
            session.add(InboxUpdate(update_id=1, payload={}, received_at=old, processed_at=old))
            session.add(InboxUpdate(update_id=2, payload={}, received_at=old))
        await service.start()
        try:
            await asyncio.wait_for(purged(service.sessions), 10)
        finally:
            await service.stop()


async def purged(sessions) -> None:
    """Returns once the handled update is gone; the unhandled one must stay."""
    while True:
        async with transaction(sessions) as session:
            left = (await session.exec(select(InboxUpdate.update_id))).all()
        if 1 not in left:
            assert 2 in left
            return
        await asyncio.sleep(0.05)


def test_raw_updates_are_kept_at_least_a_day():
    with pytest.raises(SettingsError, match="FIRECIRCLE_RAW_UPDATES_DAYS"):
        load_settings(raw_updates_days=0.5)
