"""A report's cards in staff chats, drawn again after it changed: the state now, and only what
each holder of a card may still press (nothing, once the task is no longer theirs).

Read when the sender turns a `cards_changed` notice into edits, not when the change was
made: the edits show the report as it is when they go out, whatever came in between.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import cards
from storage import reports as report_rows
from storage import staff as staff_rows
from storage.models import Report
from triage.actors import staff_actor
from triage.lifecycle import Status, available_actions
from triage.reports.notices import card_of, cards_changed, post

PER_CHAT = 3  # a chat's newest cards of a report that are kept current


@dataclass(frozen=True)
class Shown:
    """One card to draw again: where it is, in whose language, and what it may offer."""

    chat_id: int
    message_id: int
    language: str
    role: str
    actions: list[str]


@dataclass
class Redraw:
    card: dict[str, Any]
    shown: list[Shown] = field(default_factory=list)


async def redraws(
    session: AsyncSession,
    report_ids: Iterable[int],
    unsaved: dict[int, list[tuple[int, int]]] | None = None,
) -> dict[int, Redraw]:
    """What each report's remembered cards should show now, and the cards `unsaved` (by
    report: chat, message) delivered but not remembered yet; reports with no card are left
    out."""
    found = await cards.shown(session=session, report_ids=list(report_ids), per_chat=PER_CHAT)
    for report_id, more in (unsaved or {}).items():
        known = found.setdefault(report_id, [])
        known += [card for card in more if card not in known]
    found = {report_id: shown for report_id, shown in found.items() if shown}
    if not found:
        return {}
    chats = sorted({chat for shown in found.values() for chat, _ in shown})
    staff = {
        s.telegram_id: s for s in await staff_rows.staff_by_telegram_ids(session=session, ids=chats)
    }
    out: dict[int, Redraw] = {}
    for report_id, shown in found.items():
        report = await session.get(Report, report_id)
        if report is None:
            continue
        redraw = out[report_id] = Redraw(await card_of(session, report))
        offers: dict[int, list[str]] = {}
        for chat, message in shown:
            person = staff.get(chat)
            if chat not in offers:
                offers[chat] = await _offer(session, report, person)
            language, role = (person.language, person.role) if person else ("zh", "worker")
            redraw.shown.append(Shown(chat, message, language, role, offers[chat]))
    return out


async def _offer(session: AsyncSession, report: Report, person) -> list[str]:
    if person is None:  # no longer staff: a card of theirs offers nothing
        return []
    if report.status == Status.CLOSED and not await _reinspecting(session, report):
        return []  # the table lets staff re-inspect any closed report; a card only when due
    return [str(a) for a in await available_actions(session, report, staff_actor(person))]


async def _reinspecting(session: AsyncSession, report: Report) -> bool:
    """回头看 fell due and is what happened last (not withdrawn, filed or answered since)."""
    history = await report_rows.history_of(session=session, report_id=report.id)
    return bool(history) and history[-1].action == "reinspection_due"


async def remember(session: AsyncSession, delivered: list[tuple], now: datetime) -> None:
    """The cards delivered — (report id, chat, message, when worded) — to edit when their
    report changes; one whose report changed after it was worded (a press while it was on
    its way) is drawn again at once."""
    await cards.remember(session=session, cards=[(r, c, m, now) for r, c, m, _ in delivered])
    drawn: dict[int, datetime] = {}
    for report_id, _, _, worded in delivered:
        drawn[report_id] = min(worded, drawn.get(report_id, worded))
    await post(session, cards_changed(await cards.changed_since(session=session, drawn=drawn)))
