"""Measure knowledge-base retrieval on resident questions kept apart from the entries' wording.

    .venv/bin/python bench/faq_eval.py [QUESTIONS.jsonl …] [--faq FAQ.jsonl] [--misses] [--sweep]

Reads, by default, the training split tests/data/faq_questions.jsonl (the entries' variants and
the synonyms were written from its misses), the calibration split tests/data/faq_calibration.jsonl
(the confidence model and thresholds are fitted on it, see bench/faq_calibrate.py) and then the
held-out tests/data/faq_heldout.jsonl and
tests/data/faq_heldout_fresh.jsonl (247 questions written before the tuning of issue 13,
away from the entries' wording), never tuned on (id, text, lang, expected: entry ids; an empty list means no entry answers it
and it should go to staff), and the shipped knowledge base. Prints top-1 and top-3 hit rates over the questions that have an answer, the share
answered without staff (confident), the precision of confident answers, how the questions
without an answer fared, and the median and p99 time per question. --misses lists every
wrong or unconfident answer; --sweep shows the same figures at other thresholds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.answers.faq_file import SHIPPED_FAQ, parse_faq_file  # noqa: E402
from triage.answers.knowledge import KnowledgeBase  # noqa: E402

DEFAULT_QUESTIONS = [
    REPO / "tests" / "data" / "faq_questions.jsonl",
    REPO / "tests" / "data" / "faq_calibration.jsonl",
    REPO / "tests" / "data" / "faq_heldout.jsonl",
    REPO / "tests" / "data" / "faq_heldout_fresh.jsonl",
]
TIMING_ROUNDS = 5
SPLITS = {
    "faq_questions.jsonl": "training split: variants and synonyms written from its misses",
    "faq_calibration.jsonl": "calibration split: confidence and thresholds fitted on it",
}


@dataclass(frozen=True)
class Outcome:
    question: dict
    ranked: list[str]  # entry ids, best first (top 3)
    score: float
    threshold: float  # the question's language's

    def confident(self, shift: float = 0.0) -> bool:
        return bool(self.ranked) and self.score >= self.threshold + shift


def ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.1%}" if whole else "n/a"


def figures(outcomes: list[Outcome], shift: float = 0.0) -> dict[str, tuple[int, int]]:
    """The figures with every language's threshold moved by `shift` (0: as calibrated)."""
    answerable = [o for o in outcomes if o.question["expected"]]
    unanswerable = [o for o in outcomes if not o.question["expected"]]

    def hit(o: Outcome, k: int) -> bool:
        return any(e in o.question["expected"] for e in o.ranked[:k])

    confident = [o for o in outcomes if o.confident(shift)]
    return {
        "top-1": (sum(hit(o, 1) for o in answerable), len(answerable)),
        "top-3": (sum(hit(o, 3) for o in answerable), len(answerable)),
        "answered without staff": (sum(o.confident(shift) for o in answerable), len(answerable)),
        "answered right at once": (
            sum(o.confident(shift) and hit(o, 1) for o in answerable),
            len(answerable),
        ),
        "confident answers right": (sum(hit(o, 1) for o in confident), len(confident)),
        "no-answer questions sent to staff": (
            sum(not o.confident(shift) for o in unanswerable),
            len(unanswerable),
        ),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", nargs="*", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--faq", type=Path, default=SHIPPED_FAQ)
    parser.add_argument("--misses", action="store_true", help="list every miss")
    parser.add_argument("--sweep", action="store_true", help="figures at other thresholds")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    kb = KnowledgeBase(parse_faq_file(args.faq.read_text(encoding="utf-8")))
    load_ms = (time.perf_counter() - started) * 1000
    for path in args.questions:
        evaluate(kb, path, load_ms, args)
    return 0


def evaluate(kb: KnowledgeBase, path: Path, load_ms: float, args: argparse.Namespace) -> None:
    questions = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    outcomes = []
    for q in questions:
        answer = kb.answer(q["text"], q.get("lang"))
        top = [c.entry.id for c in answer.candidates]
        outcomes.append(Outcome(q, top, answer.score, answer.threshold))
    timings = []
    for _ in range(TIMING_ROUNDS):
        for q in questions:
            start = time.perf_counter()
            kb.answer(q["text"], q.get("lang"))
            timings.append((time.perf_counter() - start) * 1000)

    split = SPLITS.get(path.name, "held out, never tuned on" if "heldout" in path.name else "")
    print(f"\n== knowledge-base retrieval: {path.name} ({split}) ==")
    print(
        f"{len(kb)} entries (loaded and indexed in {load_ms:.0f} ms), {len(questions)} questions "
        f"({sum(1 for q in questions if q['expected'])} with an expected entry); "
        f"confident at score ≥ {kb.confident_at}"
    )
    for name, (part, whole) in figures(outcomes).items():
        print(f"  {name:<36} {ratio(part, whole)}")
    wrong = [o for o in outcomes if not o.question["expected"] and o.confident()]
    print(f"  {'no-answer questions wrongly answered':<36} {len(wrong)}")
    ordered = sorted(timings)
    print(
        f"  time per question: median {statistics.median(timings):.2f} ms, "
        f"p99 {ordered[int(0.99 * (len(ordered) - 1))]:.2f} ms"
    )
    by_language: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_language.setdefault(o.question.get("lang", "?"), []).append(o)
    for language, group in sorted(by_language.items()):
        f = figures(group)
        print(
            f"  {language}: top-1 {ratio(*f['top-1'])}, top-3 {ratio(*f['top-3'])}, "
            f"answered at once {ratio(*f['answered without staff'])}, "
            f"of those right {ratio(*f['confident answers right'])}, "
            f"staff questions kept for staff {ratio(*f['no-answer questions sent to staff'])}"
        )
    if args.sweep:
        sweep(outcomes)
    if args.misses:
        misses(outcomes)


def sweep(outcomes: list[Outcome]) -> None:
    print("\n  shift  top-1 hit  without staff  confident right  no-answer to staff")
    for step in range(-15, 16, 3):
        f = figures(outcomes, step / 100)
        cells = [f"{p / w:.1%}" if w else "n/a" for p, w in f.values()]
        print(
            f"  {step / 100:>+5.2f}  {cells[0]:>9}  {cells[2]:>13}  {cells[4]:>15}  {cells[5]:>18}"
            + ("   ← in use" if step == 0 else "")
        )


def misses(outcomes: list[Outcome]) -> None:
    print("\n  misses (✗ wrong confident answer, ? not confident, · right but not confident):")
    for o in outcomes:
        expected = o.question["expected"]
        right = bool(o.ranked) and o.ranked[0] in expected
        confident = o.confident()
        if (right or not expected) and (confident == bool(expected)):
            continue
        mark = "✗" if confident and not right else ("·" if right else "?")
        print(
            f"  {mark} {o.question['id']} {o.score:.2f} got {o.ranked[:3]} "
            f"want {expected or 'staff'}\n      {o.question['text'][:80]}"
        )


if __name__ == "__main__":
    sys.exit(main())
