"""Redrawing a pressed message that already reads so (the sender redrew the card first), and a
pressed task card redrawn with the Bot API's call as it is."""

from __future__ import annotations

import pytest
from telegram import CallbackQuery, Chat, InaccessibleMessage, User
from telegram.error import BadRequest

from bot import keyboards


class Query:
    def __init__(self, error: str | None):
        self.error, self.edits = error, 0

    async def edit_message_text(self, text, reply_markup=None):
        self.edits += 1
        if self.error:
            raise BadRequest(self.error)


async def test_a_message_that_already_reads_so_is_fine():
    query = Query("Message is not modified: specified new message content and reply markup are")
    await keyboards.redraw(query, "卡片")
    assert query.edits == 1


async def test_any_other_refusal_still_raises():
    with pytest.raises(BadRequest):
        await keyboards.redraw(Query("Message to edit not found"), "卡片")


class Bot:
    """What redraw_card asks of the Bot: one raw call, refused with `error` if given."""

    def __init__(self, error: str | None = None):
        self.error, self.calls = error, []

    async def call(self, endpoint, parameters):
        self.calls.append((endpoint, parameters))
        if self.error:
            raise BadRequest(self.error)
        return True


def _pressed(bot: Bot) -> CallbackQuery:
    """A press on a card too old for Telegram to show it (its message is inaccessible)."""
    old = InaccessibleMessage(chat=Chat(4242, Chat.PRIVATE), message_id=77)
    query = CallbackQuery("9", User(4242, "王建国", False), "chat", message=old, data="t:ack:1")
    query.set_bot(bot)
    return query


async def test_a_card_with_nothing_left_to_press_loses_its_buttons():
    bot = Bot()
    await keyboards.redraw_card(_pressed(bot), "卡片", None)
    assert bot.calls == [("editMessageText", {"chat_id": 4242, "message_id": 77, "text": "卡片"})]


async def test_a_card_keeps_the_buttons_it_is_given():
    bot, markup = Bot(), {"inline_keyboard": [[{"text": "接单", "callback_data": "t:ack:1"}]]}
    await keyboards.redraw_card(_pressed(bot), "卡片", markup)
    assert bot.calls[0][1]["reply_markup"] == markup


@pytest.mark.parametrize(
    "error",
    ["Message is not modified: ...", "Message can't be edited", "Message to edit not found"],
)
async def test_a_card_that_reads_so_already_or_is_gone_is_fine(error):
    await keyboards.redraw_card(_pressed(Bot(error)), "卡片", None)


async def test_a_card_refused_for_another_reason_raises():
    with pytest.raises(BadRequest):
        await keyboards.redraw_card(_pressed(Bot("Chat not found")), "卡片", None)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_steps_keyboard_is_the_bot_apis_dict_built_once(language):
    from triage.intake.reply import Step

    shown = keyboards.for_step(language, Step.LOCATION)
    assert shown is keyboards.for_step(language, Step.LOCATION)
    assert shown["keyboard"][0][0]["request_location"] is True and shown["resize_keyboard"]
    assert keyboards.for_step(language, None) == {"remove_keyboard": True}
    assert keyboards.emergency(language)["one_time_keyboard"] is True
