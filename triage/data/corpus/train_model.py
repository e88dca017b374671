"""Train the triage model on train.jsonl and write triage/data/kind_model.json (issue 13, item 3).

    .venv/bin/python triage/data/corpus/train_model.py

Needs the dev extras (scikit-learn); the runtime reads only the JSON (triage/understanding/
model.py). Deterministic: the same corpus gives the same file. holdout.jsonl is never read.

1. Features: character 1–3-grams of the plain form (classify.normalise), sublinear TF-IDF,
   beside the rules' reading as tokens (classify.model_tokens: verdict, category, severity,
   cue names), counted raw. The model learns where the rules go wrong.
2. Three heads, each a multinomial logistic regression: kind (six, small talk included) on
   every message, category on hazards and emergencies that have one, severity on hazards (with
   the category as a token). The KEEP n-grams with the largest weights are kept and each head
   fitted again on them, so the shipped file scores exactly as trained.
3. Thresholds by cost, on out-of-fold probabilities (5 folds grouped by core: every wording of
   one core on the same side, as holdout is split), against the rules' verdict on each message:
   - emergency ≥ t raises one; the rules' alarm always stands (keep 0: a possible emergency
     always gets the 119 advice). A missed emergency costs MISS_COST, a false alarm
     FALSE_ALARM_COST;
   - ask: the final kind is out_of_scope or question while hazard + emergency ≥ t (or the rules
     saw a hazard). A hazard left out_of_scope unasked costs DISMISS_COST, one taken for a question
     unasked QUESTION_MISS_COST, asking about anything else costs 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))

from triage.understanding.classify import (  # noqa: E402
    classify_rules,
    model_tokens,
    normalise,
    severity_tokens,
    stood_down_for_fact,
)
from triage.understanding.model import MODEL_FILE, TriageModel, features  # noqa: E402

TRAIN = Path(__file__).with_name("train.jsonl")
# n-grams shipped per head; category and severity by out-of-fold accuracy on train (round 4:
# 500 / 1,000 / 3,000 / 8,000 gave severity 83.6 / 84.0 / 82.8 / 82.5 %, category 89.9 / 90.5 /
# 88.6 / 87.6 %); 1,000 for kind read 95.1 % combined out of fold against 95.4 % with 3,000
KEEP = {"kind": 3_000, "category": 1_000, "severity": 1_000}
C = {"kind": 10.0, "category": 10.0, "severity": 10.0}
FOLDS = 5
MISS_COST = 10  # an emergency without the 119 advice
DISMISS_COST = 100  # a hazard sent to 12345 unasked: the issue says never
QUESTION_MISS_COST = 3  # a hazard taken for a question: answered, or handed to staff, unreported
FALSE_ALARM_COST = 3  # a duty officer called for nothing (and the resident scared)
NO_SIGNAL = "no fire-safety signal"
GRID = [0.01, 0.02, 0.03] + [round(0.05 * i, 2) for i in range(1, 20)]
# Bounds the costs may not cross (issue 13's policy, and the emulator tests of it): the model
# raises an alarm on its own only from one chance in five (below that, its alarms on train are
# mostly heaps of cardboard and quizzes), and a possible hazard at 0.15 (the threshold shipped
# before the lexicon's tokens) is always asked about rather than answered away as a question.
EMERGENCY_FLOOR = 0.2
# …and always from an even chance: ties on train's cost (the same emergencies missed from 0.3
# up) once lifted the threshold to 0.75, where a wording train never saw goes without 119.
EMERGENCY_CEILING = 0.5
ASK_CEILING = 0.15
DANGER = ("hazard", "emergency")


def _analyzer(plain: str) -> list[str]:
    return list(features(plain).elements())


def _tokens(tokens: list[str]) -> list[str]:
    return tokens


class Head:
    """One logistic regression over n-grams and tokens, pruned to KEEP n-grams."""

    def __init__(self, c: float, keep: int = KEEP["kind"]):
        self.c, self.keep = c, keep

    def _matrix(self, texts, tokens):
        grams = self.grams.transform(texts)
        return hstack([grams, self.tokens.transform(tokens)]).tocsr()

    def fit(self, texts: list[str], tokens: list[list[str]], y: list[str]) -> Head:
        self.grams = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, min_df=2)
        self.grams.fit(texts)
        self.tokens = CountVectorizer(analyzer=_tokens, binary=False).fit(tokens)
        model = LogisticRegression(C=self.c, max_iter=5000).fit(self._matrix(texts, tokens), y)
        n = len(self.grams.vocabulary_)
        strength = np.abs(model.coef_[:, :n]).max(axis=0)
        names = self.grams.get_feature_names_out()
        kept = sorted(names[i] for i in np.argsort(-strength, kind="stable")[: self.keep])
        self.grams = TfidfVectorizer(analyzer=_analyzer, sublinear_tf=True, vocabulary=kept)
        self.grams.fit(texts)
        self.model = LogisticRegression(C=self.c, max_iter=5000)
        self.model.fit(self._matrix(texts, tokens), y)
        return self

    def proba(self, texts, tokens) -> list[dict[str, float]]:
        found = self.model.predict_proba(self._matrix(texts, tokens))
        return [dict(zip(self.model.classes_, row.tolist(), strict=True)) for row in found]

    def export(self) -> dict:
        coef, n = self.model.coef_, len(self.grams.vocabulary_)
        if coef.shape[0] == 1:  # two classes: scikit-learn keeps one row
            coef = np.vstack([-coef / 2, coef / 2])
            intercepts = [-self.model.intercept_[0] / 2, self.model.intercept_[0] / 2]
        else:
            intercepts = list(self.model.intercept_)
        grams = {
            gram: [
                round(float(self.grams.idf_[col]), 4),
                *(round(float(w), 4) for w in coef[:, col]),
            ]
            for gram, col in sorted(self.grams.vocabulary_.items())
        }
        tokens = {
            token: [round(float(w), 4) for w in coef[:, n + col]]
            for token, col in sorted(self.tokens.vocabulary_.items())
        }
        return {
            "classes": [str(c) for c in self.model.classes_],
            "intercepts": [round(float(b), 4) for b in intercepts],
            "features": grams,
            "tokens": tokens,
        }


def _severity_tokens(row: dict, tokens: list[str], plain: str) -> list[str]:
    if row["kind"] != "hazard":
        return tokens
    return severity_tokens(tokens, plain, row["category"])


def out_of_fold(head_rows, texts, tokens, target, c, keep=KEEP["kind"]) -> list[dict[str, float]]:
    """Each row's probabilities from a head fitted on the folds without its core."""
    index = [i for i, _ in head_rows]
    y = [target(row) for _, row in head_rows]
    groups = [row["group"] for _, row in head_rows]
    found: list[dict[str, float]] = [{} for _ in index]
    for train, test in GroupKFold(n_splits=FOLDS).split(index, y, groups):
        head = Head(c, keep).fit([texts[index[i]] for i in train], [tokens[index[i]] for i in train],
                           [y[i] for i in train])  # fmt: skip
        probs = head.proba([texts[index[i]] for i in test], [tokens[index[i]] for i in test])
        for i, p in zip(test, probs, strict=True):
            found[i] = p
    return found


def decide(label, p: dict[str, float], emergency: float, keep: float) -> str:
    """What classify.combine makes of it (greeting kept, to score small talk)."""
    e, rule_kind = p.get("emergency", 0.0), str(label.kind)
    if (e >= emergency and not stood_down_for_fact(label)) or (
        rule_kind == "emergency" and e >= keep
    ):
        return "emergency"
    return max((k for k in p if k != "emergency"), key=p.__getitem__)


def choose_emergency(rows, rules, probs) -> tuple[tuple[float, float], list[str]]:
    best, lines = (float("inf"), 0.0, 0.0), []
    for t in (t for t in GRID if EMERGENCY_FLOOR <= t <= EMERGENCY_CEILING):
        for keep in [0.0]:  # the model never stands the rules' alarm down
            got = [decide(x, p, t, keep) for x, p in zip(rules, probs, strict=True)]
            missed = sum(r["kind"] == "emergency" != g for r, g in zip(rows, got, strict=True))
            alarms = sum(g == "emergency" != r["kind"] for r, g in zip(rows, got, strict=True))
            cost = MISS_COST * missed + FALSE_ALARM_COST * alarms
            if keep in (0.0, 0.05, 0.1, 0.2) and t in (0.3, 0.5, 0.7):
                lines.append(f"  emergency ≥ {t:.2f}, keep ≥ {keep:.2f}: missed {missed}, "
                             f"false alarms {alarms}, cost {cost}")  # fmt: skip
            best = min(best, (cost, -t, -keep))
    return (-best[1], -best[2]), lines


def choose_ask(rows, rules, probs, emergency, keep) -> tuple[float, list[str]]:
    lines, best = [], (float("inf"), 1.0)
    for t in (t for t in GRID if t <= ASK_CEILING):
        dismissed = answered = needless = asked = 0
        for row, label, p in zip(rows, rules, probs, strict=True):
            kind = decide(label, p, emergency, keep)
            danger = row["kind"] in DANGER
            if kind not in ("out_of_scope", "question", "greeting"):
                continue
            if kind == "out_of_scope" and NO_SIGNAL in label.cues:
                continue  # asked already (doubt.py)
            moved = kind == "out_of_scope" and str(label.kind) != "out_of_scope"
            if (
                p.get("hazard", 0) + p.get("emergency", 0) >= t
                or str(label.kind) in DANGER
                or moved
            ):
                asked += 1
                needless += not danger
            elif danger:
                dismissed += kind != "question"
                answered += kind == "question"
        cost = DISMISS_COST * dismissed + QUESTION_MISS_COST * answered + needless
        lines.append(f"  ask ≥ {t:.2f}: asked {asked} ({needless} needlessly), "
                     f"dismissed unasked {dismissed}, taken for questions {answered}, cost {cost}")  # fmt: skip
        best = min(best, (cost, -t))
    return -best[1], lines


def per_class(gold: list[str], got: list[str]) -> str:
    """Precision / recall of each class, one line: "hazard 97.9/98.6, …"."""
    parts = []
    for name in sorted(set(gold)):
        said = sum(g == name for g in got)
        hit = sum(g == name == t for g, t in zip(got, gold, strict=True))
        total = sum(t == name for t in gold)
        parts.append(f"{name} {hit / said if said else 0:.1%}/{hit / total:.1%}")
    return "  per class (precision/recall): " + ", ".join(parts)


# The latest round's group prefix: out-of-fold figures are printed on the rows before it too,
# so a round can be compared with the model before it on the same rows.
LATEST = "r7-"


def main() -> int:
    rows = [json.loads(line) for line in TRAIN.read_text(encoding="utf-8").splitlines() if line]
    texts = [normalise(row["text"]) for row in rows]
    rules = [classify_rules(row["text"]) for row in rows]
    tokens = [model_tokens(label, text) for label, text in zip(rules, texts, strict=True)]
    every = list(enumerate(rows))
    with_category = [(i, r) for i, r in every if r["kind"] in DANGER and r["category"]]
    hazards = [(i, r) for i, r in every if r["kind"] == "hazard"]
    severity_tokens_ = [
        _severity_tokens(r, t, x) for r, t, x in zip(rows, tokens, texts, strict=True)
    ]

    def kind(r):
        return r["kind"]

    probs = out_of_fold(every, texts, tokens, kind, C["kind"])
    rule_right = sum(str(x.kind) == r["kind"] for x, r in zip(rules, rows, strict=True))
    print(f"rules alone, kind on train (tuned there): {rule_right / len(rows):.1%}")
    (emergency, keep), lines = choose_emergency(rows, rules, probs)
    ask, ask_lines = choose_ask(rows, rules, probs, emergency, keep)
    got = [decide(x, p, emergency, keep) for x, p in zip(rules, probs, strict=True)]
    right = sum(g == r["kind"] for g, r in zip(got, rows, strict=True))
    print("\n".join(lines + ask_lines))
    print(f"chosen: emergency ≥ {emergency}, keep ≥ {keep}, ask ≥ {ask}")
    print(f"out-of-fold kind accuracy (combined): {right / len(rows):.1%}")
    print(per_class([r["kind"] for r in rows], got))
    earlier = [i for i, r in every if not r["group"].startswith(LATEST)]
    if len(earlier) < len(rows):  # like for like with the model before the latest round
        hit = sum(got[i] == rows[i]["kind"] for i in earlier)
        print(f"  on the {len(earlier):,} rows before {LATEST}*: {hit / len(earlier):.1%}")
    for name, head_rows, toks in (
        ("category", with_category, tokens),
        ("severity", hazards, severity_tokens_),
    ):
        found = out_of_fold(head_rows, texts, toks, lambda r, n=name: r[n], C[name], KEEP[name])
        hit = sum(max(p, key=p.get) == r[name] for p, (_, r) in zip(found, head_rows, strict=True))
        print(f"out-of-fold {name} accuracy: {hit / len(head_rows):.1%} of {len(head_rows)}")
        print(per_class([r[name] for _, r in head_rows], [max(p, key=p.get) for p in found]))
        old = [
            max(p, key=p.get) == r[name]
            for p, (_, r) in zip(found, head_rows, strict=True)
            if not r["group"].startswith(LATEST)
        ]
        if len(old) < len(head_rows):
            print(f"  on the {len(old):,} rows before {LATEST}*: {sum(old) / len(old):.1%}")

    heads = {
        "kind": Head(C["kind"]).fit(texts, tokens, [r["kind"] for r in rows]),
        "category": Head(C["category"], KEEP["category"]).fit(
            [texts[i] for i, _ in with_category], [tokens[i] for i, _ in with_category],
            [r["category"] for _, r in with_category]),
        "severity": Head(C["severity"], KEEP["severity"]).fit(
            [texts[i] for i, _ in hazards], [severity_tokens_[i] for i, _ in hazards],
            [r["severity"] for _, r in hazards]),
    }  # fmt: skip
    data = {
        "about": "triage model of triage/understanding/model.py; made by "
        "triage/data/corpus/train_model.py from train.jsonl",
        "thresholds": {"emergency": emergency, "keep": keep, "ask": ask},
        "heads": {name: head.export() for name, head in heads.items()},
    }
    check(data, heads, texts, tokens)
    MODEL_FILE.write_text(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8"
    )
    print(f"wrote {MODEL_FILE.relative_to(REPO)}: {MODEL_FILE.stat().st_size:,} bytes")
    return 0


def check(data: dict, heads: dict[str, Head], texts: list[str], tokens: list[list[str]]) -> None:
    """The pure-Python scorer must read the exported file as scikit-learn reads the model."""
    shipped = TriageModel.from_json(data)
    sample = list(range(0, len(texts), 7))
    worst = 0.0
    for name, head in heads.items():
        mine = getattr(shipped, name)
        expected = head.proba([texts[i] for i in sample], [tokens[i] for i in sample])
        for i, p in zip(sample, expected, strict=True):
            got = mine.probabilities(texts[i], tokens[i])
            worst = max(worst, *(abs(got[k] - v) for k, v in p.items()))
    print(f"largest difference from scikit-learn after rounding: {worst:.5f}")
    if worst > 0.01:
        raise SystemExit("the exported model does not score as trained")


if __name__ == "__main__":
    sys.exit(main())
