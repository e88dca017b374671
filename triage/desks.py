"""What a desk that files or moves reports is built on: one frozen value the wiring makes once
(firecircle/service.py) and hands to each desk, instead of five arguments each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from storage.engine import SessionFactory
from storage.types import utcnow
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy


@dataclass(frozen=True)
class DeskContext:
    sessions: SessionFactory
    district: DistrictCache  # the grid cells, read again when they change
    policy: Policy  # deadlines, escalation, the district's time zone
    # How far outside the district's cells a location is still taken (reports near its edge)
    margin_meters: float = 2000
    clock: Callable[[], datetime] = utcnow
