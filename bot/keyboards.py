"""Keyboards the resident sees, by step. Callback data stays well under Telegram's 64 bytes."""

from __future__ import annotations

from functools import cache

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest

from bot.texts import t
from triage.broadcasts import Draft
from triage.intake.reply import Step

COMMUNITY_PREFIX = "community:"
LANGUAGE_PREFIX = "lang:"


@cache
def for_step(language: str, step: Step | None) -> dict:
    """The reply keyboard that belongs to a step of writing a report (none outside one), as
    the Bot API's dict: the same few for every resident, built once (issue 14)."""
    return _step_keyboard(language, step).to_dict()


def _step_keyboard(language: str, step: Step | None):
    if step == Step.LOCATION:
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(t(language, "buttons.share_location"), request_location=True)],
                [KeyboardButton(t(language, "buttons.choose_community"))],
                [KeyboardButton(t(language, "buttons.cancel"))],
            ],
            resize_keyboard=True,
        )
    if step == Step.PHOTOS:
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(t(language, "buttons.done"))],
                [KeyboardButton(t(language, "buttons.cancel"))],
            ],
            resize_keyboard=True,
        )
    if step == Step.DESCRIPTION:
        return ReplyKeyboardMarkup(
            [
                [KeyboardButton(t(language, "buttons.share_location"), request_location=True)],
                [KeyboardButton(t(language, "buttons.cancel"))],
            ],
            resize_keyboard=True,
        )
    return ReplyKeyboardRemove()


@cache
def location_request(language: str) -> dict:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t(language, "buttons.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    ).to_dict()


NEARBY_PREFIX = "nearby:"


def nearby(language: str) -> InlineKeyboardMarkup:
    """📍 附近服务点 under an answer about where to go: starts /nearby."""
    return InlineKeyboardMarkup([[_nearby_button(language)]])


def _nearby_button(language: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(t(language, "buttons.nearby"), callback_data=NEARBY_PREFIX)


def communities(names: list[str]) -> InlineKeyboardMarkup:
    """One button per community; the data is the index, since names can pass 64 bytes."""
    rows = [
        [InlineKeyboardButton(name, callback_data=f"{COMMUNITY_PREFIX}{index}")]
        for index, name in enumerate(names)
    ]
    return InlineKeyboardMarkup(rows)


def languages() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("zh", "buttons.lang_zh"), callback_data=f"{LANGUAGE_PREFIX}zh"
                ),
                InlineKeyboardButton(
                    t("en", "buttons.lang_en"), callback_data=f"{LANGUAGE_PREFIX}en"
                ),
            ]
        ]
    )


FIX_PREFIX = "fix:"
KIND_PREFIX = "kq:"  # kq:<hazard|question|other>:<label id>: what an unsure message is


def emergency(language: str) -> dict:
    return location_request(language)  # the same one button, once


def correction(
    language: str, report_id: int | None, *, offer_hazard: bool = False
) -> InlineKeyboardMarkup:
    """Under a triaged answer: "that's not what I meant" (and, out of scope, "it is a hazard")."""
    target = report_id if report_id is not None else "-"
    row = [
        InlineKeyboardButton(t(language, "fix.menu"), callback_data=f"{FIX_PREFIX}menu:{target}")
    ]
    if offer_hazard:
        row.insert(
            0,
            InlineKeyboardButton(
                t(language, "fix.is_hazard"), callback_data=f"{FIX_PREFIX}hazard:{target}"
            ),
        )
    return InlineKeyboardMarkup([row])


def kinds(language: str, report_id: int | None) -> InlineKeyboardMarkup:
    target = report_id if report_id is not None else "-"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(language, f"fix.{kind}"), callback_data=f"{FIX_PREFIX}{kind}:{target}"
                )
            ]
            for kind in ("hazard", "question", "feedback", "out_of_scope")
        ]
    )


def kind_question(language: str, label_id: int) -> InlineKeyboardMarkup:
    """是，上报 / 只是咨询 / 不是消防问题 under a message the bot was not sure of."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(language, f"buttons.kind_{choice}"),
                    callback_data=f"{KIND_PREFIX}{choice}:{label_id}",
                )
            ]
            for choice in ("hazard", "question", "other")
        ]
    )


def did_you_mean(language: str, values: dict) -> InlineKeyboardMarkup:
    """你是想问…？ The nearest questions, each opening its answer, then 都不是，问工作人员."""
    rows = [
        [InlineKeyboardButton(f"❓ {question}"[:60], callback_data=f"{FAQ_PREFIX}rel:{slug}")]
        for slug, question in values["nearest"]
    ]
    staff = f"{KIND_PREFIX}staff:{values['label_id']}"
    rows.append([InlineKeyboardButton(t(language, "buttons.ask_staff"), callback_data=staff)])
    return InlineKeyboardMarkup(rows)


async def redraw(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None):
    """Edit the pressed message; one that already reads so (the sender redrew the card as the
    report changed) is fine."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


async def redraw_card(query: CallbackQuery, text: str, markup: dict | None) -> None:
    """redraw, for a task card after its press: the Bot API's call made as it is, with the
    markup as the Bot API's dict (taskcard.keyboard), and Telegram's answer not read into
    python-telegram-bot's objects, which cost more than the rest of the edit (issue 14)."""
    message = query.message  # its chat: an inaccessible (too old) message has no chat_id
    call = {"chat_id": message.chat.id, "message_id": message.message_id, "text": text}
    if markup is not None:  # without one, the buttons go, as edit_message_text does
        call["reply_markup"] = markup
    try:
        await query.get_bot().call("editMessageText", call)
    except BadRequest as exc:  # already reads so, or gone: what the press did is done
        if not any(words in str(exc).lower() for words in GONE):
            raise


async def drop_buttons(query: CallbackQuery) -> None:
    """Take the buttons off a message once used; already gone (an old press), the message
    deleted or no longer editable is fine: what the press did is done, the reply must follow."""
    try:
        await query.edit_message_reply_markup(None)
    except BadRequest as exc:
        if not any(words in str(exc).lower() for words in GONE):
            raise


GONE = ("not modified", "message to edit not found", "message can't be edited")


FAQ_PREFIX = "faq:"


def faq(language: str, values: dict) -> InlineKeyboardMarkup:
    """有用 / 没用 for a fresh answer, the longer answer, and up to two related questions."""
    rows = []
    if values.get("report_id") is not None:
        rows.append(
            [
                InlineKeyboardButton(
                    t(language, "buttons.faq_yes"),
                    callback_data=f"{FAQ_PREFIX}yes:{values['report_id']}",
                ),
                InlineKeyboardButton(
                    t(language, "buttons.faq_no"),
                    callback_data=f"{FAQ_PREFIX}no:{values['report_id']}",
                ),
            ]
        )
    if values.get("has_more"):
        rows.append(
            [
                InlineKeyboardButton(
                    t(language, "buttons.faq_more"),
                    callback_data=f"{FAQ_PREFIX}more:{values['entry']}",
                )
            ]
        )
    if values.get("report_id") is not None:  # they may have meant to report, not to ask
        rows.append(
            [
                InlineKeyboardButton(
                    t(language, "fix.menu"), callback_data=f"{FIX_PREFIX}menu:{values['report_id']}"
                )
            ]
        )
    for slug, question in values.get("related", []):
        rows.append(
            [InlineKeyboardButton(f"❓ {question}"[:60], callback_data=f"{FAQ_PREFIX}rel:{slug}")]
        )
    if values.get("where"):  # an answer about where to go
        rows.append([_nearby_button(language)])
    return InlineKeyboardMarkup(rows)


VISIT_PREFIX = "rv:"


def visit(language: str, report_id: int) -> InlineKeyboardMarkup:
    """Under "resolved": was it really fixed, and 1–5 stars."""

    def button(label: str, answer: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"{VISIT_PREFIX}{answer}:{report_id}")

    return InlineKeyboardMarkup(
        [
            [
                button(t(language, "buttons.visit_fixed"), "ok"),
                button(t(language, "buttons.visit_not_fixed"), "no"),
            ],
            [
                button("⭐" * stars if stars < 3 else f"{stars}⭐", str(stars))
                for stars in range(1, 6)
            ],
        ]
    )


BROADCAST_PREFIX = "bc:"


def broadcast_preview(language: str, draft: Draft) -> InlineKeyboardMarkup:
    """确认发送 / 取消 under a broadcast's preview, then the scopes its author may pick
    (the chosen one ticked). No send button while the scope has no subscriber."""

    def button(label: str, action: str, target: str = "") -> InlineKeyboardButton:
        data = f"{BROADCAST_PREFIX}{action}:{draft.broadcast_id}" + (f":{target}" if target else "")
        return InlineKeyboardButton(label, callback_data=data)

    def scope(label: str, target: str, chosen: bool) -> InlineKeyboardButton:
        return button(f"✓ {label}" if chosen else label, "to", target)

    first = [button(t(language, "broadcast.btn_cancel"), "no")]
    if draft.subscribers:
        first.insert(0, button(t(language, "broadcast.btn_send"), "ok"))
    rows = [first]
    if draft.choices:
        everyone = t(language, "broadcast.everyone")
        scopes = [scope(everyone, "all", draft.community is None)] + [
            scope(name, str(index), name == draft.community)
            for index, name in enumerate(draft.choices)
        ]
        rows += [scopes[i : i + 2] for i in range(0, len(scopes), 2)]
    return InlineKeyboardMarkup(rows)
