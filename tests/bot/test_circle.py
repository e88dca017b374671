"""The ten-minute circle through the emulator: a patrol team sent to a fire, the next one when
nobody sets off, the times recorded; /nearby inside, at the edge of and outside the district."""

from __future__ import annotations

from datetime import datetime, timedelta

import aiohttp
import pytest
from sqlmodel import select

from storage import reports as report_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import transaction
from storage.models import Report, Team, TeamCall
from storage.types import utcnow
from tests.harness import (
    INSIDE,
    OCEAN,
    OFFICER,
    PATIENCE,
    SHANGHAI,
    STREET_COORDINATOR,
    FakeClock,
    frozen_clock,
    next_text,
    running_service,
)
from triage.actors import staff_actor
from triage.circle.timing import arrivals
from triage.escalation.ladder import escalate_due
from triage.figures import indicators
from triage.figures.period import Period
from triage.figures.table import as_text
from triage.open311.keys import ApiKeys

XINGFU_TEAM, CHUNHUI_TEAM = (2003, 2006), (2008,)  # the sample district's two patrol teams
CHUNHUI = (30.5502, 114.3380)  # in 春晖社区, by its team's base
EDGE = (30.5445, 114.3440)  # inside the district, more than 800 m' walk from every point
# 795 m' and 805 m' walk (straight line × 1.3) from 幸福社区警务室消防咨询点, farther from the rest
JUST_WITHIN, JUST_BEYOND = (30.54322, 114.34337), (30.54324, 114.34345)


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def fire(bot, user_id: int = 1301, where=INSIDE) -> str:
    """A resident reports a fire, then shares where it is."""
    resident = bot.emulator.user(user_id, "小王")
    await resident.send("楼下着火了，好大的烟")
    assert "119" in (await next_text(resident))["text"]
    await resident.send_location(*where)
    await next_text(resident)
    return await _reference(bot)


async def team_alert(player) -> dict:
    message = await next_text(player, PATIENCE)
    while "出警" not in message["text"]:
        message = await next_text(player, PATIENCE)
    return message


async def test_a_fire_calls_the_team_which_sets_off_and_arrives_timed(bot):
    reference = await fire(bot)
    member, other = bot.staff(XINGFU_TEAM[0]), bot.staff(XINGFU_TEAM[1])
    alert = await team_alert(member)
    assert reference in alert["text"] and "幸福社区巡逻队" in alert["text"]
    assert [b["text"] for row in alert["reply_markup"]["inline_keyboard"] for b in row] == [
        "出发",
        "到场",
        "已处置",
        "需要支援",
    ]
    await team_alert(other)
    pin = await member.wait_for(lambda: _pin(member), PATIENCE)  # the place, once it is known
    assert (pin["location"]["latitude"], pin["location"]["longitude"]) == INSIDE

    said = await member.callback_answer(await member.press(alert, "出发"), PATIENCE)
    assert "已出发" in said["text"]
    again = await other.callback_answer(await other.press(alert, "出发"), PATIENCE)
    assert "已经出发" in again["text"]  # the second member's press changes nothing
    officer, resident = bot.staff(OFFICER), bot.emulator.player(1301)
    await officer.wait_for(lambda: _said(officer, "幸福社区巡逻队已出发（张伟"), PATIENCE)
    await resident.wait_for(lambda: _said(resident, "巡逻队已出发"), PATIENCE)
    assert "119" in _said(resident, "巡逻队已出发")  # never told to wait instead of calling

    arrived = await member.callback_answer(await member.press(alert, "到场"), PATIENCE)
    assert "到场" in arrived["text"]
    await officer.wait_for(lambda: _said(officer, "幸福社区巡逻队已到场"), PATIENCE)
    events = await _events(bot, reference)
    assert (
        events.index("team_called") < events.index("team_departed") < events.index("team_arrived")
    )
    figures = await arrivals(
        bot.sessions,
        utcnow() - timedelta(hours=1),
        utcnow() + timedelta(hours=1),
        timedelta(minutes=10),
    )
    assert (figures.called, figures.arrived, figures.arrived_in_time_rate) == (1, 1, 1.0)
    assert figures.arrive_minutes_median is not None and figures.arrive_minutes_median < 10

    # The statistics (`firecircle stats`) and the console's "now" page count it too
    today = utcnow().astimezone(bot.service.policy.timezone).date()
    found = await indicators.figures(bot.sessions, bot.service.policy, Period(today, today))
    assert (found["team_calls"], found["team_arrived"], found["team_arrived_in_ten_rate"]) == (
        1,
        1,
        1.0,
    )
    assert found["team_depart_minutes_median"] <= found["team_arrive_minutes_median"] < 10
    assert found["team_arrive_minutes_p90"] == found["team_arrive_minutes_median"]
    assert found["previous"]["team_calls"] == 0
    assert found["previous"]["team_arrive_minutes_median"] is None
    table = as_text(found)
    assert "巡逻队出警（起）" in table and "10分钟到场率" in table and "100.0%" in table
    async with transaction(bot.sessions) as session:
        chief = await staff_rows.staff_by_telegram_id(session=session, telegram_id=OFFICER)
    board = await bot.service.console.views.board(staff_actor(chief))
    assert (board["counts"]["team_calls_today"], board["counts"]["team_in_ten_today"]) == (1, 1)


async def test_nobody_setting_off_calls_the_next_team_and_tells_the_street(bot):
    reference = await fire(bot)
    await team_alert(bot.staff(XINGFU_TEAM[0]))
    later = utcnow() + timedelta(minutes=3)  # past the two minutes to set off
    await escalate_due(bot.sessions, bot.service.policy, later)
    nxt = await team_alert(bot.staff(CHUNHUI_TEAM[0]))
    assert reference in nxt["text"] and "春晖社区巡逻队" in nxt["text"]
    passed = "幸福社区巡逻队未在规定时间内出发，已改派春晖社区巡逻队"
    for above in (bot.staff(STREET_COORDINATOR), bot.staff(OFFICER)):
        await above.wait_for(lambda above=above: _said(above, passed), PATIENCE)
    async with transaction(bot.sessions) as session:
        calls = (await session.exec(select(TeamCall).order_by(TeamCall.round))).all()
    assert [(c.round, c.status) for c in calls] == [(1, "passed"), (2, "called")]
    late = await bot.staff(XINGFU_TEAM[0]).callback_answer(
        await bot.staff(XINGFU_TEAM[0]).press(_first_alert(bot, XINGFU_TEAM[0]), "出发"), PATIENCE
    )
    assert "已出发" in late["text"]  # late, but a team on its way is still worth it


async def test_a_fire_reported_with_its_place_calls_the_nearest_team(bot):
    key = await ApiKeys(bot.sessions, per_minute=10).create("12345-hotline")
    form = {
        "api_key": key,
        "service_code": "other",
        "lat": str(CHUNHUI[0]),
        "long": str(CHUNHUI[1]),
        "description": "春晖小区北门着火了，火很大，有浓烟",
    }
    url = f"http://127.0.0.1:{bot.service.http_port}/open311/v2/requests.json"
    async with aiohttp.ClientSession() as http, http.post(url, data=form) as response:
        assert response.status == 200, await response.text()
    alert = await team_alert(bot.staff(CHUNHUI_TEAM[0]))
    assert "春晖社区巡逻队" in alert["text"]
    assert _pin(bot.staff(CHUNHUI_TEAM[0])) is not None or await bot.staff(
        CHUNHUI_TEAM[0]
    ).wait_for(lambda: _pin(bot.staff(CHUNHUI_TEAM[0])), PATIENCE)
    assert not _said(bot.staff(XINGFU_TEAM[0]), "出警")


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    return frozen_clock(monkeypatch, start=timedelta(hours=9))


@pytest.fixture
async def timed_bot(database_url, clock):
    async with running_service(database_url) as running:
        yield running


async def test_nearby_at_the_edge_of_ten_minutes_walk_open_now_or_not(timed_bot, clock):
    resident = timed_bot.emulator.user(1306, "小吴")
    clock.local(clock.day, 10, 0)  # 幸福社区警务室消防咨询点 is open 08:30-17:30
    await resident.command("/nearby")
    await next_text(resident)
    await resident.send_location(*JUST_WITHIN)
    within = (await next_text(resident))["text"]
    assert within.startswith("📍 步行10分钟内（约800米）")
    assert "1. 幸福社区警务室消防咨询点（咨询点）约795米 · 营业中 08:30-17:30" in within
    assert "2." not in within  # the next point is 924 m' walk: beyond reach, not listed

    clock.local(clock.day, 20, 30)  # closed now; the micro fire station is open all day
    await resident.command("/nearby")
    await next_text(resident)
    await resident.send_location(*JUST_BEYOND)
    beyond = (await next_text(resident))["text"]
    assert beyond.startswith("附近800米内没有消防服务点，离您最近的几个：")
    assert "1. 幸福社区警务室消防咨询点（咨询点）约805米 · 现在不营业 08:30-17:30" in beyond
    assert beyond.count("米 · ") == 3  # the nearest three anyway, each saying how far

    await resident.command("/nearby")
    await next_text(resident)
    await resident.send_location(*INSIDE)
    station = (await next_text(resident))["text"]
    assert "幸福社区微型消防站（微型消防站）" in station and "营业中 全天" in station


async def test_nearby_inside_at_the_edge_and_outside_the_district(bot):
    resident = bot.emulator.user(1303, "小孙")
    await resident.command("/nearby")
    asked = await next_text(resident)
    assert "发送您的位置" in asked["text"]
    await resident.send_location(*INSIDE)
    listed = (await next_text(resident))["text"]
    assert listed.startswith("📍 步行10分钟内") and "1. 幸福社区微型消防站（微型消防站）" in listed
    assert "027-8765 4321" in listed and "幸福社区3栋旁" in listed
    pin = await resident.wait_for(lambda: _pin(resident), PATIENCE)
    assert pin["location"]["latitude"] == 30.5422  # the nearest point's, first

    await resident.command("/nearby")
    await next_text(resident)
    await resident.send_location(*EDGE)
    far = (await next_text(resident))["text"]
    assert far.startswith("附近800米内没有消防服务点") and far.count("米 · ") == 3

    await resident.command("/nearby")
    await next_text(resident)
    await resident.send_location(*OCEAN)
    assert "不在本辖区" in (await next_text(resident))["text"]

    await resident.send_location(*INSIDE)  # not asked: a location begins a report, as before
    assert "步行10分钟内" not in (await next_text(resident))["text"]


def _pin(player):
    return next(
        (m for m in reversed(player.messages) if "location" in m and "venue" not in m), None
    )


def _said(player, words: str) -> str | None:
    return next((m["text"] for m in player.messages if words in m.get("text", "")), None)


def _first_alert(bot, telegram_id: int) -> dict:
    return next(m for m in bot.staff(telegram_id).messages if "出警" in m.get("text", ""))


async def _reference(bot) -> str:
    async with transaction(bot.sessions) as session:
        report = (
            await session.exec(select(Report).order_by(Report.id.desc()))  # type: ignore[union-attr]
        ).first()
    return report.reference


async def _events(bot, reference: str) -> list[str]:
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        return [
            e.action for e in await report_rows.history_of(session=session, report_id=report.id)
        ]


async def test_where_to_go_asks_for_the_location_once_then_answers_and_forget_erases_it(bot):
    resident = bot.emulator.user(1304, "小周")
    await resident.send("哪里可以检测灭火器")
    asked = await next_text(resident)
    assert asked["text"] == "📍 请发送您的位置，我帮您找离您最近的灭火器检测。"
    await resident.tap_reply_button("📍 发送我的位置", latitude=INSIDE[0], longitude=INSIDE[1])
    found = await next_text(resident)
    assert found["text"].startswith("📍 离您最近的灭火器检测（步行10分钟以外）：")
    assert "1. 东湖灭火器充装检测点（灭火器充装）" in found["text"]  # it checks them too
    assert _buttons(found) == ["📍 附近服务点"]
    pin = await resident.wait_for(lambda: _pin(resident), PATIENCE)
    assert (pin["location"]["latitude"], pin["location"]["longitude"]) == (30.5505, 114.3412)

    await resident.send("附近哪里有微型消防站")  # the place is known now: answered at once
    station = await next_text(resident)
    assert station["text"].startswith("📍 离您最近的微型消防站：")
    assert "幸福社区微型消防站" in station["text"] and "24h" not in station["text"]
    await resident.callback_answer(await resident.press(station, "📍 附近服务点"), PATIENCE)
    assert "发送您的位置" in (await next_text(resident))["text"]  # /nearby began
    await resident.send_location(*INSIDE)
    assert (await next_text(resident))["text"].startswith("📍 步行10分钟内")

    await resident.command("/forget")
    question = await resident.wait_for(
        lambda: next((m for m in resident.messages if "确认删除" in _buttons(m)), None), PATIENCE
    )
    await resident.callback_answer(await resident.press(question, "确认删除"), PATIENCE)
    await resident.wait_for(lambda: _said(resident, "已删除您的个人信息"), PATIENCE)
    async with transaction(bot.sessions) as session:
        row = await resident_rows.resident_by_telegram_id(session=session, telegram_id=1304)
    assert (row.last_latitude, row.last_longitude, row.located_at) == (None, None, None)
    mark = len(resident.messages)
    await resident.send("where can I refill my extinguisher")
    again = await resident.wait_for(
        lambda: next((m for m in resident.messages[mark:] if "text" in m), None), PATIENCE
    )
    assert "发送您的位置" in again["text"]  # asked again


async def test_where_to_go_in_english(bot):
    resident = bot.emulator.user(1305, "Anna", language_code="en")
    await resident.send_location(*INSIDE)  # a report begins, and the place is remembered
    await next_text(resident)
    await resident.command("/cancel")
    await next_text(resident)
    await resident.send("Where can I refill my extinguisher?")
    found = await next_text(resident)
    assert found["text"].startswith("📍 The nearest extinguisher refill (more than a 10-minute")
    assert "东湖灭火器充装检测点 (extinguisher refill)" in found["text"]
    assert _buttons(found) == ["📍 Points near me"]


async def test_where_to_go_by_ask_and_while_an_emergency_waits_for_its_place(bot):
    resident = bot.emulator.user(1307, "小郑")
    await resident.command("/ask", "附近哪里有微型消防站")
    assert "找离您最近的微型消防站" in (await next_text(resident))["text"]
    await resident.send_location(*INSIDE)
    assert "幸福社区微型消防站" in (await next_text(resident))["text"]

    other = bot.emulator.user(1308, "小冯")
    await other.send("楼下着火了，好大的烟")
    assert "119" in (await next_text(other))["text"]
    await other.send("哪里可以检测灭火器")  # the fire's place is asked for first, and kept
    assert "办完后再问我一次" in (await next_text(other))["text"]
    await other.send_location(*INSIDE)
    assert "位置已发给值班人员" in (await next_text(other))["text"]


def _buttons(message: dict) -> list[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
    return [b["text"] for row in rows for b in row]


async def test_a_team_off_duty_is_passed_over_for_the_next_on_duty(bot):
    """幸福社区巡逻队 is nearest, but its hours are over: 春晖社区巡逻队 is called first."""
    now = datetime.now(SHANGHAI)
    start, end = (now + timedelta(hours=h) for h in (2, 3))
    async with transaction(bot.sessions) as session:
        team = (await session.exec(select(Team).where(Team.name == "幸福社区巡逻队"))).one()
        team.duty_start, team.duty_end = start.strftime("%H:%M"), end.strftime("%H:%M")
        session.add(team)
    reference = await fire(bot, user_id=1309)
    alert = await team_alert(bot.staff(CHUNHUI_TEAM[0]))
    assert reference in alert["text"] and "春晖社区巡逻队" in alert["text"]
    assert not _said(bot.staff(XINGFU_TEAM[0]), "出警")
