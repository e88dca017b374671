"""Train the kind model on train.jsonl and write triage/data/kind_model.json (issue 13, item 3).

    .venv/bin/python triage/data/corpus/train_model.py

Needs the dev extras (scikit-learn); the runtime reads only the JSON (triage/understanding/
model.py). Deterministic: the same corpus gives the same file. holdout.jsonl is never read.

1. Features: character 1–3-grams of the plain form (classify.normalise), sublinear TF-IDF.
2. A multinomial logistic regression; the KEEP n-grams with the largest weights are kept and
   the model is fitted again on them alone, so the shipped file scores exactly as trained.
3. Thresholds by cost, on out-of-fold probabilities (5 folds grouped by core, as holdout is
   split), combined with the rules' verdict on each train message:
   - ask: rules say out_of_scope or question, the model says hazard+emergency ≥ t. A hazard or
     emergency left out_of_scope unasked costs MISS_COST, one taken for a question unasked
     QUESTION_MISS_COST, asking about anything else costs 1;
   - emergency: the rules stood fire words down for their form (a question, an "if"; see
     classify.stood_down_by_form), the model says emergency ≥ t.
     A missed emergency costs MISS_COST, a false alarm FALSE_ALARM_COST.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from triage.understanding.classify import classify_rules, normalise, stood_down_by_form  # noqa: E402
from triage.understanding.model import MODEL_FILE, KindModel, features  # noqa: E402

TRAIN = Path(__file__).with_name("train.jsonl")
# Chosen by out-of-fold kind accuracy on train (C 3–100 × KEEP 2,000–30,000): pruning hard
# regularises; C 30 with 2,000 n-grams read 91.7 %, C 10 with every n-gram (11,160) 89.9 %.
KEEP = 2_000  # n-grams shipped
C = 30.0
FOLDS = 5
MISS_COST = 10  # a hazard sent to 12345 unasked, or an emergency without the 119 advice
QUESTION_MISS_COST = 3  # a hazard taken for a question: answered, or handed to staff, unreported
FALSE_ALARM_COST = 3  # a duty officer called for nothing (and the resident scared)
NO_SIGNAL = "no fire-safety signal"
GRID = [round(0.05 * i, 2) for i in range(1, 20)]
DANGER = ("hazard", "emergency")


def _analyzer(plain: str) -> list[str]:
    return list(features(plain).elements())


def fit(texts: list[str], kinds: list[str]) -> tuple[TfidfVectorizer, LogisticRegression]:
    """Fit on every n-gram seen twice, keep the KEEP strongest, fit again on those."""
    vectorizer = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, min_df=2)
    model = LogisticRegression(C=C, max_iter=5000).fit(vectorizer.fit_transform(texts), kinds)
    strength = np.abs(model.coef_).max(axis=0)
    names = vectorizer.get_feature_names_out()
    kept = sorted(names[i] for i in np.argsort(-strength, kind="stable")[:KEEP])
    vectorizer = TfidfVectorizer(
        analyzer=_analyzer, sublinear_tf=True, vocabulary=kept, dtype=np.float64
    )
    model = LogisticRegression(C=C, max_iter=5000).fit(vectorizer.fit_transform(texts), kinds)
    return vectorizer, model


def out_of_fold(rows: list[dict], texts: list[str]) -> list[dict[str, float]]:
    kinds = [row["kind"] for row in rows]
    groups = [row["group"] for row in rows]
    found: list[dict[str, float]] = [{} for _ in rows]
    for train, test in GroupKFold(n_splits=FOLDS).split(texts, kinds, groups):
        vectorizer, model = fit([texts[i] for i in train], [kinds[i] for i in train])
        probs = model.predict_proba(vectorizer.transform([texts[i] for i in test]))
        for i, row in zip(test, probs, strict=True):
            found[i] = dict(zip(model.classes_, row.tolist(), strict=True))
    return found


def choose_ask(rows, rules, probs) -> tuple[float, list[str]]:
    """The lowest-cost threshold for asking about a message the rules would not report."""
    lines, best = [], (float("inf"), 1.0)
    for t in GRID:
        dismissed = answered = asked_needlessly = asked = 0
        for row, label, p in zip(rows, rules, probs, strict=True):
            danger = row["kind"] in DANGER
            if label.kind not in ("out_of_scope", "question") or NO_SIGNAL in label.cues:
                continue  # reported, or asked about already (doubt.py)
            if sum(p.get(k, 0.0) for k in DANGER) >= t:
                asked += 1
                asked_needlessly += not danger
            elif danger:
                dismissed += label.kind == "out_of_scope"
                answered += label.kind == "question"
        cost = MISS_COST * dismissed + QUESTION_MISS_COST * answered + asked_needlessly
        lines.append(f"  ask ≥ {t:.2f}: asked {asked} ({asked_needlessly} needlessly), "
                     f"dismissed unasked {dismissed}, taken for questions {answered}, cost {cost}")  # fmt: skip
        best = min(best, (cost, -t))
    return -best[1], lines


def choose_emergency(rows, rules, probs) -> tuple[float, list[str]]:
    """The lowest-cost threshold for raising an emergency the rules stood down."""
    lines, best = [], (float("inf"), 1.0)
    for t in GRID:
        caught = false_alarms = 0
        for row, label, p in zip(rows, rules, probs, strict=True):
            if not stood_down_by_form(label) or p.get("emergency", 0.0) < t:
                continue
            caught += row["kind"] == "emergency"
            false_alarms += row["kind"] != "emergency"
        missed = sum(
            r["kind"] == "emergency" and x.kind != "emergency"
            for r, x in zip(rows, rules, strict=True)
        )
        cost = MISS_COST * (missed - caught) + FALSE_ALARM_COST * false_alarms
        lines.append(f"  emergency ≥ {t:.2f}: caught {caught} of {missed} missed, "
                     f"false alarms {false_alarms}, cost {cost}")  # fmt: skip
        best = min(best, (cost, -t))
    return -best[1], lines


def export(vectorizer, model, thresholds: dict[str, float]) -> dict:
    coef = model.coef_
    features_out = {}
    for gram, column in sorted(vectorizer.vocabulary_.items()):
        weights = [round(float(w), 4) for w in coef[:, column]]
        features_out[gram] = [round(float(vectorizer.idf_[column]), 4), *weights]
    return {
        "about": "kind model of triage/understanding/model.py; made by "
        "triage/data/corpus/train_model.py from train.jsonl",
        "classes": [str(c) for c in model.classes_],
        "intercepts": [round(float(b), 4) for b in model.intercept_],
        "thresholds": thresholds,
        "features": features_out,
    }


def check(data: dict, vectorizer, model, texts: list[str]) -> None:
    """The pure-Python scorer must read the exported file as scikit-learn reads the model."""
    shipped = KindModel.from_json(data)
    expected = model.predict_proba(vectorizer.transform(texts))
    worst = max(
        abs(shipped.probabilities(text)[kind] - expected[i][j])
        for i, text in enumerate(texts)
        for j, kind in enumerate(model.classes_)
    )
    print(f"largest difference from scikit-learn after rounding: {worst:.5f}")
    if worst > 0.01:
        raise SystemExit("the exported model does not score as trained")


def main() -> int:
    rows = [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines() if line]
    texts = [normalise(row["text"]) for row in rows]
    rules = [classify_rules(row["text"]) for row in rows]
    probs = out_of_fold(rows, texts)
    right = sum(max(p, key=p.get) == row["kind"] for row, p in zip(rows, probs, strict=True))
    print(f"out-of-fold kind accuracy (model alone): {right / len(rows):.1%}")
    ask, ask_lines = choose_ask(rows, rules, probs)
    emergency, emergency_lines = choose_emergency(rows, rules, probs)
    print("\n".join(ask_lines + emergency_lines))
    print(f"chosen: ask ≥ {ask}, emergency ≥ {emergency}")
    vectorizer, model = fit(texts, [row["kind"] for row in rows])
    data = export(vectorizer, model, {"ask": ask, "emergency": emergency})
    check(data, vectorizer, model, texts)
    MODEL_FILE.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {MODEL_FILE.relative_to(REPO)}: {MODEL_FILE.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
