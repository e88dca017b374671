"""The console's words, kept in locales/<lang>.toml as the bot keeps its own, and its
times, shown in the district's zone."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

LOCALES = Path(__file__).parent / "locales"
LANGUAGES = ("zh", "en")
DEFAULT = "zh"


@cache
def catalogue(language: str) -> dict[str, dict[str, str]]:
    with open(LOCALES / f"{language}.toml", "rb") as file:
        return tomllib.load(file)


def t(language: str, key: str, /, **values: object) -> str:
    """'section.key' (section defaults to 'web'); a value with no text shows as itself."""
    section, _, name = key.rpartition(".")
    lang = language if language in LANGUAGES else DEFAULT
    template = catalogue(lang).get(section or "web", {}).get(name)
    if template is None:
        return name
    return template.format(**values)


def local(moment: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return moment.astimezone(zone).strftime(fmt) if moment else ""


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "—"


def outcome(language: str, done, values: dict) -> str:
    """What became of an action, from the desk's key (a refusal it has no words for names
    the key)."""
    words = catalogue(language if language in LANGUAGES else DEFAULT)["outcome"]
    template = words.get(done.key) or words["refused" if done.refused else "done"]
    return template.format_map(_Blank(values, key=done.key))
