"""Escalation bursts: 20 and 100 reports falling due at the same moment (a storm, a shift
change), on two `firecircle serve` instances sharing one PostgreSQL database (SQLite, one
instance, when no server is configured).

The emulator enforces Telegram's limits (30/s, 1/s per chat). Open assigned reports are written
with one acknowledgement deadline, spread over the sample district's cells. From the deadline
on, every staff chat is watched; a person "has all of them" when every report they were told
about (their cell's worker, the backup worker and the community coordinator at level 1) is
named in the messages they got. Figures: the time from the deadline until the last person had
all of theirs, how many messages that took, and a resident's /start sent just after the
deadline, answered while the escalations go out.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from datetime import timedelta

from sqlmodel import select

from bench.common import (
    Emulator,
    emulator_process,
    header,
    postgres_database,
    postgres_server,
    print_tally,
    running_service,
    second_instance,
    service_log_tally,
)
from bench.seed import insert_assigned_reports
from bench.throughput import create_residents
from firecircle.sample import sample_staff
from storage.engine import SessionFactory, transaction
from storage.models import ReportEvent, Staff
from storage.types import utcnow

BURSTS = (20, 100)
LEAD = timedelta(seconds=8)  # the deadline, this long after the service starts
TARGET_ALL, TARGET_REPLY = 3.0, 1.0
LIMITS = ("--global-rate", "30", "--per-chat-rate", "1")
SETTINGS = {"escalation_step_seconds": 600, "duplicate_radius_meters": 0}
RESIDENT = 8_500_000


async def main() -> None:
    for burst in BURSTS:
        if postgres_server():
            header(f"escalation burst: {burst} reports due at once, two instances on PostgreSQL")
            async with postgres_database("fc_bench_burst") as url:
                await run(burst, database_url=url, instances=2)
        else:
            header(f"escalation burst: {burst} reports due at once (SQLite, one instance)")
            await run(burst)


async def run(burst: int, *, instances: int = 1, **settings) -> None:
    deadline = {}

    async def seed(sessions: SessionFactory) -> None:
        deadline["at"] = utcnow() + LEAD
        await insert_assigned_reports(sessions, [deadline["at"]] * burst)

    with service_log_tally() as tally:
        async with emulator_process(*LIMITS) as emu:
            await create_residents(emu, [RESIDENT + burst])
            async with running_service(emu, before_start=seed, **SETTINGS, **settings) as service:
                url = service.settings.database_url
                async with _maybe_second(emu, url, instances):
                    due = deadline["at"]
                    watch = asyncio.create_task(watch_staff(emu, due))
                    reply = await resident_reply(emu, RESIDENT + burst, due)
                    arrivals, counts = await watch
                    expected = await told(service.sessions)
    show(burst, expected, arrivals, counts, reply)
    print_tally(tally)


def _maybe_second(emu: Emulator, url: str, instances: int):
    if instances < 2:
        return _nothing()
    return second_instance(emu, url, **SETTINGS)


class _nothing:
    async def __aenter__(self):
        return None

    async def __aexit__(self, *exc):
        return None


async def resident_reply(emu: Emulator, resident: int, due) -> float | None:
    await asyncio.sleep(max(0.0, (due - utcnow()).total_seconds()) + 0.2)
    sent = time.perf_counter()
    await emu.send(resident, command="/start")
    replies = await emu.messages_after(resident, 0, wait=30)
    return time.perf_counter() - sent if replies else None


async def watch_staff(emu: Emulator, due, window: float = 20.0):
    """Each staff chat's messages from the deadline on: when each reference first arrived
    (seconds after the deadline), and how many messages each person got."""
    arrivals: dict[int, dict[str, float]] = defaultdict(dict)
    counts: dict[int, int] = defaultdict(int)
    start = time.perf_counter() - (utcnow() - due).total_seconds()

    async def follow(chat: int) -> None:
        seen = await _last_id(emu, chat)
        while time.perf_counter() - start < window:
            for message in await emu.messages_after(chat, seen, wait=2):
                seen = max(seen, message["message_id"])
                counts[chat] += 1
                for word in message.get("text", "").split():
                    reference = word.strip("•，,（）()")
                    if reference.startswith("FC-"):
                        arrivals[chat].setdefault(reference, time.perf_counter() - start)

    await asyncio.gather(*(follow(p["telegram_id"]) for p in sample_staff()))
    return arrivals, counts


async def _last_id(emu: Emulator, chat: int) -> int:
    messages = await emu.messages_after(chat, 0, wait=0)
    return max((m["message_id"] for m in messages), default=0)


async def told(sessions: SessionFactory) -> dict[int, set[str]]:
    """Who had to hear of which report: its worker, and those its escalation told."""
    async with transaction(sessions) as session:
        staff = {s.id: s.telegram_id for s in (await session.exec(select(Staff))).all()}
        events = (await session.exec(select(ReportEvent))).all()
    expected: dict[int, set[str]] = defaultdict(set)
    for event in events:
        if event.action not in ("assigned", "escalated"):
            continue
        reference = f"FC-{event.report_id:06d}"
        for staff_id in event.detail.get("told", []):
            expected[staff[staff_id]].add(reference)
    return expected


def show(burst, expected, arrivals, counts, reply) -> None:
    complete = [
        max(arrivals[chat][r] for r in refs)
        for chat, refs in expected.items()
        if refs <= set(arrivals.get(chat, {}))
    ]
    missing = len(expected) - len(complete)
    if complete:
        worst = max(complete)
        met = worst <= TARGET_ALL and not missing
        print(
            f"  {len(complete)} of {len(expected)} people had all their escalations "
            f"{worst:.2f} s after the deadline (target ≤ {TARGET_ALL:.0f} s: "
            f"{'met' if met else 'NOT met'})"
        )
    if missing:
        print(f"  {missing} people were still missing some after 20 s")
    most = max(counts.values(), default=0)
    print(f"  messages per person: at most {most} for {burst} reports")
    if reply is None:
        print("  the resident's /start got no reply within 30 s (NOT met)")
    else:
        met = "met" if reply <= TARGET_REPLY else "NOT met"
        print(
            f"  a resident's /start meanwhile: {reply:.2f} s (target ≤ {TARGET_REPLY:.0f} s: {met})"
        )


if __name__ == "__main__":
    asyncio.run(main())
