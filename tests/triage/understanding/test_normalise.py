"""The plain form every message is read in: one spelling per word, whatever the keyboard."""

from __future__ import annotations

import time

import pytest

from triage.understanding.classify import classify
from triage.understanding.normalise import collapse, normalise, to_simplified


@pytest.mark.parametrize(
    ("written", "plain"),
    [
        ("樓道裡電動車充電", "楼道里电动车充电"),  # traditional
        ("著火了", "着火了"),  # OpenCC keeps 著; fire talk means 着
        ("１２号楼ＡＢ座，", "12号楼AB座,"),  # full width
        ("电平车停在楼到里", "电瓶车停在楼道里"),  # voice typing
        ("美火器过期了", "灭火器过期了"),
        ("天燃气漏了", "天然气漏了"),
        ("xiaofang通道被堵了", "消防通道被堵了"),  # pinyin, glued to characters
        ("Meiqi hen da", "煤气 hen da"),
        ("火燭呀！三樓冒緊煙", "火灾呀!三楼在冒烟"),  # Cantonese
        ("有陣燶味", "有阵焦味"),
        ("meiqi wei hen da", "煤气味 hen da"),
        ("隔籬舖頭喺門口放咗好多石油氣罐", "隔篱店铺在门口放了好多液化气罐"),
        ("着火了！！！🔥🔥🔥", "着火了!🔥"),
        ("真的吗？？？。。。", "真的吗?。"),
        ("help?!?!", "help?"),
        ("电线走火了", "电线走火了"),  # Mandarin 走火 is a short circuit: kept
        ("系统", "系统"),
        ("", ""),
    ],
)
def test_plain_form(written, plain):
    assert normalise(written) == plain


def test_simplified_text_and_english_pass_through_unchanged():
    for text in ("楼道里停了四五辆电动车", "the fire exit is locked", "Block 5, 3F"):
        assert normalise(text) == text
    assert to_simplified("消防栓") == "消防栓"
    assert collapse("a   b\u3000c") == "a b c"


def test_the_classifier_reads_the_plain_form():
    """Forms that read the same to a person get the same label."""
    pairs = [
        ("楼道里停了好多电瓶车", "loudao里停了好多dianpingche"),
        ("楼道里停了好多电瓶车", "樓道裡停了好多電瓶車"),
        ("灭火器过期了 2单元", "美火器过期了 2单元"),
        ("煤气罐的管子呲呲在响，还有味道", "meiqi罐的管子呲呲在响，还有味道⚠️⚠️⚠️"),
    ]
    for plain, rough in pairs:
        assert classify(rough).kind == classify(plain).kind
        assert classify(rough).category == classify(plain).category


def test_fast_enough_to_run_on_every_message():
    text = "麻煩管一下，單元門口電東車充電線橫七豎八的，都一個多月了！！！🔥🔥" * 3
    normalise(text)
    start = time.perf_counter()
    for _ in range(1000):
        normalise(text)
    assert (time.perf_counter() - start) / 1000 < 0.001  # well under a millisecond


def test_english_slips_are_mended_as_whole_words():
    assert normalise("The SMOEK detector in the stairwel") == "The smoke detector in the stairwell"
    assert normalise("the stairwell extinguiser") == "the stairwell extinguisher"
