"""Text retrieval for the knowledge base: normalise, segment, rank with BM25.

Text is first brought to the classifier's plain form (triage.understanding.normalise: OpenCC
traditional → simplified, Cantonese words, voice-typing slips). Chinese is segmented with jieba (search mode, so 烟雾报警器 also yields 烟雾, 报警器);
English is lowercased words, stemmed (triage.understanding.english). Colloquial forms are replaced by the
knowledge base's own words (triage/data/synonyms.txt), on questions and entries alike: Chinese
ones in the text before segmenting, English ones on the stems. Ranking is BM25 over several weighted fields (BM25F: each field's term
frequency is length-normalised, weighted, summed, then saturated once).
"""

from __future__ import annotations

import logging
import math
import os
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jieba

from triage.understanding import english
from triage.understanding.normalise import normalise as plain_form

log = logging.getLogger(__name__)
SYNONYMS_FILE = Path(__file__).parent.parent / "data" / "synonyms.txt"
# jieba keeps its dictionary, parsed, in a cache file it reads back with marshal: in a shared
# /tmp (its default) anyone could leave one there for it. Ours is private to the service.
CACHE_DIR_VARIABLE = "FIRECIRCLE_CACHE_DIR"
DEFAULT_CACHE_DIR = "var"  # beside the default database, relative to where firecircle runs

_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_HAN_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")

# Function words that say nothing about which entry is meant. Question words that do
# (哪里 where, 多久 how long, 能不能 may I) stay; BM25's idf weighs them down anyway.
ZH_STOPWORDS = frozenset(
    """的 地 得 了 着 过 吗 呢 吧 啊 呀 嘛 么 哦 哈 噢 嗯 哎 唉 诶 啦 咯 呗 哇 喔 是 在 和 与 及 或 而
    就 都 也 还 又 很 太 挺 蛮 特别 非常 这 那 这个 那个 这些 那些 这样 那样 这种 那种 这么 那么
    一个 一下 一些 一点 个 些 我 你 您 他 她 它 我们 你们 他们 她们 咱 咱们 大家 自己 人家
    请问 请 问 问一下 想问 麻烦 谢谢 你好 您好 老师 师傅 一般 然后 但是 可是 不过 所以 因为 如果 的话
    其实 就是 还是 到底 究竟 已经 现在 总是 老是 经常 有点 有些 之类 什么样 之后 以后 之前
    把 被 给 对 从 到 向 跟 让 比 为 于 以 等 上 下 里 中 内 外 边 旁 呀 哪位""".split()
)
K1 = 1.5
B = 0.75
PAIR = "#"  # marks a character-pair token (see Analyzer.pairs)


@dataclass(frozen=True)
class Synonyms:
    """Alternative form → canonical word, for Chinese and for English."""

    zh: Mapping[str, str]
    en: Mapping[str, str]

    @classmethod
    def parse(cls, text: str) -> Synonyms:
        zh: dict[str, str] = {}
        en: dict[str, str] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            canonical, sep, rest = line.partition("=")
            canonical = _fold(canonical.strip())
            forms = [_fold(f.strip()) for f in rest.split(",") if f.strip()]
            if not sep or not canonical or not forms:
                raise ValueError(f"synonyms line {number}: expected 'canonical = form, form, …'")
            table = zh if _HAN.search(canonical) else en
            for form in [canonical, *forms]:
                table.setdefault(form, canonical)
        return cls(zh, en)

    @classmethod
    def load(cls, path: Path = SYNONYMS_FILE) -> Synonyms:
        return cls.parse(path.read_text(encoding="utf-8"))

    def canonical_words(self) -> set[str]:
        return set(self.zh.values())


def _fold(text: str) -> str:
    """Full-width to half-width, lowercase: the same text whatever keyboard typed it."""
    return unicodedata.normalize("NFKC", text).lower()


def _alternation(forms: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(set(forms), key=lambda f: (-len(f), f))  # longest first
    if not ordered:
        return None
    return re.compile("|".join(re.escape(f) for f in ordered))


class Analyzer:
    """Text → tokens, the same way for questions and entries. Build once: jieba loads its
    dictionary (about a second) when the first analyser is made, never per question."""

    def __init__(self, synonyms: Synonyms) -> None:
        self.synonyms = synonyms
        self._zh = _alternation(synonyms.zh)
        self._en = english.Phrases(synonyms.en)
        self._jieba = _segmenter(tuple(sorted(synonyms.canonical_words())))

    def normalise(self, text: str) -> str:
        """In the plain form the classifier reads (traditional characters and Cantonese to
        Mandarin, voice-typing slips mended: 滅火器, 美火器 → 灭火器), folded, with Chinese
        colloquial forms replaced (English ones wait for the stems)."""
        text = _fold(plain_form(text))
        if self._zh is not None:
            text = self._zh.sub(lambda m: self.synonyms.zh[m.group(0)], text)
        return text

    def tokens(self, text: str) -> list[str]:
        """Chinese words from the segmenter, then the English words; order does not matter
        to BM25, and English split out of the segmenter's pieces keeps phrases together."""
        text = self.normalise(text)
        chinese = [
            piece
            for piece in (p.strip() for p in self._jieba.cut_for_search(text))
            if _HAN.search(piece) and piece not in ZH_STOPWORDS
        ]
        return chinese + self._en.tokens(english.WORDS.findall(_HAN.sub(" ", text)))

    def pairs(self, text: str) -> list[str]:
        """Overlapping pairs of Chinese characters ("#灭火", "#火器"): they still match when
        the segmenter cut a colloquial or mistyped phrase differently from the entry's."""
        out: list[str] = []
        for run in _HAN_RUN.findall(self.normalise(text)):
            out.extend(PAIR + run[i : i + 2] for i in range(len(run) - 1))
        return out


_segmenters: dict[tuple[str, ...], jieba.Tokenizer] = {}
_segmenters_lock = threading.Lock()


def _segmenter(extra_words: tuple[str, ...]) -> jieba.Tokenizer:
    """One jieba tokenizer per word list, initialised quietly and kept for the process."""
    with _segmenters_lock:
        found = _segmenters.get(extra_words)
        if found is None:
            jieba.setLogLevel(logging.WARNING)
            found = jieba.Tokenizer()
            found.tmp_dir = str(cache_dir())
            found.initialize()
            for word in extra_words:
                found.add_word(word, freq=_word_freq(found, word))
            _segmenters[extra_words] = found
        return found


def cache_dir() -> Path:
    """The cache's folder ($FIRECIRCLE_CACHE_DIR, else var/), made readable by its owner
    alone when missing. One that cannot be made only costs the cache (jieba goes on without)."""
    path = Path(os.environ.get(CACHE_DIR_VARIABLE) or DEFAULT_CACHE_DIR)
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("no jieba cache in %s: %s", path, exc.strerror)
    return path


def _word_freq(tokenizer: jieba.Tokenizer, word: str) -> int:
    # Enough to keep the word whole against any split jieba would otherwise prefer.
    return max(tokenizer.suggest_freq(word, tune=False), 1000)


@cache
def default_analyzer() -> Analyzer:
    return Analyzer(Synonyms.load())


class BM25F:
    """BM25 over weighted fields: docs are {field: tokens}; scores normalised to about 0–1.

    A term's pseudo-frequency in a document is Σ_field weight · tf / (1 − b + b · len/avglen);
    it is saturated once with k1. The normalised score divides by what the question's terms
    could earn from one plain match each (Σ idf), with unknown words counted at
    `unknown_weight` of the highest idf: a question mostly about things the knowledge base
    never mentions is not a confident match, however well its one familiar word fits.
    Unknown character pairs (PAIR tokens) do not count against it: most are noise.
    """

    def __init__(
        self,
        docs: Sequence[Mapping[str, Sequence[str]]],
        weights: Mapping[str, float],
        *,
        k1: float = K1,
        b: float = B,
        unknown_weight: float = 0.5,
    ) -> None:
        self.size = len(docs)
        self.k1 = k1
        self.unknown_weight = unknown_weight
        lengths = {f: [len(d.get(f, ())) for d in docs] for f in weights}
        average = {f: (sum(v) / len(v) if v and sum(v) else 1.0) for f, v in lengths.items()}
        pseudo: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        for i, doc in enumerate(docs):
            for field, weight in weights.items():
                norm = 1 - b + b * lengths[field][i] / average[field]
                for term, tf in Counter(doc.get(field, ())).items():
                    pseudo[term][i] += weight * tf / norm
        self.postings = {t: dict(p) for t, p in pseudo.items()}
        self.idf = {
            t: math.log(1 + (self.size - len(p) + 0.5) / (len(p) + 0.5))
            for t, p in self.postings.items()
        }
        self.max_idf = math.log(1 + (self.size + 0.5) / 0.5)

    def scores(self, query: Iterable[str]) -> list[float]:
        """Each document's normalised score, capped at 1."""
        return [min(1.0, s) for s in self.relevance(query)]

    def relevance(self, query: Iterable[str], unknown_weight: float | None = None) -> list[float]:
        """Normalised but not capped: a short English question often earns more than its
        words could alone (one stem in several fields), and the cap would tie the best entries."""
        terms = list(dict.fromkeys(query))
        unknown = self.unknown_weight if unknown_weight is None else unknown_weight
        raw = [0.0] * self.size
        possible = 0.0
        for term in terms:
            idf = self.idf.get(term)
            if idf is None:
                # a lone unknown character (a typo, a particle) says little, nor does an
                # unknown character pair (most pairs across a word boundary are unknown)
                if len(term) > 1 and not term.startswith(PAIR):
                    possible += unknown * self.max_idf
                continue
            possible += idf
            for doc, tf in self.postings[term].items():
                raw[doc] += idf * tf * (self.k1 + 1) / (self.k1 + tf)
        if possible <= 0:
            return raw
        return [s / possible for s in raw]
