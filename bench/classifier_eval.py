"""Measure the triage classifier on labelled JSON-lines files.

    .venv/bin/python bench/classifier_eval.py [--misses] [FILE ...]

Without files it reads the corpus's held-out split (triage/data/corpus/holdout.jsonl), its
fresh held-out set (fresh.jsonl), ../shared/triage/dev.jsonl (when present; for checking, never for tuning) and
tests/data/triage_holdout.jsonl. Each line: id, text, kind, category, severity.
Prints what `firecircle classify --evaluate FILE` prints: per-class precision, recall and F1,
the confusion matrices, emergency recall and false alarms, how many messages the resident
would be asked about, hazards dismissed to 12345 unasked and the median time per message;
with --misses, every wrong label too.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from triage.understanding import evaluation  # noqa: E402
from triage.understanding.classify import classify  # noqa: E402

DEFAULT_FILES = [
    REPO / "triage" / "data" / "corpus" / "holdout.jsonl",
    REPO / "triage" / "data" / "corpus" / "fresh.jsonl",
    REPO.parent / "shared" / "triage" / "dev.jsonl",
    REPO / "tests" / "data" / "triage_holdout.jsonl",
]


def main(argv: list[str]) -> int:
    misses = "--misses" in argv
    argv = [a for a in argv if a != "--misses"]
    paths = [Path(a) for a in argv] or [p for p in DEFAULT_FILES if p.exists()]
    for missing in [] if argv else [p for p in DEFAULT_FILES if not p.exists()]:
        print(f"== {missing}: not found (a checkout not beside shared/?); pass FILE ...")
    if not paths:
        print("no labelled files found; pass FILE ...", file=sys.stderr)
        return 1
    for path in paths:
        result = evaluation.evaluate(evaluation.load(path), classify)
        print(result.report(str(path), misses))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
