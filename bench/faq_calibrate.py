"""Calibrate the knowledge base's confidence per language on the calibration split.

    .venv/bin/python bench/faq_calibrate.py [QUESTIONS.jsonl] [--precision 0.96]

Reads tests/data/faq_questions.jsonl (never the held-out tests/data/faq_heldout.jsonl) and
finds, for each language, the threshold on the confidence that answers the most questions at
once while those answers stay right at least --precision of the time (a question meant for
staff answered at once counts as wrong). Prints the coverage along the way and the thresholds
to copy into triage/answers/knowledge.py (CONFIDENT). --unknown also tries other weights for a
question's unknown words (knowledge.UNKNOWN_WEIGHT), each calibrated the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.answers import knowledge  # noqa: E402
from triage.answers.faq_file import LANGUAGES  # noqa: E402
from triage.answers.knowledge import KnowledgeBase  # noqa: E402

DEFAULT_QUESTIONS = REPO / "tests" / "data" / "faq_questions.jsonl"


def load(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def outcomes(kb: KnowledgeBase, questions: list[dict]) -> dict[str, list[tuple[float, bool]]]:
    """By language: (confidence, right) for each question; right means the best entry is an
    expected one (never, for a question meant for staff)."""
    found: dict[str, list[tuple[float, bool]]] = {lang: [] for lang in LANGUAGES}
    for q in questions:
        answer = kb.answer(q["text"])
        right = answer.entry is not None and answer.entry.id in q["expected"]
        found[q["lang"]].append((answer.score, right))
    return found


def best_threshold(scored: list[tuple[float, bool]], precision: float) -> tuple[float, int]:
    """The lowest threshold keeping precision; with how many right answers it gives at once."""
    chosen, answered = 1.01, 0
    right = total = 0
    for score, ok in sorted(scored, key=lambda s: -s[0]):
        right, total = right + ok, total + 1
        if right / total >= precision and right > answered:
            chosen, answered = score, right
    return chosen, answered


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", nargs="?", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--precision", type=float, default=0.95)
    parser.add_argument("--unknown", action="store_true", help="sweep UNKNOWN_WEIGHT too")
    args = parser.parse_args(argv)
    if "heldout" in args.questions.name:
        parser.error("calibrate on the calibration split, never on the held-out one")
    questions = load(args.questions)
    found = outcomes(KnowledgeBase.from_shipped_file(), questions)
    print(f"\n== confidence calibration: {args.questions.name}, precision ≥ {args.precision} ==")
    chosen = {}
    for lang in LANGUAGES:
        scored = found[lang]
        threshold, right = best_threshold(scored, args.precision)
        chosen[lang] = round(threshold, 4)  # scores are rounded to 4 places too
        answerable = sum(1 for q in questions if q["lang"] == lang and q["expected"])
        print(
            f"  {lang}: threshold {threshold:.4f}: {right} of {answerable} answerable questions "
            f"answered right at once ({right / answerable:.1%}); top-1 right "
            f"{sum(ok for _, ok in scored)} of {answerable}"
        )
    print(f"  CONFIDENT = {chosen}  (UNKNOWN_WEIGHT = {knowledge.UNKNOWN_WEIGHT})")
    if args.unknown:
        sweep_unknown(questions, args.precision)
    return 0


def sweep_unknown(questions: list[dict], precision: float) -> None:
    kept = dict(knowledge.UNKNOWN_WEIGHT)
    print("  unknown weight: right at once by language (threshold)")
    for weight in (0.5, 1.0, 2.0, 3.0, 4.0, 6.0):
        knowledge.UNKNOWN_WEIGHT.update(dict.fromkeys(LANGUAGES, weight))
        found = outcomes(KnowledgeBase.from_shipped_file(), questions)
        cells = []
        for lang in LANGUAGES:
            threshold, right = best_threshold(found[lang], precision)
            cells.append(f"{lang} {right} ({threshold:.2f})")
        print(f"  {weight:>4.1f}: " + ", ".join(cells))
    knowledge.UNKNOWN_WEIGHT.update(kept)


if __name__ == "__main__":
    sys.exit(main())
