"""/broadcast: a coordinator's fire-safety tip, previewed, confirmed once, sent to the
subscribers as bulk outbox messages, with a progress message that ends in the final count."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlmodel import select

from bot import broadcast as chat_broadcast
from bot.emulator import BotApiEmulator
from bot.texts import LANGUAGES, catalogue, t
from firecircle.service import Service
from storage.engine import transaction
from storage.models import Broadcast, OutboxMessage, Report, Resident
from storage.types import utcnow
from tests.harness import (
    COORDINATOR_XINGFU,
    OFFICER,
    STREET_COORDINATOR,
    TOKEN,
    WORKER_1,
    Running,
    labels,
    next_text,
    running_service,
    sample_service,
    service_settings,
)
from triage.broadcasts import MAX_TIP, Draft
from triage.intake.people import Person

TIP = "天气干燥，出门前请关好燃气阀门，电动车不要在楼道充电。"
FAST = {"send_rate": 2000, "broadcast_progress_seconds": 0.05}


@pytest.fixture
async def bot(sqlite_url):
    async with running_service(sqlite_url, **FAST) as running:
        yield running


async def seed_subscribers(bot, first_id: int, count: int, *, community: str | None = None):
    """Residents subscribed to tips, each with a chat in the emulator; with a community, each
    has reported something there (which is how a subscriber belongs to one)."""
    ids = list(range(first_id, first_id + count))
    for user_id in ids:
        bot.emulator.user(user_id, f"居民{user_id}")
    async with transaction(bot.sessions) as session:
        residents = [Resident(telegram_id=i, chat_id=i, subscribed_tips=True) for i in ids]
        session.add_all(residents)
        await session.flush()
        if community is not None:
            session.add_all(
                Report(resident_id=r.id, text="楼道堆物", community=community, status="closed")
                for r in residents
            )
    return [bot.emulator.player(i) for i in ids]


def tips_of(player) -> list[dict]:
    return [m for m in player.messages if m.get("text", "").startswith("🔥 消防安全提示")]


def current(player, message: dict) -> dict:
    return next(m for m in player.messages if m["message_id"] == message["message_id"])


async def preview_of(coordinator, text: str = TIP) -> dict:
    await coordinator.command("/broadcast", text)
    preview = await next_text(coordinator)
    assert "广播预览" in preview["text"], preview["text"]
    return preview


async def finished(coordinator, preview: dict, timeout: float = 30) -> str:
    """The progress message (the preview, edited) once it shows the final count."""
    message = await coordinator.wait_for(
        lambda: "已送达" in (m := current(coordinator, preview))["text"] and m, timeout
    )
    return message["text"]


async def stored(bot) -> Broadcast:
    async with transaction(bot.sessions) as session:
        return (await session.exec(select(Broadcast))).one()


async def test_a_tip_reaches_each_subscriber_once_and_the_progress_ends_with_the_count(
    database_url,
):
    async with running_service(database_url, **FAST) as bot:
        subscribed = [bot.emulator.user(1801, "老周"), bot.emulator.user(1802, "小陈")]
        for resident in subscribed:
            await resident.command("/tips")
            assert "已订阅" in (await resident.next_message())["text"]
        quitter, bystander = bot.emulator.user(1803, "小吴"), bot.emulator.user(1804, "小郑")
        await quitter.command("/tips")
        await quitter.next_message()
        await quitter.command("/tips", "off")
        assert "已退订" in (await quitter.next_message())["text"]
        await bystander.command("/start")
        await bystander.next_message()
        seeded = await seed_subscribers(bot, 100_000, 300)
        for blocked in seeded[:3]:
            blocked.block_bot()

        coordinator = bot.staff(STREET_COORDINATOR)
        preview = await preview_of(coordinator)
        assert "全部订阅者（302人）" in preview["text"]
        assert TIP in preview["text"] and "/tips off" in preview["text"]
        assert labels(preview)[:3] == ["✅ 确认发送", "✖ 取消", "✓ 全部订阅者"]
        assert {"幸福社区", "和平社区", "春晖社区"} <= set(labels(preview))

        pressed = await coordinator.press(preview, "✅ 确认发送")
        assert "302" in (await coordinator.callback_answer(pressed))["text"]
        assert (
            await finished(coordinator, preview)
            == f"✅ 已发送（全部订阅者）：已送达 299，失败 3\n\n{TIP}"
        )

        for resident in [*subscribed, *seeded[3:]]:
            [tip] = tips_of(resident)
            assert TIP in tip["text"] and "/tips off" in tip["text"]
        assert all(not tips_of(r) for r in [quitter, bystander, *seeded[:3]])
        edits = [c.params["text"] for c in bot.emulator.calls_to("editMessageText")]
        assert edits[0].startswith("📤 正在发送（全部订阅者）：0/302")
        assert not current(coordinator, preview).get("reply_markup")
        done = await stored(bot)
        assert (done.status, done.total, done.delivered, done.failed) == ("done", 302, 299, 3)
        async with transaction(bot.sessions) as session:
            rows = (
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.broadcast_id == done.id)
                )
            ).all()
        assert {r.priority for r in rows if r.method == "sendMessage"} == {90}


async def test_a_community_coordinator_reaches_their_own_community_only(bot):
    own = await seed_subscribers(bot, 110_000, 5, community="幸福社区")
    others = await seed_subscribers(bot, 111_000, 4, community="和平社区")
    unplaced = await seed_subscribers(bot, 112_000, 3)
    coordinator = bot.staff(COORDINATOR_XINGFU)
    preview = await preview_of(coordinator)
    assert "发给幸福社区（5人）" in preview["text"]
    assert labels(preview) == ["✅ 确认发送", "✖ 取消"]  # no other scope to pick
    await coordinator.press(preview, "✅ 确认发送")
    assert "已送达 5，失败 0" in await finished(coordinator, preview)
    assert all(len(tips_of(r)) == 1 for r in own)
    assert all(not tips_of(r) for r in [*others, *unplaced])


async def test_a_street_coordinator_picks_one_community(bot):
    await seed_subscribers(bot, 120_000, 5, community="幸福社区")
    heping = await seed_subscribers(bot, 121_000, 4, community="和平社区")
    coordinator = bot.staff(STREET_COORDINATOR)
    preview = await preview_of(coordinator)
    assert "全部订阅者（9人）" in preview["text"]
    await coordinator.press(preview, "和平社区")
    picked = await coordinator.wait_for(
        lambda: "和平社区（4人）" in (m := current(coordinator, preview))["text"] and m
    )
    assert "✓ 和平社区" in labels(picked) and "全部订阅者" in labels(picked)
    await coordinator.press(picked, "✅ 确认发送")
    assert "（和平社区）：已送达 4，失败 0" in await finished(coordinator, preview)
    assert sum(len(tips_of(p)) for p in bot.emulator.players) == 4
    assert all(len(tips_of(r)) == 1 for r in heping)


async def test_cancel_sends_nothing_and_a_press_after_it_says_so(bot):
    residents = await seed_subscribers(bot, 130_000, 3)
    coordinator = bot.staff(STREET_COORDINATOR)
    preview = await preview_of(coordinator)
    cancelled = await coordinator.press(preview, "✖ 取消")
    late = await coordinator.press(preview, "✅ 确认发送")  # pressed before the buttons went
    assert "已取消" in (await coordinator.callback_answer(cancelled))["text"]
    answer = await coordinator.callback_answer(late)
    assert answer["text"] == "这条提示已取消，没有发送。" and answer["show_alert"]
    await coordinator.wait_for(lambda: "已取消" in current(coordinator, preview)["text"])
    assert not current(coordinator, preview).get("reply_markup")
    assert (await stored(bot)).status == "cancelled"
    async with transaction(bot.sessions) as session:
        assert not (
            await session.exec(select(OutboxMessage).where(OutboxMessage.priority == 90))
        ).all()
    assert all(not tips_of(r) for r in residents)


async def test_a_double_press_sends_once_and_the_second_is_told(bot):
    residents = await seed_subscribers(bot, 140_000, 20)
    coordinator = bot.staff(STREET_COORDINATOR)
    preview = await preview_of(coordinator)
    first = await coordinator.press(preview, "✅ 确认发送")
    second = await coordinator.press(preview, "✅ 确认发送")
    assert "开始发送，共20人" in (await coordinator.callback_answer(first))["text"]
    assert (await coordinator.callback_answer(second))["text"].startswith(
        ("已在发送中", "已发送完毕")
    )
    assert "已送达 20，失败 0" in await finished(coordinator, preview)
    assert all(len(tips_of(r)) == 1 for r in residents)
    assert (await stored(bot)).total == 20


async def test_two_confirms_racing_in_the_database_send_once(database_url):
    async with running_service(database_url, **FAST) as bot:
        residents = await seed_subscribers(bot, 150_000, 30)
        coordinator = bot.staff(STREET_COORDINATOR)
        preview = await preview_of(coordinator)
        draft = await stored(bot)
        person = (await bot.service.conversation.enter(Person(STREET_COORDINATOR, 0))).staff
        desk = bot.service.broadcasts
        at = chat_broadcast.where(STREET_COORDINATOR, preview["message_id"])
        outcomes = await asyncio.gather(*(desk.confirm(person, draft.id, at) for _ in range(4)))
        assert sorted(o.say for o in outcomes).count("started") == 1
        assert "已送达 30，失败 0" in await finished(coordinator, preview)
        assert all(len(tips_of(r)) == 1 for r in residents)


async def test_a_broadcast_carries_on_after_a_restart(database_url):
    """Stopped mid-send, a new service finds the broadcast in the database and finishes it."""
    async with BotApiEmulator(token=TOKEN) as emulator:
        config = service_settings(
            emulator,
            database_url,
            send_rate=50,  # slow enough to stop it halfway
            broadcast_progress_seconds=0.05,
        )
        first = await sample_service(emulator, config)
        await first.start(with_web=False)
        bot = Running(emulator, first)
        try:
            residents = await seed_subscribers(bot, 190_000, 200)
            coordinator = bot.staff(STREET_COORDINATOR)
            preview = await preview_of(coordinator)
            await coordinator.press(preview, "✅ 确认发送")
            await coordinator.wait_for(lambda: 20 <= shown_done(coordinator, preview) < 200)
        finally:
            await first.stop()
        second = Service(config.model_copy(update={"send_rate": 2000}))
        await second.start(with_web=False)
        try:
            assert "已送达 200，失败 0" in await finished(coordinator, preview)
            assert all(len(tips_of(r)) == 1 for r in residents)
        finally:
            await second.stop()


def shown_done(coordinator, preview: dict) -> int:
    found = re.search(r"：(\d+)/", current(coordinator, preview)["text"])
    return int(found.group(1)) if found else -1


async def test_a_worker_an_officer_and_a_resident_cannot_broadcast(bot):
    await seed_subscribers(bot, 160_000, 2)
    for user_id in (WORKER_1, OFFICER):
        staff = bot.staff(user_id)
        await staff.command("/broadcast", TIP)
        assert "只有社区、街道协调员和管理员可以群发" in (await next_text(staff))["text"]
    resident = bot.emulator.user(1805, "Tom", language_code="en")
    await resident.command("/broadcast", "hello")
    assert "Only community and street coordinators" in (await resident.next_message())["text"]
    async with transaction(bot.sessions) as session:
        assert not (await session.exec(select(Broadcast))).all()


async def test_coordinators_are_told_of_broadcast_in_their_welcome_and_help_workers_not(bot):
    for user_id, told in (
        (COORDINATOR_XINGFU, True),
        (STREET_COORDINATOR, True),
        (WORKER_1, False),
    ):
        staff = bot.staff(user_id)
        await staff.command("/start")
        await staff.send("你好")
        welcome, help_ = (await next_text(staff))["text"], (await next_text(staff))["text"]
        assert "/tasks" in welcome and "/tasks" in help_
        assert ("/broadcast" in welcome, "/broadcast" in help_) == (told, told), user_id
        await staff.command("/tasks")  # the help was all: nothing of a resident's triage
        assert "任务" in (await next_text(staff))["text"]


async def test_broadcast_alone_waits_for_the_text_and_refuses_one_too_long(bot):
    await seed_subscribers(bot, 170_000, 2)
    coordinator = bot.staff(STREET_COORDINATOR)
    await coordinator.command("/broadcast")
    assert "请发来要群发的消防安全提示" in (await next_text(coordinator))["text"]
    await coordinator.send("火" * (MAX_TIP + 1))
    assert f"内容太长：{MAX_TIP + 1}字" in (await next_text(coordinator))["text"]
    await coordinator.send("第一行\n第二行：楼道不是车库。")
    preview = await next_text(coordinator)
    assert "全部订阅者（2人）" in preview["text"] and "第一行\n第二行" in preview["text"]
    await coordinator.command("/broadcast")
    await next_text(coordinator)
    await coordinator.command("/cancel")
    assert (await next_text(coordinator))["text"] == "已取消。"
    await coordinator.send("我的任务有哪些")  # no longer taken as a tip
    assert "广播预览" not in (await next_text(coordinator))["text"]


async def test_no_subscribers_is_said_not_silently_sent(bot):
    coordinator = bot.staff(COORDINATOR_XINGFU)
    await coordinator.command("/broadcast", TIP)
    assert "幸福社区还没有居民订阅安全提示" in (await next_text(coordinator))["text"]
    await seed_subscribers(bot, 180_000, 2)  # subscribers, but none placed in 幸福社区
    await coordinator.command("/broadcast", TIP)
    assert "幸福社区还没有居民订阅安全提示" in (await next_text(coordinator))["text"]
    street = bot.staff(STREET_COORDINATOR)
    await street.command("/broadcast", TIP)
    preview = await next_text(street)
    await street.press(preview, "春晖社区")
    emptied = await street.wait_for(
        lambda: "暂无订阅者" in (m := current(street, preview))["text"] and m
    )
    assert "✅ 确认发送" not in labels(emptied)


def test_the_texts_have_the_same_keys_in_every_language():
    keys = [{(s, k) for s, table in catalogue(lang).items() for k in table} for lang in LANGUAGES]
    assert all(k == keys[0] for k in keys)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_longest_tip_fits_in_one_message_everywhere(language):
    text = "🔥" * (MAX_TIP // 2)  # two UTF-16 units each, as Telegram counts
    draft = Draft(1, text, "幸福社区" * 10, 123_456, ())
    shown = [chat_broadcast.preview(language, draft), t(language, "broadcast.tip", text=text)]
    assert all(len(s.encode("utf-16-le")) // 2 <= 4096 for s in shown)
    progress = Broadcast(
        id=1,
        author_id=1,
        preview=chat_broadcast.where(1, 2),
        language=language,
        text=text,
        created_at=utcnow(),
    )
    assert len(chat_broadcast.Wording().progress(progress)[2]["text"]) < 4096
