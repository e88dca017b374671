"""Questionnaires through the emulator: consent asked once after a return visit, a survey sent
to a community's residents who agreed (bulk, through the outbox), answered with buttons and a
typed suggestion, its figures checked exactly; an old button, a closed survey, /unsubscribe."""

from __future__ import annotations

import pytest
from sqlmodel import select

from storage.engine import transaction
from storage.models import (
    OutboxMessage,
    Report,
    Resident,
    SurveyAnswer,
    SurveyConsent,
    SurveyEvent,
)
from tests.bot.test_return_visit import resolved
from tests.harness import labels, next_text, running_service, settled_outbox
from triage.surveys.forms import parse_form
from triage.surveys.results import results

FORM = """
title:
  zh: 消防服务满意度调查
  en: Fire safety service survey
intro: 耽误您一分钟，帮我们做得更好。
questions:
  - type: rating
    text:
      zh: 您对隐患处理的速度满意吗？
      en: How happy are you with how fast hazards are fixed?
  - type: choice
    text: 您知道最近的微型消防站在哪里吗？
    options: [知道, 不知道]
  - type: text
    text: 您对社区消防工作还有什么建议？
"""
FAST = {"send_rate": 2000}


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url, **FAST) as running:
        yield running


async def subscribed(bot, user_id: int, *, community: str | None = "幸福社区"):
    """A resident who agreed with /subscribe and reported something in the community."""
    resident = bot.emulator.user(user_id, f"居民{user_id}")
    await resident.command("/subscribe")
    assert "以后会请你填写问卷" in (await next_text(resident))["text"]
    if community is not None:
        await reported(bot, user_id, community)
    return resident


async def reported(bot, user_id: int, community: str) -> None:
    async with transaction(bot.sessions) as session:
        row = (await session.exec(select(Resident).where(Resident.telegram_id == user_id))).first()
        if row is None:
            row = Resident(telegram_id=user_id, chat_id=user_id)
            session.add(row)
            await session.flush()
        session.add(
            Report(resident_id=row.id, text="楼道堆物", community=community, status="closed")
        )


async def a_survey(bot) -> int:
    return (await bot.service.surveys.create(parse_form(FORM))).id


def current(player, message: dict) -> dict:
    return next(m for m in player.messages if m["message_id"] == message["message_id"])


def survey_messages(player) -> list[dict]:
    return [m for m in player.messages if "（1/3）" in m.get("text", "")]


async def test_consent_is_asked_once_after_a_return_visit(bot):
    _, notice = await resolved(bot, 7001)
    resident = bot.emulator.player(7001)
    await resident.press(notice, "✅ 已解决")
    await next_text(resident)
    await resident.press(notice, "4⭐")
    assert "4星" in (await next_text(resident))["text"]
    asked = await next_text(resident)
    assert "问卷" in asked["text"] and "/unsubscribe" in asked["text"]
    assert labels(asked) == ["✅ 好的", "不用了"]
    await resident.press(asked, "✅ 好的")
    assert "以后会请你填写问卷" in (await next_text(resident))["text"]

    await resident.press(notice, "5⭐")  # rated again: not asked again
    assert "5星" in (await next_text(resident))["text"]
    await settled_outbox(bot.sessions)
    assert not [m for m in resident.unread if "愿意收到吗" in m.get("text", "")]
    async with transaction(bot.sessions) as session:
        consent = (await session.exec(select(SurveyConsent))).one()
        actions = (await session.exec(select(SurveyEvent.action))).all()
    assert consent.agreed is True and consent.asked_at is not None
    assert actions == ["consent_asked", "opted_in"]


async def test_a_survey_sent_to_ten_residents_with_its_figures_checked_exactly(database_url):
    async with running_service(database_url, **FAST) as bot:
        ten = [await subscribed(bot, 7100 + n) for n in range(10)]
        elsewhere = await subscribed(bot, 7200, community="和平社区")
        never = bot.emulator.user(7201, "没同意")
        await never.command("/start")
        await next_text(never)
        await reported(bot, 7201, "幸福社区")
        quitter = await subscribed(bot, 7202)
        await quitter.command("/unsubscribe")
        assert "不会再给你发问卷" in (await next_text(quitter))["text"]

        survey_id = await a_survey(bot)
        sent = await bot.service.surveys.send(survey_id, community="幸福社区")
        assert sent.count == 10
        firsts = [await next_text(r) for r in ten]
        for first in firsts:
            assert first["text"].startswith("📋 消防服务满意度调查\n耽误您一分钟")
            assert "（1/3）您对隐患处理的速度满意吗？" in first["text"]
            assert labels(first) == ["1⭐", "2⭐", "3⭐", "4⭐", "5⭐"]
        await settled_outbox(bot.sessions)
        assert not any(survey_messages(p) for p in (elsewhere, never, quitter))
        async with transaction(bot.sessions) as session:
            priorities = (
                await session.exec(
                    select(OutboxMessage.priority).where(
                        OutboxMessage.chat_id.in_(range(7100, 7110))
                    )
                )
            ).all()
        assert 90 in priorities  # the questionnaires went at bulk priority

        ratings = [5, 5, 4, 4, 5, 3, 2, 4]
        choices = ["知道"] * 5 + ["不知道"] * 3
        words = [
            "楼道里电动车充电太多了，希望多管管",
            "电动车最好统一到充电棚充电",
            "消防通道老是被车堵住",
            "工作人员很负责，谢谢",
            "希望多搞几次消防演练",
            "电线乱拉的问题要查一查",
            None,
            None,
        ]
        for resident, first, stars, choice, said in zip(
            ten[:8], firsts[:8], ratings, choices, words, strict=True
        ):
            await resident.press(first, f"{stars}⭐")
            second = await next_text(resident)
            assert "（2/3）" in second["text"] and labels(second) == ["知道", "不知道"]
            assert f"你的回答：{stars}⭐" in current(resident, first)["text"]
            assert "reply_markup" not in current(resident, first)
            await resident.press(second, choice)
            third = await next_text(resident)
            assert "（3/3）" in third["text"] and labels(third) == ["跳过"]
            if said is None:
                await resident.press(third, "跳过")
            else:
                await resident.send(said)
            assert "已完成" in (await next_text(resident))["text"]

        # An old button (the first question, already answered) changes nothing.
        old = firsts[0]  # as the chat first showed it, with its buttons
        data = old["reply_markup"]["inline_keyboard"][0][2]["callback_data"]  # 3⭐
        pressed = ten[0]._callback(old, data)  # a stale client still shows it
        assert "已经答过" in (await ten[0].callback_answer(pressed))["text"]

        # The ninth answers the first question only; the tenth not at all.
        await ten[8].press(firsts[8], "1⭐")
        await next_text(ten[8])

        found = await results(bot.sessions, survey_id)
        assert {k: found[k] for k in ("sent", "started", "answered", "response_rate")} == {
            "sent": 10,
            "started": 9,
            "answered": 8,
            "response_rate": 0.8,
        }
        rating, choice, text = found["questions"]
        assert (rating["answers"], rating["mean"], rating["satisfied_rate"]) == (9, 3.67, 0.6667)
        assert rating["counts"] == {"1": 1, "2": 1, "3": 1, "4": 3, "5": 3}
        assert found["satisfaction_rate"] == 0.6667
        assert choice["counts"] == [
            {"option": "知道", "count": 5, "share": 0.625},
            {"option": "不知道", "count": 3, "share": 0.375},
        ]
        assert (text["answers"], text["skipped"]) == (6, 2)
        assert [(t["theme"], t["count"]) for t in found["themes"]] == [
            ("ebike", 2),
            ("electrical", 1),
            ("fire_lane", 1),
            ("other", 2),
        ]
        assert found["themes"][0]["examples"] == words[:2]

        # /unsubscribe stops what is sent next.
        await ten[0].command("/unsubscribe")
        await next_text(ten[0])
        second_survey = await a_survey(bot)
        assert (await bot.service.surveys.send(second_survey, community="幸福社区")).count == 9
        async with transaction(bot.sessions) as session:
            events = (
                await session.exec(
                    select(SurveyEvent.action).where(SurveyEvent.survey_id == survey_id)
                )
            ).all()
        assert events.count("sent") == 10 and events.count("finished") == 8
        assert events.count("answered") == 8 * 3 + 1


async def test_an_answer_after_the_survey_closed_is_refused_and_not_stored(bot):
    resident = await subscribed(bot, 7300)
    survey_id = await a_survey(bot)
    await bot.service.surveys.send(survey_id, community="幸福社区")
    first = await next_text(resident)
    await bot.service.surveys.close(survey_id)
    pressed = await resident.press(first, "5⭐")
    answer = await resident.callback_answer(pressed)
    assert "已经结束" in answer["text"] and answer["show_alert"]
    async with transaction(bot.sessions) as session:
        assert not (await session.exec(select(SurveyAnswer))).all()
    assert (await results(bot.sessions, survey_id))["status"] == "closed"


async def test_a_text_question_does_not_swallow_an_emergency(bot):
    resident = await subscribed(bot, 7400)
    survey_id = await a_survey(bot)
    await bot.service.surveys.send(survey_id, community="幸福社区")
    first = await next_text(resident)
    await resident.press(first, "4⭐")
    second = await next_text(resident)
    await resident.press(second, "知道")
    await next_text(resident)  # the text question
    await resident.send("着火了！楼下冒烟了")
    assert "119" in (await next_text(resident))["text"]
    await resident.send("希望多搞几次消防演练")
    assert "已完成" in (await next_text(resident))["text"]


async def test_a_question_that_can_no_longer_be_edited_still_brings_the_next(bot):
    resident = await subscribed(bot, 7500)
    survey_id = await a_survey(bot)
    await bot.service.surveys.send(survey_id, community="幸福社区")
    first = await next_text(resident)
    bot.emulator.faults.add(
        "editMessageText", status=400, description="Bad Request: message to edit not found"
    )
    await resident.press(first, "4⭐")
    second = await next_text(resident)  # the answer is stored: the next question comes
    assert "（2/3）" in second["text"] and labels(second) == ["知道", "不知道"]
    assert (await results(bot.sessions, survey_id))["questions"][0]["answers"] == 1


async def test_consent_on_a_deleted_question_is_still_confirmed(bot):
    resident = bot.emulator.user(7600, "居民7600")
    _, notice = await resolved(bot, 7600)
    await resident.press(notice, "✅ 已解决")
    await next_text(resident)
    await resident.press(notice, "4⭐")
    await next_text(resident)
    asked = await next_text(resident)
    bot.emulator.faults.add(
        "editMessageReplyMarkup", status=400, description="Bad Request: message to edit not found"
    )
    await resident.press(asked, "✅ 好的")
    assert "以后会请你填写问卷" in (await next_text(resident))["text"]
