"""标记重复 and 结案 from a task card in the chat: the number or the reason asked for, the
lifecycle's refusals as it gives them, cancelling, old buttons and odd input."""

from __future__ import annotations

import pytest

from storage import reports as report_rows
from storage.engine import transaction
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    STREET_COORDINATOR,
    WORKER_1,
    file_report,
    labels,
    next_text,
    running_service,
    task_card,
)

EBIKE = "7栋楼道里停了好几辆电动车在充电，电线从窗户拉下来"
EXIT = "7栋的安全出口被铁链锁住了，楼梯间还堆满了纸箱"


@pytest.fixture
async def bot(database_url):
    async with running_service(database_url) as running:
        yield running


async def status_of(bot, reference: str) -> tuple[str, list[str]]:
    async with transaction(bot.sessions) as session:
        report = await report_rows.report_by_reference(session=session, reference=reference)
        events = await report_rows.history_of(session=session, report_id=report.id)
    return report.status, [e.action for e in events]


async def card_of(player, reference: str) -> dict:
    card = await task_card(player)
    while reference not in card["text"]:
        card = await task_card(player)
    return card


def now(player, message: dict) -> dict:
    """The message as it reads now (edited since it was sent, maybe)."""
    return next(m for m in player.messages if m["message_id"] == message["message_id"])


def data_of(message: dict, label: str) -> str:
    rows = message["reply_markup"]["inline_keyboard"]
    return next(b["callback_data"] for row in rows for b in row if b["text"] == label)


def full_width(reference: str) -> str:
    """ "FC-000012" as a Chinese keyboard may type it: ｆｃ－０００００１２."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in reference.lower())


async def two_reports(bot) -> tuple[str, str, dict, dict]:
    worker = bot.staff(WORKER_1)
    first = await file_report(bot.emulator, 1301, EBIKE)
    first_card = await card_of(worker, first)
    second = await file_report(bot.emulator, 1302, EXIT)
    second_card = await card_of(worker, second)
    return first, second, first_card, second_card


async def test_a_worker_marks_a_duplicate_by_its_number_and_confirms(bot):
    first, second, _, card = await two_reports(bot)
    worker, resident = bot.staff(WORKER_1), bot.emulator.player(1302)
    assert labels(card) == ["接单", "联系居民", "转交", "📝 备注", "标记重复", "🚫 标记骚扰"]
    assert "结案" not in labels(card)  # closing is for those above the worker
    await worker.press(card, "标记重复")
    prompt = await next_text(worker)
    assert f"{second} 和哪条报告是同一个问题" in prompt["text"] and labels(prompt) == ["✖ 取消"]

    await worker.send(full_width(first))  # ｆｃ－０００００１, as a phone keyboard may type it
    confirm = await next_text(worker)
    assert f"把 {second} 标记为 {first} 的重复吗？" in confirm["text"]
    assert "电动车" in confirm["text"]  # the original's words, to check it is the right one
    assert labels(confirm) == ["✔ 确认标记重复", "✖ 取消"]
    assert (await status_of(bot, second))[0] == "assigned"  # nothing yet

    await worker.press(confirm, "✔ 确认标记重复")
    done = await worker.wait_for(lambda: "已标记为" in now(worker, confirm)["text"])
    done = now(worker, confirm)
    assert done["text"] == f"{second} 已标记为 {first} 的重复报告，居民已收到通知。"
    assert not done.get("reply_markup", {}).get("inline_keyboard")
    told = await next_text(resident)
    while "同一个问题" not in told["text"]:
        told = await next_text(resident)
    assert f"已并入 {first}" in told["text"]
    status, events = await status_of(bot, second)
    assert status == "merged" and events[-1] == "marked_duplicate"

    old = worker._callback(card, data_of(card, "标记重复"))  # the card as it was, pressed again
    again = await worker.callback_answer(old)
    assert again["text"] == f"{second} 已合并到 {first}，本次操作未生效。" and again["show_alert"]


async def test_a_number_the_lifecycle_refuses_can_be_typed_again_or_cancelled(bot):
    first, second, _, card = await two_reports(bot)
    worker = bot.staff(WORKER_1)
    await worker.press(card, "标记重复")
    await next_text(worker)
    await worker.send(second.lower())  # fc-000002: itself
    assert f"不能把 {second} 标记为它自己的重复" in (await next_text(worker))["text"]
    await worker.send("FC-999999")
    assert "找不到报告 FC-999999" in (await next_text(worker))["text"]
    await worker.send("就是楼上那条")  # no number at all: not quoted back as one
    said = (await next_text(worker))["text"]
    assert said.startswith("没看到报告编号。请发那条报告的编号") and "楼上" not in said
    for odd in (worker.send_sticker, worker.send_document, worker.send_voice):
        await odd()
        hint = (await next_text(worker))["text"]
        assert hint.startswith("这类消息这一步用不上，请按提示回复：\n")
        assert "和哪条报告是同一个问题" in hint and "您好" not in hint
    await worker.command("/cancel")
    assert (await next_text(worker))["text"] == "已取消。"
    await worker.send(first)  # nothing waits now: the worker's help, not a merge
    assert "任务会推送到这里" in (await next_text(worker))["text"]
    assert (await status_of(bot, second))[0] == "assigned"


async def test_a_duplicate_of_a_merged_report_names_the_one_to_use(bot):
    first, second, _, card = await two_reports(bot)
    worker = bot.staff(WORKER_1)
    third = await file_report(bot.emulator, 1303, "配电箱的门坏了，里面的电线都露在外面")
    third_card = await card_of(worker, third)
    await worker.press(card, "标记重复")
    await next_text(worker)
    await worker.send(f"和 {first} 是同一处")  # the number among words
    await worker.press(await next_text(worker), "✔ 确认标记重复")
    await worker.press(third_card, "标记重复")
    await next_text(worker)
    await worker.send(second)
    said = (await next_text(worker))["text"]
    assert said == f"{second} 本身已合并到 {first}，请标记为 {first} 的重复。"


async def test_an_old_confirmation_after_the_report_changed_says_so(bot):
    first, second, _, card = await two_reports(bot)
    worker = bot.staff(WORKER_1)
    await worker.press(card, "标记重复")
    await next_text(worker)
    await worker.send(first)
    confirm = await next_text(worker)
    await worker.callback_answer(await worker.press(card, "接单"))  # taken meanwhile
    answer = await worker.callback_answer(await worker.press(confirm, "✔ 确认标记重复"))
    assert answer["show_alert"]
    assert f"{second} 在此期间有了变化（现在：处理中）" in answer["text"]
    assert (await status_of(bot, second))[0] == "acknowledged"
    # The answer goes first, the edit after it: wait for the edit
    await worker.wait_for(lambda: "本次操作未生效" in now(worker, confirm)["text"])
    assert not now(worker, confirm).get("reply_markup", {}).get("inline_keyboard")


async def test_a_coordinator_closes_with_a_reason_the_resident_reads(bot):
    reference = await file_report(bot.emulator, 1301, EBIKE)
    coordinator, resident = bot.staff(COORDINATOR_XINGFU), bot.emulator.player(1301)
    await coordinator.command("/tasks")
    card = await card_of(coordinator, reference)
    assert "结案" in labels(card) and "标记重复" in labels(card)
    await coordinator.press(card, "结案")
    prompt = await next_text(coordinator)
    assert f"结案 {reference}" in prompt["text"] and labels(prompt) == ["✖ 取消"]
    for odd in (
        coordinator.send_sticker,
        lambda: coordinator.send_photo(caption="不属于隐患"),  # a reason is words, not a photo
        lambda: coordinator.send_location(*INSIDE),
    ):
        await odd()
        hint = (await next_text(coordinator))["text"]
        assert hint.startswith("这类消息这一步用不上") and f"结案 {reference}" in hint
    await coordinator.send("现场" * 300)  # 600 characters
    assert (await next_text(coordinator))["text"].startswith("说明太长：600字，最多500字")
    assert (await status_of(bot, reference))[0] == "assigned"
    await coordinator.send("经核实，电动车已由物业统一清走，不属于需整改的隐患")
    assert f"{reference} 已结案，居民已收到通知" in (await next_text(coordinator))["text"]
    told = await next_text(resident)
    while "结案" not in told["text"]:
        told = await next_text(resident)
    assert reference in told["text"] and "电动车已由物业统一清走" in told["text"]
    status, events = await status_of(bot, reference)
    assert status == "closed" and events[-1] == "closed_by_staff"


async def test_the_cancel_button_drops_the_step_and_an_old_one_says_so(bot):
    reference = await file_report(bot.emulator, 1301, EBIKE)
    coordinator = bot.staff(COORDINATOR_XINGFU)
    await coordinator.command("/tasks")
    card = await card_of(coordinator, reference)
    await coordinator.press(card, "结案")
    prompt = await next_text(coordinator)
    await coordinator.press(prompt, "✖ 取消")
    await coordinator.wait_for(lambda: now(coordinator, prompt)["text"] == "已取消。")
    edited = now(coordinator, prompt)
    assert not edited.get("reply_markup", {}).get("inline_keyboard")
    await coordinator.send("不用处理")  # nothing waits: not a reason
    assert "任务会推送到这里" in (await next_text(coordinator))["text"]
    assert (await status_of(bot, reference))[0] == "assigned"
    await coordinator.press(card, "结案")
    prompt = await next_text(coordinator)
    await coordinator.send("重复上报，已在处理")
    await next_text(coordinator)
    late = await coordinator.callback_answer(
        coordinator._callback(prompt, data_of(prompt, "✖ 取消"))
    )
    assert "没有要取消的" in late["text"]
    assert (await status_of(bot, reference))[0] == "closed"


async def _close_asked_then_taken(bot):
    """The coordinator presses 结案 and is asked why; meanwhile the worker takes the task."""
    reference = await file_report(bot.emulator, 1301, EBIKE)
    coordinator, worker = bot.staff(COORDINATOR_XINGFU), bot.staff(WORKER_1)
    worker_card = await card_of(worker, reference)
    await coordinator.command("/tasks")
    await coordinator.press(await card_of(coordinator, reference), "结案")
    await next_text(coordinator)
    await worker.callback_answer(await worker.press(worker_card, "接单"))
    return reference, coordinator, worker, worker_card


async def test_closing_after_the_task_moved_on_says_what_happened(bot):
    reference, coordinator, _, _ = await _close_asked_then_taken(bot)  # taken, then:
    await coordinator.send("不属于隐患")
    said = (await next_text(coordinator))["text"]
    assert said.startswith(f"{reference} 在此期间有了变化（现在：处理中）")
    assert (await status_of(bot, reference))[0] == "acknowledged"


async def test_closing_after_the_worker_resolved_says_so_in_staff_words(bot):
    """Resolved reads to a coordinator as the resident's confirmation awaited, not their own."""
    reference, coordinator, worker, worker_card = await _close_asked_then_taken(bot)
    resolve = f"t:res:{int(reference[3:])}"
    await worker.wait_for(lambda: resolve in str(now(worker, worker_card).get("reply_markup")))
    await worker.press_data(worker_card["message_id"], resolve)
    await next_text(worker)
    await worker.send_photo(caption="电动车已清走")
    assert "已办结" in (await next_text(worker))["text"]
    await coordinator.send("不属于隐患")
    said = (await next_text(coordinator))["text"]
    assert said.startswith(f"{reference} 在此期间有了变化（现在：已办结，待居民确认）")
    assert "待您确认" not in said
    assert (await status_of(bot, reference))[0] == "resolved"


async def test_a_captionless_photo_while_answering_a_question_gets_the_answer_prompt(bot):
    resident = bot.emulator.user(1311, "老李")
    await resident.send("我们小区下个月哪天搞消防检查？")
    await resident.next_message()
    coordinator = bot.staff(STREET_COORDINATOR)
    await coordinator.press(await task_card(coordinator), "回复居民")
    assert "请输入给居民的答复" in (await next_text(coordinator))["text"]
    await coordinator.send_photo()
    said = (await next_text(coordinator))["text"]
    assert said.startswith("这类消息这一步用不上，请按提示回复：\n")
    assert "请输入给居民的答复" in said and "要问居民的话" not in said
    await coordinator.send("下月15号上午")
    assert "已办结" in (await next_text(coordinator))["text"]


async def test_in_english(bot):
    first, second, _, card = await two_reports(bot)
    async with transaction(bot.sessions) as session:
        from storage import staff as staff_rows

        member = await staff_rows.staff_by_telegram_id(session=session, telegram_id=WORKER_1)
        member.language = "en"
    worker = bot.staff(WORKER_1)
    await worker.press(card, "标记重复")  # the card drawn in Chinese before
    assert "Which report is" in (await next_text(worker))["text"]
    await worker.send(first)
    confirm = await next_text(worker)
    assert f"Mark {second} as a duplicate of {first}?" in confirm["text"]
    assert labels(confirm) == ["✔ Confirm duplicate", "✖ Cancel"]
