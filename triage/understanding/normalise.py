"""Bring a resident's message to one plain form before anything reads it.

Residents type on phones, dictate by voice, write traditional characters (Hong Kong, Taiwan,
Macau), Cantonese, pinyin, and shout with "！！！" and "🔥🔥🔥". The classifier's lexicon then
needs one spelling per word instead of ten. In order:

1. NFKC: full-width letters, digits and punctuation become half-width ("１２号楼" → "12号楼");
2. traditional → simplified with OpenCC ("樓道裡" → "楼道里");
3. Cantonese and pinyin words residents use for fire matters, to Mandarin ("火燭" → "火灾");
4. common homophone slips of voice and pinyin typing ("电平车" → "电瓶车", "美火器" → "灭火器");
5. a run of the same punctuation mark or emoji becomes one ("!!!" → "!", "🔥🔥🔥" → "🔥").

Case is kept; the caller lowers it when it wants to.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

# Homophone and one-key slips residents make on phone keyboards or by voice.
HOMOPHONES: dict[str, str] = {
    "楼到": "楼道",
    "消访": "消防",
    "消仿": "消防",
    "消房": "消防",
    "通到": "通道",
    "电平车": "电瓶车",
    "电频车": "电瓶车",
    "电屏车": "电瓶车",
    "电东车": "电动车",
    "电冻车": "电动车",
    "灭火气": "灭火器",
    "灭活器": "灭火器",
    "美火器": "灭火器",
    "烟敢": "烟感",
    "插牌": "插排",
    "杂务": "杂物",
    "安全出囗": "安全出口",
    "煤汽": "煤气",
    "燃汽": "燃气",
    "天燃气": "天然气",
    "液化汽": "液化气",
    "汽罐": "气罐",
    "冲电": "充电",
    "着活": "着火",
    "房火门": "防火门",
    "电现": "电线",
    # OpenCC keeps 著 (a simplified character too); in fire talk it is 着.
    "著火": "着火",
    "著了": "着了",
    "烧著": "烧着",
    "e bike": "ebike",
    "e-bike": "ebike",
}

# Cantonese (after OpenCC) and northern words for fire matters, to the Mandarin the lexicon knows.
DIALECT: dict[str, str] = {
    "火烛": "火灾",
    "灭火筒": "灭火器",
    "石油气": "液化气",
    "电单车": "电动车",
    # Not plain "走火": in Mandarin that is a wire shorting, a fire word of its own.
    "走火通道": "疏散通道",
    "楼梯度": "楼道",
    "屋企": "家里",
    "铺头": "店铺",
    "点算": "怎么办",
    "点样": "怎样",
    "咁": "这么",
    "喺": "在",
    "咗": "了",
    "冇": "没有",
    "嘅": "的",
    "唔该晒": "谢谢",
    "唔该": "谢谢",
    "多谢晒": "谢谢",
    "唔": "不",
    "啲": "些",
    "瞓": "睡",
    "你哋": "你们",
    "我哋": "我们",
    "佢哋": "他们",
    "嚟": "来",
    "燶": "焦",
    "㶶": "焦",  # what OpenCC makes of 燶
    "嘢": "东西",
    "嗰": "那",
    "冒紧": "在冒",
    "紧烟": "在冒烟",
    "咋整": "怎么办",
    "俺们": "我们",
}

# Pinyin fragments typed when the input method was not switched.
PINYIN: dict[str, str] = {
    "xiaofang": "消防",
    "loudao": "楼道",
    "diandongche": "电动车",
    "dianpingche": "电瓶车",
    "miehuoqi": "灭火器",
    "meiqi wei": "煤气味",
    "meiqiwei": "煤气味",
    "meiqi": "煤气",
    "ranqi": "燃气",
    "tianranqi": "天然气",
    "zhaohuo": "着火",
    "qihuo": "起火",
    "maoyan": "冒烟",
    "jiuming": "救命",
    "guoqi": "过期",
    "tongdao": "通道",
}

# English slips on a phone keyboard (whole words, any case): the ones the corpus's train split
# shows, and their near kin.
ENGLISH_SLIPS: dict[str, str] = {
    "extinguiser": "extinguisher",
    "extinguisor": "extinguisher",
    "extingisher": "extinguisher",
    "stairwel": "stairwell",
    "stairwall": "stairwell",
    "coridor": "corridor",
    "corrider": "corridor",
    "batery": "battery",
    "battary": "battery",
    "smoek": "smoke",
    "somke": "smoke",
    "bulding": "building",
    "buliding": "building",
    "hydrent": "hydrant",
    "sprinkers": "sprinklers",
}

# Emoji and pictographs (most of the planes 1F000–1FAFF, dingbats, misc symbols), with an
# optional variation selector, repeated: "🔥🔥🔥" or "⚠️⚠️".
_EMOJI_RUN = re.compile(r"([\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF])\uFE0F?(?:\1\uFE0F?)+")
# After NFKC the full-width marks are ASCII; the ideographic ones stay.
_PUNCT_RUN = re.compile(r"([!?.,~。、…～·\-])\1+")
_SHOUT = re.compile(r"([!?])[!?]+")
_SPACES = re.compile(r"[ \t\u3000\u00a0]+")


@cache
def _converter():
    from opencc import OpenCC

    return OpenCC("t2s")


def _replacer(table: dict[str, str], words: bool = False):
    """One regex for a replacement table, longest key first; pinyin only as whole words."""
    alternation = "|".join(map(re.escape, sorted(table, key=len, reverse=True)))
    if words:
        regex = re.compile(rf"(?<![a-z])(?:{alternation})(?![a-z])", re.IGNORECASE)
        return lambda text: regex.sub(lambda m: table[m.group(0).lower()], text)
    regex = re.compile(alternation)
    return lambda text: regex.sub(lambda m: table[m.group(0)], text)


_homophones = _replacer(HOMOPHONES)
_dialect = _replacer(DIALECT)
_pinyin = _replacer(PINYIN, words=True)
_english_slips = _replacer(ENGLISH_SLIPS, words=True)


def to_simplified(text: str) -> str:
    """Traditional characters to simplified (OpenCC "t2s"); simplified text is unchanged."""
    return _converter().convert(text)


def collapse(text: str) -> str:
    """Runs of one punctuation mark or emoji to one ("?!?!" to "?"); spaces to one."""
    text = _EMOJI_RUN.sub(r"\1", text)
    text = _PUNCT_RUN.sub(r"\1", text)
    text = _SHOUT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def normalise(text: str) -> str:
    """The message in one plain form (see the module's docstring for the steps)."""
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("’", "'").replace("‘", "'")
    if any("\u3400" <= ch <= "\u9fff" for ch in text):
        text = to_simplified(text)
        text = _dialect(text)
    if any("a" <= ch <= "z" or "A" <= ch <= "Z" for ch in text):
        text = _english_slips(_pinyin(text))
    text = _homophones(text)
    return collapse(text)
