"""The field desk the chat talks to: a patrol report being written, or a campaign's checklist
being answered (one at a time: starting one drops the other)."""

from __future__ import annotations

from triage.actors import Actor
from triage.desks import DeskContext
from triage.fieldwork.campaigns import Campaigns
from triage.fieldwork.patrol import Patrol
from triage.fieldwork.replies import FieldReply


class FieldDesk:
    def __init__(self, context: DeskContext):
        self.patrol = Patrol(context)
        self.campaigns = Campaigns(context)

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
