"""Measure the triage classifier on labelled JSON-lines files.

    .venv/bin/python bench/classifier_eval.py [FILE ...]

Without arguments it reads ../shared/triage/dev.jsonl (when present) and
tests/data/triage_holdout.jsonl. Each line: id, text, kind, category, severity.
Prints kind accuracy, category and severity accuracy on hazards, emergency recall and
precision, every miss, and the median and p99 time per message.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.understanding.classify import Classification, classify  # noqa: E402

DEFAULT_FILES = [
    REPO.parent / "shared" / "triage" / "dev.jsonl",
    REPO / "tests" / "data" / "triage_holdout.jsonl",
]
TIMING_ROUNDS = 20


@dataclass
class Scores:
    """Running tallies for one file."""

    total: int = 0
    kind_right: int = 0
    hazards: int = 0
    category_right: int = 0
    severity_right: int = 0
    emergencies: int = 0
    emergencies_caught: int = 0
    emergency_alarms: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, example: dict, got: Classification) -> None:
        self.total += 1
        wrong = []
        if got.kind == example["kind"]:
            self.kind_right += 1
        else:
            wrong.append(f"kind {example['kind']}→{got.kind}")
        if example["kind"] == "hazard":
            self.hazards += 1
            if got.category == example["category"]:
                self.category_right += 1
            else:
                wrong.append(f"category {example['category']}→{got.category}")
            if got.severity == example["severity"]:
                self.severity_right += 1
            else:
                wrong.append(f"severity {example['severity']}→{got.severity}")
        self.emergencies += example["kind"] == "emergency"
        self.emergency_alarms += got.kind == "emergency"
        self.emergencies_caught += example["kind"] == "emergency" and got.kind == "emergency"
        if wrong:
            cues = ", ".join(got.cues[:6])
            self.misses.append(
                f"  {example['id']}: {'; '.join(wrong)}\n      {example['text'][:90]}\n      cues: {cues}"
            )


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.1%}" if whole else "n/a"


def evaluate(path: Path) -> None:
    examples = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    scores = Scores()
    for example in examples:
        scores.add(example, classify(example["text"]))
    timings = time_messages([e["text"] for e in examples])
    print(f"== {path} ({len(examples)} messages)")
    print(f"kind accuracy:              {ratio(scores.kind_right, scores.total)}")
    print(f"category accuracy (hazard): {ratio(scores.category_right, scores.hazards)}")
    print(f"severity accuracy (hazard): {ratio(scores.severity_right, scores.hazards)}")
    print(f"emergency recall:           {ratio(scores.emergencies_caught, scores.emergencies)}")
    print(
        f"emergency precision:        {ratio(scores.emergencies_caught, scores.emergency_alarms)}"
    )
    print(f"time per message:           median {timings[0]:.3f} ms, p99 {timings[1]:.3f} ms")
    print(f"misses ({len(scores.misses)}):")
    print("\n".join(scores.misses) or "  none")
    print()


def time_messages(texts: list[str]) -> tuple[float, float]:
    """Median and p99 milliseconds per message over several rounds (after warm-up)."""
    for text in texts:
        classify(text)
    samples = []
    for _ in range(TIMING_ROUNDS):
        for text in texts:
            start = time.perf_counter()
            classify(text)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or [p for p in DEFAULT_FILES if p.exists()]
    for missing in [] if argv else [p for p in DEFAULT_FILES if not p.exists()]:
        print(f"== {missing}: not found (a checkout not beside shared/?); pass FILE ...")
    if not paths:
        print("no labelled files found; pass FILE ...", file=sys.stderr)
        return 1
    for path in paths:
        evaluate(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
