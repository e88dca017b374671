"""Redrawing a pressed message that already reads so (the sender redrew the card first)."""

from __future__ import annotations

import pytest
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
