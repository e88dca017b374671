"""What the resident is told after a step: a text key, its values, and where their report
being written stands."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from storage.models import Report, Resident
from triage.reports.notices import Notice


class Step(StrEnum):
    DESCRIPTION = "description"
    LOCATION = "location"
    PHOTOS = "photos"


@dataclass(frozen=True)
class Reply:
    """What to tell the resident: a text key, the values it needs, and where the draft is."""

    say: str
    resident: Resident
    step: Step | None = None
    report: Report | None = None
    values: dict[str, Any] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()  # what others must be told (tasks, alerts)

    @property
    def language(self) -> str:
        return self.resident.language
