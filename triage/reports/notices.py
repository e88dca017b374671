"""Notices: what the domain wants someone told. The chat side words and sends them.

A notice names its recipient's chat, their language, the report, and a card: the facts about
the report the words need, read inside the same transaction as the change they announce.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import directory, outbox
from storage import grid as grid_rows
from storage import residents as resident_rows
from storage.models import GridCell, Report, Staff
from storage.outbox import NO_CHAT

# Lower goes first when sending (the outbox orders by it). Cards drawn again come after what
# people are waiting for: a storm of escalations must not hold up replies with its edits.
EMERGENCY, ESCALATION, TASK, RESIDENT, REDRAW, BULK = 0, 10, 20, 30, 40, 90
# A report changed: its cards in staff chats are drawn again. Addressed to no one chat (the
# sender finds the cards when it sends), so one notice covers however many there are.
CARDS = "cards_changed"


@dataclass(frozen=True)
class Notice:
    kind: str  # a text key under [notice] in the bot's locales
    chat_id: int
    language: str
    report_id: int
    card: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)
    priority: int = RESIDENT


async def card_of(session: AsyncSession, report: Report) -> dict[str, Any]:
    """The facts about a report that any notice or task message may show."""
    cell = await grid_rows.grid_cell_by_id(session=session, grid_id=report.grid_id)
    assignee = await directory.staff_by_id(session, report.assignee_id)
    return card_from(report, cell, assignee)


def card_from(report: Report, cell: GridCell | None, assignee: Staff | None) -> dict[str, Any]:
    return {
        "report_id": report.id,
        "reference": report.reference,
        "kind": report.kind,
        "category": report.category,
        "severity": report.severity,
        "text": report.text,
        "status": report.status,
        "level": report.escalation_level,
        "grid": cell.name if cell else None,
        "community": report.community,
        "address": report.address,
        "latitude": report.latitude,
        "longitude": report.longitude,
        "photos": list(report.photos),
        "created_at": _iso(report.created_at),
        "ack_deadline_at": _iso(report.ack_deadline_at),
        "rectify_deadline_at": _iso(report.rectify_deadline_at),
        "assignee": assignee.name if assignee else None,
        "assignee_role": assignee.role if assignee else None,
        "source": report.source,
        "resident": report.resident_id is not None,  # someone to ask (联系居民)
        "contact": _contact(report.contact),
    }


def _contact(contact: dict[str, str] | None) -> str:
    """Whom the worker may call about a report another system filed (staff cards only)."""
    contact = contact or {}
    name = "".join(contact.get(k, "") for k in ("last_name", "first_name"))
    return " ".join(p for p in (name, contact.get("phone", "")) if p)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def to_staff(
    staff: Staff, kind: str, card: dict[str, Any], *, priority: int = TASK, **extra: Any
) -> Notice:
    """A notice to a staff member; their role says which of the card's actions to offer."""
    extra.setdefault("to_role", str(staff.role))
    return Notice(kind, staff.telegram_id, staff.language, card["report_id"], card, extra, priority)


def cards_changed(report_ids: Iterable[int]) -> list[Notice]:
    """Every card of these reports drawn again as each reads when the sender claims this
    (the card a press came from too: the press redraws it at once, but an edit the sender
    worded before the press may reach Telegram after it; on SQLite triage.lifecycle leaves
    the card to the press when it is the report's only one and nothing of the report is on
    its way)."""
    return [
        Notice(CARDS, NO_CHAT, "zh", r, {"report_id": r}, {}, priority=REDRAW) for r in report_ids
    ]


async def to_followers(
    session: AsyncSession, report: Report, kind: str, card: dict[str, Any], **extra: Any
) -> list[Notice]:
    """The resident who reported it and those whose duplicate reports were merged into it."""
    residents = await resident_rows.followers_of(session=session, report_id=report.id)
    return [
        Notice(kind, r.chat_id, r.language, report.id, card, extra, RESIDENT) for r in residents
    ]


async def post(session: AsyncSession, notices: Sequence[Notice]) -> None:
    """Store the notices with the change they announce: both commit, or neither does."""
    await outbox.enqueue_notices(
        session=session,
        notices=[(n.chat_id, n.priority, n.report_id, _payload(n)) for n in notices],
    )


def _payload(notice: Notice) -> dict[str, Any]:
    # Shallow: notices of one change share their card, serialised when it is written (at the
    # end of the update at the latest), and nothing changes a card once it is posted.
    return {f.name: getattr(notice, f.name) for f in dataclasses.fields(notice)}


def from_payload(payload: dict[str, Any]) -> Notice:
    return Notice(**payload)
