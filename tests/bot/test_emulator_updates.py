"""How updates reach the bot: long polling, offsets, webhooks, a real PTB Application."""

from __future__ import annotations

import asyncio
import time

import pytest
from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes, MessageHandler, filters

from bot.emulator import BotApiEmulator

TOKEN = "123456:TEST"
ALICE = 1001


@pytest.fixture
async def emu():
    async with BotApiEmulator(TOKEN, webhook_backoff=(0.01, 0.05)) as emu:
        yield emu


@pytest.fixture
async def bot(emu):
    async with Bot(TOKEN, base_url=emu.api_url, base_file_url=emu.file_url) as bot:
        yield bot


@pytest.fixture
def alice(emu):
    return emu.user(ALICE, "小李")


async def test_long_poll_wakes_as_soon_as_a_player_sends(emu, bot, alice):
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await emu.wait_polling()
    started = time.monotonic()
    await alice.send("楼道里有电动车")
    updates = await asyncio.wait_for(poll, 2)
    assert time.monotonic() - started < 1
    assert [u.message.text for u in updates] == ["楼道里有电动车"]
    assert updates[0].message.from_user.language_code == "zh"


async def test_long_poll_times_out_empty(bot):
    started = time.monotonic()
    assert await bot.get_updates(timeout=0.3) == ()
    assert time.monotonic() - started >= 0.25


async def test_stop_answers_a_held_long_poll_at_once():
    emu = await BotApiEmulator(TOKEN).start()
    async with Bot(TOKEN, base_url=emu.api_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await emu.wait_polling()
        await asyncio.wait_for(emu.stop(), 3)
        assert await asyncio.wait_for(poll, 1) == ()


async def test_offset_confirms_everything_below_it(emu, bot, alice):
    await alice.send("one")
    await alice.send("two")
    first, second = await bot.get_updates()
    assert second.update_id == first.update_id + 1
    # Unconfirmed updates come back again.
    assert len(await bot.get_updates()) == 2
    again = await bot.get_updates(offset=second.update_id)
    assert [u.message.text for u in again] == ["two"]
    assert [u["update_id"] for u in emu.pending_updates] == [second.update_id]
    await emu.wait_confirmed(first.update_id, timeout=0)
    with pytest.raises(TimeoutError, match="not confirmed"):
        await emu.wait_confirmed(second.update_id, timeout=0.05)


async def test_negative_offset_keeps_only_the_last_updates(emu, bot, alice):
    for text in ("a", "b", "c"):
        await alice.send(text)
    last = await bot.get_updates(offset=-1)
    assert [u.message.text for u in last] == ["c"]
    assert len(emu.pending_updates) == 1


async def test_limit(bot, alice):
    for text in ("a", "b", "c"):
        await alice.send(text)
    assert [u.message.text for u in await bot.get_updates(limit=2)] == ["a", "b"]


async def test_allowed_updates_filters_later_updates(emu, bot, alice):
    await bot.get_updates(allowed_updates=["callback_query"], timeout=0)
    await alice.send("ignored")
    assert emu.pending_updates == []
    await bot.get_updates(allowed_updates=[], timeout=0)
    await alice.send("seen")
    assert [u.message.text for u in await bot.get_updates()] == ["seen"]


async def test_newer_long_poll_ends_the_older_with_conflict(emu, bot):
    older = asyncio.create_task(bot.get_updates(timeout=10))
    await emu.wait_polling()
    async with Bot(TOKEN, base_url=emu.api_url) as second_instance:
        await second_instance.get_updates(timeout=0)
    with pytest.raises(Conflict, match="terminated by other getUpdates"):
        await asyncio.wait_for(older, 2)


async def test_raw_update_reaches_the_bot_as_given(emu, bot):
    update_id = emu.raw_update({"weird": {"x": 1}})
    raw = await bot.get_updates()
    assert raw[0].update_id == update_id
    assert raw[0].api_kwargs == {"weird": {"x": 1}}


async def test_get_updates_conflicts_with_a_webhook(bot):
    await bot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    await bot.delete_webhook()
    assert await bot.get_updates(timeout=0) == ()


class Receiver:
    """A webhook endpoint that fails its first ``failures`` deliveries with 500."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.seen: list[tuple[dict, str | None]] = []
        self.enough = asyncio.Event()
        self.wanted = 1

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append(
            (await request.json(), request.headers.get("X-Telegram-Bot-Api-Secret-Token"))
        )
        if len(self.seen) >= self.wanted:
            self.enough.set()
        if len(self.seen) <= self.failures:
            return web.Response(status=500)
        return web.Response(text="ok")


@pytest.fixture
async def receiver():
    receiver = Receiver(failures=1)
    app = web.Application()
    app.router.add_post("/telegram/webhook", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/telegram/webhook"
    yield receiver
    await runner.cleanup()


async def test_webhook_pushes_in_order_with_secret_and_retries_after_500(emu, bot, alice, receiver):
    receiver.wanted = 3
    await bot.set_webhook(receiver.url, secret_token="s3cret")
    await alice.send("first")
    await alice.send("second")
    await asyncio.wait_for(receiver.enough.wait(), 5)
    texts = [update["message"]["text"] for update, _ in receiver.seen]
    # The 500 made Telegram retry the same update before moving on.
    assert texts == ["first", "first", "second"]
    assert {secret for _, secret in receiver.seen} == {"s3cret"}
    await emu.wait_confirmed(receiver.seen[-1][0]["update_id"])
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0
    assert "500" in info.last_error_message


async def test_webhook_drop_pending_updates(emu, bot, alice):
    await alice.send("old")
    await bot.set_webhook("http://127.0.0.1:9/hook", drop_pending_updates=True)
    assert emu.pending_updates == []
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 0


async def test_unreachable_webhook_keeps_the_update_and_reports_it(emu, bot, alice):
    await bot.set_webhook("http://127.0.0.1:9/hook")
    await alice.send("kept")
    assert await emu.webhook.attempted.wait_for(lambda: emu.webhook.failed_attempts >= 2, 5)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message


async def test_ptb_application_polls_replies_and_confirms(emu, alice):
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(f"你好，{update.effective_user.first_name}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text.upper())

    app = (
        ApplicationBuilder().token(TOKEN).base_url(emu.api_url).base_file_url(emu.file_url).build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        await alice.command("/start")
        assert (await alice.next_message())["text"] == "你好，小李"
        await alice.send("fire")
        assert (await alice.next_message())["text"] == "FIRE"
        # PTB confirms by polling again with a higher offset.
        await emu.wait_confirmed(alice.last_update_id)
        await app.updater.stop()
        await app.stop()
    assert emu.pending_updates == []
    assert [m["text"] for m in alice.messages] == ["你好，小李", "FIRE"]
