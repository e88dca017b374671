"""The outbox delivers by itself and fairly: rows put off by a 429 or a 5xx go out when their
time comes with nothing else happening; the 119 advice goes before anything else; one chat
that floods holds up no other; a sender's claims left by a crash are taken back at once; the
outcomes of sends that a failed transaction did not record are recorded again, not resent."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.emulator import BotApiEmulator
from bot.sender import OutboxSender
from storage import outbox, signals
from storage.engine import transaction
from storage.models import OutboxMessage
from storage.types import utcnow
from tests.harness import (
    TOKEN,
    Running,
    running_service,
    sample_service,
    service_settings,
    settled_outbox,
)
from triage.delivery import outbox as delivery

FIRE = "楼道里着火了，好多烟"
ADVICE = "请立即拨打 119"


async def test_rows_put_off_by_a_429_window_go_out_by_themselves(sqlite_url):
    async with running_service(sqlite_url) as bot:
        bot.emulator.faults.add(method="sendMessage", status=429, retry_after=1, count=20)
        residents = [bot.emulator.user(1700 + i, f"居民{i}") for i in range(20)]
        for number, resident in enumerate(residents):
            await (resident.send(FIRE) if number % 2 else resident.command("/start"))
        # Nothing else happens from here on: no update, no press. Every reply still comes.
        for number, resident in enumerate(residents):
            reply = await resident.next_message(timeout=20)
            assert (ADVICE if number % 2 else "十分钟") in reply["text"]
        assert bot.emulator.faults.injected == 20


async def test_rows_put_off_by_a_5xx_window_go_out_by_themselves(sqlite_url):
    async with running_service(sqlite_url) as bot:
        bot.emulator.faults.add(method="sendMessage", status=502, count=45)
        residents = [bot.emulator.user(1720 + i, f"居民{i}") for i in range(20)]
        for number, resident in enumerate(residents):
            await (resident.send(FIRE) if number % 2 else resident.command("/start"))
        for number, resident in enumerate(residents):
            reply = await resident.next_message(timeout=30)
            assert (ADVICE if number % 2 else "十分钟") in reply["text"]
        assert bot.emulator.faults.injected == 45


@asynccontextmanager
async def one_message_a_second(database_url: str) -> AsyncIterator[Running]:
    """The service against an emulator that enforces Telegram's limits, chats' 1/s included."""
    async with BotApiEmulator(token=TOKEN, global_rate=30, per_chat_rate=1) as emulator:
        config = service_settings(emulator, database_url, send_per_chat_rate=1)
        service = await sample_service(emulator, config)
        await service.start(with_web=False)
        try:
            yield Running(emulator, service)
        finally:
            await service.stop()


async def test_a_flooding_chat_holds_up_nobody_and_its_119_advice_jumps_its_queue(sqlite_url):
    async with one_message_a_second(sqlite_url) as bot:
        flooder = bot.emulator.user(1740, "刷屏的人")
        for _ in range(20):  # twenty replies owed to one chat: twenty seconds at 1/s
            await flooder.command("/help")
        await flooder.next_message(timeout=10)
        await flooder.send(FIRE)
        others = [bot.emulator.user(1750 + i, f"居民{i}") for i in range(10)]
        for resident in others:
            await resident.command("/start")
        for resident in others:
            assert "十分钟" in (await resident.next_message(timeout=10))["text"]
        # Every other chat was answered while most of the flood still waited
        assert len(flooder.messages) < 10, len(flooder.messages)
        advice = await flooder.wait_for(
            lambda: next((m for m in flooder.messages if ADVICE in m.get("text", "")), None),
            timeout=10,
        )
        # ... and the 119 advice went before the greetings queued ahead of it
        assert flooder.messages.index(advice) < 10
        assert bot.emulator.stats.get("rate_limited", 0) == 0


async def test_claims_left_by_a_sender_that_died_are_sent_at_once(sqlite_url):
    async with BotApiEmulator(token=TOKEN) as emulator:
        config = service_settings(emulator, sqlite_url)
        service = await sample_service(emulator, config)
        resident = emulator.user(1760, "居民")
        async with transaction(service.sessions) as session:  # as a kill -9 mid-send leaves it
            session.add(
                OutboxMessage(
                    chat_id=resident.id,
                    payload={"chat_id": resident.id, "text": "已收到"},
                    priority=30,
                    status=outbox.SENDING,
                    claimed_at=utcnow(),
                )
            )
        await service.start(with_web=False)
        try:
            # Well before the claim would go stale (a minute): taken back at the start
            assert (await resident.next_message(timeout=20))["text"] == "已收到"
            assert await settled_outbox(service.sessions) == {outbox.SENT}
        finally:
            await service.stop()


async def test_outcomes_a_failed_transaction_lost_are_recorded_again_not_sent_twice(
    sqlite_url, monkeypatch
):
    real, failures = delivery.record, []

    async def failing_once(*args, **kwargs):
        if not failures:
            failures.append(kwargs["ids"])
            raise ConnectionResetError("the database went away")  # as a restart does
        return await real(*args, **kwargs)

    monkeypatch.setattr(delivery, "record", failing_once)
    async with running_service(sqlite_url) as bot:
        resident = bot.emulator.user(1770, "居民")
        await resident.command("/start")
        assert "十分钟" in (await resident.next_message())["text"]
        # Recorded on the second try, well before its claim would go stale (a minute)
        assert await settled_outbox(bot.sessions) == {outbox.SENT}
        assert failures
        assert len(resident.messages) == 1  # and not sent again


async def test_a_row_says_only_the_parameters_it_has_and_in_its_own_words(sqlite_url):
    """A parameter that is None is left out (Telegram refuses a null reply_markup), nested
    markup goes as an object, and text goes as it was written, emoji and Chinese alike."""
    async with running_service(sqlite_url) as bot:
        resident = bot.emulator.user(1990, "居民")
        await resident.command("/start")
        await resident.next_message(timeout=10)
        keyboard = {"inline_keyboard": [[{"text": "好的 👍", "callback_data": "x"}]]}
        for payload in (
            {"chat_id": 1990, "text": "好", "reply_markup": None, "parse_mode": None},
            {"chat_id": 1990, "text": "👷 已接单", "reply_markup": keyboard},
        ):
            await delivery.post(
                bot.sessions, chat_id=1990, method="sendMessage", payload=payload, priority=0
            )
            await resident.next_message(timeout=10)
        sent = [c.params for c in bot.emulator.calls_to("sendMessage") if c.params["text"] != ""]
        assert {"chat_id": 1990, "text": "好"} in sent
        assert {"chat_id": 1990, "text": "👷 已接单", "reply_markup": keyboard} in sent


async def test_a_sender_stopped_while_taking_back_claims_stays_registered_nowhere(sqlite_url):
    """A leader that loses its term while it is still taking back a dead sender's claims:
    the sender's events stop being told of new rows, as they do when it stops later."""
    async with running_service(sqlite_url) as bot:
        service = bot.service  # a second sender beside its own, as the next leader's
        sender = OutboxSender(service.sessions, service.app.bot, service.policy.timezone)
        adopting, never = asyncio.Event(), asyncio.Event()

        async def slow_adopt() -> None:
            adopting.set()
            await never.wait()

        before = set(signals._events[signals.OUTBOX])
        sender._adopt_orphans = slow_adopt
        run = asyncio.create_task(sender.run())
        await adopting.wait()
        assert len(signals._events[signals.OUTBOX] - before) == 2  # wake and _news
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await run
        assert signals._events[signals.OUTBOX] - before == set()
