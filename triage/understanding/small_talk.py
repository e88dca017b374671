"""Small talk: a greeting, thanks, "在吗", a lone "?" or emoji. It is answered with a short
greeting and what the bot can do; nothing is filed and nobody is pointed to 12345."""

from __future__ import annotations

import re
import unicodedata

_STICKER_CODE = re.compile(r"\[[^\[\]\s]{1,4}\]")
HELLO, THANKS, OK = "small_talk.hello", "small_talk.thanks", "small_talk.ok"

_HELLO = {
    "你好", "您好", "你好呀", "你好啊", "您好呀", "哈喽", "哈啰", "嗨", "喂", "在吗", "在么",
    "在不在", "在嘛", "有人吗", "有人在吗", "早", "早上好", "上午好", "中午好", "下午好",
    "晚上好", "大家好", "hi", "hello", "hey", "hallo", "helo", "goodmorning", "goodevening",
    "anyonethere", "isanyonethere", "你好在吗", "您好在吗", "喂你好", "hithere", "heythere",
    "nihao", "ninhao", "早晨", "早安", "晚安", "你好我是新来的", "start",
}  # fmt: skip
_THANKS = {
    "谢谢", "谢谢你", "谢谢您", "谢谢你们", "谢谢啦", "多谢", "多谢你", "多谢了", "感谢",
    "非常感谢", "感谢你们", "辛苦了", "辛苦你们了", "谢谢辛苦了", "好的谢谢", "好的谢谢你",
    "麻烦了", "麻烦你们了", "thanks", "thankyou", "thx", "ty", "thanksalot", "manythanks",
    "唔该", "唔該", "多谢晒", "多謝晒", "謝謝", "多謝", "谢啦", "谢了", "xiexie", "thanks a lot",
}  # fmt: skip
_OK = {
    "好的", "好", "好滴", "好嘞", "嗯", "嗯嗯", "哦", "哦哦", "收到", "知道了", "明白",
    "明白了", "行", "可以", "ok", "okay", "okok", "好的好的", "gotit", "noted", "sure",
}  # fmt: skip


def small_talk(text: str) -> str | None:
    """The text key of the answer, or None when the message says more than small talk."""
    text = _STICKER_CODE.sub("", text)  # "[微笑]", "[抱拳]": a chat app's emoji as text
    words = _letters(text)
    if not words:  # only punctuation or emoji: "?", "👍", "。。。"
        return HELLO if "?" in text or "？" in text or not text.strip() else OK
    if words in _HELLO:
        return HELLO
    if words in _THANKS:
        return THANKS
    if words in _OK:
        return OK
    return None


def _letters(text: str) -> str:
    """Letters and digits only, case folded: "你好！！" and "Hello :)" read as their words."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")
