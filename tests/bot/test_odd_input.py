"""Long and odd input: long texts, impossible places, forged buttons and webhook bodies, and a
hand-over to someone outside the report's community. Each gets a clear answer (or a 4xx) and
changes nothing it should not."""

from __future__ import annotations

import json
import math
import socket

import aiohttp
import pytest
from sqlmodel import func, select

from storage import reports as report_rows
from storage import staff as staff_rows
from storage.engine import transaction
from storage.models import InboxUpdate, Report, ReportDraft
from tests.harness import (
    INSIDE,
    OFFICER,
    PATIENCE,
    STREET_COORDINATOR,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
    task_card,
)

SECRET = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
FIRE = "三号楼着火了，快来人！"
FILLER = "楼里住了很多老人和小孩，大家都很着急，请尽快处理。"
EXPIRED = "按钮已过期"


async def count(bot, table, *where) -> int:
    async with transaction(bot.sessions) as session:
        return (await session.exec(select(func.count()).select_from(table).where(*where))).one()


async def reports(bot) -> list[Report]:
    async with transaction(bot.sessions) as session:
        return list((await session.exec(select(Report).order_by(Report.id))).all())


def message_from(player, **content) -> dict:
    """A message as a client could send it, with content the player API would not make."""
    return {"message_id": 1, "date": 1, "chat": player.chat, "from": player.user, **content}


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


# --- long text ------------------------------------------------------------------------------


async def test_a_long_message_about_a_fire_gets_the_119_advice_and_is_kept_whole(bot):
    text = (FIRE + FILLER * 200)[:3000]
    resident = bot.emulator.user(1601, "小李")
    await resident.send(text)
    assert "119" in (await next_text(resident))["text"]
    alert = await next_text(bot.staff(OFFICER))
    assert "紧急警情" in alert["text"] and FIRE in alert["text"]
    [report] = await reports(bot)
    assert report.kind == "emergency" and report.text == text


async def test_a_text_past_telegrams_limit_is_kept_up_to_4096_characters(bot):
    text = (FIRE + FILLER * 300)[:5000]
    resident = bot.emulator.user(1602, "小王")
    await resident.send(text)
    assert "119" in (await next_text(resident))["text"]
    [report] = await reports(bot)
    assert report.text == text[:4096]


async def test_a_long_description_is_kept_up_to_4096_and_the_report_goes_on(bot):
    resident = bot.emulator.user(1603, "小张")
    await resident.command("/report")
    await resident.next_message()
    await resident.send("楼道里堆满了纸箱，" * 600)  # 5,400 characters
    assert "在哪里" in (await next_text(resident))["text"]
    async with transaction(bot.sessions) as session:
        draft = (await session.exec(select(ReportDraft))).one()
    assert len(draft.text) == 4096 and draft.step == "location"


async def test_long_words_passed_on_to_others_still_go_as_one_message(bot):
    praise = ("网格员上次来得很快，服务态度很好，表扬一下。" * 200)[:4096]
    resident = bot.emulator.user(1612, "小冯")
    await resident.send(praise)
    assert "谢谢" in (await next_text(resident))["text"]
    forwarded = (await next_text(bot.staff(STREET_COORDINATOR)))["text"]
    assert praise[:100] in forwarded and forwarded.endswith("…") and len(forwarded) <= 4096
    await file_report(bot.emulator, 1613, "楼道里电动车在充电", name="小蒋")
    worker, reporter = bot.staff(WORKER_1), bot.emulator.player(1613)
    await worker.press(await task_card(worker), "联系居民")
    await next_text(worker)
    await worker.send("请问" * 2040)
    asked = (await next_text(reporter))["text"]
    assert asked.count("请问") > 1800 and len(asked) <= 4096
    await reporter.send("在2单元" * 1000)
    relayed = (await next_text(worker, timeout=5))["text"]
    while "居民回复" not in relayed:
        relayed = (await next_text(worker))["text"]
    assert relayed.count("在2单元") > 900 and len(relayed) <= 4096


# --- places not on Earth --------------------------------------------------------------------


@pytest.mark.parametrize(
    "latitude, longitude",
    [(91.0, INSIDE[1]), (INSIDE[0], 181.0), (math.nan, INSIDE[1]), (INSIDE[0], math.inf)],
    ids=["lat 91", "lon 181", "NaN", "inf"],
)
async def test_an_impossible_location_gets_a_clear_message_and_creates_nothing(
    bot, latitude, longitude
):
    resident = bot.emulator.user(1604, "小陈")
    await resident.send_location(latitude, longitude)
    assert "无法识别" in (await next_text(resident))["text"]
    assert await count(bot, ReportDraft) == 0 and await reports(bot) == []
    await resident.send("楼道里堆满了纸箱")  # and the conversation goes on
    assert "在哪里" in (await next_text(resident))["text"]
    await resident.send_location(latitude, longitude)
    assert "无法识别" in (await next_text(resident))["text"]
    async with transaction(bot.sessions) as session:
        draft = (await session.exec(select(ReportDraft))).one()
    assert draft.latitude is None and draft.step == "location"


async def test_a_location_with_text_for_numbers_is_refused_too(bot):
    resident = bot.emulator.user(1605, "小赵")
    await resident.send("楼道里堆满了纸箱")
    await resident.next_message()
    place = {"latitude": "30.5", "longitude": 10**400}
    bot.emulator.raw_update({"message": message_from(resident, location=place)})
    assert "无法识别" in (await next_text(resident))["text"]


async def test_an_emergencys_location_that_is_no_place_is_not_taken(bot):
    resident = bot.emulator.user(1606, "小孙")
    await resident.send(FIRE)
    await resident.next_message()
    await resident.send_location(math.nan, math.nan)
    assert "无法识别" in (await next_text(resident))["text"]
    await resident.send_location(*INSIDE)
    assert "位置" in (await next_text(resident))["text"]
    [report] = await reports(bot)
    assert (report.latitude, report.longitude) == INSIDE


# --- forged buttons -------------------------------------------------------------------------


FORGED = [
    "x",
    "999999999999999999999999",
    "",
    "other_bot:42",
    "t:ack:999999999999999999999999",
    "t:ack:x",
    "t:ack:１２",  # full-width digits
    "t:ack",
    "t:zzz:1",
    "t:hot:1:999999999999999999999999",
    "t:hot:1:",
    "rv:ok:99999999999999999999",
    "rv:9:1",
    "faq:yes:x",
    "faq:zzz",
    "fix:bogus:1",
    "fix:menu:99999999999999999999",
    "community:x",
    "community:99999999999999999999",
    "lang:xx",
    "bc:ok:99999999999999999999",
]


async def test_a_press_whose_data_is_not_ours_is_an_expired_button_and_nothing_else(bot):
    reference = await file_report(bot.emulator, 1607, "消防通道被车堵了", name="小周")
    resident, worker = bot.emulator.player(1607), bot.staff(WORKER_1)
    receipt, card = resident.last_message, await task_card(worker)
    before = await reports(bot)
    for player, message in ((resident, receipt), (worker, card)):
        for data in FORGED:
            answer = await player.callback_answer(player._callback(message, data))
            assert EXPIRED in answer["text"], (data, answer)
    await worker.command("/tasks")  # nothing else was said before this answer
    assert "任务" in (await next_text(worker))["text"]
    await resident.command("/my")
    assert reference in (await next_text(resident))["text"]
    assert [(r.status, r.assignee_id) for r in await reports(bot)] == [
        (r.status, r.assignee_id) for r in before
    ]


async def test_a_press_answered_too_late_is_no_error(bot):
    """Telegram refuses an answer to a press it has forgotten (or answered): the spinner is
    gone by then, and the bot goes on as if it had been shown."""
    await file_report(bot.emulator, 1608, "消防通道被车堵了", name="小吴")
    worker = bot.staff(WORKER_1)
    query_id = worker._callback(await task_card(worker), "x:forged")
    assert EXPIRED in (await worker.callback_answer(query_id))["text"]
    assert await bot.service.app.bot.answer_callback_query(query_id, text="again") is False


# --- hand-over --------------------------------------------------------------------------------


async def test_a_task_is_handed_only_to_a_worker_of_its_community(bot):
    reference = await file_report(bot.emulator, 1608, "楼道里电动车在充电", name="小吴")
    worker = bot.staff(WORKER_1)
    card = await task_card(worker)
    await worker.press(card, "转交")
    choices = await next_text(worker)
    workers = [label for label in labels(choices) if label.startswith("→")]
    assert workers == ["→ 李秀英", "→ 张伟"]  # 幸福社区's other workers, not 和平社区's 刘芳
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        outsider = await staff_rows.staff_by_telegram_id(session=session, telegram_id=2004)
    forged = f"t:hot:{report.id}:{outsider.id}"
    answer = await worker.callback_answer(worker._callback(choices, forged))
    assert "只能转交给本社区的网格员" in answer["text"] and answer["show_alert"]
    await worker.send("这栋楼归和平社区")  # not taken as a hand-over reason
    assert "/tasks" in (await next_text(worker))["text"]
    refused = await bot.service.desk.staff_input(
        await bot.service.desk.actor_for(WORKER_1), "原因", None
    )
    assert refused is None
    after = (await reports(bot))[0]
    assert (after.status, after.assignee_id) == (report.status, report.assignee_id)


# --- the webhook ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nested(levels: int) -> str:
    return '{"update_id": 7, "x": ' + "[" * levels + "]" * levels + "}"


async def test_the_webhook_refuses_what_is_not_an_update_with_4xx_and_stores_nothing(sqlite_url):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    async with running_service(
        sqlite_url, webhook_url=url, webhook_secret="s3cret", http_port=port
    ) as bot:
        resident = bot.emulator.user(1609, "小郑")
        await resident.command("/start")
        assert "十分钟" in (await resident.next_message())["text"]
        stored = await count(bot, InboxUpdate)
        ids = [True, False, -1, 2**63, "12", 1.5, None]
        bodies = [json.dumps({"update_id": i, "message": {"text": "x"}}) for i in ids]
        bodies += [nested(5000), nested(100), "[]", "{", b"\xff{}", '{"update_id": NaN}']
        async with aiohttp.ClientSession() as http:
            for body in bodies:
                async with http.post(url, data=body, headers=SECRET) as response:
                    assert response.status == 400, body[:40]
                    assert (await response.json())["ok"] is False
            async with http.post(url, data=b" " * (300 * 1024), headers=SECRET) as response:
                assert response.status == 413
                assert (await response.json())["ok"] is False
        assert await count(bot, InboxUpdate) == stored
        await resident.command("/my")  # the webhook still takes a real update
        assert "还没有" in (await resident.next_message())["text"]


async def test_a_valid_update_posted_to_the_webhook_is_handled(database_url):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    async with running_service(
        database_url, webhook_url=url, webhook_secret="s3cret", http_port=port
    ) as bot:
        resident = bot.emulator.user(1610, "小冯")
        place = {"latitude": math.nan, "longitude": math.inf}  # JSON cannot carry these
        update = {"update_id": 2**63 - 1, "message": message_from(resident, location=place)}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=json.dumps(update), headers=SECRET) as response:
                assert response.status == 200
        assert "无法识别" in (await resident.next_message())["text"]
        assert await count(bot, InboxUpdate, InboxUpdate.update_id == 2**63 - 1) == 1


async def test_polling_stores_only_updates_with_a_proper_id(bot):
    odd = [{"update_id": i} for i in (True, False, -1, 2**63, "12", 1.5)]
    deep: list = []
    for _ in range(100):
        deep = [deep]
    odd += [{"update_id": 5, "x": deep}, [], "update"]
    assert await bot.service.inbox.receive(odd) == 0
    assert await count(bot, InboxUpdate, InboxUpdate.update_id < 10_000) == 0


async def test_a_text_with_a_lone_surrogate_is_mended_not_an_error(database_url):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    async with running_service(
        database_url, webhook_url=url, webhook_secret="s3cret", http_port=port
    ) as bot:
        resident = bot.emulator.user(1611, "小何")
        update = {"update_id": 77, "message": message_from(resident, text=FIRE + "\ud800")}
        async with aiohttp.ClientSession() as http:
            async with http.post(url, data=json.dumps(update), headers=SECRET) as response:
                assert response.status == 200
        assert "119" in (await resident.next_message())["text"]
        [report] = await reports(bot)
        assert report.text == FIRE + "\ufffd"


async def test_an_update_no_client_could_send_is_passed_over_and_the_inbox_goes_on(bot):
    resident = bot.emulator.user(1990, "小孔")
    impossible = [
        {"message": {**message_from(resident, text="你好"), "chat": {"id": {}, "type": "private"}}},
        {"message": {**message_from(resident, text="你好"), "from": {"id": [], "first_name": "x"}}},
        {"message": message_from(resident, text=["列表"])},
        {"message": message_from(resident, location={"latitude": None})},
        {"callback_query": {"from": resident.user, "data": "t:ack:1"}},  # no id
    ]
    for body in impossible:
        bot.emulator.raw_update(body)
    await resident.command("/start")  # the same chat, after all of them
    assert "十分钟" in (await resident.next_message(timeout=PATIENCE))["text"]
    async with transaction(bot.sessions) as session:
        marks = (
            await session.exec(select(InboxUpdate.error).where(InboxUpdate.error.is_not(None)))
        ).all()
    assert len(marks) == len(impossible) and all(m.startswith("malformed") for m in marks)
