"""After a restart: how soon does what fell due while the service was down escalate?

1,000 assigned reports whose ack deadlines passed during the last minute are written while
no service runs (as if it had been down); then the service starts. The clock starts when
`Service.start()` is called. Shown: the first `escalated` event's own time (when its batch
began), when it became visible (committed; a poll every 20 ms), and when the first escalation
message reached a coordinator's chat at the emulator: that last one is what the target is
about, since it is when someone hears of it. How long until all have climbed is shown too.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from bench.common import (
    Emulator,
    emulator_process,
    header,
    postgres_database,
    print_tally,
    running_service,
    service_log_tally,
    skip_postgres,
)
from bench.seed import count_escalated, first_escalation_at, insert_assigned_reports, observer
from firecircle.sample import sample_staff
from storage.engine import SessionFactory
from storage.types import utcnow

REPORTS = 1_000
DOWN = timedelta(seconds=60)  # the deadlines passed evenly over the last minute
TARGET = 2.0
GIVE_UP = 120.0


async def main() -> None:
    header(f"restart: first escalation of {REPORTS:,} items that fell due while down (SQLite)")
    await run()
    header(f"restart: first escalation of {REPORTS:,} items that fell due while down (PostgreSQL)")
    if skip_postgres("restart"):
        return
    async with postgres_database("fc_bench_restart") as url:
        await run(database_url=url)


async def run(**settings) -> None:
    with service_log_tally() as tally:
        async with emulator_process() as emu:
            clock = await restart(emu, **settings)
    show(clock)
    print_tally(tally)


async def restart(emu: Emulator, **settings) -> dict[str, float | None]:
    """Times after the call to Service.start(), in seconds (None: did not happen)."""
    clock: dict[str, float] = {}
    tasks: list[asyncio.Task] = []

    async def seed(sessions: SessionFactory) -> None:
        now = utcnow()
        step = DOWN / REPORTS
        await insert_assigned_reports(sessions, [now - DOWN + step * i for i in range(REPORTS)])
        tasks.append(asyncio.create_task(first_staff_message(emu)))  # the chats exist now
        clock["start"], clock["start_utc"] = time.perf_counter(), utcnow().timestamp()

    async with running_service(emu, before_start=seed, **settings) as service:
        started = time.perf_counter() - clock["start"]
        reader = observer(service.settings.database_url)
        try:
            seen = await wait_for_escalations(reader)
        finally:
            await reader.dispose()
        message = await asyncio.wait_for(tasks[0], GIVE_UP)
    return {
        "started": started,
        "event": _after(seen["event"], clock["start_utc"]),
        "committed": _after(seen["committed"], clock["start"]),
        "message": message - clock["start"],
        "all": _after(seen["all"], clock["start"]),
    }


def _after(moment: float | None, start: float) -> float | None:
    return None if moment is None else moment - start


async def first_staff_message(emu: Emulator) -> float:
    """When the first message reaches a coordinator (who hears of nothing but escalations)."""
    chats = [p["telegram_id"] for p in sample_staff() if p["role"] == "coordinator"]
    polls = [asyncio.create_task(emu.messages_after(chat, 0, wait=60)) for chat in chats]
    await asyncio.wait(polls, return_when=asyncio.FIRST_COMPLETED)
    arrived = time.perf_counter()
    for poll in polls:
        poll.cancel()
    await asyncio.gather(*polls, return_exceptions=True)
    return arrived


async def wait_for_escalations(reader) -> dict[str, float | None]:
    """Polling every 20 ms: the first escalated event's own time (epoch seconds, as the
    database has it: when its batch began), and on the benchmark's clock when the first one
    became visible (committed) and when all had."""
    seen: dict[str, float | None] = {"event": None, "committed": None, "all": None}
    give_up = time.perf_counter() + GIVE_UP
    while time.perf_counter() < give_up and seen["all"] is None:
        done = await count_escalated(reader)
        now = time.perf_counter()
        if done and seen["committed"] is None:
            seen["committed"] = now
            seen["event"] = (await first_escalation_at(reader)).timestamp()
        if done >= REPORTS:
            seen["all"] = now
        await asyncio.sleep(0.02)
    return seen


def show(clock: dict[str, float | None]) -> None:
    print(f"  Service.start() returned after {clock['started']:.3f} s")
    if clock["event"] is None:
        print(f"  no escalation within {GIVE_UP:.0f} s")
        return
    print(f"  first escalated event, its time in the DB    {clock['event']:.3f} s after start")
    print(f"  first escalation committed (seen by a poll)  {clock['committed']:.3f} s")
    print(f"  first escalation message at the emulator     {clock['message']:.3f} s")
    if clock["all"] is not None:
        print(f"  all {REPORTS:,} escalated (seen by a poll)       {clock['all']:.3f} s")
    met = clock["message"] <= TARGET
    print(f"  target ≤ {TARGET:.0f} s to the first escalation: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
