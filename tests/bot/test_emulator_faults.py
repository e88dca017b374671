"""Injected faults, slow answers and Telegram-like flood limits."""

from __future__ import annotations

import time

import pytest
from telegram import Bot
from telegram.error import BadRequest, NetworkError, RetryAfter

from bot.emulator import BotApiEmulator

# PTB itself warns, whenever it raises RetryAfter, that retry_after will become a timedelta.
pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after` will be of type")

TOKEN = "123456:TEST"
ALICE, BOB, CAROL = 1001, 1002, 1003


def bot_for(emu: BotApiEmulator) -> Bot:
    return Bot(TOKEN, base_url=emu.api_url, base_file_url=emu.file_url)


@pytest.fixture
async def emu():
    async with BotApiEmulator(TOKEN) as emu:
        for user_id in (ALICE, BOB, CAROL):
            emu.user(user_id, f"user{user_id}")
        yield emu


@pytest.fixture
async def bot(emu):
    async with bot_for(emu) as bot:
        yield bot


async def test_429_fault_surfaces_as_retry_after_then_clears(emu, bot):
    emu.faults.add("sendMessage", status=429, retry_after=3, count=1)
    with pytest.raises(RetryAfter, match="Retry in 3 seconds"):
        await bot.send_message(ALICE, "x")
    assert (await bot.send_message(ALICE, "y")).text == "y"
    assert [m["text"] for m in emu.user(ALICE).messages] == ["y"]
    assert [c.status for c in emu.calls_to("sendMessage")] == [429, 200]
    assert emu.stats["faults_injected"] == 1


async def test_fault_for_one_method_leaves_others_alone(emu, bot):
    emu.faults.add("sendPhoto", status=500, count=None)
    assert (await bot.send_message(ALICE, "fine")).text == "fine"
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_photo(ALICE, "whatever")


async def test_502_is_an_html_gateway_page(emu, bot):
    emu.faults.add(status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.get_me()


async def test_take_effect_loses_the_reply_but_delivers(emu, bot):
    emu.faults.add("sendMessage", status=500, take_effect=True)
    with pytest.raises(NetworkError):
        await bot.send_message(ALICE, "delivered anyway")
    assert [m["text"] for m in emu.user(ALICE).messages] == ["delivered anyway"]


async def test_faults_count_down_and_clear(emu, bot):
    emu.faults.add("getMe", status=500, count=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.get_me()
    assert (await bot.get_me()).is_bot
    emu.faults.add(status=500, count=None)
    emu.faults.clear()
    assert (await bot.get_me()).is_bot


async def test_delay_slows_only_the_chosen_method(emu, bot):
    emu.faults.delay(0.3, method="sendMessage", count=1)
    started = time.monotonic()
    await bot.get_me()
    assert time.monotonic() - started < 0.25
    started = time.monotonic()
    await bot.send_message(ALICE, "slow")
    assert time.monotonic() - started >= 0.3


async def test_real_errors_are_not_faults(emu, bot):
    with pytest.raises(BadRequest):
        await bot.send_message(ALICE, "")
    assert emu.stats["faults_injected"] == 0


async def test_per_chat_rate_limit():
    async with BotApiEmulator(TOKEN, per_chat_rate=1) as emu:
        emu.user(ALICE, "a")
        emu.user(BOB, "b")
        async with bot_for(emu) as bot:
            await bot.send_message(ALICE, "1")
            with pytest.raises(RetryAfter, match="Retry in 1 seconds"):
                await bot.send_message(ALICE, "2")
            # Another chat has its own budget, and edits are not sends.
            await bot.send_message(BOB, "1")
            await bot.edit_message_text("edited", ALICE, emu.user(ALICE).messages[0]["message_id"])
        assert emu.stats["rate_limited"] == 1
        assert emu.stats["sent_messages"] == 2


async def test_global_rate_limit():
    async with BotApiEmulator(TOKEN, global_rate=2) as emu:
        for user_id in (ALICE, BOB, CAROL):
            emu.user(user_id, "u")
        async with bot_for(emu) as bot:
            await bot.send_message(ALICE, "1")
            await bot.send_message(BOB, "1")
            with pytest.raises(RetryAfter):
                await bot.send_message(CAROL, "1")
        assert emu.stats["rate_limited"] == 1
        assert emu.user(CAROL).messages == []
