"""The service as the tests drive it: the real Application, the emulator over HTTP, a real DB."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from sqlmodel import select

import storage.types
from bot.emulator import BotApiEmulator
from firecircle.cli import main
from firecircle.sample import load_sample_district, sample_staff
from firecircle.service import Service
from firecircle.settings import Settings
from storage import outbox as outbox_rows
from storage.engine import transaction
from storage.models import OutboxMessage

TOKEN = "123456:TEST-firecircle"
# How long a test waits for an event before calling it missing: long enough for a loaded
# 2-core machine. Never a performance budget (the benchmarks measure speed).
PATIENCE = 60.0

# Inside the sample district (幸福社区第一网格) and far outside it (the Pacific Ocean).
INSIDE = (30.5415, 114.3320)
OCEAN = (0.0, -160.0)


# The sample district's people (firecircle/data/sample_staff.json).
WORKER_1, WORKER_2 = 2001, 2002  # 王建国 (DH-01-01), 李秀英 (DH-01-02), both in 幸福社区
COORDINATOR_XINGFU, STREET_COORDINATOR, OFFICER = 3001, 3100, 4001
SHANGHAI = ZoneInfo("Asia/Shanghai")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """The `firecircle` command run in this process: (exit code, stdout, stderr)."""
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's own errors and --help
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


class FakeClock:
    """What storage.types.utcnow, and so every clock of the service, says the time is. Its
    `day` is a month ahead of the real clock: the scheduler, armed in real time, never fires
    on its own (a test runs the deadlines it means to itself)."""

    def __init__(self, start: timedelta):
        self.day: date = datetime.now(SHANGHAI).date() + timedelta(days=30)
        self.at = datetime.combine(self.day, clock_time(), SHANGHAI) + start

    def local(self, day: date, hh: int, mm: int, ss: int = 0) -> None:
        at = datetime.combine(day, clock_time(hh, mm, ss), SHANGHAI)
        assert at >= self.at, "the clock only goes forward"
        self.at = at


def frozen_clock(monkeypatch, start: timedelta = timedelta()) -> FakeClock:
    """A FakeClock at `start` after its day's local midnight, read by every clock of the
    service from now until the test ends (for a fixture)."""
    fake = FakeClock(start)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz=None):
            return fake.at.astimezone(tz)

    monkeypatch.setattr(storage.types, "datetime", Frozen)
    return fake


@dataclass
class Running:
    emulator: BotApiEmulator
    service: Service

    @property
    def sessions(self):
        return self.service.sessions

    def staff(self, telegram_id: int):
        """The emulator's player for a staff member of the sample district."""
        return self.emulator.player(telegram_id)


def service_settings(emulator: BotApiEmulator, database_url: str, **settings: object) -> Settings:
    """The service's settings against this emulator (chats' limits raised for tests)."""
    return Settings(
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=emulator.url,
        **{"http_port": 0, "send_per_chat_rate": 100, **settings},
    )


async def sample_service(emulator: BotApiEmulator, config: Settings) -> Service:
    """A service (not started) on the sample district, whose staff have opened a chat."""
    service = Service(config)
    await load_sample_district(service.sessions)
    for person in sample_staff():
        emulator.user(person["telegram_id"], person["name"], language_code="zh")
    return service


@asynccontextmanager
async def running_service(
    database_url: str, *, first_update_id: int = 10_000, **settings: object
) -> AsyncIterator[Running]:
    async with BotApiEmulator(
        token=TOKEN, bot_username="firecircle_bot", first_update_id=first_update_id
    ) as emulator:
        service = await sample_service(
            emulator, service_settings(emulator, database_url, **settings)
        )
        await service.start()
        try:
            yield Running(emulator, service)
        finally:
            await service.stop()


REFERENCE = re.compile(r"FC-\d{6,}")


async def next_text(player, timeout: float = PATIENCE) -> dict:
    """The next text message, passing over a task's location and photos."""
    message = await player.next_message(timeout)
    while "text" not in message:
        message = await player.next_message(timeout)
    return message


async def task_card(player, timeout: float = PATIENCE) -> dict:
    """The next message with buttons (a task card), passing over anything else."""
    message = await next_text(player, timeout)
    while "reply_markup" not in message:
        message = await next_text(player, timeout)
    return message


def labels(message: dict) -> list[str]:
    return [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def file_report(
    emulator,
    user_id: int,
    text: str,
    *,
    where=INSIDE,
    name: str | None = None,
    timeout: float = PATIENCE,
) -> str:
    """A resident reports a hazard (description, location, /skip); returns its reference."""
    resident = emulator.user(user_id, name or f"居民{user_id}")
    await resident.send(text)
    await resident.next_message(timeout)
    await resident.send_location(*where)
    await resident.next_message(timeout)
    await resident.command("/skip")
    return REFERENCE.search((await resident.next_message(timeout))["text"]).group()


async def settled_outbox(sessions, timeout: float = PATIENCE) -> set[str]:
    """The outbox's statuses once nothing is pending or in flight (or the timeout passed)."""
    deadline = time.monotonic() + timeout
    while True:
        async with transaction(sessions) as session:
            statuses = set((await session.exec(select(OutboxMessage.status))).all())
        if not statuses & {outbox_rows.PENDING, outbox_rows.SENDING} or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.05)  # re-check a database condition; no event reaches the test
