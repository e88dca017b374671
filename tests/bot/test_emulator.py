"""The Bot API emulator as python-telegram-bot sees it, over real HTTP."""

from __future__ import annotations

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, InvalidToken

from bot.emulator import BotApiEmulator
from bot.transport import AiohttpRequest

TOKEN = "123456:TEST"
ALICE = 1001


@pytest.fixture
async def emu():
    async with BotApiEmulator(TOKEN, bot_username="firecircle_bot", bot_name="消防便民服务") as emu:
        yield emu


@pytest.fixture(params=["httpx", "aiohttp"])
async def bot(emu, request):
    """python-telegram-bot's own transport, and the one the service uses (bot.transport)."""
    transport = {"request": AiohttpRequest()} if request.param == "aiohttp" else {}
    async with Bot(TOKEN, base_url=emu.api_url, base_file_url=emu.file_url, **transport) as bot:
        yield bot


@pytest.fixture
def alice(emu):
    return emu.user(ALICE, "小李", username="xiaoli", language_code="zh")


def keyboard(*labels_and_data: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in labels_and_data]]
    )


async def test_get_me_describes_the_bot(bot):
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "firecircle_bot",
        "消防便民服务",
    )


async def test_wrong_token_is_unauthorized(emu):
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{emu.url}/bot999:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
    with pytest.raises(InvalidToken):
        async with Bot("999:WRONG", base_url=emu.api_url):
            pass


async def test_send_message_round_trips_every_field(bot, alice):
    sent = await bot.send_message(ALICE, "请选择", reply_markup=keyboard(("接单", "ack:1")))
    assert sent.message_id >= 1
    assert sent.chat.id == ALICE and sent.chat.type == "private"
    assert sent.chat.first_name == "小李" and sent.chat.username == "xiaoli"
    assert sent.from_user.is_bot and sent.from_user.username == "firecircle_bot"
    assert sent.date.year >= 2024
    assert sent.reply_markup.inline_keyboard[0][0].callback_data == "ack:1"
    assert alice.messages[-1]["text"] == "请选择"


async def test_message_ids_increase_per_chat_across_both_sides(bot, alice):
    mine = await alice.send("hello")
    first = await bot.send_message(ALICE, "one")
    second = await bot.send_message(ALICE, "two")
    assert mine["message_id"] < first.message_id < second.message_id


async def test_html_becomes_text_and_utf16_entities(bot, alice):
    sent = await bot.send_message(ALICE, "<b>火警</b> 😀 <i>119</i>", parse_mode=ParseMode.HTML)
    assert sent.text == "火警 😀 119"
    bold, italic = sent.entities
    assert (bold.type, bold.offset, bold.length) == ("bold", 0, 2)
    # The emoji takes two UTF-16 units, as on Telegram.
    assert (italic.type, italic.offset, italic.length) == ("italic", 6, 3)
    assert sent.parse_entity(italic) == "119"


async def test_broken_html_is_refused(bot, alice):
    with pytest.raises(BadRequest, match="(?i)unsupported start tag"):
        await bot.send_message(ALICE, "<div>x</div>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="(?i)can.t find end tag"):
        await bot.send_message(ALICE, "<b>x", parse_mode=ParseMode.HTML)


async def test_reply_keyboards_are_not_echoed_but_shown(bot, alice):
    markup = ReplyKeyboardMarkup([[KeyboardButton("发送位置", request_location=True), "取消"]])
    sent = await bot.send_message(ALICE, "位置？", reply_markup=markup)
    assert sent.reply_markup is None
    assert alice.reply_keyboard["keyboard"][0][1] == {"text": "取消"}
    await bot.send_message(ALICE, "好", reply_markup=ReplyKeyboardRemove())
    assert alice.reply_keyboard is None


async def test_reply_to_a_user_message(bot, alice):
    question = await alice.send("灭火器多久换一次？")
    sent = await bot.send_message(ALICE, "每年检查", reply_to_message_id=question["message_id"])
    assert sent.reply_to_message.text == "灭火器多久换一次？"
    with pytest.raises(BadRequest, match="replied not found"):
        await bot.send_message(ALICE, "x", reply_to_message_id=9999)


async def test_edit_text_and_markup(bot, alice):
    sent = await bot.send_message(ALICE, "新任务", reply_markup=keyboard(("接单", "ack:1")))
    edited = await bot.edit_message_text("已接单", ALICE, sent.message_id)
    assert edited.text == "已接单" and edited.edit_date is not None
    # Without reply_markup the inline keyboard goes, as on Telegram.
    assert edited.reply_markup is None
    assert alice.messages[-1]["text"] == "已接单"
    assert "reply_markup" not in alice.messages[-1]
    again = await bot.edit_message_reply_markup(
        ALICE, sent.message_id, reply_markup=keyboard(("完成", "done:1"))
    )
    assert again.reply_markup.inline_keyboard[0][0].text == "完成"
    assert again.text == "已接单"


async def test_edit_that_changes_nothing_is_refused(bot, alice):
    sent = await bot.send_message(ALICE, "same", reply_markup=keyboard(("a", "a")))
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text(
            "same", ALICE, sent.message_id, reply_markup=keyboard(("a", "a"))
        )


async def test_edit_unknown_or_users_message_is_refused(bot, alice):
    mine = await alice.send("hi")
    with pytest.raises(BadRequest, match="[Mm]essage to edit not found"):
        await bot.edit_message_text("x", ALICE, 999)
    with pytest.raises(BadRequest, match="can't be edited"):
        await bot.edit_message_text("x", ALICE, mine["message_id"])


async def test_delete_message_hides_it_from_the_player(bot, alice):
    sent = await bot.send_message(ALICE, "temporary")
    assert await bot.delete_message(ALICE, sent.message_id) is True
    assert alice.messages == []
    with pytest.raises(BadRequest, match="not found"):
        await bot.delete_message(ALICE, sent.message_id)


async def test_send_location(bot, alice):
    sent = await bot.send_location(ALICE, 22.54, 114.05)
    assert (sent.location.latitude, sent.location.longitude) == (22.54, 114.05)
    assert alice.messages[-1]["location"] == {"latitude": 22.54, "longitude": 114.05}


async def test_send_photo_upload_then_by_file_id(bot, alice):
    picture = (await alice.send_photo())["photo"][-1]
    downloaded = await (await bot.get_file(picture["file_id"])).download_as_bytearray()
    uploaded = await bot.send_photo(ALICE, bytes(downloaded), caption="整改后")
    largest = uploaded.photo[-1]
    assert (largest.width, largest.height) == (640, 480)
    assert largest.file_size == len(downloaded)
    assert uploaded.caption == "整改后"
    again = await bot.send_photo(ALICE, largest.file_id)
    assert again.photo[-1].file_unique_id == largest.file_unique_id
    assert [m.get("caption") for m in alice.messages] == ["整改后", None]


async def test_unknown_photo_id_is_refused(bot, alice):
    with pytest.raises(BadRequest, match="[Ww]rong file identifier"):
        await bot.send_photo(ALICE, "no-such-file-id")


async def test_get_file_downloads_what_the_player_sent(bot, alice):
    sent = await alice.send_photo(width=32, height=16)
    file = await bot.get_file(sent["photo"][-1]["file_id"])
    assert file.file_size == len(await file.download_as_bytearray())
    content = bytes(await file.download_as_bytearray())
    assert content.startswith(b"\x89PNG")
    assert int.from_bytes(content[16:20], "big") == 32
    with pytest.raises(BadRequest, match="[Ii]nvalid file_id"):
        await bot.get_file("nope")


async def test_send_document_upload(bot, alice):
    sent = await bot.send_document(ALICE, b"a,b\n1,2\n", filename="stats.csv")
    assert sent.document.file_name == "stats.csv"
    assert sent.document.file_size == 8
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"a,b\n1,2\n"


async def test_text_limits(bot, alice):
    with pytest.raises(BadRequest, match="[Mm]essage text is empty"):
        await bot.send_message(ALICE, "   ")
    with pytest.raises(BadRequest, match="[Mm]essage is too long"):
        await bot.send_message(ALICE, "火" * 4097)
    assert (await bot.send_message(ALICE, "火" * 4096)).text == "火" * 4096
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(ALICE, (await alice.send_photo())["photo"][0]["file_id"], "x" * 1025)


async def test_callback_data_over_64_bytes_is_refused(bot, alice):
    # 22 Chinese characters are 66 bytes of UTF-8 though only 22 characters.
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(ALICE, "x", reply_markup=keyboard(("a", "火" * 22)))
    assert alice.messages == []


async def test_chat_not_found_shape(emu):
    async with aiohttp.ClientSession() as http:
        url = f"{emu.api_url}{TOKEN}/sendMessage"
        async with http.post(url, data={"chat_id": "42", "text": "hi"}) as response:
            assert response.status == 400
            assert await response.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: chat not found",
            }


async def test_blocked_user_gives_403(bot, alice):
    await bot.send_message(ALICE, "before")
    alice.block_bot()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(ALICE, "after")
    assert [m["text"] for m in alice.messages] == ["before"]


async def test_commands_per_scope_and_language(bot, emu):
    await bot.set_my_commands([BotCommand("report", "报告隐患"), BotCommand("ask", "咨询")])
    await bot.set_my_commands([BotCommand("report", "Report")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["report", "ask"]
    assert [c.description for c in await bot.get_my_commands(language_code="en")] == ["Report"]
    assert emu.commands()[1] == {"command": "ask", "description": "咨询"}
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_get_chat(bot, alice):
    chat = await bot.get_chat(ALICE)
    assert (chat.id, chat.type, chat.first_name) == (ALICE, "private", "小李")
    with pytest.raises(BadRequest, match="[Cc]hat not found"):
        await bot.get_chat(5)


async def test_parameters_in_json_query_string_and_any_method_casing(emu, alice):
    async with aiohttp.ClientSession() as http:
        base = f"{emu.api_url}{TOKEN}"
        async with http.post(f"{base}/SENDMESSAGE", json={"chat_id": ALICE, "text": "json"}) as r:
            assert (await r.json())["result"]["text"] == "json"
        async with http.get(f"{base}/sendMessage", params={"chat_id": "1001", "text": "q"}) as r:
            assert (await r.json())["result"]["chat"]["id"] == ALICE
        async with http.post(f"{base}/setMyName", data={"name": "x"}) as r:
            assert await r.json() == {"ok": True, "result": True}
    assert [c.method for c in emu.calls] == ["sendMessage", "sendMessage", "setMyName"]
    assert emu.calls[1].params == {"chat_id": ALICE, "text": "q"}


async def test_form_text_that_looks_like_json_stays_text(bot, alice):
    sent = await bot.send_message(ALICE, "[1, 2]")
    assert sent.text == "[1, 2]"
