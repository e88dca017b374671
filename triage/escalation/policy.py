"""The service's promises in numbers and the escalation chain (DESIGN.md defaults; the
`[policy]` table of firecircle.toml changes them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from triage.understanding.taxonomy import Severity

RECTIFY_DEFAULT = {
    Severity.URGENT: timedelta(hours=2),
    Severity.HIGH: timedelta(hours=24),
    Severity.NORMAL: timedelta(hours=72),
}
# The grids' score in the statistics (README, "Statistics"): speed and keeping the
# rectification deadline count most, then what residents say and how much gets closed.
SCORE_WEIGHTS = {
    "ack_in_time_rate": 0.3,
    "rectified_on_time_rate": 0.3,
    "satisfaction_rate": 0.2,
    "closed_rate": 0.2,
}
# Who is told at each level above the on-duty worker (level 0).
GROUPS = ("backup_workers", "community_coordinators", "street_coordinators", "duty_officers")
CHAIN_DEFAULT = (
    ("backup_workers", "community_coordinators"),
    ("street_coordinators", "duty_officers"),
)


@dataclass(frozen=True)
class Policy:
    ack: timedelta = timedelta(minutes=10)
    # "kind" or "kind.severity" → time to acknowledge, when it differs from `ack`
    ack_by: dict[str, timedelta] = field(default_factory=dict)
    escalation_step: timedelta = timedelta(minutes=10)
    rectify: dict[str, timedelta] = field(default_factory=lambda: dict(RECTIFY_DEFAULT))
    chain: tuple[tuple[str, ...], ...] = CHAIN_DEFAULT
    renotify: bool = True  # each step tells everyone already on the task again
    confirm_within: timedelta = timedelta(hours=24)  # the resident's silence after 办结 closes it
    reinspect_after: timedelta = timedelta(days=7)  # 回头看 for urgent and high hazards

    def reinspection_at(self, report_kind: str, severity: str | None, closed_at):
        """When a closed report is looked at again (None: it is not)."""
        if report_kind == "hazard" and severity in (Severity.URGENT, Severity.HIGH):
            return closed_at + self.reinspect_after
        return None

    duplicate_radius_meters: float = 50
    # The ten-minute circle: a patrol team sets off within this, or the next one is called
    team_depart: timedelta = timedelta(minutes=2)
    team_arrive: timedelta = timedelta(minutes=10)  # the promise the figures are held to
    nearby_meters: float = 800  # service points within ten minutes' walk
    # A campaign's site left half-checked this long may be taken over by another of its workers
    visit_takeover: timedelta = timedelta(hours=4)
    street_factor: float = 1.3  # a walk along streets is this much longer than a straight line
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    # The grids' score in the statistics: indicator → weight (README, "Statistics").
    score_weights: dict[str, float] = field(default_factory=lambda: dict(SCORE_WEIGHTS))

    def ack_within(self, kind: str, severity: str | None) -> timedelta:
        return self.ack_by.get(f"{kind}.{severity}") or self.ack_by.get(kind) or self.ack

    def rectify_within(self, severity: str | None) -> timedelta:
        return self.rectify.get(severity or Severity.NORMAL, self.rectify[Severity.NORMAL])

    @property
    def top_level(self) -> int:
        return len(self.chain)

    def groups_at(self, level: int) -> tuple[str, ...]:
        return self.chain[level - 1] if 1 <= level <= len(self.chain) else ()
