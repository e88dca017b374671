"""What coordinators see at a glance: counts by status and the latest reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage import outbox
from storage import reports as report_rows
from storage.engine import SessionFactory, transaction
from storage.models import OutboxMessage, Report


@dataclass(frozen=True)
class Overview:
    by_status: dict[str, int]
    latest: Sequence[Report]
    undelivered: Sequence[OutboxMessage]  # blocked the bot, chat gone, or refused by Telegram


async def overview(sessions: SessionFactory, *, limit: int = 50) -> Overview:
    async with transaction(sessions) as session:
        return Overview(
            by_status=await report_rows.count_reports_by_status(session=session),
            latest=await report_rows.latest_reports(session=session, limit=limit),
            undelivered=await outbox.undeliverable(session=session),
        )
