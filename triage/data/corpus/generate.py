"""Build the labelled corpus: train.jsonl and holdout.jsonl beside this file.

    .venv/bin/python triage/data/corpus/generate.py [FOLDER]

Deterministic (fixed seed): the same phrases give the same files. Each message is built
from one core of phrases.py (a hazard, an emergency, a question …) dressed the way residents
write: openers, addresses, phone numbers, durations, pleas, voice-typing slips, traditional
characters, pinyin, emoji, full-width digits, no punctuation at all.

The split is by core, not by message: every variant of a core lands on the same side, so the
held-out messages say things the training side never said: one core in five of every kind
and category, chosen by a hash of the core's name. The held-out side is also dressed apart
(see dress()). Small talk uses kind "greeting", a label the taxonomy does not have yet.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import more_train as M  # noqa: E402
import phrases as P  # noqa: E402
import round4 as R4  # noqa: E402
import round5 as R5  # noqa: E402
import round6 as R6  # noqa: E402
import round7 as R7  # noqa: E402

SEED = 13
HOLDOUT_SHARE = 5  # one group in five
APART = 0.6  # see check_apart

OPENERS_ZH = [
    "",
    "",
    "",
    "你好，",
    "您好 ",
    "我要举报，",
    "反映个情况：",
    "麻烦管一下，",
    "喂，",
    "物业不管只能找你们了，",
    "说个事，",
    "举报！",
    "网格员你好，",
    "打扰了，",
]
PLACES_ZH = [
    "",
    "",
    "",
    "幸福里小区3栋",
    "阳光花园7号楼",
    "建设路128号",
    "金桥新村12幢",
    "我们楼",
    "2单元",
    "东湖苑5栋1单元",
    "和平街道老宿舍",
    "万达广场",
    "城中村那边",
    "我家楼下",
    "锦绣华庭B座",
    "学府路菜市场旁边",
    "人民路45号院",
    "新村18栋",
    "翠苑一区",
    "隔壁单元",
]
DURATIONS_ZH = [
    "",
    "",
    "，好几天了",
    "，天天这样",
    "，都一个多月了",
    "，说了好几次没用",
    "，今天早上看到的",
    "，从上周就开始了",
    "，一直这样",
]
PLEAS_ZH = [
    "",
    "",
    "，麻烦尽快处理",
    "，请派人来看看",
    "，太危险了",
    "，谁来管管啊",
    "，出了事谁负责",
    "。谢谢",
    "，求处理",
    "，物业不管",
    "！！",
    "，拜托了",
    "，这样不违规吗？",
    "，这算不算消防隐患？",
    "，有人管吗？",
]
CONTACTS_ZH = [
    "",
    "",
    "",
    "",
    "，我电话13912345678",
    " 联系人王女士15800001111",
    "（3栋2单元502）",
    " 有事打我电话 186 2233 4455",
    "，我住601",
    " 李先生",
]
PLACES_EN = [
    "",
    "",
    "in our building",
    "at Block 5",
    "in Jinqiao Apartments",
    "at the mall",
    "in our compound",
    "on the 3rd floor",
    "near the east gate",
    "behind building 9",
]
PLEAS_EN = [
    "",
    "",
    ". please check",
    ", very dangerous",
    ". can someone look at it?",
    ", been like this for weeks",
    ". thanks",
    "!!",
    ", nobody cares",
    ", is that even legal?",
    ". isn't that against the rules?",
]
EMERGENCY_TAILS_ZH = [
    "",
    "",
    "！",
    "！！！",
    "，快来人",
    "，救命",
    "，怎么办啊",
    "，快",
    "，已经打119了",
    "，快叫消防车",
    "，人都跑出来了",
]
EMERGENCY_TAILS_EN = ["", "!", "!!!", " help", " please hurry", ", called 119 already"]
EMOJI = ["🔥", "😡", "🙏", "😭", "⚠️", "‼️", "😱", "🚒", "👀", "😤"]

# Slips of voice typing and pinyin keyboards, as residents make them.
SLIPS = [
    ("电瓶车", "电平车"),
    ("电瓶车", "电频车"),
    ("灭火器", "美火器"),
    ("灭火器", "灭火气"),
    ("消防", "消房"),
    ("消防", "消访"),
    ("楼道", "楼到"),
    ("煤气", "煤汽"),
    ("充电", "冲电"),
    ("液化气", "液化汽"),
    ("插排", "插牌"),
    ("烟感", "烟敢"),
    ("电动车", "电东车"),
    ("着火", "着活"),
    ("通道", "通到"),
    ("天然气", "天燃气"),
    ("杂物", "杂务"),
    ("冒烟", "冒眼"),
    ("防火门", "房火门"),
    ("电线", "电现"),
    ("安全出口", "安全出囗"),
]
PINYIN = [
    ("消防", "xiaofang"),
    ("楼道", "loudao"),
    ("电动车", "diandongche"),
    ("灭火器", "miehuoqi"),
    ("电瓶车", "dianpingche"),
    ("煤气", "meiqi"),
    ("着火", "zhaohuo"),
]
TYPOS_EN = [
    ("extinguisher", "extinguiser"),
    ("stairwell", "stairwel"),
    ("corridor", "coridor"),
    ("battery", "batery"),
    ("smoke", "smoek"),
    ("building", "bulding"),
]


def held_out_groups(rows: list[tuple]) -> set[str]:
    """One group in five of every label (kind and category), picked by a hash of its name,
    so that each class has its share on both sides."""
    strata: dict[tuple, set[str]] = {}
    for group, _lang, kind, category, *_ in rows:
        strata.setdefault((kind, category), set()).add(group)
    held = set()
    for groups in strata.values():
        ordered = sorted(groups, key=lambda g: hashlib.sha1(g.encode()).hexdigest())
        held.update(ordered[HOLDOUT_SHARE - 1 :: HOLDOUT_SHARE] or ordered[-1:])
    return held


def dress(items: list[str], side: str) -> list[str]:
    """The held-out side's share of a list of openers, places, pleas or frames: every third
    non-empty item (empty ones go to both sides), so that it is dressed unlike train."""
    full = [item for item in items if item]
    mine = [item for n, item in enumerate(full) if (n % 3 == 2) == (side == "holdout")]
    return [item for item in items if not item] + mine


class Roughen:
    """The ways a message gets roughed up on its way from a thumb (or a voice) to the bot."""

    def __init__(self, rng: random.Random, traditional):
        self.rng = rng
        self.traditional = traditional

    def zh(self, text: str) -> str:
        r = self.rng
        if r.random() < 0.3:
            for right, wrong in r.sample(SLIPS, len(SLIPS)):
                if right in text:
                    text = text.replace(right, wrong, 1)
                    break
        if r.random() < 0.05:
            for word, spelt in PINYIN:
                if word in text:
                    text = text.replace(word, spelt, 1)
                    break
        if r.random() < 0.12:
            text = self.traditional(text)
        if r.random() < 0.15:
            text = re.sub(r"[，。、]", " ", text)
        if r.random() < 0.08:
            text = text.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        if r.random() < 0.15:
            text = text.rstrip("。！!") + r.choice(["！！！", "!!", "？？", "。。。", "~~", "啊！"])
        if r.random() < 0.15:
            text += r.choice(EMOJI) * r.choice([1, 1, 2, 3])
        return text.strip()

    def en(self, text: str) -> str:
        r = self.rng
        if r.random() < 0.2:
            for right, wrong in TYPOS_EN:
                if right in text:
                    text = text.replace(right, wrong, 1)
                    break
        if r.random() < 0.5:
            text = text[0].upper() + text[1:]
        if r.random() < 0.1:
            text = text.upper()
        if r.random() < 0.15:
            text += " " + r.choice(EMOJI)
        return text.strip()


# Cores that carry their own place (or none fits before them).
STANDALONE = (
    "我",
    "隔壁",
    "楼",
    "小区",
    "邻居",
    "商场",
    "对面",
    "山",
    "窗外",
    "有",
    "小孩",
    "老人",
    "工",
    "学校",
    "加油站",
    "清明",
    "夜市",
    "餐馆",
    "饭店",
    "仓库",
    "地下",
    "整栋",
    "一套",
)


EMERGENCY_OPENERS_ZH = ["", "", "", "快来！", "救命！", "紧急！", "喂喂，", "不好了，"]
EMERGENCY_OPENERS_EN = ["", "", "HELP ", "urgent: ", "Emergency - ", "pls help "]


class Writer:
    """Dresses the cores of one label; a core's group decides the side, and so its dress."""

    def __init__(self, r: random.Random, rough: Roughen, held: set[str]):
        self.r, self.rough, self.held = r, rough, held

    def pick(self, group: str, items: list[str]) -> str:
        return self.r.choice(dress(items, "holdout" if group in self.held else "train"))

    def opener_zh(self, group: str, core: str, openers: list[str]) -> str:
        place = self.pick(group, PLACES_ZH)
        # A core that already starts with a place word reads oddly after another place.
        if place and core.startswith(STANDALONE):
            place = ""
        return self.pick(group, openers) + place + core

    def hazards(self):
        pick = self.pick
        for category, cores in P.HAZARD_ZH.items():
            for i, (severity, core) in enumerate(cores):
                g = f"hz:{category}:{i}"
                for _ in range(6):
                    text = self.opener_zh(g, core, OPENERS_ZH) + pick(g, DURATIONS_ZH)
                    text += pick(g, PLEAS_ZH) + pick(g, CONTACTS_ZH)
                    yield g, "zh", "hazard", category, severity, self.rough.zh(text)
        for category, cores in P.HAZARD_EN.items():
            for i, (severity, core) in enumerate(cores):
                g = f"he:{category}:{i}"
                for _ in range(4):
                    text = f"{core} {pick(g, PLACES_EN)}".strip() + pick(g, PLEAS_EN)
                    yield g, "en", "hazard", category, severity, self.rough.en(text)

    def emergencies(self):
        pick = self.pick
        for i, (category, core) in enumerate(P.EMERGENCY_ZH):
            g = f"ez:{i}"
            for _ in range(6):
                text = self.opener_zh(g, core, EMERGENCY_OPENERS_ZH)
                text += pick(g, EMERGENCY_TAILS_ZH) + pick(g, CONTACTS_ZH[:6])
                yield g, "zh", "emergency", category, None, self.rough.zh(text)
        for i, (category, core) in enumerate(P.EMERGENCY_EN):
            g = f"ee:{i}"
            for _ in range(4):
                text = pick(g, EMERGENCY_OPENERS_EN) + core + pick(g, EMERGENCY_TAILS_EN)
                yield g, "en", "emergency", category, None, self.rough.en(text)

    def framed(self, cores, frames, kind, lang, tag, n):
        for i, core in enumerate(cores):
            g = f"{tag}:{i}"
            mine = dress(frames, "holdout" if g in self.held else "train")
            for frame in self.r.sample(mine, min(n, len(mine))):
                text = frame.format(q=core)
                text = self.rough.zh(text) if lang == "zh" else self.rough.en(text)
                yield g, lang, kind, None, None, text


def messages(w: Writer):
    yield from w.hazards()
    yield from w.emergencies()
    yield from w.framed(P.QUESTION_ZH, P.QUESTION_FRAMES_ZH, "question", "zh", "qz", 4)
    yield from w.framed(P.QUESTION_EN, P.QUESTION_FRAMES_EN, "question", "en", "qe", 3)
    yield from w.framed(P.FEEDBACK_ZH, P.FEEDBACK_FRAMES_ZH, "feedback", "zh", "fz", 4)
    yield from w.framed(P.FEEDBACK_EN, P.FEEDBACK_FRAMES_EN, "feedback", "en", "fe", 3)
    yield from w.framed(P.OUT_ZH, P.OUT_FRAMES_ZH, "out_of_scope", "zh", "oz", 3)
    yield from w.framed(P.OUT_EN, P.OUT_FRAMES_EN, "out_of_scope", "en", "oe", 3)
    for i, text in enumerate(P.GREETING):
        lang = "en" if re.search(r"[a-z]{2}", text.lower()) else "zh"
        yield f"g:{i}", lang, "greeting", None, None, text
    for i, (kind, category, severity, text) in enumerate(P.HAND):
        cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
        lang = "zh" if cjk * 2 >= len(re.findall(r"[A-Za-z]+", text)) else "en"
        yield f"hand:{i}", lang, kind, category, severity, text


def written(held: set[str]) -> list[tuple]:
    """Every message once, dressed for the side its group is on."""
    from opencc import OpenCC

    r = random.Random(SEED)
    seen: set[str] = set()
    rows = []
    for row in messages(Writer(r, Roughen(r, OpenCC("s2hk").convert), held)):
        if row[-1] not in seen:
            seen.add(row[-1])
            rows.append(row)
    return rows


def more_train(seen: set[str], M=M, seed: int = SEED + 1, tag: str = "m") -> list[tuple]:
    """A later round (more_train.py, round4.py): train only, dressed as train with its own
    pleas, and from its own random stream, so the earlier rounds come out as they did."""
    r = random.Random(seed)
    from opencc import OpenCC

    w = Writer(r, Roughen(r, OpenCC("s2hk").convert), set())
    pleas_zh, pleas_en = PLEAS_ZH + M.PLEAS_ZH, PLEAS_EN + M.PLEAS_EN
    rows = []

    def hazards():
        for category, cores in M.HAZARD_ZH.items():
            for i, (severity, core) in enumerate(cores):
                g = f"{tag}-hz:{category}:{i}"
                for _ in range(6):
                    text = w.opener_zh(g, core, OPENERS_ZH) + w.pick(g, DURATIONS_ZH)
                    text += w.pick(g, pleas_zh) + w.pick(g, CONTACTS_ZH)
                    yield g, "zh", "hazard", category, severity, w.rough.zh(text)
        for category, cores in M.HAZARD_EN.items():
            for i, (severity, core) in enumerate(cores):
                g = f"{tag}-he:{category}:{i}"
                for _ in range(4):
                    text = f"{core} {w.pick(g, PLACES_EN)}".strip() + w.pick(g, pleas_en)
                    yield g, "en", "hazard", category, severity, w.rough.en(text)

    def emergencies():
        sets = ((f"{tag}-ez", "zh", M.EMERGENCY_ZH), (f"{tag}-ee", "en", M.EMERGENCY_EN))
        for prefix, lang, cores in sets:
            for i, (category, core) in enumerate(cores):
                g = f"{prefix}:{i}"
                for _ in range(6 if lang == "zh" else 4):
                    if lang == "zh":
                        text = w.opener_zh(g, core, EMERGENCY_OPENERS_ZH)
                        text += w.pick(g, EMERGENCY_TAILS_ZH) + w.pick(g, CONTACTS_ZH[:6])
                        text = w.rough.zh(text)
                    else:
                        text = w.pick(g, EMERGENCY_OPENERS_EN) + core
                        text = w.rough.en(text + w.pick(g, EMERGENCY_TAILS_EN))
                    yield g, lang, "emergency", category, None, text

    framed = [
        (M.QUESTION_ZH, P.QUESTION_FRAMES_ZH, "question", "zh", f"{tag}-qz", 4),
        (M.QUESTION_EN, P.QUESTION_FRAMES_EN, "question", "en", f"{tag}-qe", 3),
        (M.FEEDBACK_ZH, P.FEEDBACK_FRAMES_ZH, "feedback", "zh", f"{tag}-fz", 4),
        (M.FEEDBACK_EN, P.FEEDBACK_FRAMES_EN, "feedback", "en", f"{tag}-fe", 3),
        (M.OUT_ZH, P.OUT_FRAMES_ZH, "out_of_scope", "zh", f"{tag}-oz", 3),
        (M.OUT_EN, P.OUT_FRAMES_EN, "out_of_scope", "en", f"{tag}-oe", 3),
    ]
    made = [hazards(), emergencies(), *(w.framed(*args) for args in framed)]
    greetings = getattr(M, "GREETING", [])
    made.append(
        (
            f"{tag}-g:{i}",
            "en" if re.search(r"[a-z]{2}", t.lower()) else "zh",
            "greeting",
            None,
            None,
            t,
        )
        for i, t in enumerate(greetings)
    )
    for row in (row for rows_ in made for row in rows_):
        if row[-1] not in seen:
            seen.add(row[-1])
            rows.append(row)
    return rows


def _pairs(text: str) -> set[str]:
    """Character pairs of Chinese, word pairs of English: what two wordings share."""
    from opencc import OpenCC

    text = OpenCC("t2s").convert(text.lower())
    words = re.findall(r"[a-z]+|[\u4e00-\u9fff]", text)
    return {" ".join(words[i : i + 2]) for i in range(len(words) - 1)}


def check_apart(rows: list[tuple], held: set[str], R4=R4, name: str = "round4.py") -> None:
    """No core of a later round (round4.py, round5.py) may restate a held-out message
    (holdout.jsonl's side, fresh.jsonl): at most APART of its pairs found in any one of them."""
    fresh = HERE / "fresh.jsonl"
    others = [row[-1] for row in rows if row[0] in held]
    if fresh.exists():
        others += [json.loads(line)["text"] for line in fresh.read_text("utf-8").splitlines()]
    held_pairs = [_pairs(text) for text in others]
    cores = [t for d in (R4.HAZARD_ZH, R4.HAZARD_EN) for v in d.values() for _, t in v]
    cores += [t for _, t in R4.EMERGENCY_ZH + R4.EMERGENCY_EN]
    cores += R4.QUESTION_ZH + R4.QUESTION_EN + R4.FEEDBACK_ZH + R4.FEEDBACK_EN
    cores += R4.OUT_ZH + R4.OUT_EN
    for core in cores:
        mine = _pairs(core)
        if len(mine) >= 3:
            near = max(len(mine & other) for other in held_pairs) / len(mine)
            if near > APART:
                raise SystemExit(f"{name} restates a held-out message: {core}")


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else HERE  # another folder: to check the files are current
    # First the groups and their labels (dressed as train), then the held-out share of them.
    held = held_out_groups(written(set()))
    rows = written(held)
    rows += more_train({row[-1] for row in rows})
    rows += more_train({row[-1] for row in rows}, R4, SEED + 2, "r4")
    rows += more_train({row[-1] for row in rows}, R5, SEED + 3, "r5")
    rows += more_train({row[-1] for row in rows}, R6, SEED + 4, "r6")
    rows += more_train({row[-1] for row in rows}, R7, SEED + 5, "r7")
    check_apart(rows, held)
    check_apart(rows, held, R5, "round5.py")
    check_apart(rows, held, R6, "round6.py")
    check_apart(rows, held, R7, "round7.py")
    sides: dict[str, list[dict]] = {"train": [], "holdout": []}
    for group, lang, kind, category, severity, text in rows:
        side = "holdout" if group in held else "train"
        n = len(sides[side]) + 1
        sides[side].append(
            {
                "id": f"{side[0]}{n:04d}",
                "text": text,
                "lang": lang,
                "kind": kind,
                "category": category,
                "severity": severity,
                "group": group,
            }
        )
    for side, rows in sides.items():
        with (out / f"{side}.jsonl").open("w", encoding="utf-8") as file:
            for row in rows:
                file.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"{side}: {len(rows)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
