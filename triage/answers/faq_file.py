"""The knowledge base's plain file (`firecircle faq import|export`, shipped as
triage/data/faq.jsonl) and its entries: one JSON object per line with id, topic,
question_zh/en, variants_zh/en, answer_zh/en, more_zh/en, keywords_zh, and optionally active
(default true), source ("file" or "staff") and source_ref (what the answer rests on: a
standard, a regulation, a public guide; files without it still import)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.models import FaqEntry

SHIPPED_FAQ = Path(__file__).parent.parent / "data" / "faq.jsonl"

LANGUAGES = ("zh", "en")
SOURCES = ("file", "staff")
FIELDS = (
    "id",
    "topic",
    "question_zh",
    "question_en",
    "variants_zh",
    "variants_en",
    "answer_zh",
    "answer_en",
    "more_zh",
    "more_en",
    "keywords_zh",
)
OPTIONAL_FIELDS = ("active", "source", "source_ref")
LISTS = ("variants_zh", "variants_en", "keywords_zh")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
NOT_WORD = re.compile(r"[\W_]+")


class FaqFileError(ValueError):
    """The file cannot be imported; `problems` has one line for each thing wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}")
        self.problems = problems


@dataclass(frozen=True)
class Entry:
    """One knowledge-base entry, as the file has it (the table's row, without its row id)."""

    id: str
    topic: str
    question_zh: str = ""
    question_en: str = ""
    variants_zh: tuple[str, ...] = ()
    variants_en: tuple[str, ...] = ()
    answer_zh: str = ""
    answer_en: str = ""
    more_zh: str | None = None
    more_en: str | None = None
    keywords_zh: tuple[str, ...] = ()
    active: bool = True
    source: str = "file"
    source_ref: str | None = None

    def question(self, language: str) -> str:
        return _in(language, self.question_zh, self.question_en)

    def answer(self, language: str) -> str:
        return _in(language, self.answer_zh, self.answer_en)

    def more(self, language: str) -> str | None:
        return _in(language, self.more_zh or "", self.more_en or "") or None

    def as_dict(self) -> dict[str, Any]:
        """The file's line for this entry; active and source only when not the default."""
        data: dict[str, Any] = {name: getattr(self, name) for name in FIELDS}
        data.update({name: list(data[name]) for name in LISTS})
        if not self.active:
            data["active"] = False
        if self.source != "file":
            data["source"] = self.source
        if self.source_ref:
            data["source_ref"] = self.source_ref
        return data

    @classmethod
    def from_row(cls, row: FaqEntry) -> Entry:
        return cls(
            id=row.slug,
            topic=row.topic,
            question_zh=row.question_zh,
            question_en=row.question_en,
            variants_zh=tuple(row.variants_zh or ()),
            variants_en=tuple(row.variants_en or ()),
            answer_zh=row.answer_zh,
            answer_en=row.answer_en,
            more_zh=row.more_zh,
            more_en=row.more_en,
            keywords_zh=tuple(row.keywords_zh or ()),
            active=row.active,
            source=row.source,
            source_ref=row.source_ref,
        )


def _in(language: str, zh: str, en: str) -> str:
    """The text in the language asked for, else in the other one."""
    first, second = (en, zh) if language == "en" else (zh, en)
    return first or second


def detect_language(text: str) -> str:
    """zh when the text has any Chinese characters, else en."""
    return "zh" if _HAN.search(text) else "en"


# --- the file --------------------------------------------------------------------------


def parse_faq_file(text: str) -> list[Entry]:
    """Check the whole file before anything is stored; raise FaqFileError with every problem."""
    problems: list[str] = []
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        entry = _entry(number, line, problems)
        if entry is None:
            continue
        if entry.id in seen:
            problems.append(
                f"line {number}: id {entry.id} is already used on line {seen[entry.id]}"
            )
            continue
        seen[entry.id] = number
        entries.append(entry)
    if not entries and not problems:
        problems.append("the file has no entries")
    if problems:
        raise FaqFileError(problems)
    return entries


def _entry(number: int, line: str, problems: list[str]) -> Entry | None:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        problems.append(f"line {number}: not valid JSON ({exc.msg}, column {exc.colno})")
        return None
    if not isinstance(data, dict):
        problems.append(f"line {number}: expected a JSON object")
        return None
    slug = data.get("id")
    where = f"line {number}" + (f" ({slug})" if isinstance(slug, str) and slug else "")
    before = len(problems)

    def bad(message: str) -> None:
        problems.append(f"{where}: {message}")

    unknown = sorted(set(data) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        bad(f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}")
    if not isinstance(slug, str) or not _SLUG.match(slug):
        bad("id must be lowercase letters, digits, - or _, like ext-how-to-use")
    topic = data.get("topic")
    if not isinstance(topic, str) or not topic.strip():
        bad("topic is missing")
    texts: dict[str, str] = {}
    for name in ("question_zh", "question_en", "answer_zh", "answer_en"):
        value = data.get(name, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            bad(f"{name} must be text")
            value = ""
        texts[name] = value.strip()
    for name in ("more_zh", "more_en"):
        if data.get(name) is not None and not isinstance(data[name], str):
            bad(f"{name} must be text or null")
    for name in LISTS:
        value = data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            bad(f"{name} must be a list of non-empty texts")
    languages = []
    for language in LANGUAGES:
        question, answer = texts[f"question_{language}"], texts[f"answer_{language}"]
        if question and not answer:
            bad(f"question_{language} has no answer_{language}")
        elif answer and not question:
            bad(f"answer_{language} has no question_{language}")
        elif question:
            languages.append(language)
    if not languages and not any(
        texts[f"{kind}_{lang}"] for kind in ("question", "answer") for lang in LANGUAGES
    ):
        bad("needs a question and an answer in Chinese or English")
    if not isinstance(data.get("active", True), bool):
        bad("active must be true or false")
    if data.get("source", "file") not in SOURCES:
        bad(f"source must be {' or '.join(SOURCES)}")
    if data.get("source_ref") is not None and not isinstance(data["source_ref"], str):
        bad("source_ref must be text or null")
    if len(problems) > before:
        return None
    return Entry(
        id=slug,
        topic=topic.strip(),
        question_zh=texts["question_zh"],
        question_en=texts["question_en"],
        variants_zh=tuple(v.strip() for v in data.get("variants_zh", [])),
        variants_en=tuple(v.strip() for v in data.get("variants_en", [])),
        answer_zh=texts["answer_zh"],
        answer_en=texts["answer_en"],
        more_zh=(data.get("more_zh") or "").strip() or None,
        more_en=(data.get("more_en") or "").strip() or None,
        keywords_zh=tuple(v.strip() for v in data.get("keywords_zh", [])),
        active=data.get("active", True),
        source=data.get("source", "file"),
        source_ref=(data.get("source_ref") or "").strip() or None,
    )


def format_faq_file(entries: Iterable[Entry]) -> str:
    return "".join(json.dumps(e.as_dict(), ensure_ascii=False) + "\n" for e in entries)


def shipped_entries() -> list[Entry]:
    return parse_faq_file(SHIPPED_FAQ.read_text(encoding="utf-8"))
