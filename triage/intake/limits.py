"""Abuse limits: how much one resident may ask of the service, counted from the database.

Per resident, at most `messages_per_minute` messages in a one-minute window (a window opens
with the first message after the last one ended) and `reports_per_hour` reports in the last
hour (counted from the reports themselves). Past a limit the resident is told "稍后再试" once
a window and hears nothing more; the messages are still stored (the inbox keeps every
update). A blocked resident's messages create nothing. The same text sent again while the
report it opened is still open joins that report instead of filing another.

No limit ever withholds the 119 advice: a message read as an emergency, or the place of an
emergency the bot is waiting for, always goes through.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import limits as counts
from storage import reports as report_rows
from storage import residents as resident_rows
from storage.models import Report, Resident
from triage.understanding.taxonomy import Kind

SILENT = ""  # a Reply that says nothing: the resident was told once already
TRY_LATER = "limits.try_later"
BLOCKED = "limits.blocked"
REPEATED = "limits.repeated"


@dataclass(frozen=True)
class Limits:
    reports_per_hour: int = 5
    messages_per_minute: int = 30
    report_window: timedelta = timedelta(hours=1)
    message_window: timedelta = timedelta(minutes=1)


async def admit(
    session: AsyncSession,
    resident: Resident,
    limits: Limits,
    now: datetime,
    *,
    kind: Kind | None,
    location: bool = False,
) -> str | None:
    """Count one message of a resident. None: let it through; otherwise the text key to say
    instead (SILENT: nothing, they were told once this window). `kind` is what the message
    was read as, so an emergency passes whatever the count."""
    messages, warned = await counts.count_message(
        session=session,
        resident_id=resident.id,
        now=now,
        window_start=now - limits.message_window,
    )
    blocked = resident.blocked_at is not None
    if not blocked and messages <= limits.messages_per_minute:
        return None
    if await _urgent(session, resident, kind, location):
        return None
    if warned:
        return SILENT
    await counts.mark_warned(session=session, resident_id=resident.id)
    return BLOCKED if blocked else TRY_LATER


async def _urgent(
    session: AsyncSession, resident: Resident, kind: Kind | None, location: bool
) -> bool:
    """An emergency, or the place of one the bot is waiting for (a shared location, or text
    the front desk would take as its address)."""
    if kind == Kind.EMERGENCY:
        return True
    pending = await resident_rows.pending_input(session=session, telegram_id=resident.telegram_id)
    if pending is None or pending.purpose != "emergency_location":
        return False
    return location or kind == Kind.OUT_OF_SCOPE


async def refusal(
    session: AsyncSession,
    resident: Resident,
    limits: Limits,
    now: datetime,
    *,
    filed: int | None = None,
) -> str | None:
    """Why this resident may not file another report now (None: they may): blocked, or their
    reports of the last hour are used up; "稍后再试" once a window, then silence. `filed`:
    their reports of the last hour, when already read (open_reports)."""
    if resident.blocked_at is not None:
        return SILENT  # the gate told them; a button pressed since creates nothing either
    if filed is None:
        filed = await counts.reports_since(
            session=session, resident_id=resident.id, since=now - limits.report_window
        )
    if filed < limits.reports_per_hour:
        return None
    warned = await counts.reports_warned_at(session=session, resident_id=resident.id)
    if warned is not None and now - warned < limits.report_window:
        return SILENT
    await counts.mark_reports_warned(session=session, resident_id=resident.id, at=now)
    return TRY_LATER


def normalised(text: str) -> str:
    """The words and numbers of a text, without case, spacing, punctuation or emoji."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LN")


async def open_reports(
    session: AsyncSession, resident: Resident, limits: Limits, now: datetime
) -> tuple[list[Report], int]:
    """The resident's open reports (newest first, at most 20) and their reports of the last
    hour that the limit counts, in one read."""
    return await counts.open_reports_and_count(
        session=session, resident_id=resident.id, since=now - limits.report_window
    )


async def same_open_report(
    session: AsyncSession, resident: Resident, text: str, reports: list[Report] | None = None
) -> Report | None:
    """The resident's open report that this text repeats (its description, or its first line
    when details were added), if any. `reports`: their open reports, when already read."""
    wanted = normalised(text)
    if not wanted:
        return None
    if reports is None:
        reports = list(await counts.open_reports_of(session=session, resident_id=resident.id))
    for report in reports:
        first = report.text.split("\n", 1)[0]
        if wanted in (normalised(report.text), normalised(first)):
            return report
    return None


async def merge_repeat(
    session: AsyncSession, resident: Resident, original: Report, text: str, now: datetime
) -> None:
    """The repeat is an event of the report it repeats; nobody is told again."""
    await report_rows.add_event(
        session=session,
        report_id=original.id,
        actor=f"resident:{resident.id}",
        action="repeated",
        detail={"text": text[:1000]},
        at=now,
    )
