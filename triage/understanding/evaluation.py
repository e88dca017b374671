"""How well a classifier labels a file of labelled messages (`firecircle classify --evaluate`).

Per-class precision, recall and F1 and the confusion matrix for kind, and for category and
severity on the messages labelled hazard; emergency recall and false alarms; how many hazards
and emergencies would have been sent to 12345; the median time a message takes.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from triage.understanding.classify import Classification
from triage.understanding.doubt import unsure
from triage.understanding.small_talk import small_talk

CORNER = "gold \\ got"
NONE = "-"  # a label that is absent (no category on a question, or none predicted)
TIMING_ROUNDS = 5


GREETING = "greeting"  # the corpus's label for small talk (not a kind the taxonomy files)


def load(path: Path) -> list[dict]:
    """The labelled messages of a JSON-lines file; blank lines are skipped."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or not isinstance(row.get("text"), str) or "kind" not in row:
            raise ValueError(f"{path}:{number}: expected an object with text and kind")
        row.setdefault("id", f"line {number}")
        rows.append(row)
    return rows


@dataclass
class Confusion:
    """Gold label × predicted label counts for one field."""

    name: str
    pairs: Counter = field(default_factory=Counter)

    def add(self, gold: str | None, got: str | None) -> None:
        self.pairs[(gold or NONE, got or NONE)] += 1

    @property
    def labels(self) -> list[str]:
        found = {label for pair in self.pairs for label in pair}
        return sorted(found - {NONE}) + ([NONE] if NONE in found else [])

    @property
    def total(self) -> int:
        return sum(self.pairs.values())

    def accuracy(self) -> float:
        right = sum(n for (gold, got), n in self.pairs.items() if gold == got)
        return right / self.total if self.total else 0.0

    def scores(self, label: str) -> tuple[float, float, float, int]:
        """Precision, recall, F1 and support (gold count) of one label."""
        hit = self.pairs[(label, label)]
        predicted = sum(n for (_, got), n in self.pairs.items() if got == label)
        support = sum(n for (gold, _), n in self.pairs.items() if gold == label)
        precision = hit / predicted if predicted else 0.0
        recall = hit / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return precision, recall, f1, support

    def report(self) -> list[str]:
        labels = self.labels
        width = max(len(label) for label in labels + [CORNER]) + 1
        lines = [f"-- {self.name}: accuracy {self.accuracy():.1%} on {self.total}"]
        lines.append(f"  {'':<{width}} precision  recall     f1  support")
        for label in labels:
            p, r, f, n = self.scores(label)
            if n or any(got == label for (_, got) in self.pairs):
                lines.append(f"  {label:<{width}} {p:9.1%} {r:7.1%} {f:6.1%} {n:8d}")
        cell = max(6, *(len(label[:9]) + 1 for label in labels))
        lines.append(f"  {CORNER:<{width}}" + "".join(f"{x[:9]:>{cell}}" for x in labels))
        for gold in labels:
            row = "".join(f"{self.pairs[(gold, got)] or '.':>{cell}}" for got in labels)
            lines.append(f"  {gold:<{width}}{row}")
        return lines


@dataclass
class Evaluation:
    kind: Confusion = field(default_factory=lambda: Confusion("kind"))
    category: Confusion = field(default_factory=lambda: Confusion("category (gold hazards)"))
    severity: Confusion = field(default_factory=lambda: Confusion("severity (gold hazards)"))
    emergencies: int = 0
    caught: int = 0
    others: int = 0
    false_alarms: int = 0
    dismissed: list[str] = field(default_factory=list)
    asked: int = 0  # the resident is asked with one tap what it is (doubt.unsure)
    asked_dangers: int = 0  # of them, hazards and emergencies
    misses: list[str] = field(default_factory=list)
    median_ms: float = 0.0

    def add(self, row: dict, got: Classification) -> None:
        gold_kind = row["kind"]
        # Small talk is answered before anything is classified: read as the bot reads it.
        read = GREETING if small_talk(row["text"]) else str(got.kind)
        self.kind.add(gold_kind, read)
        wrong = [] if gold_kind == read else [f"kind {gold_kind}→{read}"]
        if gold_kind == "hazard":
            for confusion, key, value in (
                (self.category, "category", got.category),
                (self.severity, "severity", got.severity),
            ):
                confusion.add(row.get(key), value and str(value))
                if row.get(key) != value:
                    wrong.append(f"{key} {row.get(key)}→{value}")
        if gold_kind == "emergency":
            self.emergencies += 1
            self.caught += got.kind == "emergency"
        else:
            self.others += 1
            self.false_alarms += got.kind == "emergency"
        line = f"  {row['id']}: {'; '.join(wrong)} | {row['text'][:80]}"
        danger = gold_kind in ("hazard", "emergency")
        asked = read != GREETING and got.kind in ("out_of_scope", "question") and unsure(got)
        self.asked += asked
        self.asked_dangers += asked and danger
        if danger and got.kind == "out_of_scope" and not asked:
            self.dismissed.append(line)
        if wrong:
            self.misses.append(line)

    def report(self, name: str, show_misses: bool = False) -> str:
        lines = [f"== {name} ({self.kind.total} messages)"]
        for confusion in (self.kind, self.category, self.severity):
            if confusion.total:
                lines += confusion.report()
        recall = self.caught / self.emergencies if self.emergencies else 0.0
        alarms = self.false_alarms / self.others if self.others else 0.0
        lines += [
            f"emergency recall: {self.caught}/{self.emergencies} = {recall:.1%}",
            f"false alarms: {self.false_alarms}/{self.others} non-emergencies = {alarms:.1%}",
            f"asked with one tap what it is: {self.asked} ({self.asked_dangers} hazards/emergencies)",
            f"hazards/emergencies dismissed to 12345 unasked: {len(self.dismissed)}",
            *self.dismissed,
            f"median time per message: {self.median_ms:.3f} ms",
        ]
        if show_misses:
            lines += [f"misses ({len(self.misses)}):", *self.misses]
        return "\n".join(lines)


def evaluate(rows: Iterable[dict], label: Callable[[str], Classification]) -> Evaluation:
    rows = list(rows)
    result = Evaluation()
    for row in rows:
        result.add(row, label(row["text"]))
    result.median_ms = median_ms([row["text"] for row in rows], label)
    return result


def median_ms(texts: list[str], label: Callable[[str], Classification]) -> float:
    """Median milliseconds per message over a few rounds, after the one above warmed up."""
    samples = []
    for _ in range(TIMING_ROUNDS):
        for text in texts:
            start = time.perf_counter()
            label(text)
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples) if samples else 0.0
