"""What a field step tells the person in the chat: a text key (under [field] in the bot's
locales), its values, and which buttons or keyboard go with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# What to show beside the words (the bot draws them)
CATEGORIES = "categories"  # a button per hazard category
LOCATION = "location"  # the "share location" keyboard
CONFIRM = "confirm"  # 提交 / 当场整改 / 取消 (当场整改 only for staff who may resolve)
CONFIRM_SEND_ONLY = "confirm_send_only"  # 提交 / 取消 (a volunteer)
SITES = "sites"  # a button per site still to visit
ANSWER = "answer"  # the current checklist question's buttons (yes/no, skip)
NONE = None


@dataclass(frozen=True)
class FieldReply:
    say: str
    language: str
    values: dict[str, Any] = field(default_factory=dict)
    show: str | None = NONE
    choices: list[Any] = field(default_factory=list)
    # A task card for the one who sent it (their own report, now theirs)
    card: dict[str, Any] | None = None
    refused: bool = False
