"""Answering a question from the knowledge base.

A question is matched with BM25 (triage.answers.retrieval) against each entry's question,
variants and keywords, with its answers as a weaker field. Scores are normalised to 0–1: at
CONFIDENT or above the bot answers at once; below, the question goes to staff. Entries at
RELATED or above are offered as related questions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from storage import faq as queries
from storage.engine import SessionFactory, transaction
from triage.answers.faq_file import (
    LANGUAGES,
    NOT_WORD,
    SHIPPED_FAQ,
    Entry,
    detect_language,
    shipped_entries,
)
from triage.answers.retrieval import BM25F, Analyzer, default_analyzer

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
        return NOT_WORD.sub("", self.analyzer.normalise(text))
