"""Issue 16: the figures reported upward, from a history played through the chat on a fake
clock — reports acknowledged in time and late, escalated, resolved on time and late,
reopened, rated, questions answered at once and by staff — checked figure by figure, with
reports on either side of a local midnight."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest

from firecircle.cli import main
from tests.harness import (
    COORDINATOR_XINGFU,
    PATIENCE,
    STREET_COORDINATOR,
    WORKER_1,
    WORKER_2,
    FakeClock,
    file_report,
    frozen_clock,
    labels,
    next_text,
    running_service,
    settled_outbox,
)
from triage.escalation.ladder import escalate_due
from triage.figures.indicators import figures
from triage.figures.period import Period

# Points in 幸福社区第一网格 (A, 王建国) and 第二网格 (B, 李秀英), each over 50 m from the others
# (nearer ones of a category would be merged as duplicates).
A1, A2, A3 = (30.5415, 114.3320), (30.5430, 114.3335), (30.5405, 114.3308)
B1, B2, B3 = (30.5415, 114.3370), (30.5430, 114.3385), (30.5405, 114.3392)


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    # The test runs every deadline itself (escalate_due at the fake now); it starts two days
    # before the day whose figures it checks.
    return frozen_clock(monkeypatch, start=-timedelta(days=2))


@pytest.fixture
async def bot(database_url, clock):
    async with running_service(database_url) as running:
        yield running


async def card(player, reference: str, button: str) -> dict:
    """The newest message about this report with this button (a card is redrawn after a
    step, a moment after the resident hears of it)."""

    def found():
        cards = (m for m in reversed(player.messages) if reference in m.get("text", ""))
        return next((m for m in cards if "reply_markup" in m and button in labels(m)), None)

    return await player.wait_for(found, PATIENCE)


async def report(bot, user_id: int, text: str, where) -> str:
    return await file_report(bot.emulator, user_id, text, where=where, name=f"居民{user_id}")


async def said(player, since: int, *words: str) -> dict:
    """The first message after the first `since` that holds all the words."""

    def found():
        new = player.messages[since:]
        return next((m for m in new if all(w in m.get("text", "") for w in words)), None)

    return await player.wait_for(found, PATIENCE)


async def acknowledge(bot, worker_id: int, reference: str, resident_id: int) -> None:
    worker, resident = bot.staff(worker_id), bot.emulator.player(resident_id)
    mark = len(resident.messages)
    await worker.press(await card(worker, reference, "接单"), "接单")
    await said(resident, mark, reference, "已由网格员")


async def resolve(bot, worker_id: int, reference: str, resident_id: int) -> dict:
    worker, resident = bot.staff(worker_id), bot.emulator.player(resident_id)
    mark = len(worker.messages)
    await worker.press(await card(worker, reference, "办结"), "办结")
    await said(worker, mark, "办结", reference)
    mark, heard = len(worker.messages), len(resident.messages)
    await worker.send_photo(caption="已整改")
    await said(worker, mark, "已办结")
    return await said(resident, heard, reference, "真的解决了吗")


async def answer(resident, notice: dict, button: str, *words: str) -> None:
    mark = len(resident.messages)
    await resident.press(notice, button)
    await said(resident, mark, *words)


async def deadlines(bot, clock) -> None:
    await settled_outbox(bot.sessions)
    await escalate_due(bot.sessions, bot.service.policy, clock.at)
    await settled_outbox(bot.sessions)


async def play_history(bot, clock: FakeClock, day: date) -> dict[str, str]:
    """The day before: R0 acknowledged in 2 minutes. The day: R1–R4 and two questions (see
    the figures below). The next day begins with R5 at midnight, and R2 is resolved late."""
    before, after, refs = day - timedelta(days=1), day + timedelta(days=1), {}
    clock.local(before, 23, 0)
    refs["R0"] = await report(bot, 1900, "安全出口被锁住了", A3)
    clock.local(before, 23, 2)
    await acknowledge(bot, WORKER_1, refs["R0"], 1900)

    clock.local(day, 8, 0)
    refs["R1"] = await report(bot, 1901, "楼道里有电动车在充电", A1)
    clock.local(day, 8, 5)
    await acknowledge(bot, WORKER_1, refs["R1"], 1901)  # in time: 5 minutes

    clock.local(day, 9, 0)
    refs["R2"] = await report(bot, 1902, "消防通道被车堵了", A2)
    clock.local(day, 9, 11)
    await deadlines(bot, clock)  # unacknowledged for 11 minutes: up to level 1
    clock.local(day, 9, 20)
    await acknowledge(bot, WORKER_1, refs["R2"], 1902)  # late: 20 minutes

    clock.local(day, 10, 0)
    notice = await resolve(bot, WORKER_1, refs["R1"], 1901)  # 120 minutes after the report
    clock.local(day, 10, 5)
    resident = bot.emulator.player(1901)
    await answer(resident, notice, "✅ 已解决", "已结束")
    await answer(resident, notice, "5⭐", "5星")

    clock.local(day, 10, 30)
    refs["R3"] = await report(bot, 1903, "楼道里堆了很多纸箱", B1)
    clock.local(day, 10, 33)
    await acknowledge(bot, WORKER_2, refs["R3"], 1903)  # in time: 3 minutes
    clock.local(day, 11, 30)
    notice = await resolve(bot, WORKER_2, refs["R3"], 1903)  # 60 minutes
    clock.local(day, 11, 35)
    resident = bot.emulator.player(1903)
    await answer(resident, notice, "⭐⭐", "2星")
    await answer(resident, notice, "❌ 没解决", "重新交给网格员")  # reopened

    await questions(bot, clock, day)

    clock.local(day, 23, 59, 30)
    refs["R4"] = await report(bot, 1904, "楼道里电线老化，外皮都裂开了", B2)  # never acknowledged
    clock.local(after, 0, 0)
    refs["R5"] = await report(bot, 1905, "小区灭火器过期了", B3)  # at midnight: the next day

    clock.local(after, 9, 21)
    await deadlines(bot, clock)  # R2's 24 hours to rectify are over: 督办
    clock.local(after, 10, 0)
    await resolve(bot, WORKER_1, refs["R2"], 1902)  # late
    await settled_outbox(bot.sessions)
    return refs


async def questions(bot, clock: FakeClock, day: date) -> None:
    """Q1 answered from the knowledge base at once; Q2 not helped by it, answered by the
    street coordinator 15 minutes after it reached them."""
    clock.local(day, 12, 0)
    asker = bot.emulator.user(1911, "老李")
    await asker.send("灭火器多久检查一次？")
    assert (await asker.next_message(PATIENCE))["text"].startswith("💡")

    clock.local(day, 12, 5)
    asker = bot.emulator.user(1912, "小王")
    await asker.send("电动车可以放在楼道里吗")
    answer = await asker.next_message(PATIENCE)
    clock.local(day, 12, 10)
    await asker.press(answer, "👎 没用，问工作人员")
    await next_text(asker)
    coordinator = bot.staff(STREET_COORDINATOR)
    task = await card(coordinator, "电动车可以放在楼道里吗", "回复居民")
    clock.local(day, 12, 25)
    mark = len(coordinator.messages)
    await coordinator.press(task, "回复居民")
    await said(coordinator, mark, "请输入给居民的答复")
    mark, heard = len(coordinator.messages), len(asker.messages)
    await coordinator.send("不可以，电动车应停放在集中充电点")
    await said(coordinator, mark, "已办结")
    await said(asker, heard, "集中充电点")


NO_GRID = {
    "received": 0,
    "ack_in_time_rate": None,
    "rectified_on_time_rate": None,
    "satisfaction_rate": None,
    "closed_rate": None,
    "score": None,
    "rank": None,
}
OTHER_CELLS = [
    ("DH-01-03", "幸福社区第三网格"),
    ("DH-02-01", "和平社区第一网格"),
    ("DH-02-02", "和平社区第二网格"),
    ("DH-02-03", "和平社区第三网格"),
    ("DH-03-01", "春晖社区第一网格"),
    ("DH-03-02", "春晖社区第二网格"),
    ("DH-03-03", "春晖社区第三网格"),
]
THE_DAY = {
    "received": 4,  # R1–R4; R5 came at midnight, R0 the day before
    "by_kind": {"hazard": 4, "emergency": 0, "question": 2, "feedback": 0, "out_of_scope": 0},
    "by_category": {"ebike": 1, "electrical": 1, "exit_blocked": 1, "fire_lane": 1},
    "by_source": {"resident": 4, "patrol": 0, "campaign": 0, "open311": 0},
    "emergencies": 0,
    "assigned": 4,
    "ack_in_time_rate": 0.5,  # R1 (5 min) and R3 (3 min); R2 took 20, R4 none
    "ack_minutes_median": 5.0,  # nearest rank of 3, 5, 20
    "ack_minutes_p90": 20.0,
    "resolved": 2,  # R1 and R3 (R2 only the next day)
    "resolve_minutes_median": 60.0,
    "resolve_minutes_p90": 120.0,
    "rectified_on_time_rate": 1.0,
    "closed": 1,  # R1; R3 was reopened
    "closed_rate": 0.25,
    "reopen_rate": 0.5,
    "return_visit_rate": 1.0,  # both residents answered "fixed?"
    "satisfaction_rate": 0.5,  # 5 and 2 stars
    "rating_mean": 3.5,
    "ratings": 2,
    "escalations": {"1": 1, "2": 0},
    "questions": 2,
    "questions_answered_at_once_rate": 0.5,
    "staff_answer_minutes_median": 15.0,
    "by_grid": [
        {  # 100 × (0.3·½ + 0.3·1 + 0.2·1 + 0.2·½)
            "grid": "DH-01-01",
            "name": "幸福社区第一网格",
            "received": 2,
            "ack_in_time_rate": 0.5,
            "rectified_on_time_rate": 1.0,
            "satisfaction_rate": 1.0,
            "closed_rate": 0.5,
            "score": 75.0,
            "rank": 1,
        },
        {  # 100 × (0.3·½ + 0.3·1 + 0.2·0 + 0.2·0)
            "grid": "DH-01-02",
            "name": "幸福社区第二网格",
            "received": 2,
            "ack_in_time_rate": 0.5,
            "rectified_on_time_rate": 1.0,
            "satisfaction_rate": 0.0,
            "closed_rate": 0.0,
            "score": 45.0,
            "rank": 2,
        },
        *({"grid": code, "name": name, **NO_GRID} for code, name in OTHER_CELLS),
    ],
}
THE_DAY_BEFORE = {
    "received": 1,
    "assigned": 1,
    "ack_in_time_rate": 1.0,
    "ack_minutes_median": 2.0,
    "resolved": 0,
    "closed": 0,
    "closed_rate": 0.0,
    "rectified_on_time_rate": None,
    "reopen_rate": None,
    "satisfaction_rate": None,
    "rating_mean": None,
    "escalations": {"1": 0, "2": 0},
    "questions": 0,
    "questions_answered_at_once_rate": None,
    "staff_answer_minutes_median": None,
}


async def test_every_figure_of_a_played_history(bot, clock, database_url, monkeypatch, capsys):
    day = clock.day
    await play_history(bot, clock, day)
    policy = bot.service.policy

    found = await figures(bot.sessions, policy, Period(day, day))
    assert {key: found[key] for key in THE_DAY} == THE_DAY
    # each worker ranked on the reports they hold, as the cells (one worker a cell here)
    workers = [(w["name"], w["received"], w["score"], w["rank"]) for w in found["by_worker"]]
    assert workers == [("王建国", 2, 75.0, 1), ("李秀英", 2, 45.0, 2)]
    previous = found["previous"]
    assert previous["period"] == {
        "since": str(day - timedelta(days=1)),
        "until": str(day - timedelta(days=1)),
    }
    assert {key: previous[key] for key in THE_DAY_BEFORE} == THE_DAY_BEFORE

    two_days = await figures(bot.sessions, policy, Period(day, day + timedelta(days=1)))
    assert (two_days["received"], two_days["resolved"]) == (5, 3)
    assert two_days["rectified_on_time_rate"] == round(2 / 3, 4)  # R2 went past its deadline
    assert (two_days["previous"]["received"], two_days["previous"]["assigned"]) == (1, 1)
    tomorrow = day + timedelta(days=1)
    next_day = await figures(bot.sessions, policy, Period(tomorrow, tomorrow))
    assert next_day["received"] == 1 and next_day["previous"]["received"] == 4

    # The command prints the same object (one source), and a table for people.
    monkeypatch.setenv("FIRECIRCLE_DATABASE_URL", database_url)
    since = str(day)
    code = await asyncio.to_thread(main, ["stats", "--since", since, "--until", since, "--json"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0 and printed == json.loads(json.dumps(found))
    argv = ["stats", "--since", since, "--until", since, "--grid", "DH-01-02"]
    assert await asyncio.to_thread(main, argv) == 0
    shown = capsys.readouterr().out
    assert "满意率" in shown and "DH-01-02" in shown and "DH-01-01" not in shown


async def test_stats_in_the_chat_for_a_coordinator_and_a_workers_own_cells(bot, clock):
    clock.local(clock.day, 9, 0)
    reference = await report(bot, 1920, "楼道里有电动车在充电", A1)
    await acknowledge(bot, WORKER_1, reference, 1920)
    coordinator = bot.staff(COORDINATOR_XINGFU)
    mark = len(coordinator.messages)
    await coordinator.command("/stats")
    shown = (await said(coordinator, mark, "📊"))["text"]
    first = clock.day.replace(day=1)
    assert f"📊 幸福社区 {first} 至 {clock.day}" in shown
    assert "受理隐患与警情：1 件（0）" in shown and "按时响应率：100.0%（—）" in shown
    worker = bot.staff(WORKER_1)
    mark = len(worker.messages)
    await worker.command("/stats")
    shown = (await said(worker, mark, "📊"))["text"]
    assert f"📊 我的网格 {first} 至 {clock.day}" in shown and "受理隐患与警情：1 件（0）" in shown
    other = bot.staff(WORKER_2)
    mark = len(other.messages)
    await other.command("/stats")
    assert "受理隐患与警情：0 件（0）" in (await said(other, mark, "📊"))["text"]
