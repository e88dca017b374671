"""A task as staff see it in the chat: the card's text and its buttons, for each state."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.texts import duration, t
from triage.lifecycle import Action, offered
from triage.reports.lengths import quoted

PREFIX = "t:"  # callback data: t:<action>:<report id>[:<argument>], well under 64 bytes
ABUSE_PREFIX = "ab:"  # ab:flag|ok|no:<report id> — 标记骚扰 and the coordinator's answer
# In a card's payload, the report it shows: the sender takes it out before sending and
# remembers the message, to edit it when the report changes.
CARD_OF = "_card_of"
ABUSE = "abuse"  # a card marked for review (triage.protection.abuse.REVIEW)
# Of a report's up to 4,096 characters, and of a hand-over's reason: the card's other lines
# must fit in the same message.
TEXT_SHOWN, REASON_SHOWN = 3000, 300


def local(iso: str | None, tz: tzinfo) -> str:
    return datetime.fromisoformat(iso).astimezone(tz).strftime("%m-%d %H:%M") if iso else "—"


def place(language: str, card: dict[str, Any]) -> str:
    parts = [p for p in (card.get("grid") or card.get("community"), card.get("address")) if p]
    if not parts and card.get("latitude") is not None:
        parts.append(f"{card['latitude']:.5f}, {card['longitude']:.5f}")
    return " · ".join(parts) or t(language, "task.place_pending")


def text(
    language: str,
    card: dict[str, Any],
    tz: tzinfo,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> str:
    """The card as of `now` (when it is drawn, by default): the state, and the time left
    or overdue."""
    extra = extra or {}
    kind = card["kind"]
    lines = [t(language, f"task.{_title(kind, card, extra)}", reference=card["reference"])]
    if "overdue_seconds" in extra:  # the time nobody took it says more than the time past
        waited = duration(language, extra.get("waited_seconds", extra["overdue_seconds"]))
        key = "task.reminded" if extra.get("reminder") else "task.escalated"
        lines.insert(0, t(language, key, waited=waited, level=extra.get("level", "")))
    if card.get("category"):
        # An emergency is urgent whatever severity its words suggested: never "一般"
        severity = "urgent" if kind == "emergency" else card.get("severity") or "normal"
        lines.append(
            t(
                language,
                "task.category",
                category=t(language, f"category.{card['category']}"),
                severity=t(language, f"severity.{severity}"),
            )
        )
    lines.append(t(language, "task.text", text=quoted(card["text"], TEXT_SHOWN)))
    lines.append(t(language, "task.place", place=place(language, card)))
    if card.get("source") == "open311":
        contact = card.get("contact") or t(language, "task.no_contact")
        lines.append(t(language, "task.from_open311", contact=contact))
    if extra.get("handed_from"):
        reason = quoted(extra.get("reason") or "", REASON_SHOWN)
        if reason == "not_my_grid":
            reason = t(language, "staff.reason_not_my_grid")
        lines.append(t(language, "task.handed", name=extra["handed_from"], reason=reason))
    if kind == "emergency":
        lines.append(t(language, "task.emergency_note"))
    if card.get("review") == ABUSE:
        lines.append(t(language, "task.abuse_flagged", name=extra.get("flagged_by", "")))
        return "\n".join(lines)
    lines.append(status_line(language, card, tz))
    clock = time_line(language, card, now or datetime.now(UTC))
    if clock:
        lines.append(clock)
    return "\n".join(lines)


def _title(kind: str, card: dict[str, Any], extra: dict[str, Any]) -> str:
    if card.get("review") == ABUSE:
        return "title_abuse_review"
    if card["status"] == "closed" and not extra.get("redrawn"):
        return "title_reinspection"
    if extra.get("reopened"):
        return "title_reopened"
    if extra.get("handed_from"):
        return "title_handed"
    return f"title_{kind}" if kind in ("hazard", "emergency", "question") else "title_hazard"


def status_line(language: str, card: dict[str, Any], tz: tzinfo) -> str:
    status = card["status"]
    if status == "acknowledged":
        line = t(language, "task.status_acknowledged", assignee=card.get("assignee") or "")
        if card.get("rectify_deadline_at"):
            line += "\n" + t(
                language, "task.status_rectify", deadline=local(card["rectify_deadline_at"], tz)
            )
        return line
    if status in ("resolved", "closed", "merged"):
        return t(language, f"task.status_{status}")
    line = t(
        language,
        "task.reported",
        created=local(card["created_at"], tz),
        deadline=local(card.get("ack_deadline_at"), tz),
    )
    if card.get("level"):
        line += "\n" + t(language, "task.status_escalated", level=card["level"])
    if status == "assigned" and card.get("assignee"):
        line += "\n" + t(language, "task.status_assigned", assignee=card["assignee"])
    return line


def time_line(language: str, card: dict[str, Any], now: datetime) -> str | None:
    """The deadline the task is waiting on, as time left or overdue at `now`: to acknowledge
    while nobody has, to fix once acknowledged; none once it is done."""
    status = card["status"]
    if status in ("new", "assigned"):
        deadline, what = card.get("ack_deadline_at"), "ack"
    elif status == "acknowledged":
        deadline, what = card.get("rectify_deadline_at"), "rectify"
    else:
        return None
    if not deadline:
        return None
    left = (datetime.fromisoformat(deadline) - now).total_seconds()
    if left >= 0:
        return t(language, f"task.{what}_left", left=duration(language, left))
    if left > -1:  # drawn as it fell due (an escalation's card): not "超时0秒"
        return t(language, f"task.{what}_due")
    return t(language, f"task.{what}_overdue", late=duration(language, -left))


# The lifecycle's actions a card offers, as (callback action, label); 接单 reads 接手 to
# those above the worker, 询问居民 reads 回复 on a question.
_BUTTONS = {
    Action.ACKNOWLEDGE: ("ack", "staff.btn_ack"),
    Action.ASK: ("ask", "staff.btn_ask"),
    Action.ANSWER: ("ask", "staff.btn_reply"),
    Action.HAND_OVER: ("ho", "staff.btn_handover"),
    Action.ASSIGN_TO: ("ho", "staff.btn_assign"),
    Action.ORDER: ("ord", "staff.btn_order"),
    Action.RESOLVE: ("res", "staff.btn_resolve"),
    Action.REINSPECT: ("rok", "staff.btn_still_fixed"),
    Action.REOPEN_ON_REINSPECTION: ("rre", "staff.btn_reopen"),
    Action.NOTE: ("note", "staff.btn_note"),
    Action.MARK_DUPLICATE: ("dup", "staff.btn_duplicate"),
    Action.STAFF_CLOSE: ("close", "staff.btn_close"),
}


def buttons(
    language: str, card: dict[str, Any], role: str = "worker", actions: list[str] | None = None
) -> InlineKeyboardMarkup | None:
    """keyboard(), as python-telegram-bot's markup (for the chat's own calls)."""
    markup = keyboard(language, card, role, actions)
    return InlineKeyboardMarkup.de_json(markup, None) if markup is not None else None


def keyboard(
    language: str, card: dict[str, Any], role: str = "worker", actions: list[str] | None = None
) -> dict[str, Any] | None:
    """What the lifecycle lets this person do to the task now (`actions`; else what their
    role is offered in the card's state), two to a row, 标记骚扰 on its own: the Bot API's
    reply_markup, which the sender writes into a payload as it is (building python-telegram-
    bot's objects and turning them back into this cost more than wording the card)."""
    report_id = card["report_id"]

    def button(label: str, action: str, prefix: str = PREFIX) -> dict[str, str]:
        return {"text": t(language, label), "callback_data": f"{prefix}{action}:{report_id}"}

    if card.get("review") == ABUSE:  # a coordinator asked to confirm 标记骚扰
        return {
            "inline_keyboard": [
                [
                    button("staff.btn_abuse_confirm", "ok", ABUSE_PREFIX),
                    button("staff.btn_abuse_reject", "no", ABUSE_PREFIX),
                ]
            ]
        }
    if actions is None:
        resident = card.get("resident", True)  # a card stored before it said
        actions = [str(a) for a in offered(card["status"], card["kind"], role, resident=resident)]
    row = []
    for action in actions:
        if action in _BUTTONS:
            callback, label = _BUTTONS[Action(action)]
            if action == Action.ACKNOWLEDGE and role != "worker":
                label = "staff.btn_take_over"
            row.append(button(label, callback))
    rows = [row[i : i + 2] for i in range(0, len(row), 2)]
    if Action.FLAG_ABUSE in actions:
        rows.append([button("staff.btn_abuse_flag", "flag", ABUSE_PREFIX)])
    return {"inline_keyboard": rows} if rows else None


DIGEST_CHUNK = 40  # reports a message lists at most
DIGEST_CHARS = 3800  # and characters: Telegram's limit is 4,096
DIGEST_PLACE = 16  # characters of a place in a list line
DIGEST_WHAT = 12  # and of its category


def digest(language: str, items: list[dict[str, Any]]) -> list[tuple[str, InlineKeyboardMarkup]]:
    """Several escalated tasks as a list, a button per task that opens its card; as many
    messages as it takes to stay within Telegram's limits."""
    title = t(language, "task.digest_title", count=len(items))
    return _listed(language, items, title, _digest_line)


def overdue_list(
    language: str, items: list[dict[str, Any]], count: int
) -> list[tuple[str, InlineKeyboardMarkup]]:
    """/overdue: the tasks past a deadline, each with how late and where it stands."""
    title = t(language, "task.overdue_title", count=count)
    return _listed(language, items, title, _overdue_line)


def _listed(
    language: str, items: list[dict[str, Any]], title: str, line_of
) -> list[tuple[str, InlineKeyboardMarkup]]:
    hint = t(language, "task.digest_hint")
    room = DIGEST_CHARS - len(title) - len(hint) - 40  # the page number, the newlines
    pages: list[list[tuple[dict[str, Any], str]]] = [[]]
    for item in items:
        line = line_of(language, item)
        page = pages[-1]
        if page and (
            len(page) >= DIGEST_CHUNK or sum(len(x) + 1 for _, x in page) + len(line) > room
        ):
            pages.append(page := [])
        page.append((item, line))
    messages = []
    for number, page in enumerate(pages, 1):
        head = title
        if len(pages) > 1:
            head += t(language, "task.digest_part", part=number, parts=len(pages))
        text = "\n".join([head, *(line for _, line in page), hint])
        buttons = [
            InlineKeyboardButton(
                item["reference"], callback_data=f"{PREFIX}card:{item['report_id']}"
            )
            for item, _ in page
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        messages.append((text, InlineKeyboardMarkup(rows)))
    return messages


def _digest_line(language: str, item: dict[str, Any]) -> str:
    what = (
        t(language, f"category.{item['category']}")
        if item.get("category")
        else t(language, f"kind.{item['kind']}")
    )
    where = " ".join(p for p in (item.get("grid"), item.get("address")) if p)
    return t(
        language,
        "task.digest_line",
        reference=item["reference"],
        what=_cut(what, DIGEST_WHAT),
        place=_cut(where or t(language, "task.place_pending"), DIGEST_PLACE),
        waited=duration(language, item.get("waited_seconds", 0)),
        level=item.get("level") or "",
    )


def _overdue_line(language: str, item: dict[str, Any]) -> str:
    where = " ".join(p for p in (item.get("grid"), item.get("address")) if p)
    return t(
        language,
        "task.overdue_line",
        reference=item["reference"],
        what=_cut(_what(language, item), DIGEST_WHAT),
        place=_cut(where or t(language, "task.place_pending"), DIGEST_PLACE),
        status=t(language, f"status.{item['status']}"),
        late=duration(language, item["late_seconds"]),
    )


def _what(language: str, item: dict[str, Any]) -> str:
    if item.get("category"):
        return t(language, f"category.{item['category']}")
    return t(language, f"kind.{item['kind']}")


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def handover_choices(
    language: str, report_id: int, choices: list[tuple[str, str]], *, worker: bool
) -> InlineKeyboardMarkup:
    """Whom to give the task to: a worker picks a colleague, 退回协调员 or 不是我的网格; staff
    above pick a grid (for a report on none) or a worker (指派给…)."""

    def to(label: str, target: str) -> list[InlineKeyboardButton]:
        return [InlineKeyboardButton(label, callback_data=f"{PREFIX}hot:{report_id}:{target}")]

    rows = [to(f"→ {name}", target) for target, name in choices[:8]]
    if worker:
        rows.append(to(t(language, "staff.btn_to_coordinator"), "c"))
        rows.append(to(t(language, "staff.btn_not_my_grid"), "n"))
    return InlineKeyboardMarkup(rows)


def cancel(language: str, report_id: int) -> InlineKeyboardMarkup:
    """✖ 取消 under a step's prompt (标记重复, 结案): as /cancel, for that report's step."""
    return InlineKeyboardMarkup([[_cancel_button(language, report_id)]])


def confirm_duplicate(language: str, confirm: str, report_id: int) -> InlineKeyboardMarkup:
    """确认标记重复 / 取消 under the question naming the original (`confirm`: "<id>:<into>")."""
    label = t(language, "staff.btn_duplicate_confirm")
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(label, callback_data=f"{PREFIX}dupok:{confirm}"),
                _cancel_button(language, report_id),
            ]
        ]
    )


def _cancel_button(language: str, report_id: int) -> InlineKeyboardButton:
    label = t(language, "staff.btn_cancel")
    return InlineKeyboardButton(label, callback_data=f"{PREFIX}cx:{report_id}")


def promote(language: str, report_id: int) -> InlineKeyboardMarkup:
    """收入知识库, under a staff answer a coordinator may turn into a knowledge-base entry."""
    label = t(language, "staff.btn_promote")
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"{PREFIX}kb:{report_id}")]]
    )
