"""The bot's words, kept in locales/<lang>.toml, looked up by section and key."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT = "zh"


@cache
def catalogue(language: str) -> dict[str, dict[str, str]]:
    with open(LOCALES / f"{language}.toml", "rb") as file:
        return tomllib.load(file)


def t(language: str, key: str, /, **values: object) -> str:
    """The text for 'section.key' (section defaults to 'text') in a language, filled in."""
    section, _, name = key.rpartition(".")
    lang = language if language in LANGUAGES else DEFAULT
    template = catalogue(lang)[section or "text"][name]
    return template.format(**values)  # always: a placeholder left unfilled is a bug to see


def duration(language: str, seconds: float) -> str:
    """45秒 / 12分钟 / 2小时5分钟 (45 s / 12 min / 2 h 5 min)."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return t(language, "duration.seconds", n=seconds)
    minutes = seconds // 60
    if minutes < 60:
        return t(language, "duration.minutes", n=minutes)
    return t(language, "duration.hours", h=minutes // 60, m=minutes % 60)


def all_labels(key: str) -> set[str]:
    """A button's label in every language: a resident may switch language mid-conversation."""
    return {t(language, key) for language in LANGUAGES}
