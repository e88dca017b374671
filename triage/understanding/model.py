"""A small statistical reading of a message beside the rules (issue 13, item 3).

Trained by triage/data/corpus/train_model.py (scikit-learn, at build time only) on the
corpus's train split and shipped as triage/data/kind_model.json: three heads (kind, category,
severity), each a logistic regression over sublinear TF-IDF of the plain form's character
1–3-grams plus the rules' own reading as tokens (their verdict and cue names, see
classify.model_tokens), so the model learns where the rules are right and where they are not.
Scoring here needs no numpy: count the n-grams the head kept, weigh them, normalise, one dot
product per class, add the tokens' weights, softmax.

The model never decides alone; classify.py weighs its view by cost (see `combine` there).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path

MODEL_FILE = Path(__file__).resolve().parents[1] / "data" / "kind_model.json"
NGRAMS = (1, 2, 3)
HEADS = ("kind", "category", "severity")


def features(plain: str) -> Counter[str]:
    """Character n-grams of the plain form (classify.normalise), spaces squeezed. The
    training script counts with this same function, so both sides read alike."""
    text = " ".join(plain.split())
    grams: Counter[str] = Counter()
    for n in NGRAMS:
        grams.update(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


@lru_cache(maxsize=16)
def _grams(plain: str) -> tuple[tuple[str, int], ...]:
    """features(), counted once for the three heads that read one message."""
    return tuple(features(plain).items())


@dataclass(frozen=True)
class KindModel:
    """One head: a logistic regression over n-grams (TF-IDF) and tokens (raw counts)."""

    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    # n-gram → (idf, weight for each class)
    weights: dict[str, tuple[float, tuple[float, ...]]]
    thresholds: dict[str, float]
    # token → weight for each class
    tokens: dict[str, tuple[float, ...]]

    @classmethod
    def from_json(cls, data: dict) -> KindModel:
        head = cls(
            classes=tuple(data["classes"]),
            intercepts=tuple(data["intercepts"]),
            weights={gram: (row[0], tuple(row[1:])) for gram, row in data["features"].items()},
            thresholds=dict(data.get("thresholds", {})),
            tokens={token: tuple(row) for token, row in data.get("tokens", {}).items()},
        )
        # probabilities() reads a weight per class by position: checked once, here
        rows = [per_class for _, per_class in head.weights.values()] + list(head.tokens.values())
        if any(len(row) != len(head.classes) for row in [head.intercepts, *rows]):
            raise ValueError("a model row without one weight per class")
        return head

    def probabilities(self, plain: str, tokens: Iterable[str] = ()) -> dict[str, float]:
        """Each class's probability for a message in its plain form (and the rules' tokens)."""
        known = []
        for gram, count in _grams(plain):
            row = self.weights.get(gram)
            if row is not None:
                known.append(((1.0 + math.log(count)) * row[0], row[1]))
        norm = math.sqrt(sum(value * value for value, _ in known)) or 1.0
        shares = [(value / norm, per_class) for value, per_class in known]
        rows = [row for token in tokens if (row := self.tokens.get(token)) is not None]
        logits = []
        # Class by class, each sum in the same order as ever (n-grams, then tokens): the same
        # floats bit for bit as a new list of logits a gram, for a third less time (issue 14)
        for j, logit in enumerate(self.intercepts):
            for share, per_class in shares:
                logit += share * per_class[j]
            for per_class in rows:
                logit += per_class[j]
            logits.append(logit)
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        total = sum(exps)
        return {kind: e / total for kind, e in zip(self.classes, exps, strict=True)}


@dataclass(frozen=True)
class TriageModel:
    """The three heads and the thresholds chosen for them by cost."""

    kind: KindModel
    category: KindModel | None
    severity: KindModel | None
    thresholds: dict[str, float]

    @classmethod
    def from_json(cls, data: dict) -> TriageModel:
        heads = {name: KindModel.from_json(head) for name, head in data["heads"].items()}
        return cls(
            kind=heads["kind"],
            category=heads.get("category"),
            severity=heads.get("severity"),
            thresholds=dict(data.get("thresholds", {})),
        )


@cache
def shipped() -> TriageModel | None:
    """The model shipped with the package, loaded once; None when it is missing, so the
    rules still work alone (a checkout before the first training, a broken install)."""
    try:
        return TriageModel.from_json(json.loads(MODEL_FILE.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError):
        return None
