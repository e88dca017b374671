"""The steps that finish with what a staff member typed or sent after a prompt: a question for
the resident (or the answer to theirs), a resolution note and photo, a rectification order, a
reinspection photo, a hand-over reason."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage import residents as resident_rows
from storage.engine import transaction
from storage.models import PendingInput, Report, Resident
from triage.actors import Actor
from triage.answers import promotion
from triage.lifecycle import Action, Refusal, duplicate_refusal
from triage.reports.lengths import CLOSE_REASON_MAX, quoted
from triage.reports.notices import TASK, Notice, post, to_staff
from triage.tasks import handing, prompts
from triage.tasks.handing import TO_COORDINATOR
from triage.tasks.outcome import Outcome, done, refused

if TYPE_CHECKING:
    from triage.tasks.desk import StaffDesk

_WITHIN = re.compile(
    r"^\s*(\d{1,3})\s*(days?|hours?|天|日|小时|d|h)\s*[,，:：]?\s*(.*)$", re.I | re.S
)


def order_terms(text: str, default: timedelta) -> tuple[timedelta, str]:
    """ "3天 更换老化电线" → (3 days, "更换老化电线"); without a time, the policy's default."""
    match = _WITHIN.match(text)
    if not match:
        return default, text.strip()
    amount, unit = int(match.group(1)), match.group(2).lower()
    in_hours = unit in ("小时", "h", "hour", "hours")
    within = timedelta(hours=amount) if in_hours else timedelta(days=amount)
    note = match.group(3).strip() or text.strip()
    return (within if within.total_seconds() > 0 else default), note


async def finish(
    desk: StaffDesk, actor: Actor, pending: PendingInput, text: str | None, photo: str | None
) -> Outcome:
    purpose, report_id = pending.purpose, pending.report_id
    if purpose == "handover":
        if not text:
            return await _again(desk, actor, pending, photo)
        return await hand_over(desk, actor, report_id, pending.detail["target"], reason=text)
    if purpose == "note":  # 备注 from a card: the typed line is the note
        if not text:
            return await _again(desk, actor, pending, photo)
        async with transaction(desk.sessions) as session:
            await prompts.drop(session, await prompts.waiting(session, actor))
        return await desk.note(actor, report_id, text)
    if purpose in ("duplicate", "close"):
        if photo is not None or not (text or "").strip():  # a photo, however captioned
            return await _again(desk, actor, pending, photo)
        if purpose == "duplicate":
            return await _duplicate_chosen(desk, actor, pending, text)
        return await _close(desk, actor, pending, text)
    if purpose in ("ask", "order") and not text:
        return await _again(desk, actor, pending, photo)
    async with transaction(desk.sessions) as session:
        pending = await prompts.waiting(session, actor) or pending
        report = await session.get(Report, report_id)
        if purpose == "ask":
            return await _ask(desk, session, actor, pending, report, text)
        if purpose == "order":
            return await _order(desk, session, actor, pending, report, text)
        if purpose == "reinspect":
            return await _reinspected(desk, session, actor, pending, report, text, photo)
        return await _resolve(desk, session, actor, pending, report, text, photo)


async def _ask(desk, session: AsyncSession, actor, pending, report, text: str) -> Outcome:
    if report is not None and report.kind == "question":
        return await _answer(desk, session, actor, pending, report, text)
    why = await desk.lifecycle.refusal(session, report, Action.ASK, actor)
    await prompts.drop(session, pending)
    if why is not None:
        return refused(actor, why)
    resident = await session.get(Resident, report.resident_id) if report.resident_id else None
    if resident is None:
        return refused(actor, Refusal("no_resident"))
    moved = await desk.lifecycle.transition(
        session, report, Action.ASK, actor, detail={"text": text}, seen_assignee=_seen(pending)
    )
    if not moved.won:
        return refused(actor, moved.refusal)
    await resident_rows.expect_input(
        session=session,
        telegram_id=resident.telegram_id,
        purpose="answer",
        report_id=report.id,
        detail={"staff_id": actor.id},
        now=desk.clock(),
    )
    values = {"text": quoted(text), "staff": actor.name, "role": actor.role}
    notice = Notice(
        "staff_question", resident.chat_id, resident.language, report.id, moved.card, values
    )
    await post(session, [notice])
    return Outcome("ask_sent", actor.language, notices=(notice,))


async def _answer(desk, session: AsyncSession, actor, pending, report, text: str) -> Outcome:
    """Staff answer a resident's question: the answer goes out and the question is done."""
    await prompts.drop(session, pending)
    resident = await session.get(Resident, report.resident_id) if report.resident_id else None
    if resident is None:
        return refused(actor, Refusal("no_resident"))
    moved = await desk.lifecycle.transition(
        session, report, Action.ANSWER, actor, note=text, seen_assignee=_seen(pending)
    )
    if not moved.won:
        return refused(actor, moved.refusal)
    values = {"text": quoted(text), "staff": actor.name, "role": actor.role}
    notice = Notice(
        "staff_answer", resident.chat_id, resident.language, report.id, moved.card, values
    )
    notices = [notice, *await promotion.offer(session, report, actor, moved.card, text)]
    await post(session, notices)
    if actor.role in promotion.PROMOTERS:  # their confirmation offers 收入知识库
        return Outcome(
            "answer_sent_promote",
            actor.language,
            {"promote": report.id},
            tuple(notices),
            moved.card,
        )
    return Outcome("answer_sent", actor.language, card=moved.card, notices=tuple(notices))


async def _order(desk, session: AsyncSession, actor, pending, report, text: str) -> Outcome:
    why = await desk.lifecycle.refusal(session, report, Action.ORDER, actor)
    await prompts.drop(session, pending)
    if why is not None:
        return refused(actor, why)
    within, note = order_terms(text, desk.policy.rectify_within(report.severity))
    deadline = desk.clock() + within
    moved = await desk.lifecycle.transition(
        session,
        report,
        Action.ORDER,
        actor,
        note=note,
        detail={"deadline": deadline.isoformat()},
        seen_assignee=_seen(pending),
        say={"note": quoted(note), "staff": actor.name, "role": actor.role},
        deadline=deadline,
    )
    return await done(session, actor, moved, "order_set")


async def _resolve(desk, session, actor, pending, report, text, photo) -> Outcome:
    why = await desk.lifecycle.refusal(session, report, Action.RESOLVE, actor)
    if why is not None:
        await prompts.drop(session, pending)
        return refused(actor, why)
    detail = dict(pending.detail)
    if text and text.strip():  # a photo's caption adds to the note, never replaces it
        earlier, line = detail.get("note"), text.strip()
        detail["note"] = f"{earlier}\n{line}" if earlier and line != earlier else line
    if photo:
        detail["photos"] = [*detail.get("photos", []), photo]
    pending.detail = detail
    if not detail.get("note"):
        return Outcome("resolve_need_note", actor.language)
    if report.kind == "hazard" and not detail.get("photos"):
        return Outcome("resolve_need_photo", actor.language)
    await prompts.drop(session, pending)
    note, photos = detail["note"], detail.get("photos", [])
    moved = await desk.lifecycle.transition(
        session,
        report,
        Action.RESOLVE,
        actor,
        note=note,
        photos=photos,
        seen_assignee=_seen(pending),
        say={"note": quoted(note), "photos": photos, "staff": actor.name, "role": actor.role},
    )
    return await done(session, actor, moved, "resolved_ok")


async def _reinspected(desk, session, actor, pending, report, text, photo) -> Outcome:
    why = await desk.lifecycle.refusal(session, report, Action.REINSPECT, actor)
    if why is not None:
        await prompts.drop(session, pending)
        return refused(actor, why)
    if not photo:
        return Outcome("reinspect_prompt", actor.language, values={"reference": report.reference})
    await prompts.drop(session, pending)
    moved = await desk.lifecycle.transition(
        session, report, Action.REINSPECT, actor, detail={"photo": photo, "note": text or ""}
    )
    if not moved.won:
        return refused(actor, moved.refusal)
    return Outcome("reinspected_ok", actor.language, values={"reference": report.reference})


async def hand_over(
    desk: StaffDesk, actor: Actor, report_id: int, target: str, reason: str | None
) -> Outcome:
    """The task to the worker or grid chosen, or (a worker's 退回) to the coordinators above."""
    action = Action.HAND_OVER if actor.role == "worker" else Action.ASSIGN_TO
    async with transaction(desk.sessions) as session:
        report = await session.get(Report, report_id)
        pending = await prompts.waiting(session, actor)
        seen = pending.detail.get("seen_assignee", ...) if pending is not None else ...
        await prompts.drop(session, pending)
        why = await desk.lifecycle.refusal(session, report, action, actor)
        if why is not None:
            return refused(actor, why)
        receivers, level, cell = await _receivers(desk, session, report, target, actor)
        if not receivers:
            key = "handover_nobody" if target == TO_COORDINATOR else "handover_outside"
            return refused(actor, Refusal(key))
        reason = reason or ("not_my_grid" if target == TO_COORDINATOR and reason is None else "")
        detail = {"to": receivers[0].id, "told": [r.id for r in receivers], "reason": reason}
        moved = await desk.lifecycle.transition(
            session,
            report,
            action,
            actor,
            detail=detail,
            seen_assignee=seen,
            to=receivers[0].id,
            level=level,
            cell=cell,
        )
        if moved.won:
            moved.notices[:0] = [
                to_staff(
                    r, "task", moved.card, priority=TASK, handed_from=actor.name, reason=reason
                )
                for r in receivers
            ]
        return await done(session, actor, moved, "handover_ok", to=receivers[0].name)


async def _receivers(desk, session, report, target: str, actor: Actor):
    if target == TO_COORDINATOR:
        staff, level = await handing.above(session, report, actor, desk.policy, desk.clock())
        return staff, level, None
    worker, cell = await handing.chosen(session, report, target, actor, desk.policy, desk.clock())
    return ([worker] if worker else []), 0, cell


SUMMARY_SHOWN = 60  # of the original's words, under 标记重复's question


def prompt_of(
    actor: Actor, pending: PendingInput, report: Report | None, *, odd: bool = False
) -> Outcome:
    """The prompt a waiting step asked with, again; `odd`: after something it cannot take
    (a sticker, a file, a voice note), which the reply says first."""
    purpose = pending.purpose
    key = "handover_reason_prompt" if purpose == "handover" else f"{purpose}_prompt"
    if purpose == "ask" and report is not None and report.kind == "question":
        key = "answer_prompt"
    values = {"reference": _ref(report), "photo": report is not None and report.kind == "hazard"}
    if purpose in ("duplicate", "close"):
        values["cancel"] = pending.report_id
    if odd:
        values["odd"] = True
    return Outcome(key, actor.language, values=values)


async def _changed_since(
    desk: StaffDesk, session: AsyncSession, actor: Actor, report, pending: PendingInput, action
) -> Refusal | None:
    """Why the step asked about earlier may not go on: the lifecycle's refusal now, or the
    report in another state or hands than when the button was pressed."""
    why = await desk.lifecycle.refusal(session, report, action, actor)
    if why is not None:
        return why
    seen = pending.detail
    if "seen_status" in seen and (
        seen["seen_status"] != report.status or seen.get("seen_assignee") != report.assignee_id
    ):
        return Refusal(
            "task_changed_since", {"reference": report.reference, "now_status": report.status}
        )
    return None


async def _duplicate_chosen(
    desk: StaffDesk, actor: Actor, pending: PendingInput, text: str
) -> Outcome:
    """The other report's number, typed after 标记重复: what it is, and 确认 / 取消; a number
    that names no report it may go into is refused, and another one may be typed."""
    from triage.tasks.desk import duplicate_reference

    reference = duplicate_reference(text)
    async with transaction(desk.sessions) as session:
        pending = await prompts.waiting(session, actor) or pending
        report = await session.get(Report, pending.report_id)
        why = await _changed_since(desk, session, actor, report, pending, Action.MARK_DUPLICATE)
        if why is not None:
            await prompts.drop(session, pending)
            return refused(actor, why)
        into = None
        if reference:
            into = await report_rows.report_by_reference(session=session, reference=reference)
        if not reference:  # words, no number: not to be quoted back as if one
            return refused(actor, Refusal("duplicate_no_number", {"reference": report.reference}))
        if into is None:
            values = {"reference": report.reference, "original": reference}
            return refused(actor, Refusal("duplicate_unknown", values))
        why = await duplicate_refusal(session, report, actor, into.id)
        if why is not None:
            return refused(actor, why)
        pending.detail = {**pending.detail, "into": into.id}
        values = {
            "reference": report.reference,
            "original": into.reference,
            "summary": quoted(" ".join(into.text.split()), SUMMARY_SHOWN),
            "confirm": f"{report.id}:{into.id}",
            "cancel": report.id,
        }
        return Outcome("duplicate_confirm", actor.language, values)


async def confirm_duplicate(desk: StaffDesk, actor: Actor, report_id: int, into_id: int) -> Outcome:
    async with transaction(desk.sessions) as session:
        pending = await prompts.waiting(session, actor)
        report = await session.get(Report, report_id)
        if (
            pending is None
            or pending.purpose != "duplicate"
            or pending.report_id != report_id
            or pending.detail.get("into") != into_id
        ):
            why = await desk.lifecycle.refusal(session, report, Action.MARK_DUPLICATE, actor)
            return refused(actor, why or Refusal("duplicate_confirm_stale", {}))
        why = await _changed_since(desk, session, actor, report, pending, Action.MARK_DUPLICATE)
        await prompts.drop(session, pending)
        if why is not None:
            return refused(actor, why)
        into = await session.get(Report, into_id)
        original = into.reference if into is not None else ""
    return await desk.mark_duplicate(actor, report_id, original, seen_assignee=_seen(pending))


async def _close(desk: StaffDesk, actor: Actor, pending: PendingInput, text: str) -> Outcome:
    """The reason typed after 结案: the report closes with it and the resident reads it."""
    reason = text.strip()
    if len(reason) > CLOSE_REASON_MAX:  # the prompt stays: a shorter one, or /cancel
        return await desk.close(actor, pending.report_id, reason)  # refused, nothing read
    async with transaction(desk.sessions) as session:
        pending = await prompts.waiting(session, actor) or pending
        report = await session.get(Report, pending.report_id)
        why = await _changed_since(desk, session, actor, report, pending, Action.STAFF_CLOSE)
        await prompts.drop(session, pending)
        if why is not None:
            return refused(actor, why)
    return await desk.close(actor, pending.report_id, reason, seen_assignee=_seen(pending))


def _ref(report: Report | None) -> str:
    return report.reference if report is not None else ""


def _seen(pending: PendingInput):
    return pending.detail.get("seen_assignee", ...)


async def _again(
    desk: StaffDesk, actor: Actor, pending: PendingInput, photo: str | None
) -> Outcome:
    """The waiting step's prompt again: the person sent no words where words are wanted (a
    photo where words are wanted is said to be of no use here)."""
    async with transaction(desk.sessions) as session:
        report = await session.get(Report, pending.report_id)
        return prompt_of(actor, pending, report, odd=photo is not None)
