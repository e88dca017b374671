"""Issue 13 item 5: greetings, thanks, "在吗", "?" and stickers get a short greeting with what
the bot can do — no 12345, no FC number, nothing filed; a report being written waits."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.engine import transaction
from storage.models import Report, ReportDraft
from tests.harness import REFERENCE, next_text, running_service

HELLO = "您好！这里是十分钟消防便民服务圈 🧯"
THANKS = "不客气！有消防隐患或问题，随时发给我。🧯"


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url) as running:
        yield running


async def count(bot, table) -> int:
    async with transaction(bot.sessions) as session:
        return len((await session.exec(select(table))).all())


@pytest.mark.parametrize(
    "words, starts",
    [("你好", HELLO), ("在吗？", HELLO), ("?", HELLO), ("谢谢你们！", THANKS), ("好的", "好的 👌")],
)
async def test_small_talk_is_answered_and_files_nothing(bot, words, starts):
    resident = bot.emulator.user(1601, "小陈")
    await resident.send(words)
    said = (await next_text(resident))["text"]
    assert said.startswith(starts)
    assert "12345" not in said and not REFERENCE.search(said)
    assert await count(bot, Report) == 0


async def test_a_sticker_says_hello(bot):
    resident = bot.emulator.user(1602, "小林")
    await resident.send_sticker()
    assert (await next_text(resident))["text"].startswith(HELLO)


async def test_hello_in_english_for_an_english_client(bot):
    resident = bot.emulator.user(1603, "Tom", language_code="en")
    await resident.send("hello")
    assert (await next_text(resident))["text"].startswith("Hello! This is the ten-minute")


async def test_small_talk_while_writing_a_report_leaves_the_report_waiting(bot):
    resident = bot.emulator.user(1604, "小何")
    await resident.send("楼道里堆满了纸箱")
    await next_text(resident)
    await resident.send("谢谢")
    assert (await next_text(resident))["text"] == THANKS
    assert (await count(bot, ReportDraft), await count(bot, Report)) == (1, 0)
