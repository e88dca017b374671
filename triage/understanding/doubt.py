"""When a reading is not sure enough to act on. A message with no fire-safety signal at all
is never pointed to 12345 without asking: it may be a hazard told in words the rules do not
know ("燃气表旁边堆了杂物"); nor is one the rules would not report but the model (model.py)
reads as a possible hazard or emergency. One tap decides, and the answer is kept as a label."""

from __future__ import annotations

from triage.understanding.classify import POSSIBLE_HAZARD, Classification
from triage.understanding.taxonomy import Kind

NO_SIGNAL = "no fire-safety signal"  # the cue classify() notes when nothing matched
# What the resident may say it was, and the kind each one files as.
CHOICES = {"hazard": Kind.HAZARD, "question": Kind.QUESTION, "other": Kind.OUT_OF_SCOPE}
STAFF = "staff"  # none of the nearest questions fits: a question for staff, asked as it was


def unsure(label: Classification) -> bool:
    if label.kind == Kind.OUT_OF_SCOPE and NO_SIGNAL in label.cues:
        return True
    possible = any(cue.startswith(POSSIBLE_HAZARD) for cue in label.cues)
    return possible and label.kind in (Kind.OUT_OF_SCOPE, Kind.QUESTION)
