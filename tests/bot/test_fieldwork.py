"""Field work through the emulator: a patrol report fixed on the spot, a volunteer's patrol
report reaching the grid worker, and a campaign run on three sites with one failing answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from storage import reports as report_rows
from storage import staff as staff_rows
from storage.engine import transaction
from storage.models import Campaign, CampaignVisit, Report
from storage.types import utcnow
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    OFFICER,
    REFERENCE,
    WORKER_1,
    labels,
    next_text,
    running_service,
)
from triage.console.views import Filters
from triage.districts import staffing
from triage.fieldwork import campaigns, checklists, sites
from triage.figures import indicators
from triage.figures.period import Period
from web import exports

VOLUNTEER = 6001


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def history(bot, reference: str):
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        events = await report_rows.history_of(session=session, report_id=report.id)
    return report, events


async def until(player, wanted) -> dict:
    """The next text message `wanted` accepts, passing over the others."""
    message = await next_text(player)
    while not wanted(message):
        message = await next_text(player)
    return message


def a_card(message: dict) -> bool:
    return "reply_markup" in message and "接单" in labels(message)


async def patrol_until_ready(player, category: str = "电动车违规停放充电") -> dict:
    await player.command("/patrol")
    ask = await next_text(player)
    assert "哪类隐患" in ask["text"]
    await player.press(ask, category)
    assert "位置" in (await next_text(player))["text"]
    await player.send(player_text := "我在这里")  # words where a location is wanted
    assert "还差位置" in (await next_text(player))["text"], player_text
    await player.send_location(*INSIDE)
    assert "照片" in (await next_text(player))["text"]
    await player.send_photo()
    assert "一句话" in (await next_text(player))["text"]
    await player.send("3号楼一楼楼道5辆电动车充电")
    return await next_text(player)


async def test_a_patrol_report_fixed_on_the_spot_is_found_and_fixed_in_one_go(bot):
    worker = bot.staff(WORKER_1)
    ready = await patrol_until_ready(worker)
    assert "电动车违规停放充电" in ready["text"] and labels(ready) == ["📤 提交", "✅ 当场整改"]
    await worker.press(ready, "✅ 当场整改")
    assert "整改后的照片" in (await next_text(worker))["text"]
    await worker.send("已挪走")  # words where the photo is wanted
    assert "整改后的照片" in (await next_text(worker))["text"]
    await worker.send_photo(caption="电动车已移到车棚")
    done = await next_text(worker)
    assert "当场整改" in done["text"]
    reference = REFERENCE.search(done["text"]).group()

    report, events = await history(bot, reference)
    assert report.source == "patrol" and report.category == "ebike"
    assert report.status == "closed" and report.assignee_id is not None
    assert report.resident_id is None and len(report.photos) == 1
    steps = [(e.action, e.actor) for e in events]
    assert [a for a, _ in steps] == ["created", "assigned", "acknowledged", "resolved", "closed"]
    assert steps[0][1].startswith("staff:") and steps[2][1] == steps[0][1]
    resolved = events[3].detail
    assert resolved["on_the_spot"] is True and resolved["note"] == "电动车已移到车棚"
    assert resolved["before"] == report.photos[0] and resolved["photos"] != report.photos

    # Its source, wherever figures are shown: the statistics, the console's export
    today = utcnow().astimezone(bot.service.policy.timezone).date()
    figures = await indicators.figures(bot.sessions, bot.service.policy, Period(today, today))
    assert figures["by_source"] == {"resident": 0, "patrol": 1, "campaign": 0, "open311": 0}
    officer = await bot.service.desk.actor_for(OFFICER)
    (row,) = await bot.service.console.views.export(officer, Filters.parse({}))
    assert row["source"] == "patrol" and "source" in exports.COLUMNS


async def test_a_staff_patrol_report_is_the_workers_task_at_once(bot):
    worker = bot.staff(WORKER_1)
    ready = await patrol_until_ready(worker, "消防车通道堵塞")
    await worker.press(ready, "📤 提交")
    card = await until(worker, a_card)  # the task first, then the answer to 提交
    filed = await until(worker, lambda m: "已上报" in m["text"])
    reference = REFERENCE.search(filed["text"]).group()
    assert reference in card["text"]
    report, events = await history(bot, reference)
    assert report.status == "assigned" and report.source == "patrol"
    assert [e.action for e in events] == ["created", "assigned"]
    stale = await worker.callback_answer(await worker.press(ready, "✅ 当场整改"))
    assert "过期" in stale["text"]


async def test_a_volunteers_patrol_report_goes_to_the_grid_worker(bot):
    await staffing.add_staff(
        bot.sessions, telegram_id=VOLUNTEER, name="张志愿", role="volunteer", grids=["DH-01-01"]
    )
    volunteer = bot.emulator.user(VOLUNTEER, "张志愿", language_code="zh")
    await volunteer.command("/start")
    assert "巡查志愿者" in (await next_text(volunteer))["text"]
    ready = await patrol_until_ready(volunteer)
    assert labels(ready) == ["📤 提交"]  # fixing on the spot is a worker's
    await volunteer.press(ready, "📤 提交")
    filed = await next_text(volunteer)
    reference = REFERENCE.search(filed["text"]).group()
    assert "网格员" in filed["text"]
    card = await until(bot.staff(WORKER_1), a_card)
    assert reference in card["text"]
    report, events = await history(bot, reference)
    assert report.source == "patrol" and report.status == "assigned"
    assert events[0].actor.startswith("staff:") and report.assignee_id != events[0].actor


CHECKLIST = """\
- question: 是否有电动车在楼道或室内充电？
  type: yesno
  hazard: {when: yes, category: ebike, severity: high}
- question: 灭火器有几具？
  type: number
  hazard: {below: 1, category: fire_equipment}
- question: 现场照片
  type: photo
  required: false
"""
SITES = """name,address,type,lat,lon,grid
幸福小区1号楼,幸福路12号1栋,住宅,30.5412,114.3312,
幸福小区2号楼,幸福路12号2栋,住宅,30.5414,114.3316,
幸福小区3号楼,幸福路12号3栋,住宅,,,DH-01-01
"""


async def a_campaign(bot, until: date | None = None) -> int:
    specs = sites.parse_sites(SITES, geojson=False)
    await sites.import_sites(bot.sessions, specs)
    made = await campaigns.create(
        bot.sessions,
        bot.service.policy,
        title="电动车入户充电专项排查",
        checklist=checklists.parse_checklist(CHECKLIST),
        grids=["DH-01-01", "DH-01-02"],
        site_type="residential",
        until=until or date(2099, 1, 15),
        now=utcnow(),
    )
    return made.id


async def visit(worker, sites_message: dict, site: str, answers: list) -> dict:
    """Press the site, then answer each question: a label to tap, words, or a photo."""
    await worker.press(sites_message, f"🏠 {site}")
    for answer in answers:
        question = await until(  # the question, or the hint after words that answer nothing
            worker, lambda m: site in m["text"] and "题" in m["text"] or "例如 2" in m["text"]
        )
        if answer == "photo":
            await worker.send_photo()
        elif answer in ("是", "否", "跳过"):
            await worker.press(question, answer)
        else:
            await worker.send(answer)
    return await until(worker, lambda m: "检查完毕" in m["text"])


async def test_a_campaign_on_three_sites_with_one_failing_answer(bot):
    campaign_id = await a_campaign(bot)
    worker = bot.staff(WORKER_1)
    await worker.command("/campaign")
    listed = await next_text(worker)
    assert "已查 0/3" in listed["text"] and len(labels(listed)) == 3
    first = await visit(worker, listed, "幸福小区1号楼", ["否", "abc", "2", "跳过"])
    assert "未发现隐患" in first["text"] and "还有 2 处" in first["text"]
    second = await visit(worker, first, "幸福小区2号楼", ["是", "3", "photo"])
    assert "发现隐患 1 项" in second["text"]
    reference = REFERENCE.search(second["text"]).group()
    cards = [m for m in worker.messages if reference in m.get("text", "") and "reply_markup" in m]
    assert "办结" in labels(cards[0])  # the task, taken: it is the worker's to fix
    assert "联系居民" not in labels(cards[0]) and "🚫 标记骚扰" not in labels(cards[0])
    third = await visit(worker, second, "幸福小区3号楼", ["否", "1", "跳过"])
    assert "都查完了" in third["text"]

    again = await worker.callback_answer(await worker.press(listed, "🏠 幸福小区1号楼"))
    assert "已经检查过了" in again["text"]

    report, events = await history(bot, reference)
    assert report.source == "campaign" and report.campaign_id == campaign_id
    assert report.category == "ebike" and report.severity == "high"
    assert report.status == "acknowledged" and report.rectify_deadline_at is not None
    assert report.assignee_id is not None and len(report.photos) == 1
    assert [e.action for e in events] == ["created", "assigned", "acknowledged"]
    assert "幸福小区2号楼" in report.text and "电动车" in report.text

    found = await campaigns.status(bot.sessions, bot.service.policy, campaign_id, utcnow())
    first_cell, second_cell = found["by_grid"]
    assert (first_cell["sites"], first_cell["visited"], first_cell["hazards"]) == (3, 3, 1)
    assert first_cell["hazards_per_100_sites"] == 33.3
    assert (first_cell["rectified"], first_cell["overdue"]) == (0, 0)
    assert second_cell["sites"] == 0 and found["total"]["hazards"] == 1


async def test_coordinators_are_reminded_of_cells_behind_once(bot):
    campaign_id = await a_campaign(bot, until=date.today() + timedelta(days=3))
    later = utcnow() + timedelta(days=1, minutes=1)
    sent = []
    for _ in range(2):  # a second instance reaching the same deadline finds it moved on
        async with transaction(bot.sessions) as session:
            sent.append(await campaigns.reminders_due(session, bot.service.policy, later))
    assert sent == [1, 0]
    told = await until(bot.staff(COORDINATOR_XINGFU), lambda m: "排查进度提醒" in m["text"])
    assert "DH-01-01 幸福社区第一网格：已查 0/3（0%）" in told["text"]
    async with transaction(bot.sessions) as session:
        campaign = await session.get(Campaign, campaign_id)
        assert campaign.remind_at is not None and campaign.remind_at > later


async def test_field_commands_refuse_whoever_they_are_not_for(bot):
    resident = bot.emulator.user(1201, "小李")
    await resident.command("/patrol")
    assert "/report" in (await next_text(resident))["text"]
    await resident.command("/campaign")
    assert "网格员用的" in (await next_text(resident))["text"]
    await staffing.add_staff(
        bot.sessions, telegram_id=VOLUNTEER, name="张志愿", role="volunteer", grids=["DH-01-01"]
    )
    volunteer = bot.emulator.user(VOLUNTEER, "张志愿", language_code="en")
    await volunteer.command("/campaign")
    assert "网格员用的" in (await next_text(volunteer))["text"]  # the staff row says zh
    worker = bot.staff(WORKER_1)
    await worker.command("/campaign")
    assert "没有进行中的排查" in (await next_text(worker))["text"]
    await worker.command("/patrol")
    ask = await next_text(worker)
    await worker.press(ask, "违规用火")
    await next_text(worker)
    await worker.send_location(0.0, -160.0)  # the Pacific
    assert "不在本辖区" in (await next_text(worker))["text"]
    await worker.command("/cancel")
    await next_text(worker)
    stale = await worker.callback_answer(await worker.press(ask, "违规用火"))
    assert "过期" in stale["text"]


async def test_a_site_left_half_checked_for_hours_is_taken_over_by_another_worker(bot):
    campaign_id = await a_campaign(bot)
    await staffing.add_staff(
        bot.sessions, telegram_id=6101, name="孙丽", role="worker", grids=["DH-01-01"]
    )
    first, second = bot.staff(WORKER_1), bot.emulator.user(6101, "孙丽")
    await first.command("/campaign")
    await first.press(await next_text(first), "🏠 幸福小区1号楼")
    question = await until(first, lambda m: "第1/" in m["text"])

    await second.command("/campaign")
    listed = await next_text(second)
    busy = await second.callback_answer(await second.press(listed, "🏠 幸福小区1号楼"))
    assert "正由王建国检查中" in busy["text"] and "超过4小时" in busy["text"]

    async with transaction(bot.sessions) as session:  # the first left it five hours ago
        visit = (
            await session.exec(
                select(CampaignVisit).where(
                    CampaignVisit.campaign_id == campaign_id, CampaignVisit.status == "visiting"
                )
            )
        ).one()
        visit.started_at = utcnow() - timedelta(hours=5)
    await second.press(listed, "🏠 幸福小区1号楼")
    took = await until(second, lambda m: "🔁" in m["text"])
    assert "你接手了王建国超过4小时没查完的 幸福小区1号楼" in took["text"]
    told = await until(first, lambda m: "🔁" in m["text"])
    assert "已由孙丽接手" in told["text"]

    # The first's old question is no longer theirs; the second checks the site.
    late = await first.callback_answer(await first.press(question, "是"))
    assert "正由孙丽检查中" in late["text"]
    done = await visit_answers(second, "幸福小区1号楼", ["否", "2", "跳过"])
    assert "未发现隐患" in done["text"]
    async with transaction(bot.sessions) as session:
        visit = await session.get(CampaignVisit, visit.id, populate_existing=True)
        staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=6101)
    assert visit.status == "done" and visit.staff_id == staff.id


async def visit_answers(worker, site: str, answers: list) -> dict:
    """Answer a site's questions already begun (the first question on its way)."""
    for answer in answers:
        question = await until(worker, lambda m: site in m["text"] and "题" in m["text"])
        if answer in ("是", "否", "跳过"):
            await worker.press(question, answer)
        else:
            await worker.send(answer)
    return await until(worker, lambda m: "检查完毕" in m["text"])


async def test_a_sticker_a_document_or_a_voice_mid_checklist_gets_the_questions_hint(bot):
    await a_campaign(bot)
    worker = bot.staff(WORKER_1)
    await worker.command("/campaign")
    listed = await next_text(worker)
    await worker.press(listed, "🏠 幸福小区1号楼")
    question = await until(worker, lambda m: "幸福小区1号楼" in m["text"] and "题" in m["text"])
    for odd in (worker.send_sticker, worker.send_document, worker.send_voice):
        await odd()
        hint = (await next_text(worker))["text"]
        assert hint == "请点上面的按钮回答。"
        assert "您好" not in hint and "只能处理" not in hint
    await worker.press(question, "否")
    assert "第2/3题" in (await next_text(worker))["text"]


async def test_a_site_begun_before_the_campaign_ended_takes_no_answer_after(bot):
    campaign_id = await a_campaign(bot)
    worker = bot.staff(WORKER_1)
    await worker.command("/campaign")
    listed = await next_text(worker)
    await worker.press(listed, "🏠 幸福小区1号楼")
    question = await until(worker, lambda m: "第1/" in m["text"])
    await worker.press(question, "是")  # a failing answer, taken while it ran
    await until(worker, lambda m: "第2/" in m["text"])
    await worker.send("2")
    last = await until(worker, lambda m: "第3/3" in m["text"])  # taking it would finish

    async with transaction(bot.sessions) as session:  # the campaign ends meanwhile
        campaign = await session.get(Campaign, campaign_id)
        campaign.ends_at = utcnow() - timedelta(minutes=1)
    late = await worker.callback_answer(await worker.press(last, "跳过"))
    assert late["text"] == "这个排查活动已经结束，这次检查的答案没有保存。"
    late = await worker.callback_answer(await worker.press(last, "跳过"))
    assert "已经结束" in late["text"]
    await worker.send("3")  # nothing waits for an answer now: the staff help
    assert "已经结束" not in (await next_text(worker))["text"]
    async with transaction(bot.sessions) as session:
        visits = (
            await session.exec(
                select(CampaignVisit).where(CampaignVisit.campaign_id == campaign_id)
            )
        ).all()
        reports = (
            await session.exec(select(Report).where(Report.campaign_id == campaign_id))
        ).all()
    assert all(v.status != "done" and not v.answers for v in visits)
    assert reports == []  # the failing answer to question 1 would have filed one


async def test_a_tap_after_the_campaign_ended_is_not_taken(bot):
    campaign_id = await a_campaign(bot)
    worker = bot.staff(WORKER_1)
    await worker.command("/campaign")
    await worker.press(await next_text(worker), "🏠 幸福小区1号楼")
    question = await until(worker, lambda m: "第1/" in m["text"])
    await worker.press(question, "是")
    await until(worker, lambda m: "第2/" in m["text"])
    await worker.send("2")
    last = await until(worker, lambda m: "第3/3" in m["text"])  # taking it would finish
    async with transaction(bot.sessions) as session:
        campaign = await session.get(Campaign, campaign_id)
        campaign.ends_at = utcnow() - timedelta(seconds=1)
    answer = await worker.callback_answer(await worker.press(last, "跳过"))
    assert answer["text"] == "这个排查活动已经结束，这次检查的答案没有保存。"
    async with transaction(bot.sessions) as session:
        visits = (
            await session.exec(
                select(CampaignVisit).where(CampaignVisit.campaign_id == campaign_id)
            )
        ).all()
    assert all(v.status != "done" and not v.answers for v in visits)
