"""The report page's staff steps beyond the chat's card (issue 15, item 2): add a note, mark a
duplicate, close with a reason; each through the lifecycle, with its guards and refusals, and
a form drawn before the report changed says what happened instead of acting."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import reports as report_rows
from storage.engine import transaction
from storage.models import OutboxMessage, Report, Staff
from tests.harness import COORDINATOR_XINGFU, WORKER_1
from tests.web.test_console import RESIDENT, ZONE, Clock, _client, file, log_in
from triage.actors import staff_actor
from triage.console.desk import Console
from triage.escalation.policy import Policy
from triage.lifecycle import Action
from triage.tasks.desk import StaffDesk


@pytest.fixture
async def console(sessions):
    await load_sample_district(sessions)
    return Console(StaffDesk(sessions, Policy(), Clock()), ZONE, "http://console.test")


@pytest.fixture
async def client(console):
    async with await _client(console) as client:
        yield client


async def _form(client, reference: str) -> tuple[str, str, str]:
    page = await (await client.get(f"/reports/{reference}")).text()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    seen = re.search(r'name="seen" value="([^"]*)"', page).group(1)
    return page, csrf, seen


async def _post(client, reference: str, **data) -> str:
    response = await client.post(f"/reports/{reference}", data=data)
    assert response.status == 200
    return await response.text()


async def _notices(sessions, kind: str) -> list[dict]:
    async with transaction(sessions) as session:
        rows = (await session.exec(select(OutboxMessage))).all()
    return [r.payload for r in rows if r.payload.get("kind") == kind]


async def _stored(sessions, report_id: int) -> tuple[Report, list[str]]:
    async with transaction(sessions) as session:
        report = await session.get(Report, report_id)
        history = await report_rows.history_of(session=session, report_id=report_id)
    return report, [e.action for e in history]


async def test_a_worker_adds_a_note_and_nothing_else_changes(sessions, console, client):
    report = await file(sessions, "楼道堆物", "DH-01-01")
    await log_in(client, console, WORKER_1)
    page, csrf, seen = await _form(client, report.reference)
    assert 'id="act-note"' in page and 'id="act-mark_duplicate"' in page
    assert 'id="act-staff_close"' not in page  # closing is for those above
    empty = await _post(client, report.reference, action="note", words=" ", csrf=csrf, seen=seen)
    assert "✗" in empty and "请写一句备注或理由" in empty
    body = await _post(
        client, report.reference, action="note", words="已电话联系物业", csrf=csrf, seen=seen
    )
    assert "✓ 备注已记录" in body and "已电话联系物业" in body  # in the timeline
    stored, history = await _stored(sessions, report.id)
    assert stored.status == "assigned" and history[-1] == "noted"
    assert not await _notices(sessions, "noted")  # a note is for staff: nobody is messaged
    closing = await _post(
        client, report.reference, action="staff_close", words="不是隐患", csrf=csrf, seen=seen
    )
    assert "✗" in closing and "您的岗位不能做这一步" in closing
    assert (await _stored(sessions, report.id))[0].status == "assigned"


async def test_a_note_on_a_closed_report_and_in_english(sessions, console, client):
    report = await file(sessions, "灭火器过期", "DH-01-01", status="closed")
    await log_in(client, console, COORDINATOR_XINGFU)
    client.session.cookie_jar.update_cookies({"fc_lang": "en"})
    page, csrf, seen = await _form(client, report.reference)
    assert "Add a note" in page and "Mark duplicate" not in page  # closed: nothing to merge
    body = await _post(
        client, report.reference, action="note", words="checked again", csrf=csrf, seen=seen
    )
    assert "✓ Note added." in body
    assert (await _stored(sessions, report.id))[1][-1] == "noted"


async def test_marking_a_duplicate_is_refused_with_a_reason(sessions, console, client):
    mine = await file(sessions, "楼道堆物", "DH-01-01")
    merged = await file(sessions, "同一处堆物", "DH-01-01", status="merged")
    elsewhere = await file(sessions, "和平社区：消防通道", "DH-02-01", assignee_id=None)
    await log_in(client, console, WORKER_1)
    _, csrf, seen = await _form(client, mine.reference)
    number = int(mine.reference.removeprefix("FC-"))
    cases = {
        mine.reference: f"不能把 {mine.reference} 标记为它自己的重复",
        "FC-999999": "找不到报告 FC-999999",
        "楼下那条": "找不到报告 楼下那条",
        "": "找不到报告 —",
        merged.reference: f"{merged.reference} 本身已合并到 —",
        elsewhere.reference: f"{elsewhere.reference} 不在您负责的范围内",
        str(number): "不能把",  # a bare number is read as the reference
    }
    for target, said in cases.items():
        body = await _post(
            client, mine.reference, action="mark_duplicate", target=target, csrf=csrf, seen=seen
        )
        assert "✗" in body and said in body, target
    stored, history = await _stored(sessions, mine.id)
    assert stored.status == "assigned" and stored.merged_into_id is None and history == ["created"]
    assert not await _notices(sessions, "marked_duplicate")


async def test_a_coordinator_marks_a_duplicate_and_its_resident_is_told(sessions, console, client):
    original = await file(sessions, "3栋楼道堆满纸箱", "DH-01-01", status="acknowledged")
    duplicate = await file(sessions, "3栋纸箱", "DH-01-02")
    await log_in(client, console, COORDINATOR_XINGFU)
    _, csrf, seen = await _form(client, duplicate.reference)
    number = str(int(original.reference.removeprefix("FC-")))
    body = await _post(
        client, duplicate.reference, action="mark_duplicate", target=number, csrf=csrf, seen=seen
    )
    assert f"✓ {duplicate.reference} 已标记为 {original.reference} 的重复" in body
    assert f"<h1>{original.reference}" in body  # the page that follows is the original's
    stored, history = await _stored(sessions, duplicate.id)
    assert stored.status == "merged" and stored.merged_into_id == original.id
    assert stored.next_deadline_at is None and stored.ack_deadline_at is None
    assert history[-1] == "marked_duplicate"
    async with transaction(sessions) as session:
        events = await report_rows.history_of(session=session, report_id=duplicate.id)
        staff = (
            await session.exec(select(Staff).where(Staff.telegram_id == COORDINATOR_XINGFU))
        ).one()
    assert events[-1].detail["into"] == original.reference
    assert events[-1].actor == staff_actor(staff).ref
    assert (await _stored(sessions, original.id))[1][-1] == "duplicate_merged"
    [told] = await _notices(sessions, "marked_duplicate")
    assert told["chat_id"] == RESIDENT and told["extra"]["original"] == original.reference
    assert await _notices(sessions, "duplicate_added")  # the original's holder sees it
    assert (await client.get(f"/reports/{duplicate.reference}")).status == 404  # it follows
    again = await _post(  # the same page's form, sent again: says where it went
        client, duplicate.reference, action="note", words="还在吗", csrf=csrf, seen=seen
    )
    assert f"✗ 您打开页面后，{duplicate.reference} 已被标记为 {original.reference} 的重复" in again
    assert (await _stored(sessions, duplicate.id))[1][-1] == "marked_duplicate"


async def test_a_coordinator_closes_with_a_reason_and_the_resident_is_told(
    sessions, console, client
):
    resolved = await file(sessions, "电动车在楼道充电", "DH-01-01", status="resolved")
    await log_in(client, console, COORDINATOR_XINGFU)
    page, csrf, seen = await _form(client, resolved.reference)
    assert 'id="act-staff_close"' in page
    empty = await _post(
        client, resolved.reference, action="staff_close", words="", csrf=csrf, seen=seen
    )
    assert "✗" in empty
    long = await _post(  # the resident reads it on a phone: as long as the chat allows
        client, resolved.reference, action="staff_close", words="核" * 501, csrf=csrf, seen=seen
    )
    assert "✗ 理由太长：501字，最多500字" in long
    assert ">" + "核" * 501 + "</textarea>" in long  # written back, not lost
    assert (await _stored(sessions, resolved.id))[0].status == "resolved"
    body = await _post(
        client,
        resolved.reference,
        action="staff_close",
        words="现场已核实整改\r\n" + "核" * 492,  # 500 as the textarea counts a line break
        csrf=csrf,
        seen=seen,
    )
    assert "✓ 已结案" in body
    stored, history = await _stored(sessions, resolved.id)
    assert stored.status == "closed" and history[-1] == "closed_by_staff"
    [told] = await _notices(sessions, "closed_by_staff")
    assert told["chat_id"] == RESIDENT and told["extra"]["note"] == "现场已核实整改\n" + "核" * 492


async def test_a_stale_form_says_what_happened_and_does_nothing(sessions, console, client):
    report = await file(sessions, "楼道堆物", "DH-01-01")
    await log_in(client, console, COORDINATOR_XINGFU)
    _, csrf, seen = await _form(client, report.reference)
    worker = await console.acting.desk.actor_for(WORKER_1)
    assert not (await console.acting.desk.acknowledge(worker, report.id)).refused
    body = await _post(
        client, report.reference, action="staff_close", words="重复", csrf=csrf, seen=seen
    )
    assert "✗" in body and "有了变化" in body and "王建国接单" in body and "「处理中」" in body
    assert (await _stored(sessions, report.id))[0].status == "acknowledged"
    noted = await _post(
        client, report.reference, action="note", words="知道了", csrf=csrf, seen=seen
    )
    assert "✓" in noted  # a note does not depend on the state


async def test_a_coordinators_tasks_are_the_communitys_open_ones(sessions, console):
    """/tasks (issue 15 item 5): every open task of the community, not only their own."""
    held = await file(sessions, "网格员手上的", "DH-01-01")
    unheld = await file(sessions, "还没人接的", "DH-01-02", status="new", assignee_id=None)
    await file(sessions, "已结束的", "DH-01-01", status="closed")
    other = await file(sessions, "和平社区的", "DH-02-01", assignee_id=None)
    coordinator = await console.acting.desk.actor_for(COORDINATOR_XINGFU)
    said, cards = await console.acting.desk.open_tasks(coordinator)
    assert said.say == "area_tasks" and said.values["count"] == 2
    assert [c["reference"] for c in cards] == [held.reference, unheld.reference]
    assert other.reference not in {c["reference"] for c in cards}
    assert Action.NOTE in cards[0]["actions"] and Action.STAFF_CLOSE in cards[0]["actions"]
    worker = await console.acting.desk.actor_for(WORKER_1)
    said, cards = await console.acting.desk.open_tasks(worker)
    assert said.say == "tasks" and {c["reference"] for c in cards} == {held.reference}


def test_the_residents_notices_read_well_in_both_languages():
    from zoneinfo import ZoneInfo

    from bot.notify import calls_for
    from triage.reports.notices import Notice

    card = {"report_id": 2, "reference": "FC-000002", "kind": "hazard", "photos": []}
    said = {}
    for lang in ("zh", "en"):
        for kind, extra in (
            ("marked_duplicate", {"original": "FC-000001", "staff": "王建国"}),
            (
                "closed_by_staff",
                {"note": "不属于消防隐患", "staff": "孙红梅", "role": "coordinator"},
            ),
        ):
            [(method, payload)] = calls_for(
                Notice(kind, RESIDENT, lang, 2, card, extra), ZoneInfo("Asia/Shanghai")
            )
            said[lang, kind] = payload["text"]
    assert "FC-000002" in said["zh", "marked_duplicate"]
    assert "并入 FC-000001 一起处理" in said["zh", "marked_duplicate"]
    assert "handled as FC-000001" in said["en", "marked_duplicate"]
    assert "协调员孙红梅结案" in said["zh", "closed_by_staff"]
    assert "不属于消防隐患" in said["zh", "closed_by_staff"]
    assert "closed by" in said["en", "closed_by_staff"]
