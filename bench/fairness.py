"""Fairness: one resident floods the bot while others write as usual.

The emulator enforces Telegram's limits (30 messages/s overall, 1/s per chat). One resident
sends 200 messages back to back (greetings, chatter, and at the 190th a fire: "楼道里着火了"),
while 50 other residents each send /start, one every 0.2 s from the flood's start. Figures:
the others' first replies (from their /start to the bot's answer in their chat) and the time
from the flooding resident's fire message to the 119 advice in their chat. Every message has
to be stored and looked at (the 119 advice is never withheld), but a flooding chat's replies
wait for its own 1/s, not everyone's.
"""

from __future__ import annotations

import asyncio
import time

from bench.common import (
    Emulator,
    emulator_process,
    header,
    percentiles,
    postgres_database,
    print_tally,
    running_service,
    service_log_tally,
    skip_postgres,
)
from bench.throughput import create_residents

FLOODER, FIRST_OTHER = 8_000_000, 8_000_100
FLOOD, FIRE_AT, OTHERS, OTHERS_EVERY = 200, 190, 50, 0.2
FIRE, ADVICE = "楼道里着火了，好多烟", "119"
CHATTER = ("/start", "你好", "在吗", "?", "/help", "hello", "谢谢")
TARGET = 2.0  # seconds: the others' p99, and the flooding chat's 119 advice
LIMITS = ("--global-rate", "30", "--per-chat-rate", "1")


async def main() -> None:
    header(f"fairness: 1 resident sends {FLOOD} messages while {OTHERS} others write (SQLite)")
    await run()
    header("the same on PostgreSQL")
    if skip_postgres("fairness"):
        return
    async with postgres_database("fc_bench_fairness") as url:
        await run(database_url=url)


async def run(**settings) -> None:
    with service_log_tally() as tally:
        async with emulator_process(*LIMITS) as emu:
            others = list(range(FIRST_OTHER, FIRST_OTHER + OTHERS))
            await create_residents(emu, [FLOODER, *others])
            async with running_service(emu, **settings):
                advice, firsts = await asyncio.gather(
                    flood(emu),
                    asyncio.gather(*(first_reply(emu, i, n) for n, i in enumerate(others))),
                )
    show(advice, [f for f in firsts if f is not None], OTHERS - sum(f is not None for f in firsts))
    print_tally(tally)


async def flood(emu: Emulator) -> float | None:
    """Sends the flood; returns seconds from the fire message to the 119 advice."""
    fired = 0.0
    for number in range(FLOOD):
        if number == FIRE_AT:
            fired = time.perf_counter()
            await emu.send(FLOODER, text=FIRE)
            continue
        chatter = CHATTER[number % len(CHATTER)]
        body = {"command": chatter} if chatter.startswith("/") else {"text": chatter}
        await emu.send(FLOODER, **body)
    return await until_text(emu, FLOODER, ADVICE, fired)


async def until_text(emu: Emulator, chat: int, wanted: str, since: float, wait: float = 60):
    seen = 0
    while time.perf_counter() - since < wait:
        for message in await emu.messages_after(chat, seen, wait=5):
            seen = max(seen, message["message_id"])
            if wanted in message.get("text", ""):
                return time.perf_counter() - since
    return None


async def first_reply(emu: Emulator, resident: int, number: int) -> float | None:
    await asyncio.sleep(number * OTHERS_EVERY)  # the residents' pace, not a wait for the bot
    sent = time.perf_counter()
    await emu.send(resident, command="/start")
    replies = await emu.messages_after(resident, 0, wait=30)
    return time.perf_counter() - sent if replies else None


def show(advice: float | None, firsts: list[float], missing: int) -> None:
    if firsts:
        figures = percentiles(firsts)
        met = figures["p99"] <= TARGET and not missing
        print(
            f"  others' first reply, {len(firsts)} of {OTHERS}: "
            + "  ".join(f"{k} {v:.2f} s" for k, v in figures.items())
            + f" (target p99 ≤ {TARGET:.0f} s: {'met' if met else 'NOT met'})"
        )
    if missing:
        print(f"  {missing} others got no reply within 30 s")
    if advice is None:
        print("  the flooding resident's 119 advice did not come within 60 s (NOT met)")
    else:
        met = "met" if advice <= TARGET else "NOT met"
        print(
            f"  the flooding resident's 119 advice: {advice:.2f} s (target ≤ {TARGET:.0f} s: {met})"
        )


if __name__ == "__main__":
    asyncio.run(main())
