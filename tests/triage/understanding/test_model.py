"""The kind model's scorer (model.py) and how classify() weighs its view by cost (issue 13)."""

import json
import math
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field

import pytest

from triage.understanding import model as kind_model
from triage.understanding.classify import (
    MODEL_EMERGENCY,
    POSSIBLE_HAZARD,
    classify,
    classify_rules,
    combine,
    model_tokens,
    normalise,
)
from triage.understanding.doubt import unsure
from triage.understanding.model import KindModel, features, shipped
from triage.understanding.taxonomy import Kind

TINY = {
    "classes": ["hazard", "question"],
    "intercepts": [0.0, 0.5],
    "thresholds": {"ask": 0.5, "emergency": 0.5},
    "features": {"堵": [2.0, 3.0, -1.0], "吗": [1.0, -1.0, 2.0]},
}


def test_features_are_character_one_to_three_grams_with_spaces_squeezed():
    grams = features("楼道  堵")
    assert grams == {
        "楼": 1, "道": 1, " ": 1, "堵": 1, "楼道": 1, "道 ": 1, " 堵": 1, "楼道 ": 1, "道 堵": 1,
    }  # fmt: skip
    assert features("aaa")["a"] == 3 and features("aaa")["aa"] == 2
    assert features("") == {}


def test_the_scorer_is_sublinear_tf_idf_then_a_softmax_of_one_dot_product_per_class():
    tiny = KindModel.from_json(TINY)
    p = tiny.probabilities("堵堵吗")
    blocked, asking = (1 + math.log(2)) * 2.0, 1.0 * 1.0  # "堵" twice, "吗" once
    norm = math.hypot(blocked, asking)
    hazard = 3.0 * blocked / norm - 1.0 * asking / norm
    question = 0.5 - 1.0 * blocked / norm + 2.0 * asking / norm
    expected = 1 / (1 + math.exp(question - hazard))
    assert p["hazard"] == pytest.approx(expected)
    assert sum(p.values()) == pytest.approx(1.0)
    # Nothing known: the intercepts alone.
    assert tiny.probabilities("你好")["question"] == pytest.approx(1 / (1 + math.exp(-0.5)))


def test_the_shipped_model_loads_fast_without_numpy_and_reads_plain_cases():
    code = (
        "import sys, time; t = time.perf_counter();"
        "from triage.understanding.model import shipped; m = shipped();"
        "print(time.perf_counter() - t, m is not None, 'numpy' in sys.modules,"
        " 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, loaded, numpy, sklearn = out.stdout.split()
    assert float(seconds) < 1.0 and loaded == "True" and numpy == sklearn == "False"
    model = shipped()
    assert set(model.kind.classes) >= {"hazard", "emergency", "question", "out_of_scope"}
    assert set(model.category.classes) >= {"ebike", "fire_lane", "other"}
    assert set(model.severity.classes) == {"urgent", "high", "normal"}
    assert 0 < model.thresholds["ask"] < 1 and 0 < model.thresholds["emergency"] < 1
    assert model.thresholds["keep"] == 0  # the model never stands the rules' alarm down
    assert kind_model.MODEL_FILE.stat().st_size < 2_000_000
    for text, kind in [
        ("着火了 快来人，楼道里全是烟", "emergency"),
        ("楼道里停满了电动车，还在充电", "hazard"),
        ("灭火器多久要换一次？", "question"),
    ]:
        plain = normalise(text)
        p = model.kind.probabilities(plain, model_tokens(classify_rules(text), plain))
        assert max(p, key=p.get) == kind, p


def test_tokens_carry_the_rules_reading_and_add_their_weights():
    tiny = KindModel.from_json({**TINY, "tokens": {"rule-kind=hazard": [1.0, -1.0]}})
    without, with_token = (
        tiny.probabilities("你好"),
        tiny.probabilities("你好", ["rule-kind=hazard"]),
    )
    assert with_token["hazard"] > without["hazard"]
    assert with_token["hazard"] == pytest.approx(1 / (1 + math.exp(0.5 - 1.0 - 1.0)))
    tokens = model_tokens(classify_rules("楼道里停满了电动车"), normalise("楼道里停满了电动车"))
    assert "rule-kind=hazard" in tokens and "rule-category=ebike" in tokens


def test_scoring_a_message_takes_well_under_a_millisecond():
    texts = ["着火了", "楼道里停满了电动车，晚上还在充电，谁来管管" * 3]
    samples = []
    for _ in range(50):
        for text in texts:
            start = time.perf_counter()
            classify(text)
            samples.append(time.perf_counter() - start)
    assert statistics.median(samples) < 0.001


def test_without_the_file_the_rules_work_alone(tmp_path, monkeypatch):
    monkeypatch.setattr(kind_model, "MODEL_FILE", tmp_path / "absent.json")
    shipped.cache_clear()
    try:
        assert shipped() is None
        (tmp_path / "absent.json").write_text("{not json", "utf-8")
        shipped.cache_clear()
        assert shipped() is None
    finally:
        shipped.cache_clear()


@dataclass
class Reads:
    """A stand-in head that reads every message the same way."""

    p: dict[str, float]

    def probabilities(self, plain: str, tokens=()) -> dict[str, float]:
        return self.p


@dataclass
class Says:
    """A stand-in model whose kind head reads every message the same way."""

    p: dict[str, float]
    thresholds: dict[str, float] = field(
        default_factory=lambda: {"ask": 0.6, "emergency": 0.6, "keep": 0.0}
    )
    category: Reads = field(default_factory=lambda: Reads({"ebike": 0.9, "other": 0.1}))
    severity: Reads = field(default_factory=lambda: Reads({"high": 0.8, "urgent": 0.2}))

    @property
    def kind(self) -> Reads:
        return Reads(self.p)


SURE_FIRE = Says({"emergency": 0.9, "hazard": 0.05, "question": 0.05})
SURE_HAZARD = Says({"emergency": 0.05, "hazard": 0.9, "out_of_scope": 0.05})
HARMLESS = Says({"emergency": 0.05, "hazard": 0.05, "out_of_scope": 0.9})


def judged(text: str, model: Says):
    return combine(classify_rules(text), normalise(text), model)


def test_a_cry_for_help_the_rules_took_for_a_question_raises_the_alarm_when_the_model_is_sure():
    text = "楼顶烧起来了吗？该怎么办"
    assert classify_rules(text).kind != Kind.EMERGENCY  # stood down as a generic question
    label = judged(text, SURE_FIRE)
    assert label.kind == Kind.EMERGENCY and label.severity is None
    assert any(cue.startswith(MODEL_EMERGENCY) for cue in label.cues)
    assert judged(text, HARMLESS).kind != Kind.EMERGENCY


def test_a_stand_down_for_a_fact_is_the_rules_to_make():
    for text in ["电焊工在楼顶干活，火星子往下掉，下面全是纸箱", "昨天楼下着火了，已经扑灭了"]:
        assert classify_rules(text).kind != Kind.EMERGENCY
        assert judged(text, SURE_FIRE).kind != Kind.EMERGENCY


def test_the_model_never_stands_an_emergency_down_nor_sends_a_report_to_12345_unasked():
    assert judged("着火了 快来人", HARMLESS).kind == Kind.EMERGENCY
    hazard = judged("楼道里停满了电动车，还在充电", HARMLESS)
    assert hazard.kind == Kind.OUT_OF_SCOPE and unsure(hazard)  # the resident is asked


def test_the_model_decides_between_the_other_kinds_and_names_category_and_severity():
    label = judged("楼上装修太吵了", SURE_HAZARD)
    assert (label.kind, label.category, label.severity) == (Kind.HAZARD, "ebike", "high")
    assert "model:out_of_scope->hazard" in label.cues
    urgent = judged("网吧的安全出口锁了，里面几十个人", SURE_HAZARD)
    assert urgent.severity == "urgent"  # the rules' urgent words win


def test_a_possible_hazard_the_rules_would_send_to_12345_is_asked_about():
    text = "楼上装修太吵了"  # the rules know this as off-topic: no "no signal" question today
    assert classify_rules(text).kind == Kind.OUT_OF_SCOPE and not unsure(classify_rules(text))
    label = judged(text, Says({"emergency": 0.05, "hazard": 0.4, "out_of_scope": 0.55}))
    assert label.kind == Kind.OUT_OF_SCOPE and not unsure(label)  # 0.45 < ask 0.6
    label = judged(text, Says({"emergency": 0.3, "hazard": 0.3, "out_of_scope": 0.4}))
    assert label.kind == Kind.OUT_OF_SCOPE and unsure(label)
    assert any(cue.startswith(POSSIBLE_HAZARD) for cue in label.cues)
    assert not unsure(judged(text, HARMLESS))
    question = judged("灭火器多久要换一次？", Says({"hazard": 0.45, "question": 0.55}))
    assert question.kind == Kind.QUESTION and not unsure(question)
    question = judged(
        "灭火器多久要换一次？", Says({"hazard": 0.3, "emergency": 0.3, "question": 0.4})
    )
    assert question.kind == Kind.QUESTION and unsure(question)


def test_classify_carries_the_shipped_models_reading_as_a_cue():
    label = classify("灭火器多久要换一次？")
    assert any(cue.startswith("model:question:") for cue in label.cues)
    assert json.dumps(label.as_dict(), ensure_ascii=False)


def test_a_model_row_without_one_weight_per_class_is_refused_at_load():
    """probabilities() reads a weight per class by position: a short or long row is a
    broken model file, refused when read (the rules then work alone), not misread."""
    short = {**TINY, "tokens": {"rule-kind=hazard": [1.0]}}
    long = {**TINY, "intercepts": [0.0, 0.5, 1.0]}
    for data in (short, long):
        with pytest.raises(ValueError, match="one weight per class"):
            KindModel.from_json(data)
    assert KindModel.from_json(TINY).classes == tuple(TINY["classes"])
