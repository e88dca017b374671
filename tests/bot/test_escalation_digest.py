"""Escalations that reach one person together go as one list, a button per report."""

from __future__ import annotations

from datetime import timedelta

from storage import reports as report_rows
from storage.engine import transaction
from storage.types import utcnow
from tests.harness import (
    COORDINATOR_XINGFU,
    OFFICER,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
)
from triage.escalation.ladder import escalate_due


async def test_reports_falling_due_together_reach_each_person_as_one_list(database_url):
    async with running_service(database_url, duplicate_radius_meters=0) as bot:
        references = [
            await file_report(bot.emulator, 1800 + i, f"{i}号楼楼道里有电动车在充电", timeout=15)
            for i in range(5)
        ]
        worker, coordinator = bot.staff(WORKER_1), bot.staff(COORDINATOR_XINGFU)
        for _ in references:  # the five task cards as they were assigned
            await next_text(worker)
        service = bot.service
        assert await escalate_due(service.sessions, service.policy, utcnow() + timedelta(hours=1))
        digest = await next_text(coordinator)
        assert "5 条任务超时无人接单" in digest["text"]
        assert all(reference in digest["text"] for reference in references)
        assert labels(digest) == references  # a button per report
        renotified = await next_text(worker)  # the worker, already told, gets the list too
        assert "5 条任务" in renotified["text"]

        await coordinator.press(digest, references[2])
        card = await next_text(coordinator)
        assert references[2] in card["text"] and labels(card)[0] == "接手"
        await coordinator.press(card, "接手")
        resident = bot.emulator.player(1802)
        await resident.wait_for(lambda: "孙红梅" in resident.messages[-1].get("text", ""))
        assert len(coordinator.unread) == 0  # one list, not one message per report


async def test_a_task_from_the_list_opens_only_for_those_on_it(sqlite_url):
    async with running_service(sqlite_url) as bot:
        reference = await file_report(bot.emulator, 1810, "门口堆了很多纸箱", timeout=15)
        report_id = int(reference.removeprefix("FC-"))
        desk = bot.service.desk
        other_community = await desk.show_task(await desk.actor_for(3002), report_id)
        assert other_community.refused and other_community.say == "not_your_task"
        resident = await desk.show_task(await desk.actor_for(1810), report_id)
        assert resident.refused and resident.say == "not_staff"
        gone = await desk.show_task(await desk.actor_for(COORDINATOR_XINGFU), 10**9)
        assert gone.refused and gone.say == "task_gone"
        shown = await desk.show_task(await desk.actor_for(COORDINATOR_XINGFU), report_id)
        assert not shown.refused and shown.card["reference"] == reference


def test_a_long_list_stays_within_telegrams_limits():
    from bot.taskcard import digest

    items = [
        {
            "report_id": n,
            "reference": f"FC-{n:06d}",
            "kind": "hazard",
            "category": "fire_equipment",
            "grid": "幸福社区第一网格东区北侧",
            "address": "某某路一百二十三号院内七号楼三单元地下室",
            "waited_seconds": 3600 + n,
            "level": 2,
        }
        for n in range(1, 101)
    ]
    for language in ("zh", "en"):
        messages = digest(language, items)
        listed = [b.text for _, markup in messages for row in markup.inline_keyboard for b in row]
        assert listed == [item["reference"] for item in items]  # every one, once, in order
        for text, markup in messages:
            assert len(text) <= 4096
            assert sum(len(row) for row in markup.inline_keyboard) <= 100


async def test_a_task_at_the_top_of_the_chain_is_reminded_until_someone_takes_it(sqlite_url):
    async with running_service(sqlite_url) as bot:
        reference = await file_report(bot.emulator, 1820, "楼道里的灭火器都过期了")
        service, officer = bot.service, bot.staff(OFFICER)
        now = utcnow()
        for hours in (1, 2, 3):  # level 1, level 2 (the top), then a reminder
            await escalate_due(service.sessions, service.policy, now + timedelta(hours=hours))
        await officer.wait_for(lambda: "仍无人接单" in str(officer.messages))
        reminder = next(m for m in officer.messages if "仍无人接单" in m.get("text", ""))
        assert reference in reminder["text"] and labels(reminder)[0] == "接手"
        taken = await officer.callback_answer(await officer.press(reminder, "接手"))
        assert "已接单" in taken["text"]
        await escalate_due(service.sessions, service.policy, now + timedelta(hours=4))
        async with transaction(service.sessions) as session:
            report = await report_rows.report_by_reference(session=session, reference=reference)
            history = [
                e.action for e in await report_rows.history_of(session=session, report_id=report.id)
            ]
        assert history.count("reminded") == 1 and history[-1] == "acknowledged"


async def test_overdue_lists_what_is_past_its_deadline_for_those_who_may_see_it(sqlite_url):
    async with running_service(sqlite_url) as bot:
        reference = await file_report(bot.emulator, 1830, "楼道里的消防栓被杂物堵住了")
        async with transaction(bot.sessions) as session:  # nobody took it for 12 minutes
            report = await report_rows.report_by_reference(session=session, reference=reference)
            report.ack_deadline_at = utcnow() - timedelta(minutes=12, seconds=30)
        officer, elsewhere = bot.staff(OFFICER), bot.staff(3002)
        await officer.command("/overdue")
        listed = await next_text(officer)
        assert "超时的任务共 1 条" in listed["text"] and reference in listed["text"]
        assert "已超时12分钟" in listed["text"] and labels(listed) == [reference]
        await officer.press(listed, reference)
        assert reference in (await next_text(officer))["text"]  # its card, to act on
        await elsewhere.command("/overdue")  # another community's coordinator
        assert (await next_text(elsewhere))["text"] == "没有超时的任务 👍"
