"""Fit the knowledge base's confidence and its thresholds per language on the calibration split.

    .venv/bin/python bench/faq_calibrate.py [QUESTIONS.jsonl] [--precision 0.95]

Reads tests/data/faq_calibration.jsonl (never a held-out set, nor the training split
tests/data/faq_questions.jsonl whose misses the entries' variants and synonyms were written
from, whose questions find their entries more easily than new ones: they count half in the
fit and not at all in the thresholds) and fits the confidence model
(triage.answers.knowledge.CONFIDENCE_WEIGHTS: a logistic regression on what the ranking shows,
`Evidence`, learning whether the best entry is an expected one). The thresholds are then set
per language on out-of-fold chances (5 folds, 3 shuffles: each question judged by a model that
never saw it), at the lowest one keeping the answers given at once right at least --precision
of the time (a question meant for staff answered at once counts as wrong). Prints the weights
and thresholds, and the coverage along the way; --write puts them into
triage/answers/knowledge.py (CONFIDENCE_WEIGHTS and CONFIDENT).
Needs scikit-learn (a dev dependency; the service only multiplies the weights).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.answers.faq_file import LANGUAGES  # noqa: E402
from triage.answers.knowledge import Evidence, KnowledgeBase  # noqa: E402

DEFAULT_QUESTIONS = REPO / "tests" / "data" / "faq_calibration.jsonl"
TRAINING = REPO / "tests" / "data" / "faq_questions.jsonl"
KNOWLEDGE = REPO / "triage" / "answers" / "knowledge.py"
FOLDS, SHUFFLES = 5, 3
Row = tuple[dict, Evidence, bool]
REGULARISATION = 1.0  # scikit-learn's C; the model has a handful of weights and ~700 examples
# The training split's questions find their entries more easily than new ones (the variants were
# written from them), but they show how other people ask (long rambles): they count half.
TRAINING_WEIGHT = 0.5


def load(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def examples(kb: KnowledgeBase, questions: list[dict]) -> list[Row]:
    """(question, evidence, right) for each question with a best entry at all, except those
    asked word for word as an entry's own (answered at once whatever the model says); right
    means the best entry is an expected one (never, for a question meant for staff)."""
    found = []
    for q in questions:
        ranked = kb.rank(q["text"])
        if not ranked or kb.answer(q["text"]).score >= 1.0:
            continue
        right = ranked[0][0].id in q["expected"]
        found.append((q, kb.evidence(q["text"]), right))
    return found


def fit(rows: list[Row], extra: list[Row] = ()) -> dict[str, float]:
    """The model's weights from `rows`, and from `extra` (the training split) at a lesser weight."""
    from sklearn.linear_model import LogisticRegression

    names = [n for n in rows[0][1].features() if n != "bias"]
    everything = [*rows, *extra]
    x = [[e.features()[n] for n in names] for _, e, _ in everything]
    y = [int(ok) for _, _, ok in everything]
    weights = [1.0] * len(rows) + [TRAINING_WEIGHT] * len(extra)
    model = LogisticRegression(C=REGULARISATION, max_iter=5000).fit(x, y, sample_weight=weights)
    found = {"bias": float(model.intercept_[0])}
    found.update({n: float(w) for n, w in zip(names, model.coef_[0], strict=True)})
    return {n: round(w, 4) for n, w in found.items()}


def out_of_fold(rows: list[Row], extra: list[Row]) -> list[float]:
    """Each question's chance by models fitted without it, averaged over shuffles."""
    from sklearn.model_selection import StratifiedKFold

    chances = [0.0] * len(rows)
    labels = [int(ok) for _, _, ok in rows]
    for seed in range(SHUFFLES):
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=seed)
        for train, test in folds.split(labels, labels):
            weights = fit([rows[i] for i in train], extra)
            for i in test:
                chances[i] += rows[i][1].chance(weights) / SHUFFLES
    return chances


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
    parser.add_argument("--write", action="store_true", help="update knowledge.py")
    args = parser.parse_args(argv)
    if "heldout" in args.questions.name:
        parser.error("calibrate on the calibration split, never on a held-out one")
    if args.questions.name == "faq_questions.jsonl":
        parser.error("the training split is what the variants were written from: calibrate apart")
    questions = load(args.questions)
    kb = KnowledgeBase.from_shipped_file()
    rows = examples(kb, questions)
    training = examples(kb, load(TRAINING))
    weights = fit(rows, training)
    chances = out_of_fold(rows, training)
    verbatim = {q["id"] for q in questions} - {q["id"] for q, _, _ in rows}
    print(f"\n== confidence calibration: {args.questions.name}, precision ≥ {args.precision} ==")
    chosen = {}
    for lang in LANGUAGES:
        scored = [(c, ok) for c, (q, _, ok) in zip(chances, rows, strict=True) if q["lang"] == lang]
        threshold, right = best_threshold(scored, args.precision)
        chosen[lang] = round(threshold, 4)
        exact = sum(1 for q in questions if q["id"] in verbatim and q["lang"] == lang)
        answerable = sum(1 for q in questions if q["lang"] == lang and q["expected"])
        print(
            f"  {lang}: threshold {threshold:.4f}: {right} of {answerable} answerable questions "
            f"answered right at once out of fold ({right / answerable:.1%}), "
            f"{exact} more asked word for word; top-1 right {sum(ok for _, ok in scored)}"
        )
    print(f"  CONFIDENCE_WEIGHTS = {weights}")
    print(f"  CONFIDENT = {chosen}")
    if args.write:
        write(weights, chosen)
    return 0


def write(weights: dict[str, float], thresholds: dict[str, float]) -> None:
    text = KNOWLEDGE.read_text(encoding="utf-8")
    body = "".join(f'    "{n}": {w},\n' for n, w in weights.items())
    text = re.sub(
        r"^CONFIDENCE_WEIGHTS = \{\n.*?^\}\n",
        lambda _: f"CONFIDENCE_WEIGHTS = {{\n{body}}}\n",
        text,
        count=1,
        flags=re.S | re.M,
    )
    text = re.sub(
        r"^CONFIDENT = \{[^}]*\}",
        lambda _: f"CONFIDENT = {thresholds}".replace("'", '"'),
        text,
        count=1,
        flags=re.M,
    )
    KNOWLEDGE.write_text(text, encoding="utf-8")
    print(f"  written to {KNOWLEDGE.relative_to(REPO)}")


if __name__ == "__main__":
    sys.exit(main())
