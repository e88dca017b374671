"""Issue 13 item 6: an emergency told in any wording gets the 119 advice at once (gas by its
smell or its hiss, a neighbour's flat, voice-typed and traditional forms); a question about a
fire, however fiery its words, is answered as a question and alarms nobody."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.engine import transaction
from storage.models import Report
from tests.harness import next_text, running_service


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url) as running:
        yield running


async def kinds(bot) -> list[str]:
    async with transaction(bot.sessions) as session:
        return [r.kind for r in (await session.exec(select(Report))).all()]


@pytest.mark.parametrize(
    "words",
    [
        "液化气罐的管子呲呲响，有股味",
        "天然气漏了",
        "燃气灶关了，管子那里还是嘶嘶的",
        "隔壁家着火了",
        "有股烧焦的味道，不知道哪里",
        "樓下著火了",
        "插座噼里啪啦冒火星",
        "smell gas in the hallway",
    ],
)
async def test_an_emergency_in_any_wording_gets_the_119_advice(bot, words):
    resident = bot.emulator.user(1801, "小江")
    await resident.send(words)
    assert "119" in (await next_text(resident))["text"]
    assert await kinds(bot) == ["emergency"]


async def test_a_fiery_question_is_a_question_not_an_alarm(bot):
    resident = bot.emulator.user(1802, "小汪")
    await resident.send("高楼着火了怎么逃生？")
    said = (await next_text(resident))["text"]
    assert "请立即拨打 119" not in said.split("\n")[0]
    assert "emergency" not in await kinds(bot)
