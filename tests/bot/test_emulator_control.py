"""The HTTP control API under /_emulator/, and running the emulator as a program."""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.emulator import BotApiEmulator
from bot.emulator.__main__ import parse_args

pytestmark = pytest.mark.filterwarnings("ignore:.*`retry_after` will be of type")

TOKEN = "123456:TEST"
ALICE = 1001


@pytest.fixture
async def emu():
    async with BotApiEmulator(TOKEN) as emu:
        yield emu


@pytest.fixture
async def bot(emu):
    async with Bot(TOKEN, base_url=emu.api_url, base_file_url=emu.file_url) as bot:
        yield bot


@pytest.fixture
async def control(emu):
    async with aiohttp.ClientSession(f"{emu.url}") as http:
        yield http


async def call(http: aiohttp.ClientSession, verb: str, path: str, **kwargs) -> tuple[int, dict]:
    async with http.request(verb, f"/_emulator{path}", **kwargs) as response:
        return response.status, await response.json()


async def test_create_user_and_send_every_kind(control, bot):
    status, created = await call(
        control, "POST", "/users", json={"id": ALICE, "first_name": "小李", "language_code": "zh"}
    )
    assert status == 201 and created["chat"]["type"] == "private"
    for body in (
        {"text": "楼道里有电动车"},
        {"command": "/report", "args": "x"},
        {"location": {"latitude": 22.54, "longitude": 114.05}},
        {"photo": {"caption": "现场"}},
        {"document": {"name": "a.pdf"}},
        {"sticker": True},
    ):
        status, _ = await call(control, "POST", f"/users/{ALICE}/send", json=body)
        assert status == 200, body
    messages = [u.message for u in await bot.get_updates()]
    assert messages[0].text == "楼道里有电动车"
    assert messages[1].text == "/report x"
    assert messages[2].location.longitude == 114.05
    assert messages[3].caption == "现场"
    assert messages[4].document.file_name == "a.pdf"
    assert messages[5].sticker is not None
    _, users = await call(control, "GET", "/users")
    assert [u["id"] for u in users] == [ALICE]


async def test_messages_long_poll_wakes_on_a_bot_message(emu, control, bot):
    emu.user(ALICE, "小李")
    first = await bot.send_message(ALICE, "one")
    status, body = await call(control, "GET", f"/chats/{ALICE}/messages")
    assert status == 200 and [m["text"] for m in body["messages"]] == ["one"]
    newer = {"after": first.message_id, "wait": 5}
    waiting = asyncio.create_task(call(control, "GET", f"/chats/{ALICE}/messages", params=newer))
    await bot.send_message(ALICE, "two")
    # Well under the 5 s wait: a held request wakes as soon as the message exists.
    _, body = await asyncio.wait_for(waiting, 2)
    assert [m["text"] for m in body["messages"]] == ["two"]


async def test_messages_wait_times_out_empty(emu, control):
    emu.user(ALICE, "小李")
    status, body = await call(control, "GET", f"/chats/{ALICE}/messages", params={"wait": 0.05})
    assert (status, body["messages"]) == (200, [])


async def test_press_and_read_the_answer(emu, control, bot):
    emu.user(ALICE, "小李")
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("接单", callback_data="ack:7")]])
    await bot.send_message(ALICE, "任务", reply_markup=markup)
    status, pressed = await call(control, "POST", f"/users/{ALICE}/press", json={"text": "接单"})
    assert status == 200
    (update,) = await bot.get_updates()
    assert update.callback_query.data == "ack:7"
    await update.callback_query.answer("收到")
    _, answer = await call(control, "GET", f"/callbacks/{pressed['callback_query_id']}")
    assert answer == {
        "answered": True,
        "answer": {"text": "收到", "show_alert": False, "url": None, "cache_time": 0},
    }
    status, problem = await call(control, "POST", f"/users/{ALICE}/press", json={"text": "完成"})
    assert status == 400 and "完成" in problem["error"]


async def test_faults_stats_and_unknown_user(emu, control, bot):
    emu.user(ALICE, "小李")
    status, _ = await call(
        control, "POST", "/faults", json={"method": "sendMessage", "status": 429, "retry_after": 2}
    )
    assert status == 201
    with pytest.raises(Exception, match="Retry in 2"):
        await bot.send_message(ALICE, "x")
    await bot.send_message(ALICE, "y")
    _, stats = await call(control, "GET", "/stats")
    assert stats["sent_messages"] == 1
    assert stats["faults_injected"] == 1
    assert stats["by_method"]["sendMessage"] == 2
    status, _ = await call(control, "POST", "/users/999/send", json={"text": "x"})
    assert status == 404


async def test_block_and_raw_updates(emu, control, bot):
    emu.user(ALICE, "小李")
    await call(control, "POST", f"/users/{ALICE}/block")
    assert emu.user(ALICE).blocked
    _, queued = await call(control, "POST", "/updates", json={"message": {"broken": True}})
    _, pending = await call(control, "GET", "/updates")
    assert pending[-1] == {"update_id": queued["update_id"], "message": {"broken": True}}


def test_command_line_options():
    args = parse_args(
        ["--port", "9000", "--token", "1:X", "--global-rate", "30", "--per-chat-rate", "1"]
    )
    assert (args.port, args.token, args.global_rate, args.per_chat_rate) == (9000, "1:X", 30.0, 1.0)


async def test_runs_as_a_program():
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.emulator",
        "--port",
        "0",
        "--token",
        TOKEN,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        banner = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
        url = banner.split(" on ")[1].split()[0]
        async with Bot(TOKEN, base_url=f"{url}/bot") as bot:
            assert (await bot.get_me()).username == "firecircle_bot"
    finally:
        process.terminate()
        await process.wait()
