"""Inspection campaigns (placeholder until the campaign part lands)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage.engine import SessionFactory
from storage.types import utcnow
from triage.actors import Actor
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy
from triage.fieldwork.replies import FieldReply


class Campaigns:
    def __init__(
        self,
        sessions: SessionFactory,
        district: DistrictCache,
        policy: Policy,
        *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.district = district
        self.policy = policy
        self.clock = clock

    async def received(
        self, actor: Actor, *, text: str | None = None, photo: str | None = None
    ) -> FieldReply | None:
        return None
