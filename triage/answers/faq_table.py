"""The knowledge base's table: entries stored, updated and read back (import, export)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from storage import faq as queries
from storage.engine import SessionFactory, transaction
from storage.models import FaqEntry
from storage.types import utcnow
from triage.answers.faq_file import FIELDS, LISTS, OPTIONAL_FIELDS, Entry, shipped_entries


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int


async def import_entries(
    sessions: SessionFactory, entries: Sequence[Entry], now: datetime | None = None
) -> ImportResult:
    """Upsert by id, in one transaction. Entries not in the file are left as they are."""
    now = now or utcnow()
    added = updated = unchanged = 0
    async with transaction(sessions) as session:
        existing = await queries.entries_by_slug(session=session, slugs=(e.id for e in entries))
        for entry in entries:
            row = existing.get(entry.id)
            if row is None:
                row = FaqEntry(slug=entry.id, topic=entry.topic, created_at=now)
                session.add(row)
                added += 1
            elif Entry.from_row(row) == entry:
                unchanged += 1
                continue
            else:
                updated += 1
            _fill(row, entry)
            row.updated_at = now
    return ImportResult(added, updated, unchanged)


def new_row(entry: Entry, now: datetime) -> FaqEntry:
    """The table's row for an entry not stored yet."""
    row = FaqEntry(slug=entry.id, topic=entry.topic, created_at=now)
    _fill(row, entry)
    row.updated_at = now
    return row


def _fill(row: FaqEntry, entry: Entry) -> None:
    for name in FIELDS[1:] + OPTIONAL_FIELDS:
        value = getattr(entry, name)
        setattr(row, name, list(value) if name in LISTS else value)


async def export_entries(sessions: SessionFactory) -> list[Entry]:
    """Every entry, active or not, in the order they were first stored."""
    async with transaction(sessions) as session:
        rows = await queries.all_entries(session=session)
    return [Entry.from_row(row) for row in rows]


async def load_shipped_faq(sessions: SessionFactory) -> ImportResult:
    """Store the knowledge base shipped with firecircle (what `faq import` of it does)."""
    return await import_entries(sessions, shipped_entries())
