"""Units ranked by a weighted score (GB/T 30428.4's 综合评价): the policy's weights over the
unit's rates, 0–100, the rates it has nothing to count for left out of the weighting."""

from __future__ import annotations

from collections.abc import Mapping


def score(unit: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """100 × Σ weight·rate ÷ Σ weight over the rates that are known; None if none is."""
    known = [(w, unit.get(name)) for name, w in weights.items() if unit.get(name) is not None]
    total = sum(w for w, _ in known)
    if not total:
        return None
    return round(100 * sum(w * rate for w, rate in known) / total, 1)


def ranked(units: list[dict], weights: Mapping[str, float]) -> list[dict]:
    """The units with `score` and `rank` (1 is best; equal scores share a rank, the next
    rank skipping as many: 1, 2, 2, 4), best first; a unit with no score has no rank and
    comes last."""
    for unit in units:
        unit["score"] = score(unit, weights)
    scored = sorted((u for u in units if u["score"] is not None), key=lambda u: -u["score"])
    for position, unit in enumerate(scored, start=1):
        same = position > 1 and unit["score"] == scored[position - 2]["score"]
        unit["rank"] = scored[position - 2]["rank"] if same else position
    unscored = [u for u in units if u["score"] is None]
    for unit in unscored:
        unit["rank"] = None
    return scored + unscored
