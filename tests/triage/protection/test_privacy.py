"""Retention (old raw updates purged, old closed reports anonymised) and phone masking."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from storage import cards
from storage import reports as report_rows
from storage.engine import transaction
from storage.models import InboxUpdate, OutboxMessage, Report, ReportEvent, Resident
from storage.types import utcnow
from triage.answers.knowledge import KnowledgeBase
from triage.answers.promotion import entry_for
from triage.protection.privacy import (
    ANONYMISED,
    Retention,
    UnknownResident,
    apply_retention,
    forget_resident,
)
from triage.reports.masking import mask_phones
from triage.reports.notices import NO_CHAT

NOW = utcnow()
DAYS = timedelta(days=1)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("有事打我电话13812345678", "有事打我电话138****5678"),
        ("手机 +86 139-0000-1111。", "手机 +86 139****1111。"),
        ("物业电话027-87654321", "物业电话027-****4321"),
        ("着火打119，其他事打12345", "着火打119，其他事打12345"),
        ("3栋1203室，2026年12月4日", "3栋1203室，2026年12月4日"),
    ],
)
def test_phone_numbers_are_masked_and_service_numbers_kept(text, masked):
    assert mask_phones(text) == masked


async def add_update(session, update_id: int, received_days_ago: float, handled: bool) -> None:
    received = NOW - received_days_ago * DAYS
    session.add(
        InboxUpdate(
            update_id=update_id,
            payload={"update_id": update_id, "message": {"text": "楼道里有电动车"}},
            received_at=received,
            processed_at=received if handled else None,
        )
    )


async def add_report(session, resident: Resident, *, status: str, closed_days_ago: float | None):
    report = Report(
        resident_id=resident.id,
        chat_id=resident.chat_id,
        text="3栋楼道堆满纸箱，我是王阿姨，电话13812345678",
        category="exit_blocked",
        severity="high",
        latitude=30.541523,
        longitude=114.332087,
        address="幸福小区3栋2单元",
        community="幸福社区",
        photos=["photo-file-id"],
        status=status,
        created_at=NOW - 420 * DAYS,
        closed_at=None if closed_days_ago is None else NOW - closed_days_ago * DAYS,
    )
    await report_rows.add_report(session=session, report=report, actor=f"resident:{resident.id}")
    for action, detail in (
        ("resident_answered", {"text": "就在3栋，王阿姨", "photo": "p2"}),
        ("resolved", {"note": "已清理，联系了王阿姨13812345678", "photos": ["p3"]}),
        ("location_added", {"location": [30.54, 114.33], "address": "3栋", "told": [1]}),
    ):
        await report_rows.add_event(
            session=session, report_id=report.id, actor="staff:1", action=action, detail=detail
        )
    return report.id


async def test_retention_purges_and_anonymises_only_what_is_old_enough(sessions):
    async with transaction(sessions) as session:
        await add_update(session, 1, received_days_ago=40, handled=True)
        await add_update(session, 2, received_days_ago=10, handled=True)
        await add_update(session, 3, received_days_ago=40, handled=False)
        for status, days in (("sent", 40), ("pending", 40), ("sent", 10)):
            session.add(
                OutboxMessage(
                    chat_id=9, status=status, created_at=NOW - days * DAYS, payload={"text": status}
                )
            )
        resident = Resident(telegram_id=1601, chat_id=1601, name="王阿姨")
        session.add(resident)
        await session.flush()
        old = await add_report(session, resident, status="closed", closed_days_ago=400)
        recent = await add_report(session, resident, status="closed", closed_days_ago=10)
        still_open = await add_report(
            session, resident, status="acknowledged", closed_days_ago=None
        )

        await cards.remember(
            session=session,
            cards=[(still_open, 9, 1, NOW - 40 * DAYS), (still_open, 9, 2, NOW - 10 * DAYS)],
        )

    done = await apply_retention(sessions, Retention(), now=NOW)
    assert (done.updates, done.messages, done.anonymised) == (1, 1, 1)
    async with transaction(sessions) as session:
        kept_cards = await cards.shown(session=session, report_ids=[still_open], per_chat=9)
    assert kept_cards == {still_open: [(9, 2)]}  # the old card is no longer kept current

    async with transaction(sessions) as session:
        kept = (
            await session.exec(select(InboxUpdate.update_id).order_by(col(InboxUpdate.update_id)))
        ).all()
        assert kept == [2, 3]  # recent, and never handled
        statuses = sorted((await session.exec(select(OutboxMessage.status))).all())
        assert statuses == ["pending", "sent"]
        reports = {r.id: r for r in (await session.exec(select(Report))).all()}
        events = (await session.exec(select(ReportEvent).where(ReportEvent.report_id == old))).all()

    gone = reports[old]
    assert gone.text == ANONYMISED and gone.address is None and gone.photos == []
    assert (gone.latitude, gone.longitude) == (30.54, 114.33)
    assert gone.anonymised_at is not None
    # what the figures count stays
    assert (gone.kind, gone.category, gone.severity, gone.community, gone.status) == (
        "hazard",
        "exit_blocked",
        "high",
        "幸福社区",
        "closed",
    )
    assert gone.resident_id is not None  # their own /my still lists it, without the words
    assert [e.action for e in events] == [
        "created",
        "resident_answered",
        "resolved",
        "location_added",
    ]
    details = [e.detail for e in events]
    assert "13812345678" not in str(details) and "王阿姨" not in str(details)
    assert details[3]["told"] == [1] and details[3]["location"] is None
    for kept_id in (recent, still_open):
        assert "13812345678" in reports[kept_id].text and reports[kept_id].anonymised_at is None

    again = await apply_retention(sessions, Retention(), now=NOW)
    assert (again.updates, again.messages, again.anonymised) == (0, 0, 0)


def test_a_question_promoted_to_the_knowledge_base_keeps_no_phone_number():
    report = Report(id=7, reference="FC-000007", text="我家楼下灭火器过期了，我电话13812345678")
    kb = KnowledgeBase.from_shipped_file()
    entry = entry_for(report, "请拨打物业027-87654321更换。", kb)
    assert entry.question("zh") == "我家楼下灭火器过期了，我电话138****5678"
    assert entry.answer("zh") == "请拨打物业027-****4321更换。"


async def test_forget_keeps_what_others_reported_too_and_their_pending_tasks(sessions):
    async with transaction(sessions) as session:
        first = Resident(telegram_id=1611, chat_id=1611, name="老李")
        other = Resident(telegram_id=1612, chat_id=1612, name="小赵")
        session.add_all([first, other])
        await session.flush()
        shared = await add_report(session, first, status="assigned", closed_days_ago=None)
        own = await add_report(session, first, status="acknowledged", closed_days_ago=None)
        duplicate = Report(
            resident_id=other.id, text="小赵看到的纸箱", status="merged", merged_into_id=shared
        )
        await report_rows.add_report(session=session, report=duplicate, actor="resident:2")
        elsewhere = await add_report(session, other, status="assigned", closed_days_ago=None)
        for status, report_id in (("sent", None), ("pending", own), ("pending", elsewhere)):
            session.add(
                OutboxMessage(
                    chat_id=1611, status=status, report_id=report_id, payload={"text": "任务"}
                )
            )

    done = await forget_resident(sessions, 1611, now=NOW)
    assert (done.reports, done.withdrawn, done.messages) == (2, 1, 2)

    async with transaction(sessions) as session:
        reports = {r.id: r for r in (await session.exec(select(Report))).all()}
        left = (
            await session.exec(
                select(OutboxMessage.report_id).where(OutboxMessage.chat_id != NO_CHAT)
            )
        ).all()
        redraws = (
            await session.exec(
                select(OutboxMessage.report_id).where(OutboxMessage.chat_id == NO_CHAT)
            )
        ).all()
        first = await session.get(Resident, first.id)
    assert reports[shared].status == "assigned" and reports[shared].text == ANONYMISED
    assert reports[own].status == "closed" and reports[own].text == ANONYMISED
    assert reports[duplicate.id].text == "小赵看到的纸箱"
    assert reports[elsewhere].resident_id == other.id and reports[elsewhere].anonymised_at is None
    assert left == [elsewhere]  # a staff member's task still to send is not lost
    assert redraws == [own]  # the withdrawn task's cards are drawn again, anonymised
    assert first.name == "" and first.telegram_id == 1611


async def test_forget_of_someone_unknown_changes_nothing(sessions):
    with pytest.raises(UnknownResident):
        await forget_resident(sessions, 424242)
