"""English retrieval: stems, stop words, synonyms on stems, and what they do for answers."""

from __future__ import annotations

import pytest

from triage.answers.knowledge import KnowledgeBase
from triage.answers.retrieval import default_analyzer
from triage.understanding.english import Phrases, stem


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_shipped_file()


@pytest.mark.parametrize(
    "forms",
    [
        ("plug", "plugs", "plugged", "plugging"),
        ("charge", "charges", "charged", "charging"),
        ("battery", "batteries"),
        ("box", "boxes"),
        ("stop", "stopped", "stopping"),
        ("catch", "catches", "caught"),
        ("swell", "swollen", "swelled"),
        ("neighbour", "neighbor", "neighbours"),
        ("centre", "center"),
        ("safe", "safely"),
        ("danger", "dangerous"),
        ("child", "children"),
    ],
)
def test_inflected_forms_share_a_stem(forms):
    assert len({stem(f) for f in forms}) == 1, {f: stem(f) for f in forms}


@pytest.mark.parametrize("word", ["ring", "bring", "thing", "red", "shed", "need", "119", "co"])
def test_words_that_only_look_inflected_keep_their_ending(word):
    assert stem(word) == word


def test_contractions_and_filler_are_not_terms():
    tokens = default_analyzer().tokens("It doesn't work and I'm really not sure what's wrong, pls")
    assert tokens == ["work", "sur", "wrong"]


def test_synonyms_match_every_inflection_and_the_longest_form_first():
    phrases = Phrases(
        {"scooter": "ebike", "e-bike": "ebike", "extension cord": "power strip", "cord": "wire"}
    )
    assert phrases.tokens(["two", "scooters"]) == ["two", "ebik"]
    assert phrases.tokens(["e", "bikes", "charging"]) == ["ebik", "charg"]
    assert phrases.tokens(["extension", "cords"]) == ["power", "strip"]
    assert phrases.tokens(["the", "cord"]) == ["wir"]


@pytest.mark.parametrize(
    "question",
    [
        "can I park my e-bike in the stairwell",
        "is it ok to leave electric bikes in the stairs",
        "neighbours keep parking their scooters in the staircase",
        "parking an ebike on the stairway",
    ],
)
def test_every_name_for_an_e_bike_and_a_stairwell_finds_the_same_entry(kb, question):
    ranked = [e.id for e, _ in kb.rank(question)[:3]]
    assert "ebike-no-stairwell" in ranked, ranked
    assert kb.rank(question)[0][0].topic == "ebike"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("smoke detectors chirping", "alarm-battery"),
        ("my smoke alarm chirps", "alarm-battery"),
        ("batteries bulging on my electric scooter", "ebike-battery-swell"),
        ("the e-bike battery has swollen", "ebike-battery-swell"),
        ("plugging power strips into each other", "elec-power-strip"),
        ("daisy chained extension cords", "elec-power-strip"),
    ],
)
def test_plural_verb_and_synonym_forms_reach_the_entry(kb, question, expected):
    answer = kb.answer(question)
    assert answer.entry is not None and answer.entry.id == expected, kb.rank(question)[:3]
    assert answer.language == "en"


def test_english_wording_does_not_move_chinese_scores(kb):
    """Each language has its own fields: a Chinese question scores the same against
    entries stripped of their English."""
    chinese_only = KnowledgeBase(
        [
            e.__class__(
                **{
                    **e.as_dict(),
                    "question_en": "",
                    "variants_en": (),
                    "answer_en": "",
                    "more_en": None,
                }
            )
            for e in kb.entries
        ]
    )
    for question in ("灭火器多久检查一次", "电瓶车可以推到楼道里充电吗", "家里闻到煤气味怎么办"):
        assert chinese_only.answer(question).score == kb.answer(question).score
