"""Fire-safety questions answered in seconds from the knowledge base, or by staff."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.engine import transaction
from storage.models import Report
from tests.harness import STREET_COORDINATOR, labels, next_text, running_service


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
