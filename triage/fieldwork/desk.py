"""The field desk the chat talks to: a patrol report being written, or a campaign's checklist
being answered (one at a time: starting one drops the other)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from storage.engine import SessionFactory
from storage.types import utcnow
from triage.actors import Actor
from triage.districts.cache import DistrictCache
from triage.escalation.policy import Policy
from triage.fieldwork.campaigns import Campaigns
from triage.fieldwork.patrol import Patrol
from triage.fieldwork.replies import FieldReply


class FieldDesk:
    def __init__(
        self,
        sessions: SessionFactory,
        district: DistrictCache,
        policy: Policy,
        *,
        margin_meters: float,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.patrol = Patrol(sessions, district, policy, margin_meters=margin_meters, clock=clock)
        self.campaigns = Campaigns(sessions, district, policy, clock=clock)

    async def received(
        self,
        actor: Actor,
        *,
        text: str | None = None,
        photo: str | None = None,
        location: tuple[float, float] | None = None,
    ) -> FieldReply | None:
        """A message for a patrol report or a checklist; None if neither is under way."""
        reply = await self.patrol.received(actor, text=text, photo=photo, location=location)
        if reply is None:
            reply = await self.campaigns.received(actor, text=text, photo=photo)
        return reply
