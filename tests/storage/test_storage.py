"""Storage on real SQLite files and a real PostgreSQL server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import text, update

from storage import cards, deadlines, inbox
from storage import reports as report_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from storage.models import Report, ReportDraft, Resident
from tests.databases import database


async def _resident(sessions) -> Resident:
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=10**12, chat_id=10**12, name="小李")
        session.add(resident)
    return resident


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_upgrade_creates_the_schema_and_is_idempotent(kind, tmp_path):
    async with database(kind, tmp_path, migrated=False) as url:
        engine = make_engine(url)
        assert await current_revision(engine) is None
        await upgrade(engine)
        await upgrade(engine)
        assert await current_revision(engine) == head_revision()
        await engine.dispose()


async def test_report_gets_reference_and_created_event(sessions):
    resident = await _resident(sessions)
    async with transaction(sessions) as session:
        report = Report(resident_id=resident.id, text="楼道堆物", status="new")
        await report_rows.add_report(session=session, report=report, actor="resident:1")
    async with transaction(sessions) as session:
        stored = await report_rows.report_by_reference(session=session, reference=report.reference)
        history = await report_rows.history_of(session=session, report_id=report.id)
    assert stored is not None and stored.reference == f"FC-{report.id:06d}"
    assert [(e.action, e.to_status) for e in history] == [("created", "new")]


async def test_times_come_back_aware_and_equal(sessions):
    resident = await _resident(sessions)
    deadline = datetime(2026, 11, 22, 12, 0, tzinfo=UTC) + timedelta(microseconds=5)
    async with transaction(sessions) as session:
        report = Report(resident_id=resident.id, text="x", ack_deadline_at=deadline)
        await report_rows.add_report(session=session, report=report, actor="system")
    async with sessions() as session:
        stored = await session.get(Report, report.id)
    assert stored.ack_deadline_at == deadline
    assert stored.ack_deadline_at.tzinfo is not None


async def test_guarded_change_lets_exactly_one_of_many_win(sessions):
    resident = await _resident(sessions)
    async with transaction(sessions) as session:
        report = Report(resident_id=resident.id, text="x", status="assigned")
        await report_rows.add_report(session=session, report=report, actor="system")

    async def press() -> bool:
        async with transaction(sessions) as session:
            return await report_rows.change_report(
                session=session,
                report_id=report.id,
                from_statuses=["assigned"],
                values={"status": "acknowledged"},
            )

    results = await asyncio.gather(*(press() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_inbox_stores_each_update_id_once(sessions):
    now = datetime.now(UTC)
    updates = [{"update_id": 7, "message": {"text": "a"}}, {"update_id": 8}]
    async with transaction(sessions) as session:
        first = await inbox.store_updates(session=session, payloads=updates, now=now)
    async with transaction(sessions) as session:
        again = await inbox.store_updates(session=session, payloads=updates[:1], now=now)
        pending = await inbox.pending_updates(session=session)
    assert (sorted(first), again) == ([7, 8], [])
    assert [u.update_id for u in pending] == [7, 8]
    assert pending[0].payload == updates[0]


async def test_the_outbox_claims_in_priority_order_and_never_past_the_bound(sessions):
    from datetime import timedelta

    from storage import outbox
    from storage.models import OutboxMessage

    now = datetime.now(UTC)
    rows = [
        OutboxMessage(chat_id=i, payload={}, priority=90, next_attempt_at=now) for i in range(5)
    ]
    async with transaction(sessions) as session:
        await outbox.enqueue(session=session, rows=rows)
        first = (
            await outbox.claim(session=session, now=now, limit=3, stale_after=timedelta(minutes=1))
        ).rows
        await outbox.enqueue(
            session=session,
            rows=[OutboxMessage(chat_id=99, payload={}, priority=20, next_attempt_at=now)],
        )
        urgent = (
            await outbox.claim(
                session=session,
                now=now,
                limit=10,
                stale_after=timedelta(minutes=1),
                more_urgent_than=90,
            )
        ).rows
        await outbox.renew(
            session=session, ids=[r.id for r in first], now=now + timedelta(minutes=5)
        )
        again = (
            await outbox.claim(
                session=session,
                now=now + timedelta(minutes=2),
                limit=10,
                stale_after=timedelta(minutes=1),
            )
        ).rows
    assert len(first) == 3 and [r.chat_id for r in urgent] == [99]
    # 0–2 were renewed and stay with their sender; 99's claim went stale and is taken back
    assert {r.chat_id for r in again} == {3, 4, 99}


async def test_notices_to_no_one_chat_are_taken_a_bounded_number_at_a_time(sessions):
    from datetime import timedelta

    from storage import outbox
    from storage.models import OutboxMessage

    now = datetime.now(UTC)
    redraws = [
        OutboxMessage(chat_id=outbox.NO_CHAT, method=outbox.NOTICE, payload={}, next_attempt_at=now)
        for _ in range(outbox.NO_CHAT_PER_CLAIM + 5)
    ]
    reply = OutboxMessage(chat_id=7, payload={}, priority=50, next_attempt_at=now)
    async with transaction(sessions) as session:
        await outbox.enqueue(session=session, rows=[*redraws, reply])
        claim = await outbox.claim(
            session=session, now=now, limit=100, per_chat=2, stale_after=timedelta(minutes=1)
        )
    chats = [r.chat_id for r in claim.rows]
    # More than a chat's share (each is many chats' edits), not all; the reply is not held up
    assert chats.count(outbox.NO_CHAT) == outbox.NO_CHAT_PER_CLAIM and 7 in chats


async def test_a_chat_that_floods_does_not_fill_the_claim(sessions):
    from datetime import timedelta

    from storage import outbox
    from storage.models import OutboxMessage

    now = datetime.now(UTC)
    flood = [
        OutboxMessage(chat_id=1, payload={}, priority=30, next_attempt_at=now) for _ in range(10)
    ]
    advice = OutboxMessage(chat_id=1, payload={}, priority=0, next_attempt_at=now)
    other = OutboxMessage(chat_id=2, payload={}, priority=30, next_attempt_at=now)
    stale = timedelta(minutes=1)
    async with transaction(sessions) as session:
        await outbox.enqueue(session=session, rows=[*flood, advice, other])
        capped = {"per_chat": 2, "stale_after": stale}
        first = await outbox.claim(session=session, now=now, limit=5, **capped)
        second = await outbox.claim(
            session=session, now=now, limit=5, held={1: 2}, best_held={1: 0}, **capped
        )
        urgent = OutboxMessage(chat_id=1, payload={}, priority=0, next_attempt_at=now)
        await outbox.enqueue(session=session, rows=[urgent])
        third = await outbox.claim(
            session=session, now=now, limit=5, held={1: 2}, best_held={1: 30}, **capped
        )
    # The 119 advice first; the flooding chat gets two, the rest waits for it
    assert [(r.chat_id, r.priority) for r in first.rows] == [(1, 0), (1, 30)]
    assert not first.exhausted
    assert [r.chat_id for r in second.rows] == [2] and second.exhausted
    # A chat at its cap still gets a row more urgent than any it holds
    assert [(r.chat_id, r.priority) for r in third.rows] == [(1, 0)]


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_survey_questions_waiting_at_the_upgrade_get_their_subject(kind, tmp_path):
    """0024 names a survey's first question already in the outbox, so that an opt-out after
    the upgrade still withdraws it; a tip queued in the same chat at the same time is not."""
    from sqlalchemy import text

    async with database(kind, tmp_path, migrated=False) as url:
        engine = make_engine(url)
        await upgrade(engine, "0023")
        at = datetime(2026, 12, 6, 5, 0, tzinfo=UTC)
        rows = {"at": at, "payload": "{}"}
        async with engine.begin() as conn:
            for statement in (
                "INSERT INTO resident (id, telegram_id, chat_id, name, language, language_chosen,"
                " subscribed_tips, created_at) VALUES (1, 77, 77, '小李', 'zh', false, true, :at)",
                "INSERT INTO survey (id, title, intro, questions, status, created_at)"
                " VALUES (4, :payload, :payload, '[]', 'open', :at)",
                "INSERT INTO surveyrecipient (id, survey_id, resident_id, position, sent_at)"
                " VALUES (9, 4, 1, 0, :at)",
                "INSERT INTO outboxmessage (chat_id, method, payload, priority, status, attempts,"
                " created_at, next_attempt_at) VALUES (77, 'sendMessage', :payload, 90,"
                " 'pending', 0, :at, :at)",
                "INSERT INTO outboxmessage (chat_id, method, payload, priority, status, attempts,"
                " created_at, next_attempt_at) VALUES (77, 'sendMessage', :payload, 30,"
                " 'pending', 0, :at, :at)",
            ):
                await conn.execute(text(statement), rows)
        await upgrade(engine)
        async with engine.connect() as conn:
            named = await conn.execute(text("SELECT priority, subject FROM outboxmessage"))
            assert sorted(named.all()) == [(30, None), (90, "survey_recipient:9")]
        await engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
async def test_the_notify_triggers_go_with_a_downgrade_and_come_back(kind, tmp_path):
    """0025 and 0026: the inbox's, the outbox's and the reports' deadlines' triggers on
    PostgreSQL; nothing on SQLite."""

    async def triggers(engine) -> list[str]:
        if kind != "postgresql":
            return []
        async with engine.connect() as conn:
            found = await conn.execute(
                text("SELECT tgname FROM pg_trigger WHERE tgname LIKE '%\\_notify' ORDER BY 1")
            )
            return list(found.scalars())

    async def downgrade(engine, revision: str) -> None:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))

    async with database(kind, tmp_path, migrated=False) as url:
        engine = make_engine(url)
        await upgrade(engine)
        notifying = ["inboxupdate_notify", "outboxmessage_notify", "report_deadline_notify"]
        notifying = notifying if kind == "postgresql" else []
        assert await triggers(engine) == notifying
        await downgrade(engine, "0024")
        assert await current_revision(engine) == "0024" and await triggers(engine) == []
        await upgrade(engine)
        assert await triggers(engine) == notifying
        await engine.dispose()


async def test_a_notice_of_one_call_becomes_that_call_in_its_own_row(sessions):
    """Most notices word into one Bot API call: the row becomes it (no row added, claim
    kept); a notice of several calls is marked expanded and each call gets a claimed row."""
    from datetime import timedelta

    from sqlmodel import select

    from storage import outbox
    from storage.models import OutboxMessage

    now = datetime.now(UTC)
    one = OutboxMessage(chat_id=outbox.NO_CHAT, method=outbox.NOTICE, payload={}, subject="s:5")
    two = OutboxMessage(chat_id=8, method=outbox.NOTICE, payload={}, subject="s:8")
    one.next_attempt_at = two.next_attempt_at = now
    async with transaction(sessions) as session:
        await outbox.enqueue(session=session, rows=[one, two])
        claim = await outbox.claim(
            session=session, now=now, limit=10, stale_after=timedelta(minutes=1), by="s1"
        )
        first, second = sorted(claim.rows, key=lambda r: r.chat_id)
        edit = ("editMessageText", {"chat_id": 77, "message_id": 3, "text": "卡片"})
        calls = [("sendMessage", {"chat_id": 8, "text": "甲"}), ("sendMessage", {"text": "乙"})]
        parts = await outbox.expand(
            session=session, notices=[(first, [edit]), (second, calls)], now=now, by="s1"
        )
    assert parts[0] is first and (first.chat_id, first.method) == (77, "editMessageText")
    async with transaction(sessions) as session:
        stored = {row.id: row for row in (await session.exec(select(OutboxMessage))).all()}
    assert len(stored) == 4
    card = stored[first.id]
    assert (card.chat_id, card.method, card.payload["text"], card.subject) == (
        77,
        "editMessageText",
        "卡片",
        "s:5",
    )
    assert (card.status, card.claimed_by) == (outbox.SENDING, "s1")
    assert stored[second.id].status == outbox.EXPANDED
    added = [stored[p.id] for p in parts[1:]]
    assert [(r.chat_id, r.payload["text"], r.status, r.subject) for r in added] == [
        (8, "甲", outbox.SENDING, "s:8"),
        (8, "乙", outbox.SENDING, "s:8"),
    ]


def test_each_row_built_gets_lists_of_its_own():
    """The list columns' default (a function, not `list`: issue 14) is a new list a row."""
    first, second = (
        Report(reference="", resident_id=1, text=""),
        Report(reference="", resident_id=1, text=""),
    )
    first.photos.append("photo")
    drafts = ReportDraft(resident_id=1), ReportDraft(resident_id=2)
    drafts[0].photos.append("photo")
    assert second.photos == [] and second.cues == [] and drafts[1].photos == []


async def test_a_due_report_is_not_skipped_while_a_row_referring_to_it_is_written(tmp_path):
    """PostgreSQL: the scheduler's lock on a due report (FOR NO KEY UPDATE) does not wait
    for, nor skip, a report whose card is being remembered in a transaction still open
    (that insert holds a KEY SHARE lock on the report; FOR UPDATE SKIP LOCKED skipped it)."""
    async with database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        resident = await _resident(sessions)
        due = datetime.now(UTC) - timedelta(minutes=1)
        async with transaction(sessions) as session:
            report = Report(resident_id=resident.id, text="x", status="assigned")
            await report_rows.add_report(session=session, report=report, actor="system")
            await session.exec(
                update(Report).where(Report.id == report.id).values(next_deadline_at=due)
            )
        async with transaction(sessions) as writing:
            await cards.remember(session=writing, cards=[(report.id, 2001, 7, due)])
            async with transaction(sessions) as scheduler:
                found = await deadlines.due_reports(
                    session=scheduler, now=datetime.now(UTC), limit=10
                )
        assert [r.id for r in found] == [report.id]
        await engine.dispose()
