"""Who is talking to the service, as the chat side knows them (no Telegram types here)."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class Person:
    telegram_id: int
    chat_id: int
    name: str = ""
    username: str | None = None
    language_code: str | None = None  # as the person's Telegram app reports it


def language_from_code(code: str | None, default: str) -> str:
    """Telegram's language_code ("en-GB", "zh-hans") to one of ours."""
    if code:
        prefix = code.split("-")[0].lower()
        if prefix in SUPPORTED_LANGUAGES:
            return prefix
    return default
