"""Fire-safety questions answered in seconds from the knowledge base, or by staff."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import select

from firecircle.cli import main
from storage import faq
from storage import reports as report_rows
from storage import staff as staff_rows
from storage.engine import transaction
from storage.models import Report
from tests.harness import (
    COORDINATOR_XINGFU,
    REFERENCE,
    STREET_COORDINATOR,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
    task_card,
)


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url) as running:
        yield running


async def test_a_confident_answer_comes_at_once_with_feedback_buttons(bot):
    resident = bot.emulator.user(1601, "老李")
    await resident.send("灭火器多久检查一次？")
    answer = await resident.next_message(timeout=10)
    assert answer["text"].startswith("💡") and "压力" in answer["text"]
    assert labels(answer)[:2] == ["👍 有用", "👎 没用，问工作人员"]
    await resident.press(answer, "👍 有用")
    assert "谢谢反馈" in (await resident.next_message())["text"]
    async with transaction(bot.sessions) as session:
        [question] = (await session.exec(select(Report))).all()
    assert (question.kind, question.status, question.assignee_id) == ("question", "closed", None)


async def test_not_helpful_sends_the_question_to_staff(bot):
    resident = bot.emulator.user(1602, "小王")
    await resident.send("电动车可以放在楼道里吗")
    answer = await resident.next_message(timeout=10)
    await resident.press(answer, "👎 没用，问工作人员")
    assert "10分钟内答复" in (await resident.next_message())["text"]
    task = await next_text(bot.staff(STREET_COORDINATOR))
    assert "居民咨询" in task["text"] and "电动车可以放在楼道里吗" in task["text"]


async def test_a_related_question_is_answered_when_pressed(bot):
    resident = bot.emulator.user(1603, "小张")
    await resident.send("电动车可以放在楼道里吗")
    answer = await resident.next_message(timeout=10)
    related = [label for label in labels(answer) if label.startswith("❓")]
    assert related
    await resident.press(answer, related[0])
    again = await resident.next_message()
    assert again["text"].startswith("💡") and related[0][2:12] in again["text"]


async def test_ask_with_words_is_a_question_and_english_is_answered_in_english(bot):
    resident = bot.emulator.user(1604, "Tom", language_code="en")
    await resident.command("/ask", "how often should I check my fire extinguisher")
    answer = await resident.next_message(timeout=10)
    assert answer["text"].startswith("💡") and "Helpful" in labels(answer)[0]


# --- a staff answer into the knowledge base (收入知识库) ----------------------------------

NOT_IN_FAQ = "我们小区下个月哪天搞消防检查？"
STAFF_ANSWER = "下月15号上午，物业会提前贴通知"
PROMOTE = "📚 收入知识库"


async def staff_entries(bot) -> list:
    async with bot.sessions() as session:
        return [e for e in await faq.all_entries(session=session) if e.source == "staff"]


async def test_a_coordinator_promotes_an_answer_in_one_press_and_the_next_resident_gets_it(
    database_url, tmp_path, monkeypatch
):
    async with running_service(database_url) as bot:
        resident = bot.emulator.user(1611, "老李")
        await resident.send(NOT_IN_FAQ)
        reference = REFERENCE.search((await resident.next_message())["text"]).group()
        coordinator = bot.staff(STREET_COORDINATOR)
        await coordinator.press(await task_card(coordinator), "回复居民")
        await next_text(coordinator)
        await coordinator.send(STAFF_ANSWER)
        sent = await next_text(coordinator)
        assert "已办结" in sent["text"] and labels(sent) == [PROMOTE]
        assert "15号" in (await next_text(resident))["text"]  # relayed first

        slug = f"staff-{reference.lower()}"
        pressed = await coordinator.callback_answer(await coordinator.press(sent, PROMOTE))
        assert "已收入知识库" in pressed["text"] and slug in pressed["text"]
        assert slug in (await next_text(coordinator))["text"]

        other = bot.emulator.user(1612, "小周")
        await other.send(NOT_IN_FAQ)
        answer = await other.next_message(timeout=10)
        assert answer["text"].startswith("💡") and STAFF_ANSWER in answer["text"]
        assert labels(answer)[:2] == ["👍 有用", "👎 没用，问工作人员"]

        again = await coordinator.callback_answer(await coordinator.press(sent, PROMOTE))
        assert again["show_alert"] and f"已收入（{slug}）" in again["text"]
        [entry] = await staff_entries(bot)
        assert (entry.slug, entry.question_zh, entry.answer_zh) == (slug, NOT_IN_FAQ, STAFF_ANSWER)
        async with bot.sessions() as session:
            report = await report_rows.report_by_reference(session=session, reference=reference)
            events = await report_rows.events_of(
                session=session, report_id=report.id, action="promoted_to_faq"
            )
            assert len(await faq.all_entries(session=session)) > 100  # the shipped ones kept
            staff = await staff_rows.staff_by_telegram_id(
                session=session, telegram_id=STREET_COORDINATOR
            )
        assert [(e.actor, e.detail) for e in events] == [(f"staff:{staff.id}", {"entry": slug})]

        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("FIRECIRCLE_DATABASE_URL", database_url)
        exported = tmp_path / "faq.jsonl"
        assert await asyncio.to_thread(main, ["faq", "export", str(exported)]) == 0
        lines = [json.loads(line) for line in exported.read_text(encoding="utf-8").splitlines()]
        [line] = [line for line in lines if line["id"] == slug]
        assert (line["question_zh"], line["answer_zh"], line["source"]) == (
            NOT_IN_FAQ,
            STAFF_ANSWER,
            "staff",
        )


async def test_a_worker_answer_is_offered_to_the_community_coordinator_not_the_worker(bot):
    await file_report(bot.emulator, 1613, "楼道里堆了很多纸箱", name="小吴")
    worker = bot.staff(WORKER_1)
    await task_card(worker)  # the hazard
    resident = bot.emulator.user(1613, "小吴")
    await resident.send(NOT_IN_FAQ)
    await resident.next_message()
    card = await task_card(worker)
    assert "居民咨询" in card["text"]
    await worker.press(card, "回复居民")
    await next_text(worker)
    await worker.send(STAFF_ANSWER)
    sent = await next_text(worker)
    assert "已办结" in sent["text"] and "reply_markup" not in sent

    report_id = card["reply_markup"]["inline_keyboard"][0][0]["callback_data"].split(":")[2]
    refused = await worker.callback_answer(worker._callback(card, f"t:kb:{report_id}"))
    assert refused["show_alert"] and "只有协调员或管理员" in refused["text"]
    assert await staff_entries(bot) == []

    coordinator = bot.staff(COORDINATOR_XINGFU)
    offer = await next_text(coordinator)
    assert NOT_IN_FAQ in offer["text"] and STAFF_ANSWER in offer["text"]
    assert "网格员王建国" in offer["text"] and labels(offer) == [PROMOTE]
    pressed = await coordinator.callback_answer(await coordinator.press(offer, PROMOTE))
    assert "已收入知识库" in pressed["text"]
    assert [e.answer_zh for e in await staff_entries(bot)] == [STAFF_ANSWER]
