"""The service's promises in numbers (DESIGN.md defaults; issue 4 reads them from a file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from triage.taxonomy import Severity

RECTIFY_DEFAULT = {
    Severity.URGENT: timedelta(hours=2),
    Severity.HIGH: timedelta(hours=24),
    Severity.NORMAL: timedelta(hours=72),
}


@dataclass(frozen=True)
class Policy:
    ack: timedelta = timedelta(minutes=10)
    escalation_step: timedelta = timedelta(minutes=10)
    rectify: dict[str, timedelta] = field(default_factory=lambda: dict(RECTIFY_DEFAULT))
    duplicate_radius_meters: float = 50
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))

    def rectify_within(self, severity: str | None) -> timedelta:
        return self.rectify.get(severity or Severity.NORMAL, self.rectify[Severity.NORMAL])
