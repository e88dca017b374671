from __future__ import annotations

import pytest

from triage.understanding.small_talk import HELLO, OK, THANKS, small_talk


@pytest.mark.parametrize(
    "text, key",
    [
        ("你好", HELLO),
        ("您好！！", HELLO),
        ("在吗", HELLO),
        ("Hello :)", HELLO),
        ("？", HELLO),
        ("谢谢", THANKS),
        ("Thank you!", THANKS),
        ("辛苦了", THANKS),
        ("好的", OK),
        ("👍", OK),
    ],
)
def test_small_talk_is_recognised(text, key):
    assert small_talk(text) == key


@pytest.mark.parametrize(
    "text",
    [
        "你好，楼道里有电动车在充电",
        "谢谢，灭火器过期了怎么办",
        "着火了",
        "hello, the exit is locked",
    ],
)
def test_a_message_that_says_more_is_not_small_talk(text):
    assert small_talk(text) is None
