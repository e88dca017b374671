"""Broadcasts: a coordinator's fire-safety tip to the residents subscribed with /tips.

A draft is previewed (the tip as residents will see it, and how many it reaches), then
confirmed or cancelled. Confirming is one guarded step that queues one bulk outbox row per
subscriber, so a double press or a second instance sends it once. The preview message then
becomes the progress message: follow() counts the tips' outbox rows and edits it when the
numbers change, until none is waiting.

Who may broadcast: admins and street coordinators, to every subscriber or to one community's;
a community coordinator to their own community only. A subscriber belongs to a community when
they reported something there (residents give no address otherwise), so "every subscriber" is
the only way to reach those who never reported.

Phone numbers in a tip are masked (triage.reports.masking) in the preview and in what residents get:
a tip reaches people who are not the staff of anyone's report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import broadcasts, outbox
from storage.broadcasts import CANCELLED, DONE, DRAFT, SENDING
from storage.engine import SessionFactory, transaction
from storage.models import Broadcast, Staff
from storage.types import utcnow
from triage.actors import Actor
from triage.reports.masking import mask_phones
from triage.reports.notices import BULK, RESIDENT

MAX_TIP = 3800  # characters as Telegram counts them (UTF-16): room for the words around it
COMPOSE_FOR = timedelta(hours=1)  # /broadcast alone waits this long for the tip
DRAFT_FOR = timedelta(days=1)  # an older preview is not sent: whom it reaches has changed
PROGRESS = RESIDENT  # the author's progress edits go ahead of the tips themselves
MAY_BROADCAST = ("coordinator", "admin")

Call = tuple[str, dict[str, Any]]
Preview = dict[str, Any]  # where the author's preview is, as the chat side put it: opaque here


class Wording(Protocol):
    """How the chat side says a tip to a resident and a broadcast's progress to its author
    (to the chat its `preview` says, with the chat id first: the outbox row's)."""

    def tip(self, chat_id: int, language: str, text: str) -> Call: ...

    def progress(self, broadcast: Broadcast) -> tuple[int, str, dict[str, Any]]: ...


@dataclass(frozen=True)
class Draft:
    """What a preview shows, and which scopes its author may pick instead."""

    broadcast_id: int
    text: str
    community: str | None  # None: every subscriber
    subscribers: int
    choices: tuple[str, ...] = ()  # communities to pick from; () when the scope is fixed


@dataclass(frozen=True)
class Outcome:
    say: str  # a text key under [broadcast]
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    draft: Draft | None = None
    refused: bool = False


def tip_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class BroadcastDesk:
    def __init__(
        self,
        sessions: SessionFactory,
        wording: Wording,
        *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.wording = wording
        self.clock = clock

    async def start(self, who: Actor, text: str | None) -> Outcome:
        """/broadcast TEXT previews it; /broadcast alone waits for the text."""
        async with transaction(self.sessions) as session:
            staff = await self._author(session, who)
            if staff is None:
                return await self._not_allowed(session, who)
            return await self._draft(session, staff, who, (text or "").strip())

    async def typed(self, who: Actor, text: str) -> Outcome | None:
        """The text after /broadcast alone; None if the bot was not waiting for one."""
        async with transaction(self.sessions) as session:
            pending = await broadcasts.take_composing(session=session, telegram_id=who.telegram_id)
            if pending is None or self.clock() - pending.created_at > COMPOSE_FOR:
                return None
            staff = await self._author(session, who)
            if staff is None:
                return await self._not_allowed(session, who)
            return await self._draft(session, staff, who, text.strip())

    async def choose(self, who: Actor, broadcast_id: int, index: int | None) -> Outcome:
        """Another scope for a draft: a community by its place in the choices, or None: all."""
        async with transaction(self.sessions) as session:
            staff, broadcast, refused = await self._own(session, who, broadcast_id)
            if refused is not None:
                return refused
            choices, everyone, _ = await _scope(session, staff)
            if (index is None and not everyone) or (index is not None and index >= len(choices)):
                return Outcome("stale", staff.language, refused=True)
            community = None if index is None else choices[index]
            if not await broadcasts.change(
                session=session,
                broadcast_id=broadcast_id,
                from_status=DRAFT,
                values={"community": community},
            ):
                return await self._settled(session, staff, broadcast)
            count = await broadcasts.count_subscribers(session=session, community=community)
            draft = Draft(broadcast_id, mask_phones(broadcast.text), community, count, choices)
            return Outcome("preview", staff.language, draft=draft)

    async def confirm(self, who: Actor, broadcast_id: int, preview: Preview) -> Outcome:
        """Send it: one bulk outbox row per subscriber, and the preview (where the chat side
        says it is) becomes the progress."""
        async with transaction(self.sessions) as session:
            staff, broadcast, refused = await self._own(session, who, broadcast_id)
            if refused is not None:
                return refused
            now = self.clock()
            if now - broadcast.created_at > DRAFT_FOR:
                await self._close(session, broadcast, now)
                return Outcome("expired", staff.language, refused=True)
            recipients = await broadcasts.subscribers(
                session=session, community=broadcast.community
            )
            if not recipients:
                return Outcome("nobody_now", staff.language, refused=True)
            values = {
                "status": SENDING,
                "total": len(recipients),
                "preview": preview,
                "sent_at": now,
                "progress_at": now,
            }
            if not await broadcasts.change(
                session=session, broadcast_id=broadcast_id, from_status=DRAFT, values=values
            ):
                return await self._settled(session, staff, broadcast)
            await session.refresh(broadcast)
            await self._queue(session, broadcast, recipients, now)
            return Outcome("started", staff.language, {"total": len(recipients)})

    async def cancel(self, who: Actor, broadcast_id: int) -> Outcome:
        async with transaction(self.sessions) as session:
            staff, broadcast, refused = await self._own(session, who, broadcast_id)
            if refused is not None:
                return refused
            if not await self._close(session, broadcast, self.clock()):
                return await self._settled(session, staff, broadcast)
            return Outcome("cancelled", staff.language)

    async def follow(self) -> int:
        """Update each sending broadcast's progress message when its numbers changed, and
        finish those with no tip left waiting. Returns how many are still sending."""
        still = 0
        async with transaction(self.sessions) as session:
            for broadcast in await broadcasts.sending(session=session):
                if not await self._follow(session, broadcast, self.clock()):
                    still += 1
        return still

    # --- the steps ------------------------------------------------------------------------

    async def _draft(self, session: AsyncSession, staff: Staff, who: Actor, text: str) -> Outcome:
        """A preview of the text; without one, or too long, wait for the (next) text."""
        if not text or tip_length(text) > MAX_TIP:
            await broadcasts.expect_text(
                session=session, telegram_id=who.telegram_id, now=self.clock()
            )
            values = {"length": tip_length(text), "limit": MAX_TIP}
            return Outcome("too_long" if text else "prompt", staff.language, values)
        choices, _, community = await _scope(session, staff)
        count = await broadcasts.count_subscribers(session=session, community=community)
        if count == 0:
            key = "nobody" if community else "nobody_yet"
            return Outcome(key, staff.language, {"community": community}, refused=True)
        broadcast = await broadcasts.add(
            session=session,
            broadcast=Broadcast(
                author_id=staff.id,
                language=staff.language,
                text=text,
                community=community,
                created_at=self.clock(),
            ),
        )
        draft = Draft(broadcast.id, mask_phones(text), community, count, choices)
        return Outcome("preview", staff.language, draft=draft)

    async def _queue(
        self, session: AsyncSession, broadcast: Broadcast, recipients, now: datetime
    ) -> None:
        calls = [
            (chat_id, *self.wording.tip(chat_id, language, mask_phones(broadcast.text)))
            for chat_id, language in recipients
        ]
        await broadcasts.enqueue_tips(
            session=session, broadcast_id=broadcast.id, calls=calls, now=now, priority=BULK
        )
        await self._show(session, broadcast)

    async def _follow(self, session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
        """True once the broadcast is done."""
        tally = await broadcasts.tally(session=session, broadcast_id=broadcast.id)
        delivered = tally.get(outbox.SENT, 0)
        failed = tally.get(outbox.FAILED, 0) + tally.get(outbox.UNDELIVERABLE, 0)
        waiting = tally.get(outbox.PENDING, 0) + tally.get(outbox.SENDING, 0)
        if waiting == 0:
            values = {"status": DONE, "delivered": delivered, "failed": failed}
            values |= {"finished_at": now, "progress_at": now}
            if await broadcasts.change(
                session=session, broadcast_id=broadcast.id, from_status=SENDING, values=values
            ):
                await session.refresh(broadcast)
                await self._show(session, broadcast)
            return True
        if (delivered, failed) != (broadcast.delivered, broadcast.failed):
            if await broadcasts.record_progress(
                session=session, seen=broadcast, delivered=delivered, failed=failed, now=now
            ):
                await session.refresh(broadcast)
                await self._show(session, broadcast)
        return False

    async def _show(self, session: AsyncSession, broadcast: Broadcast) -> None:
        await broadcasts.show_progress(
            session=session,
            broadcast=broadcast,
            call=self.wording.progress(broadcast),
            priority=PROGRESS,
        )

    async def _close(self, session: AsyncSession, broadcast: Broadcast, now: datetime) -> bool:
        return await broadcasts.change(
            session=session,
            broadcast_id=broadcast.id,
            from_status=DRAFT,
            values={"status": CANCELLED, "finished_at": now},
        )

    async def _settled(self, session: AsyncSession, staff: Staff, seen: Broadcast) -> Outcome:
        """An old or repeated press: what became of the broadcast, never a second send."""
        await session.refresh(seen)
        values = {
            "total": seen.total,
            "done": seen.delivered + seen.failed,
            "delivered": seen.delivered,
            "failed": seen.failed,
        }
        key = {SENDING: "already_sending", DONE: "already_done", CANCELLED: "already_cancelled"}
        return Outcome(key.get(seen.status, "stale"), staff.language, values, refused=True)

    async def _own(
        self, session: AsyncSession, who: Actor, broadcast_id: int
    ) -> tuple[Staff | None, Broadcast | None, Outcome | None]:
        """The press's author and broadcast, or why the press changes nothing."""
        staff = await self._author(session, who)
        if staff is None:
            return None, None, await self._not_allowed(session, who)
        broadcast = await session.get(Broadcast, broadcast_id)
        if broadcast is None or broadcast.author_id != staff.id:
            return staff, broadcast, Outcome("stale", staff.language, refused=True)
        if broadcast.status != DRAFT:
            return staff, broadcast, await self._settled(session, staff, broadcast)
        return staff, broadcast, None

    async def _author(self, session: AsyncSession, who: Actor) -> Staff | None:
        """The staff row of someone who may broadcast (read again: a role may change)."""
        staff = await session.get(Staff, who.id) if who.is_staff else None
        return staff if staff and staff.active and staff.role in MAY_BROADCAST else None

    async def _not_allowed(self, session: AsyncSession, who: Actor) -> Outcome:
        return Outcome("not_allowed", who.language, refused=True)


async def _scope(session: AsyncSession, staff: Staff) -> tuple[tuple[str, ...], bool, str | None]:
    """The communities the author may pick, whether "every subscriber" is allowed, and the
    scope a new draft starts with."""
    if staff.role == "coordinator" and staff.community:
        return (), False, staff.community
    street = staff.street if staff.role == "coordinator" else None
    names = await broadcasts.communities(session=session, street=street)
    return tuple(names), True, None
