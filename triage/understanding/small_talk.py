"""Small talk: a greeting, thanks, "在吗", a lone "?" or emoji. It is answered with a short
greeting and what the bot can do; nothing is filed and nobody is pointed to 12345.

A message is small talk when its letters split wholly into small-talk pieces ("好的收到",
"嗯嗯好的", "您好请问在吗", "thanks a lot"): a greeting piece makes it a hello, else a thanks
piece a thanks, else an "ok". Anything more ("你好，楼道里堆满了杂物") is not small talk.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from triage.understanding.normalise import to_simplified

_STICKER_CODE = re.compile(r"\[[^\[\]\s]{1,4}\]")
HELLO, THANKS, OK = "small_talk.hello", "small_talk.thanks", "small_talk.ok"
LONGEST = 40  # letters; a longer message says more than small talk

_HELLO = {
    "你好", "您好", "你们好", "哈喽", "哈啰", "哈罗", "嗨", "喂", "在吗", "在么", "在嘛", "在不在",
    "在不", "有人吗", "有人么", "有人在吗", "有人在么", "有没有人", "有人没", "早", "早上好",
    "上午好", "中午好", "下午好", "晚上好", "大家好", "早晨", "早安", "午安", "晚安", "你好我是新来的",
    "新来的", "我是新来的", "我是新人", "初次见面", "请多关照", "请问", "打扰了", "打扰一下", "开始",
    "新年快乐", "新年好", "过年好", "春节快乐", "节日快乐", "中秋快乐", "中秋节快乐", "国庆快乐",
    "元旦快乐", "周末愉快", "你好啊", "小助手", "老师好", "领导好",
    "nihao", "ninhao", "zaima", "hi", "hello", "hallo", "helo", "hellow", "hey", "heya", "yo",
    "hiya", "howdy", "greetings", "goodmorning", "morning", "goodafternoon", "afternoon",
    "goodevening", "evening", "goodnight", "gm", "anyonethere", "isanyonethere", "anybodythere",
    "isanybodythere", "areyouthere", "youthere", "there", "start", "happynewyear", "hny",
    "merrychristmas", "newhere", "imnewhere", "nicetomeetyou", "howareyou", "hruu", "sup",
    "whatsup", "wassup", "bot", "bonjour", "hola", "ciao", "早晨呀", "你好吖",
}  # fmt: skip
_THANKS = {
    "谢谢", "谢啦", "谢了", "多谢", "感谢", "感恩", "非常感谢", "十分感谢", "万分感谢", "太感谢",
    "辛苦", "辛苦了", "麻烦", "麻烦了", "唔该", "唔该晒", "多谢晒", "谢谢侬", "劳驾", "费心了",
    "给力", "点赞", "赞", "厉害", "棒", "太好了", "真好", "xiexie", "thanks", "thank", "thx",
    "tks", "ty", "tysm", "thankyou", "thankyousomuch", "thanksalot", "manythanks", "cheers",
    "appreciated", "appreciateit", "muchappreciated", "great", "awesome", "cool", "nice", "wonderful",
    "perfect", "merci", "danke", "gracias",
}  # fmt: skip
_OK = {
    "好", "好的", "好滴", "好嘞", "好哒", "好咧", "好吧", "好啊", "好呀", "好哦", "嗯", "嗯呢",
    "哦", "噢", "喔", "哦了", "收到", "知道", "知道了", "晓得", "晓得了", "明白", "了解",
    "懂了", "懂", "行", "行吧", "可以", "哈", "哈哈", "呵呵", "嘿嘿", "嘻嘻", "嗯哼", "ok", "okay",
    "okk", "okok", "kk", "gotit", "noted", "sure", "alright", "allright", "fine", "lol", "haha",
    "hehe", "hmm", "np", "noproblem", "understood", "isee", "roger", "copythat", "willdo",
}  # fmt: skip
# Glue that carries nothing on its own: particles, "you", "very", "a lot", "so much".
_GLUE = {
    "啊", "呀", "吖", "哈", "啦", "了", "哦", "喔", "呢", "吧", "嘛", "呐", "哟", "咯", "嘞", "哇",
    "你", "您", "你们", "大家", "各位", "亲", "请", "真的", "非常", "很", "太", "都",
    "也", "各位辛苦", "一下", "a", "the", "you", "u", "so", "very", "much", "lot", "lots",
    "all", "guys", "everyone", "folks", "again", "there", "dear", "sir", "madam", "team",
    "oh", "ah", "um", "and", "我", "i", "mate", "bro", "then", "了解了",
}  # fmt: skip


@cache
def _pieces() -> dict[str, tuple[tuple[str, str | None], ...]]:
    """Every piece with what it says (None for glue), by its last letter, longest first."""
    found: dict[str, str | None] = {piece: None for piece in _GLUE}
    for words, key in ((_OK, OK), (_THANKS, THANKS), (_HELLO, HELLO)):
        found.update({_letters(piece): key for piece in words})
    by_last: dict[str, list[tuple[str, str | None]]] = {}
    for piece, key in sorted(found.items(), key=lambda item: -len(item[0])):
        by_last.setdefault(piece[-1], []).append((piece, key))
    return {last: tuple(pieces) for last, pieces in by_last.items()}


def small_talk(text: str) -> str | None:
    """The text key of the answer, or None when the message says more than small talk."""
    text = _STICKER_CODE.sub("", text)  # "[微笑]", "[抱拳]": a chat app's emoji as text
    words = _letters(text)
    if not words:  # only punctuation or emoji: "?", "👍", "。。。"
        return HELLO if "?" in text or "？" in text or not text.strip() else OK
    if len(words) > LONGEST:
        return None
    said = _split(words)
    if not said:
        return None
    for key in (HELLO, THANKS, OK):
        if key in said:
            return key
    return None


def _split(words: str) -> set[str] | None:
    """What the pieces that make up `words` say, or None when they do not make it up."""
    best: list[set[str] | None] = [set()] + [None] * len(words)
    pieces = _pieces()
    for end in range(1, len(words) + 1):
        for piece, key in pieces.get(words[end - 1], ()):  # only those that can end here
            start = end - len(piece)
            if start >= 0 and best[start] is not None and words[start:end] == piece:
                best[end] = best[start] | ({key} if key else set())
                break
    return best[-1]


def _letters(text: str) -> str:
    """Letters and digits only, case folded: "你好！！" and "Hello :)" read as their words."""
    folded = to_simplified(unicodedata.normalize("NFKC", text).casefold())
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")
