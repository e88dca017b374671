"""Answering a question from the knowledge base.

A question is matched with BM25 (triage.answers.retrieval) against each entry's question,
variants and keywords, with its answers as a weaker field. Each entry gets a `match` (0–1:
how much of the question it covers); the best entry's confidence is a logistic model's
chance that it is the one meant (its match, its lead over the next ones, its share of the
question's words). At the question's language's threshold or above the bot answers at once;
below, the question goes to staff, with the nearest questions to offer first when they are
close. The model and the thresholds are fitted by bench/faq_calibrate.py on
tests/data/faq_questions.jsonl, never on the held-out sets (tests/data/faq_heldout*.jsonl).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
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

# Confidence is the chance the best entry is the one meant, from a logistic model over what
# the ranking shows (see `Evidence`): how much of the question the best entry covers, its lead
# over the runner-up and the third (relative to itself: English matches crowd near 1), the
# share of the question's words it contains, how many words the question has (a long ramble
# covers less of itself, yet says more), and English, whose stems meet several fields. The
# weights and the thresholds are fitted by bench/faq_calibrate.py on the calibration split
# (thresholds on out-of-fold chances, at 95 % of answers right: a wrong answer at once is
# worse than a question for staff); never on the held-out sets.
CONFIDENCE_WEIGHTS = {
    "bias": 0.7267,
    "match": 0.6446,
    "coverage": -0.441,
    "geo": 0.723,
    "geo3": 0.8253,
    "log_lead": 1.3524,
    "words": 2.1482,
    "unknown": -0.0844,
    "en": -0.8033,
    "en_match": 0.354,
    "en_geo": -0.0409,
}
# An entry covering less than this of the question is never sure, however it stands out: a
# question about something else sharing two words with one entry (哪天搞消防检查 and 消防日).
# Costs no right answer at once on the calibration split.
MIN_MATCH = 0.4
TIE = 0.02  # the lead at which log_lead bottoms out
CONFIDENT = {"zh": 0.8346, "en": 0.8259}  # on Answer.score, by the question's language
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
        near_ones = [c for c in self.candidates if c.match >= RELATED]
        # one lone weak match is a guess, not a choice ("你是想问…" offers two or three)
        return near_ones if len(near_ones) >= 2 else []


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
        if not options:  # the file does not change while the process runs: built once
            return _shipped_base()
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
            score = self.evidence(question, ranked).chance()
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

    def evidence(self, question: str, ranked: list[tuple[Entry, float]] | None = None) -> Evidence:
        """What the ranking says about the best entry (see CONFIDENCE_WEIGHTS)."""
        ranked = self._ranked(question) if ranked is None else ranked
        language = detect_language(question)
        words = list(dict.fromkeys(self.analyzer.tokens(question)))
        if not ranked:
            return Evidence(language, 0.0, 0.0, 0.0, 0.0, len(words), 1.0)
        relevance = [s for _, s in ranked[:3]] + [0.0, 0.0]
        best = self.entries.index(ranked[0][0])
        idf, postings = self.index.idf, self.index.postings
        known = [w for w in words if w in idf]
        unknown = sum(1 for w in words if w not in idf and len(w) > 1)
        # a word the knowledge base never uses is as telling as its rarest one
        total = sum(idf[w] for w in known) + unknown * self.index.max_idf
        covered = sum(idf[w] for w in known if best in postings[w])
        # jieba's search mode also yields the parts of a word (灭火, 火器 of 灭火器): a part
        # is not one more word the question says
        said = [w for w in words if not any(w != v and w in v for v in words)]
        return Evidence(
            language,
            min(1.0, relevance[0]),
            1 - relevance[1] / relevance[0],
            1 - relevance[2] / relevance[0],
            covered / total if total else 0.0,
            len(said),
            unknown / max(1, len(words)),
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


@dataclass(frozen=True)
class Evidence:
    """What the ranking shows about its best entry, for the confidence model."""

    language: str
    match: float  # how much of the question the best entry covers (0–1)
    lead: float  # 1 − runner-up's relevance / best's
    lead3: float  # 1 − third's relevance / best's
    coverage: float  # the share of the question's words (by idf) the best entry has
    words: int  # the question's distinct words
    unknown: float  # the share of them the knowledge base never uses

    def features(self) -> dict[str, float]:
        """Mostly products with how much the best entry covers, so that a lone weak match (an
        off-topic question sharing one word with one entry) does not stand out of nothing."""
        en = 1.0 if self.language == "en" else 0.0
        geo = math.sqrt(self.match * self.lead)
        return {
            "bias": 1.0,
            "match": self.match,
            "coverage": self.coverage,
            "geo": geo,
            "geo3": math.sqrt(self.match * self.lead3),
            # a near tie must weigh far more than a linear lead lets it: two entries alike
            "log_lead": math.log(self.lead + TIE),
            "words": math.log1p(self.words) * self.coverage,
            "unknown": self.unknown,
            "en": en,
            "en_match": en * self.match,
            "en_geo": en * geo,
        }

    def chance(self, weights: Mapping[str, float] = CONFIDENCE_WEIGHTS) -> float:
        """The modelled chance (0–1) that the best entry is the one meant; 0 without one."""
        if self.match < MIN_MATCH:
            return 0.0
        z = sum(weights.get(name, 0.0) * value for name, value in self.features().items())
        return round(1 / (1 + math.exp(-z)), 4)


@cache
def _shipped_base() -> KnowledgeBase:
    """The shipped file's entries, indexed (≈ 0.4 s): every service of a process (tests,
    benchmarks) answers from the same one, which nothing changes once built."""
    return KnowledgeBase(shipped_entries(), source=f"shipped file {SHIPPED_FAQ.name}")
