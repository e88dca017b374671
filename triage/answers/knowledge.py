"""Answering a question from the knowledge base.

A question is matched with BM25 (triage.answers.retrieval) against each entry's question,
variants and keywords, with its answers as a weaker field. Each entry gets a `match` (0–1:
how much of the question it covers); the best entry's confidence weighs its match against
its lead over the runner-up. At the question's language's threshold or above the bot answers
at once; below, the question goes to staff, with the nearest questions to offer first when
they are close. The thresholds are calibrated per language by bench/faq_calibrate.py on
tests/data/faq_questions.jsonl, never on the held-out tests/data/faq_heldout.jsonl.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
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

# Confidence = √(match · lead), lead = 1 − runner-up / best: the best entry must both cover
# the question and stand out, and a little more of one makes up for a little less of the
# other. English questions are short and a stem meets several fields, so their matches crowd
# near 1 (the old lead, runner-up's match taken from the best's, read 0 for them): the lead
# relative to the best reads both languages alike. Thresholds are per language, calibrated by
# bench/faq_calibrate.py (a wrong answer at once is worse than a question for staff).
CONFIDENT = {"zh": 0.3442, "en": 0.4501}  # on Answer.score, by the question's language
RELATED = 0.3  # on the related entry's match
MAX_RELATED = 2
# Not confident, but the best entry covers this much of the question (by its language:
# English matches run higher): the nearest questions are worth offering ("你是想问…？")
# before staff answer. Set on the calibration split below most questions whose entry is
# among the candidates, above most that have none.
NEAR = {"zh": 0.3, "en": 0.45}
MAX_CANDIDATES = 3

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
# A question word the knowledge base never uses counts against the match, as this share of
# the rarest word's weight: more in Chinese, where an off-topic question often shares one
# word with an entry (垃圾分类 and 焚烧垃圾); English questions carry many unlisted words.
UNKNOWN_WEIGHT = {"zh": 4.0, "en": 0.5}


SENTENCE_END = re.compile(r"[？?。！!；;]")
MIN_SENTENCE_CHARS = 5  # a shorter sentence ("为什么") says too little to be an entry's


@dataclass(frozen=True)
class Candidate:
    """An entry the question may mean: its match (0–1) and its relevance as a share of the
    best entry's (1 for the best; the runner-up's is 1 − lead)."""

    entry: Entry
    match: float
    share: float = 1.0


@dataclass(frozen=True)
class Answer:
    """What the knowledge base makes of a question.

    `match` is how much of the question the best entry covers (0–1, BM25 normalised by what
    the question's words could earn); `score` is the confidence (see CONFIDENT), compared
    with `threshold`, the one for the question's language. `candidates` are the best few
    entries with their matches, best first, confident or not.
    """

    question: str
    language: str
    entry: Entry | None  # the best match, even when not confident (None: nothing matched)
    score: float
    confident: bool
    related: list[Entry] = field(default_factory=list)
    match: float = 0.0
    candidates: list[Candidate] = field(default_factory=list)
    threshold: float = 0.0

    @property
    def text(self) -> str | None:
        """The short answer in the question's language, when confident."""
        return self.entry.answer(self.language) if self.confident and self.entry else None

    @property
    def nearest(self) -> list[Candidate]:
        """When unsure but close: the two or three questions to offer ("你是想问…？") before
        staff answer; empty when confident or when nothing is near."""
        near = NEAR[detect_language(self.question)]
        if self.confident or not self.candidates or self.candidates[0].match < near:
            return []
        return [c for c in self.candidates if c.match >= RELATED]


class KnowledgeBase:
    """The active entries, indexed for answering. Immutable: load a new one after a change."""

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        source: str = "",
        analyzer: Analyzer | None = None,
        confident_at: float | Mapping[str, float] = CONFIDENT,
        related_at: float = RELATED,
    ) -> None:
        self.entries = [e for e in entries if e.active]
        self.source = source
        if isinstance(confident_at, (int, float)):
            confident_at = dict.fromkeys(LANGUAGES, float(confident_at))
        self.confident_at: dict[str, float] = {**CONFIDENT, **confident_at}
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
        # So is one sentence of an entry's question ("灭火器多久换一次？" of "灭火器多久换一次？
        # 有报废年限吗？"), when no other entry's question has that sentence too.
        for key, entry in self._sentences().items():
            self._verbatim.setdefault(key, entry)
        self.index = BM25F(
            [self._fields(e) for e in self.entries], FIELD_WEIGHTS, unknown_weight=0.5
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

    def threshold(self, question: str) -> float:
        """The confidence needed to answer this question at once (by its language)."""
        return self.confident_at[detect_language(question)]

    def rank(self, question: str) -> list[tuple[Entry, float]]:
        """Entries that match at all with their `match`, best first (ties in entry order);
        an entry asked for word for word comes first."""
        return [(e, min(1.0, s)) for e, s in self._ranked(question)]

    def _ranked(self, question: str) -> list[tuple[Entry, float]]:
        """As rank, with the matches uncapped (they order the entries and give the lead)."""
        terms = self.analyzer.tokens(question) + self.analyzer.pairs(question)
        scores = self.index.relevance(terms, UNKNOWN_WEIGHT[detect_language(question)])
        order = sorted((i for i, s in enumerate(scores) if s > 0), key=lambda i: (-scores[i], i))
        ranked = [(self.entries[i], scores[i]) for i in order]
        verbatim = self._verbatim.get(self._verbatim_key(question))
        if verbatim is None:
            return ranked
        top = max([1.0, *(s for _, s in ranked[:1])])
        return [(verbatim, top), *((e, s) for e, s in ranked if e is not verbatim)]

    def answer(self, question: str, language: str | None = None) -> Answer:
        """The best entry, whether it is confident, up to two related entries and the best
        few candidates; `language` (zh or en) is the one to answer in, by default the
        question's. Confidence is judged in the question's own language, whatever the reply's."""
        language = language if language in LANGUAGES else detect_language(question)
        threshold = self.threshold(question)
        ranked = self._ranked(question)
        if not ranked:
            return Answer(question, language, None, 0.0, False, threshold=threshold)
        best, relevance = ranked[0]
        if self._verbatim.get(self._verbatim_key(question)) is best:
            score = 1.0
        else:
            score = confidence(relevance, ranked[1][1] if len(ranked) > 1 else 0.0)
        capped = [(e, min(1.0, s)) for e, s in ranked[: max(MAX_CANDIDATES, 1 + MAX_RELATED)]]
        related = [e for e, s in capped[1 : 1 + MAX_RELATED] if s >= self.related_at]
        return Answer(
            question,
            language,
            best,
            score,
            score >= threshold,
            related,
            round(capped[0][1], 4),
            [
                Candidate(e, round(min(1.0, s), 4), round(s / relevance, 4))
                for e, s in ranked[:MAX_CANDIDATES]
            ],
            threshold,
        )

    def _sentences(self) -> dict[str, Entry]:
        owners: dict[str, set[str]] = {}
        by_id = {e.id: e for e in self.entries}
        for e in self.entries:
            for question in (e.question_zh, e.question_en, *e.variants_zh, *e.variants_en):
                parts = [p for p in SENTENCE_END.split(question) if p.strip()]
                for part in parts if len(parts) > 1 else []:
                    key = self._verbatim_key(part)
                    if len(key) >= MIN_SENTENCE_CHARS:
                        owners.setdefault(key, set()).add(e.id)
        return {k: by_id[next(iter(ids))] for k, ids in owners.items() if len(ids) == 1}

    def _verbatim_key(self, text: str) -> str:
        return NOT_WORD.sub("", self.analyzer.normalise(text))


def confidence(best: float, runner_up: float) -> float:
    """How sure the best entry is the one meant: the geometric mean of its match (capped at
    1) and its lead over the runner-up, relative to itself."""
    if best <= 0:
        return 0.0
    lead = max(0.0, 1.0 - runner_up / best)
    return round(math.sqrt(min(1.0, best) * lead), 4)
