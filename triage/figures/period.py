"""A period of local days (`--since`, `--until` inclusive) and the instants that bound it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

FIRST_YEAR, LAST_YEAR = 1900, 2999


class FiguresError(ValueError):
    """The figures cannot be computed as asked; the message is one line for the user."""


@dataclass(frozen=True)
class Period:
    since: date
    until: date  # inclusive

    @classmethod
    def parse(cls, since: str, until: str) -> Period:
        first, last = _day(since, "--since"), _day(until, "--until")
        if first > last:
            raise FiguresError(f"--since {since} is after --until {until}")
        return cls(first, last)

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1

    def previous(self) -> Period:
        """The period of the same length just before (环比)."""
        last = self.since - timedelta(days=1)
        return Period(last - timedelta(days=self.days - 1), last)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day and of the day after the last."""
        start = datetime.combine(self.since, time(), zone)
        end = datetime.combine(self.until + timedelta(days=1), time(), zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def as_dict(self) -> dict[str, str]:
        return {"since": self.since.isoformat(), "until": self.until.isoformat()}


def _day(text: str, option: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        day = date.fromisoformat(text)
    except ValueError:
        raise FiguresError(f"{option} {text!r} is not a date (YYYY-MM-DD)") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:  # the period before it must be dates too
        raise FiguresError(f"{option} {text}: give a day from {FIRST_YEAR} to {LAST_YEAR}")
    return day
