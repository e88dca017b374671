"""A regex's search is skipped only in a text it cannot match (needed_chars): every pattern of
the lexicon, against the corpus's messages and generated texts made of its own characters."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.understanding import classify, lexicon
from triage.understanding.needed_chars import Searches, needed_chars

CORPUS = Path(classify.__file__).resolve().parents[1] / "data" / "corpus"
LEXICON = [
    *(pattern for terms in lexicon.CATEGORY_TERMS.values() for pattern, _ in terms),
    *(pattern for _, pattern, _ in lexicon.CATEGORY_COMBOS),
]
REGEXES = [re.compile(pattern) for pattern in LEXICON]
# The characters the patterns are written with, and a few others: texts made of them match
# often, and miss by one character often.
ALPHABET = sorted({char for pattern in LEXICON for char in pattern} | set("。，！ 的了"))


def corpus_texts() -> list[str]:
    texts = []
    for name in ("fresh.jsonl", "holdout.jsonl"):
        for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def skipped_wrongly(text: str) -> list[str]:
    """Patterns that match the text although the search would be skipped."""
    candidates = set(Searches(REGEXES).candidates(text))
    return [
        regex.pattern
        for index, regex in enumerate(REGEXES)
        if index not in candidates and regex.search(text)
    ]


def test_no_pattern_that_matches_a_corpus_message_is_skipped():
    texts = corpus_texts()
    assert len(texts) > 500
    for text in texts:
        plain = classify.normalise(text)
        assert skipped_wrongly(plain) == [], plain


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=1, max_size=40))
def test_no_pattern_that_matches_a_generated_text_is_skipped(text):
    assert skipped_wrongly(text) == []


@pytest.mark.parametrize(
    ("pattern", "needed"),
    [
        ("消防车(?:通)?道", {"消"}),  # the first of its sure parts, all one character
        ("(?:防火|消防)门", {"门"}),
        ("(?<![a-z])(?:fire (?:lane|access)s?)(?![a-z])", {"f"}),
        (r"^(?=[\s\S]*(?:充电棚|充电桩))(?=[\s\S]*(?:拉线|拉插排))", {"充"}),
        ("[0-9]+楼", {"楼"}),
        ("(?:楼道|走廊)?堆放", {"堆"}),
    ],
)
def test_what_a_pattern_says_plainly_is_read(pattern, needed):
    assert needed_chars(re.compile(pattern)) == needed


@pytest.mark.parametrize(
    "pattern",
    ["(?i)fire", "(?i:fire)", ".+", r"\w+", "[^a]", "a?", "(?:a|)b?", r"(?=\d)", "x*"],
)
def test_a_pattern_that_says_nothing_plainly_is_always_searched(pattern):
    assert needed_chars(re.compile(pattern)) is None
    searches = Searches([re.compile("火"), re.compile(pattern)])
    assert searches.candidates("水") == [1]


def test_candidates_keep_the_patterns_order():
    searches = Searches([re.compile(p) for p in ("b", "a", "ab", ".")])
    assert searches.candidates("ba") == [0, 1, 2, 3]
    assert searches.candidates("a") == [1, 2, 3]
    assert searches.candidates("") == [3]
