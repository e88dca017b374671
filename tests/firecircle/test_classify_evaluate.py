"""`firecircle classify --evaluate FILE`: the figures a reader needs to trust the triage."""

from __future__ import annotations

import json
import re
from pathlib import Path

from firecircle.cli import main

CORPUS = Path(__file__).resolve().parents[2] / "triage" / "data" / "corpus"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def labelled(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def test_evaluate_prints_per_class_figures_confusion_and_dismissals(tmp_path, capsys):
    rows = [
        {"text": "楼道里有电动车在充电", "kind": "hazard", "category": "ebike", "severity": "high"},
        # Labelled a hazard on purpose: the classifier sends it to 12345, which must show.
        {
            "id": "x2",
            "text": "广场舞音响太吵了",
            "kind": "hazard",
            "category": "other",
            "severity": "normal",
        },
        {
            "text": "my kitchen is on fire, the smoke is everywhere",
            "kind": "emergency",
            "category": None,
            "severity": None,
        },
        {"text": "灭火器多久换一次？", "kind": "question", "category": None, "severity": None},
        {"text": "你好", "kind": "greeting", "category": None, "severity": None},
    ]
    code, out, _ = run(capsys, "classify", "--evaluate", str(labelled(tmp_path / "l.jsonl", rows)))
    assert code == 0
    assert "-- kind: accuracy 80.0% on 5" in out  # 你好 read as small talk, as the bot reads it
    assert "-- category (gold hazards): accuracy 50.0% on 2" in out
    assert "-- severity (gold hazards)" in out
    kind_rows: dict[str, list[str]] = {}  # the first table, per-class figures, comes first
    for line in out.splitlines():
        if line.startswith("  ") and line.split():
            kind_rows.setdefault(line.split()[0], line.split()[1:])
    assert kind_rows["emergency"][:4] == ["100.0%", "100.0%", "100.0%", "1"]
    assert kind_rows["greeting"][:4] == ["100.0%", "100.0%", "100.0%", "1"]
    assert "emergency recall: 1/1 = 100.0%" in out
    assert "false alarms: 0/4 non-emergencies = 0.0%" in out
    assert "asked with one tap what it is: 0 (0 hazards/emergencies)" in out
    assert "dismissed to 12345 unasked: 1\n  x2: kind hazard→out_of_scope" in out
    assert "median time per message:" in out and "misses (" not in out
    code, out, _ = run(capsys, "classify", "--evaluate", str(tmp_path / "l.jsonl"), "--misses")
    assert "misses (1):" in out and "x2: kind hazard→out_of_scope" in out


def test_evaluate_says_plainly_what_is_wrong_with_the_file(tmp_path, capsys):
    code, _, err = run(capsys, "classify", "--evaluate", str(tmp_path / "absent.jsonl"))
    assert code == 1 and "cannot read" in err and "absent.jsonl" in err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "kind": "greeting"}\n{"text": "no kind"}\n', "utf-8")
    code, _, err = run(capsys, "classify", "--evaluate", str(bad))
    assert code == 1 and "bad.jsonl:2" in err
    (tmp_path / "empty.jsonl").write_text("\n", "utf-8")
    code, _, err = run(capsys, "classify", "--evaluate", str(tmp_path / "empty.jsonl"))
    assert code == 1 and "no labelled messages" in err


def test_the_corpus_is_large_labelled_and_split_by_core():
    from triage.understanding.taxonomy import Category, Kind, Severity

    sides = {
        side: [json.loads(line) for line in (CORPUS / f"{side}.jsonl").open(encoding="utf-8")]
        for side in ("train", "holdout")
    }
    everything = sides["train"] + sides["holdout"]
    assert len(everything) >= 2000
    # One core in five of the first two rounds; the later ones (more_train.py's "m-", round4.py
    # to round7.py's "r4-" … "r7-") are train only.
    first_rounds = [r for r in sides["train"] if not re.match(r"(m|r\d+)-", r["group"])]
    assert 0.15 < len(sides["holdout"]) / (len(first_rounds) + len(sides["holdout"])) < 0.25
    # Train-only rounds shrink the held-out share of everything (555 of 6,236 after round 7);
    # what must hold is a held-out side large enough to measure on.
    assert len(sides["holdout"]) >= 500 and len(sides["holdout"]) / len(everything) < 0.25
    kinds = {str(k) for k in Kind} | {"greeting"}
    for row in everything:
        assert row["kind"] in kinds and row["text"].strip()
        hazard = row["kind"] == "hazard"
        assert (row["category"] in {str(c) for c in Category}) if hazard else True
        assert (row["severity"] in {str(s) for s in Severity}) == hazard
    groups = [{row["group"] for row in rows} for rows in sides.values()]
    assert not groups[0] & groups[1]
    assert len({row["text"] for row in everything}) == len(everything)
    # The fresh held-out set: labelled alike, and none of it in train but two one-word
    # greetings ("thx"), which small_talk.py reads, not the model.
    fresh = [json.loads(line) for line in (CORPUS / "fresh.jsonl").open(encoding="utf-8")]
    for row in fresh:
        assert row["kind"] in kinds
        assert (row["severity"] in {str(s) for s in Severity}) == (row["kind"] == "hazard")
    said = {row["text"] for row in fresh if row["kind"] != "greeting"}
    assert not said & {row["text"] for row in sides["train"]}


def test_the_corpus_files_are_what_the_script_writes(tmp_path):
    """Someone who edits phrases.py also runs generate.py: the split stays reproducible."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, str(CORPUS / "generate.py"), str(tmp_path)], check=True, timeout=120
    )
    for side in ("train", "holdout"):
        assert (tmp_path / f"{side}.jsonl").read_bytes() == (CORPUS / f"{side}.jsonl").read_bytes()
