"""The fire-safety knowledge base: its plain file, its table, and answering questions from it.

The file (`firecircle faq import|export`, shipped as triage/data/faq.jsonl) has one JSON
object per line: id, topic, question_zh/en, variants_zh/en, answer_zh/en, more_zh/en,
keywords_zh, and optionally active (default true) and source ("file" or "staff").

A question is matched with BM25 (triage.retrieval) against each entry's question, variants
and keywords, with its answers as a weaker field. Scores are normalised to 0–1: at
CONFIDENT or above the bot answers at once; below, the question goes to staff. Entries at
RELATED or above are offered as related questions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from storage import faq as queries
from storage.engine import SessionFactory, transaction
from storage.models import FaqEntry
from storage.types import utcnow
from triage.retrieval import BM25F, Analyzer, default_analyzer

SHIPPED_FAQ = Path(__file__).parent / "data" / "faq.jsonl"

# Tuned on bench/faq_eval.py: a wrong confident answer is worse than a question for staff.
CONFIDENT = 0.3  # on Answer.score
RELATED = 0.3  # on the related entry's match
MAX_RELATED = 2

# Question, variants and keywords say what an entry is about; its answers only hint at it;
# character pairs catch what the segmenter cut differently.
FIELD_WEIGHTS = {
    "question": 1.0,
    "keywords": 0.6,
    "answer": 0.25,
    "pairs": 0.5,
    "question_en": 1.0,
    "answer_en": 0.25,
}
UNKNOWN_WEIGHT = 0.5  # a question word the knowledge base never uses counts half against it

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
OPTIONAL_FIELDS = ("active", "source")
LISTS = ("variants_zh", "variants_en", "keywords_zh")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,79}$")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_NOT_WORD = re.compile(r"[\W_]+")


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
    )


def format_faq_file(entries: Iterable[Entry]) -> str:
    return "".join(json.dumps(e.as_dict(), ensure_ascii=False) + "\n" for e in entries)


def shipped_entries() -> list[Entry]:
    return parse_faq_file(SHIPPED_FAQ.read_text(encoding="utf-8"))


# --- the table -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


async def import_entries(
    sessions: SessionFactory, entries: Sequence[Entry], now: datetime | None = None
) -> ImportResult:
    """Upsert by id, in one transaction. Entries not in the file are left as they are."""
    now = now or utcnow()
    added = updated = unchanged = 0
    async with transaction(sessions) as session:
        existing = await queries.entries_by_slug(session=session, slugs=(e.id for e in entries))
        for entry in entries:
            row = existing.get(entry.id)
            if row is None:
                row = FaqEntry(slug=entry.id, topic=entry.topic, created_at=now)
                session.add(row)
                added += 1
            elif Entry.from_row(row) == entry:
                unchanged += 1
                continue
            else:
                updated += 1
            _fill(row, entry)
            row.updated_at = now
    return ImportResult(added, updated, unchanged)


def new_row(entry: Entry, now: datetime) -> FaqEntry:
    """The table's row for an entry not stored yet."""
    row = FaqEntry(slug=entry.id, topic=entry.topic, created_at=now)
    _fill(row, entry)
    row.updated_at = now
    return row


def _fill(row: FaqEntry, entry: Entry) -> None:
    for name in FIELDS[1:] + OPTIONAL_FIELDS:
        value = getattr(entry, name)
        setattr(row, name, list(value) if name in LISTS else value)


async def export_entries(sessions: SessionFactory) -> list[Entry]:
    """Every entry, active or not, in the order they were first stored."""
    async with transaction(sessions) as session:
        rows = await queries.all_entries(session=session)
    return [Entry.from_row(row) for row in rows]


async def load_shipped_faq(sessions: SessionFactory) -> ImportResult:
    """Store the knowledge base shipped with firecircle (what `faq import` of it does)."""
    return await import_entries(sessions, shipped_entries())


# --- answering -------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """What the knowledge base makes of a question.

    `match` is how much of the question the best entry covers (0–1, BM25 normalised by what
    the question's words could earn); `score` is √(match × lead), lead being how far the
    best entry is ahead of the runner-up: an entry that fits well *and* stands out. The
    confidence threshold applies to `score`.
    """

    question: str
    language: str
    entry: Entry | None  # the best match, even when not confident (None: nothing matched)
    score: float
    confident: bool
    related: list[Entry] = field(default_factory=list)
    match: float = 0.0

    @property
    def text(self) -> str | None:
        """The short answer in the question's language, when confident."""
        return self.entry.answer(self.language) if self.confident and self.entry else None


class KnowledgeBase:
    """The active entries, indexed for answering. Immutable: load a new one after a change."""

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        source: str = "",
        analyzer: Analyzer | None = None,
        confident_at: float = CONFIDENT,
        related_at: float = RELATED,
    ) -> None:
        self.entries = [e for e in entries if e.active]
        self.source = source
        self.confident_at = confident_at
        self.related_at = related_at
        self.analyzer = analyzer or default_analyzer()
        self.by_id = {e.id: e for e in self.entries}
        # A question asked word for word (punctuation and spacing aside) as an entry's own
        # is that entry, whatever else it shares words with; a later entry (a staff answer
        # promoted after a resident said the older one did not help) takes the wording over.
        self._verbatim = {
            self._verbatim_key(q): e
            for e in self.entries
            for q in (e.question_zh, e.question_en, *e.variants_zh, *e.variants_en)
            if self._verbatim_key(q)
        }
        self.index = BM25F(
            [self._fields(e) for e in self.entries], FIELD_WEIGHTS, unknown_weight=UNKNOWN_WEIGHT
        )

    def _fields(self, entry: Entry) -> dict[str, list[str]]:
        """Each language in its own fields, so that one language's wording does not change
        the length normalisation of the other's (English entries are much shorter)."""
        analyzer = self.analyzer
        question_zh = "\n".join([entry.question_zh, *entry.variants_zh])
        keywords = "\n".join(entry.keywords_zh)
        return {
            "question": analyzer.tokens(question_zh),
            "keywords": analyzer.tokens(keywords),
            "answer": analyzer.tokens(f"{entry.answer_zh}\n{entry.more_zh or ''}"),
            "pairs": analyzer.pairs(f"{question_zh}\n{keywords}"),
            "question_en": analyzer.tokens("\n".join([entry.question_en, *entry.variants_en])),
            "answer_en": analyzer.tokens(f"{entry.answer_en}\n{entry.more_en or ''}"),
        }

    @classmethod
    def from_shipped_file(cls, **options: Any) -> KnowledgeBase:
        return cls(shipped_entries(), source=f"shipped file {SHIPPED_FAQ.name}", **options)

    @classmethod
    async def load(
        cls, sessions: SessionFactory, *, fallback: bool = True, **options: Any
    ) -> KnowledgeBase:
        """The database's active entries; when none are stored at all (never imported) and
        `fallback`, the shipped file's, with `source` saying so."""
        async with transaction(sessions) as session:
            rows = await queries.all_entries(session=session)
        if not rows and fallback:
            return cls.from_shipped_file(**options)
        return cls([Entry.from_row(r) for r in rows], source="database", **options)

    def __len__(self) -> int:
        return len(self.entries)

    def rank(self, question: str) -> list[tuple[Entry, float]]:
        """Entries that match at all with their `match`, best first (ties in entry order);
        an entry asked for word for word comes first."""
        terms = self.analyzer.tokens(question) + self.analyzer.pairs(question)
        scores = self.index.scores(terms)
        order = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
        ranked = [(self.entries[i], scores[i]) for i in order]
        verbatim = self._verbatim.get(self._verbatim_key(question))
        if verbatim is None:
            return ranked
        return [(verbatim, 1.0), *((e, s) for e, s in ranked if e is not verbatim)]

    def answer(self, question: str, language: str | None = None) -> Answer:
        """The best entry, whether it is confident, and up to two related entries; `language`
        (zh or en) is the one to answer in, by default the question's."""
        language = language if language in LANGUAGES else detect_language(question)
        ranked = self.rank(question)
        if not ranked:
            return Answer(question, language, None, 0.0, False)
        best, match = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        score = round(math.sqrt(match * (match - runner_up)), 4)
        if self._verbatim.get(self._verbatim_key(question)) is best:
            score = 1.0
        related = [e for e, s in ranked[1 : 1 + MAX_RELATED] if s >= self.related_at]
        return Answer(
            question,
            language,
            best,
            score,
            score >= self.confident_at,
            related,
            round(match, 4),
        )

    def _verbatim_key(self, text: str) -> str:
        return _NOT_WORD.sub("", self.analyzer.normalise(text))
