"""Issue 13 item 4: a message with no fire-safety signal is never sent to 12345 without
asking — one tap decides its path, and the answer is kept as a label to retrain on."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlmodel import select

from firecircle.cli import main
from storage.engine import transaction
from storage.models import Report, ReportDraft, TriageLabel
from tests.harness import PATIENCE, labels, next_text, running_service

UNSURE = "燃气表旁边堆了好多杂物"
ASKED = "这是要上报的消防隐患吗？点一下告诉我："
CHOICES = ["🔥 是，上报隐患", "❓ 只是咨询", "不是消防问题"]


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def rows(bot, table) -> list:
    async with transaction(bot.sessions) as session:
        return list((await session.exec(select(table))).all())


async def test_an_unsure_message_is_asked_about_and_a_tap_reports_it(
    bot, database_url, tmp_path, monkeypatch
):
    resident = bot.emulator.user(1701, "小邓")
    await resident.send(UNSURE)
    asked = await next_text(resident)
    assert asked["text"] == ASKED and labels(asked) == CHOICES
    assert await rows(bot, Report) == []  # nothing filed, no 12345

    await resident.press(asked, "🔥 是，上报隐患")
    assert "在哪里" in (await next_text(resident))["text"]
    [draft] = await rows(bot, ReportDraft)
    assert draft.text == UNSURE
    [label] = await rows(bot, TriageLabel)
    assert (label.reading, label.chosen) == ("out_of_scope", "hazard")

    tap = asked["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    again = await resident.callback_answer(resident._callback(asked, tap))  # a stale client
    assert again["show_alert"]  # answered already: the second tap changes nothing
    assert len(await rows(bot, ReportDraft)) == 1

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FIRECIRCLE_DATABASE_URL", database_url)
    exported = tmp_path / "labels.jsonl"
    assert await asyncio.to_thread(main, ["triage", "export-labels", str(exported)]) == 0
    [line] = exported.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["text"] == UNSURE and json.loads(line)["kind"] == "hazard"


async def test_not_about_fire_safety_then_names_12345(bot):
    resident = bot.emulator.user(1702, "小曹")
    await resident.send("充电桩那边好乱")
    asked = await next_text(resident)
    assert asked["text"] == ASKED
    await resident.press(asked, "不是消防问题")
    said = (await next_text(resident, PATIENCE))["text"]
    assert "12345" in said
    [report] = await rows(bot, Report)
    assert report.kind == "out_of_scope"


async def test_a_question_close_to_several_entries_offers_them_before_staff(bot):
    resident = bot.emulator.user(1703, "小苏")
    await resident.command("/ask", "灭火器的事")
    offered = await next_text(resident)
    assert offered["text"].startswith("你是想问下面哪一个？")
    choices = labels(offered)
    assert len(choices) == 4 and choices[-1] == "都不是，问工作人员"
    assert await rows(bot, Report) == []  # nothing filed while they choose

    await resident.press(offered, choices[0])
    assert (await next_text(resident))["text"].startswith("💡")  # that entry's answer
    await resident.press(offered, "都不是，问工作人员")
    queued = (await next_text(resident))["text"]
    assert "您的问题已收到" in queued
    [report] = await rows(bot, Report)
    assert (report.kind, report.text) == ("question", "灭火器的事")


async def test_a_hazard_read_as_a_question_is_asked_about_not_answered_away(bot):
    resident = bot.emulator.user(1704, "小潘")
    await resident.send("灭火器箱里只剩一个空瓶子吗")
    asked = await next_text(resident)
    assert asked["text"] == ASKED
    await resident.press(asked, "🔥 是，上报隐患")
    assert "在哪里" in (await next_text(resident))["text"]
