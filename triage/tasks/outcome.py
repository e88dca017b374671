"""What a staff member is told after a press or a typed step, and what changed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from triage.actors import Actor
from triage.lifecycle import Moved, Refusal, available_actions
from triage.reports.notices import Notice, post


@dataclass(frozen=True)
class Outcome:
    say: str  # a text key under [staff]
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()
    card: dict[str, Any] | None = None  # the task after the change, to redraw its message
    refused: bool = False


def refused(actor: Actor | None, why: Refusal) -> Outcome:
    language = actor.language if actor is not None else "zh"
    return Outcome(why.key, language, dict(why.values), refused=True)


async def done(
    session: AsyncSession, actor: Actor, moved: Moved, say: str, **values: Any
) -> Outcome:
    """Queue the notices of a change and tell the actor, with the card as it is now and what
    they may do to it; or why it changed nothing."""
    if not moved.won:
        return refused(actor, moved.refusal)
    await post(session, moved.notices)
    actions = await available_actions(session, moved.report, actor)
    card = {**moved.card, "actions": [str(a) for a in actions]}
    return Outcome(say, actor.language, values, tuple(moved.notices), card)
