"""Playing users: what they send becomes updates; what the bot sends, they see."""

from __future__ import annotations

import asyncio

import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
)

from bot.emulator import BotApiEmulator

TOKEN = "123456:TEST"
ALICE = 1001
WORKER = 2001


@pytest.fixture
async def emu():
    async with BotApiEmulator(TOKEN) as emu:
        yield emu


@pytest.fixture
async def bot(emu):
    async with Bot(TOKEN, base_url=emu.api_url, base_file_url=emu.file_url) as bot:
        yield bot


@pytest.fixture
def alice(emu):
    return emu.user(ALICE, "小李", language_code="zh")


def task_buttons(task: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("接单", callback_data=f"ack:{task}"),
                InlineKeyboardButton("转交", callback_data=f"handover:{task}"),
            ],
            [InlineKeyboardButton("地图", url="https://example.org/map")],
        ]
    )


async def test_user_is_created_once_with_a_private_chat(emu):
    first = emu.user(ALICE, "小李", username="xiaoli")
    assert emu.user(ALICE) is first
    assert first.user == {
        "id": ALICE,
        "is_bot": False,
        "first_name": "小李",
        "username": "xiaoli",
        "language_code": "zh",
    }
    assert first.chat == {
        "id": ALICE,
        "first_name": "小李",
        "username": "xiaoli",
        "type": "private",
    }


async def test_commands_carry_a_bot_command_entity(bot, alice):
    await alice.command("/report", "楼道堵塞")
    await alice.command("start")
    report, start = await bot.get_updates()
    assert report.message.text == "/report 楼道堵塞"
    assert report.message.entities[0].type == "bot_command"
    assert report.message.parse_entity(report.message.entities[0]) == "/report"
    assert start.message.text == "/start"


async def test_location_photo_sticker_document_contact_arrive_as_ptb_objects(bot, alice):
    await alice.send_location(22.54, 114.05)
    await alice.send_photo(caption="看这里")
    await alice.send_sticker()
    await alice.send_document(name="a.pdf")
    await alice.send_contact()
    location, photo, sticker, document, contact = [u.message for u in await bot.get_updates()]
    assert (location.location.latitude, location.location.longitude) == (22.54, 114.05)
    assert photo.caption == "看这里" and photo.photo[-1].width == 640
    assert photo.photo[0].width < photo.photo[-1].width
    assert sticker.sticker.emoji == "👍"
    assert document.document.file_name == "a.pdf"
    assert contact.contact.user_id == ALICE


async def test_press_sends_a_callback_query_and_sees_the_answer(bot, alice):
    sent = await bot.send_message(ALICE, "新任务 FC-000001", reply_markup=task_buttons(1))
    query_id = await alice.press("接单")
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert (query.id, query.data, query.from_user.id) == (query_id, "ack:1", ALICE)
    assert query.message.message_id == sent.message_id
    assert query.message.text == "新任务 FC-000001"
    await query.answer("已接单", show_alert=True)
    answer = await alice.callback_answer(query_id)
    assert (answer["text"], answer["show_alert"]) == ("已接单", True)


async def test_callback_answered_twice_or_unknown_is_refused(bot, alice):
    from telegram.error import BadRequest

    await bot.send_message(ALICE, "x", reply_markup=task_buttons(1))
    query_id = await alice.press("接单")
    await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)query id is invalid"):
        await bot.answer_callback_query("12345")


async def test_press_targets_the_newest_message_with_that_button(bot, alice):
    await bot.send_message(ALICE, "task 1", reply_markup=task_buttons(1))
    await bot.send_message(ALICE, "task 2", reply_markup=task_buttons(2))
    await bot.send_message(ALICE, "plain")
    await alice.press("转交")
    first = alice.messages[0]
    await alice.press(first, "接单")
    await alice.press_data(first["message_id"], "handover:1")
    datas = [u.callback_query.data for u in await bot.get_updates()]
    assert datas == ["handover:2", "ack:1", "handover:1"]


async def test_press_explains_what_is_missing(bot, alice):
    await bot.send_message(ALICE, "task", reply_markup=task_buttons(1))
    with pytest.raises(LookupError, match="'完成'.*接单"):
        await alice.press("完成")
    with pytest.raises(ValueError, match="no callback query"):
        await alice.press("地图")


async def test_press_after_the_keyboard_was_edited_away(bot, alice):
    sent = await bot.send_message(ALICE, "task", reply_markup=task_buttons(1))
    await bot.edit_message_reply_markup(ALICE, sent.message_id)
    with pytest.raises(LookupError):
        await alice.press(sent.message_id, "接单")


async def test_answer_waits_without_polling(bot, alice):
    await bot.send_message(ALICE, "x", reply_markup=task_buttons(1))
    query_id = await alice.press("接单")
    waiting = asyncio.create_task(alice.callback_answer(query_id, timeout=5))
    await asyncio.sleep(0)
    assert not waiting.done()
    await bot.answer_callback_query(query_id, text="ok")
    assert (await asyncio.wait_for(waiting, 1))["text"] == "ok"
    with pytest.raises(TimeoutError, match="not answered"):
        other = await alice.press("接单")
        await alice.callback_answer(other, timeout=0.05)


async def test_reply_keyboard_buttons(bot, alice):
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("发送位置", request_location=True)], [KeyboardButton("完成")]]
    )
    await bot.send_message(ALICE, "请发送位置", reply_markup=markup)
    await alice.tap_reply_button("完成")
    await alice.tap_reply_button("发送位置", latitude=22.5, longitude=114.0)
    done, place = [u.message for u in await bot.get_updates()]
    assert done.text == "完成"
    assert place.location.latitude == 22.5
    with pytest.raises(ValueError, match="latitude"):
        await alice.tap_reply_button("发送位置")
    with pytest.raises(LookupError, match="no reply button"):
        await alice.tap_reply_button("取消")


async def test_no_reply_keyboard_shown(alice):
    with pytest.raises(LookupError, match="no reply keyboard"):
        await alice.tap_reply_button("完成")


async def test_next_message_returns_each_bot_message_once_in_order(emu, bot, alice):
    await bot.send_message(ALICE, "one")
    await bot.send_message(ALICE, "two")
    assert (await alice.next_message())["text"] == "one"
    assert [m["text"] for m in alice.unread] == ["two"]
    assert (await alice.next_message())["text"] == "two"
    waiting = asyncio.create_task(alice.next_message(timeout=5))
    await asyncio.sleep(0)
    await bot.send_message(ALICE, "three")
    assert (await asyncio.wait_for(waiting, 1))["text"] == "three"


async def test_next_message_timeout_lists_what_the_chat_got(bot, alice):
    await bot.send_message(ALICE, "已收到您的报告")
    await alice.next_message()
    with pytest.raises(TimeoutError, match="no new message.*已收到您的报告"):
        await alice.next_message(timeout=0.05)


async def test_messages_of_other_chats_do_not_leak(emu, bot, alice):
    worker = emu.user(WORKER, "网格员王")
    await bot.send_message(WORKER, "新任务")
    assert alice.messages == []
    assert (await worker.next_message())["text"] == "新任务"


async def test_wait_for_sees_edits(bot, alice):
    sent = await bot.send_message(ALICE, "处理中")
    waiting = asyncio.create_task(
        alice.wait_for(lambda: alice.messages[0]["text"] == "已处理", timeout=5)
    )
    await asyncio.sleep(0)
    await bot.edit_message_text("已处理", ALICE, sent.message_id)
    assert await asyncio.wait_for(waiting, 1)


async def test_block_and_unblock_tell_the_bot(bot, alice):
    alice.block_bot()
    alice.unblock_bot()
    blocked, unblocked = await bot.get_updates()
    assert blocked.my_chat_member.new_chat_member.status == "kicked"
    assert unblocked.my_chat_member.new_chat_member.status == "member"
    assert (await bot.send_message(ALICE, "welcome back")).text == "welcome back"


async def test_writing_to_a_blocked_bot_unblocks_it(bot, alice):
    alice.block_bot()
    await alice.command("/start")
    kinds = [
        u.my_chat_member and u.my_chat_member.new_chat_member.status
        for u in await bot.get_updates()
    ]
    assert kinds == ["kicked", "member", None]
    assert not alice.blocked


async def test_user_edits_their_message(bot, alice):
    original = await alice.send("楼道有电动车")
    await alice.edit(original, "楼道有电动车在充电")
    _, edited = await bot.get_updates()
    assert edited.edited_message.text == "楼道有电动车在充电"
    assert edited.edited_message.message_id == original["message_id"]
    assert edited.edited_message.edit_date is not None


async def test_listeners_and_transcript(emu, bot, alice):
    events = []
    emu.add_listener(events.append)
    emu.add_listener(lambda event: 1 / 0)  # a broken listener must not break the emulator
    await alice.send("你好")
    await bot.send_message(ALICE, "您好")
    assert [e["kind"] for e in events] == ["user_message", "bot_message"]
    assert alice.transcript() == ["#1 小李: '你好'", "#2 bot: '您好'"]
