"""A questionnaire as a YAML file, read and checked whole before anything is stored.

```yaml
title: 消防服务满意度调查          # or a mapping with zh and en
intro: 耽误您一分钟，帮我们做得更好。  # optional
until: 2027-01-15                 # optional: the last local day answers are taken
questions:
  - type: rating                  # 1–5 stars
    text:
      zh: 您对隐患处理的速度满意吗？
      en: How happy are you with how fast hazards are fixed?
  - type: choice                  # one of the options, as buttons
    text: 您知道最近的微型消防站在哪里吗？
    options: [知道, 不知道]
  - type: text                    # free words, the resident's next message (or 跳过)
    text: 您对社区消防工作还有什么建议？
```

A text is a string (the same in both languages) or a mapping with `zh` and optionally `en`.
Every problem is a FormProblem whose message says it in Chinese and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

from triage.figures.period import LAST_YEAR

CHOICE, RATING, TEXT = "choice", "rating", "text"
TYPES = {
    "choice": CHOICE,
    "single_choice": CHOICE,
    "single": CHOICE,
    "单选": CHOICE,
    "rating": RATING,
    "评分": RATING,
    "text": TEXT,
    "free_text": TEXT,
    "文字": TEXT,
}
MAX_QUESTIONS = 30
MAX_OPTIONS = 8  # buttons, one a row, on a phone
QUESTION_MAX = 500
OPTION_MAX = 40
TITLE_MAX = 100
INTRO_MAX = 1000


class FormProblem(ValueError):
    """What is wrong with a questionnaire file, in Chinese and English."""

    def __init__(self, zh: str, en: str):
        super().__init__(f"{zh} / {en}")


@dataclass(frozen=True)
class Form:
    title: dict[str, str]
    intro: dict[str, str]
    questions: list[dict[str, Any]]
    until: date | None = None


def parse_form(text: str) -> Form:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f"{where.line + 1}" if where is not None else "?"
        raise FormProblem(
            f"不是有效的 YAML（第{line}行）", f"not valid YAML (line {line})"
        ) from None
    if not isinstance(data, dict):
        raise FormProblem(
            "文件应是一个包含 title 和 questions 的映射",
            "the file should be a mapping with title and questions",
        )
    unknown = sorted(set(data) - {"title", "intro", "until", "questions"})
    if unknown:
        raise FormProblem(
            f"不认识的字段：{', '.join(unknown)}", f"unknown keys: {', '.join(unknown)}"
        )
    title = _words(data.get("title"), "title", TITLE_MAX, required=True)
    intro = _words(data.get("intro"), "intro", INTRO_MAX, required=False)
    questions = data.get("questions")
    if not questions:
        raise FormProblem(
            "问卷没有任何问题（questions 为空）", "the questionnaire has no questions"
        )
    if not isinstance(questions, list):
        raise FormProblem("questions 应是一个列表", "questions should be a list")
    if len(questions) > MAX_QUESTIONS:
        raise FormProblem(
            f"问题太多：{len(questions)}个，最多{MAX_QUESTIONS}个",
            f"too many questions: {len(questions)}, at most {MAX_QUESTIONS}",
        )
    return Form(title, intro, [_question(q, n) for n, q in enumerate(questions, 1)], _until(data))


def _question(item: Any, number: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise FormProblem(
            f"第{number}题应是一个映射（type、text…）",
            f"question {number} should be a mapping (type, text…)",
        )
    kind = TYPES.get(str(item.get("type", "")).strip().lower())
    if kind is None:
        given = item.get("type")
        raise FormProblem(
            f"第{number}题的类型「{given}」不认识：可用 choice（单选）、rating（1–5分）、text（文字）",
            f"question {number} has an unknown type {given!r}: use choice, rating (1–5) or text",
        )
    unknown = sorted(set(item) - {"type", "text", "options"})
    if unknown:
        raise FormProblem(
            f"第{number}题有不认识的字段：{', '.join(unknown)}",
            f"question {number} has unknown keys: {', '.join(unknown)}",
        )
    question: dict[str, Any] = {
        "type": kind,
        "text": _words(item.get("text"), f"question {number} text", QUESTION_MAX, required=True),
    }
    options = item.get("options")
    if kind == CHOICE:
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise FormProblem(
                f"第{number}题（单选）需要2到{MAX_OPTIONS}个选项（options）",
                f"question {number} (choice) needs 2 to {MAX_OPTIONS} options",
            )
        question["options"] = [
            _words(o, f"question {number} option {i}", OPTION_MAX, required=True)
            for i, o in enumerate(options, 1)
        ]
        seen: set[str] = set()
        for option in question["options"]:
            if option["zh"] in seen:
                raise FormProblem(
                    f"第{number}题的选项「{option['zh']}」重复了",
                    f"question {number} has the option '{option['zh']}' twice",
                )
            seen.add(option["zh"])
    elif options is not None:
        raise FormProblem(
            f"第{number}题不是单选题，不能有选项", f"question {number} is not a choice: no options"
        )
    return question


def _words(value: Any, what: str, limit: int, *, required: bool) -> dict[str, str]:
    """{"zh": …, "en": …} from a string or a mapping; English falls back to Chinese."""
    if value is None or value == "":
        if required:
            raise FormProblem(f"缺少 {what}", f"{what} is missing")
        return {}
    if isinstance(value, bool):  # YAML reads yes/no/on/off unquoted as true/false
        raise FormProblem(
            f'{what} 被读成了真假值（yes、no 之类），请加引号，如 "yes"',
            f'{what} reads as true/false (yes, no, on, off): put it in quotes, e.g. "yes"',
        )
    if isinstance(value, str | int | float):
        zh = en = str(value).strip()
    elif isinstance(value, dict) and set(value) <= {"zh", "en"} and value.get("zh"):
        zh = str(value["zh"]).strip()
        en = str(value.get("en") or zh).strip()
    else:
        raise FormProblem(
            f"{what} 应是文字，或含 zh（和 en）的映射",
            f"{what} should be text, or a mapping with zh (and en)",
        )
    if not zh:
        raise FormProblem(f"缺少 {what}", f"{what} is missing")
    if max(len(zh), len(en)) > limit:
        raise FormProblem(f"{what} 太长（最多{limit}字）", f"{what} is too long (at most {limit})")
    return {"zh": zh, "en": en}


def _until(data: dict) -> date | None:
    value = data.get("until")
    if value is None:
        return None
    if isinstance(value, date):
        found = value
    else:
        try:
            found = date.fromisoformat(str(value))
        except ValueError:
            raise FormProblem(
                f"until 应是日期 YYYY-MM-DD，而不是「{value}」",
                f"until should be a date YYYY-MM-DD, not {value!r}",
            ) from None
    if found.year > LAST_YEAR:  # a day after it must still be a date
        raise FormProblem(
            f"until {found} 太远了（最晚{LAST_YEAR}年）",
            f"until {found} is too far (at most {LAST_YEAR})",
        )
    return found
