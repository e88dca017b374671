"""The outbox against Telegram's limits, during a 10,000-message bulk send.

The emulator enforces 30 messages/s overall and 1/s per chat, answering 429 beyond; the
service runs with its default send rate (30/s). 10,000 bulk messages (priority 90, one to
each of 10,000 chats) are put in the outbox, and while they drain a resident files a report
every two seconds; each report's task card is timed from /skip to the worker's chat.

After a fixed window (not the whole drain, which would take over five minutes at 30/s):
the rate the emulator accepted messages at, the 429s it answered, and messages lost: rows
that failed or were given up as undeliverable, plus rows marked sent that the emulator never
accepted (each bulk chat gets exactly one message, so a second one is a duplicate).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from bench.common import (
    Emulator,
    emulator_process,
    header,
    percentiles,
    print_tally,
    running_service,
    service_log_tally,
)
from bench.seed import enqueue_bulk, observer, outbox_rows
from bench.throughput import CardWatch, Run, create_residents, file_reports

BULK = 10_000
FIRST_BULK_CHAT = 10_000_000
WINDOW = 40.0  # seconds of bulk sending measured
REPORT_EVERY = 2.0  # seconds between two residents' reports
TARGET_RATE, TARGET_P99 = 28.0, 1.0
LIMITS = ("--global-rate", "30", "--per-chat-rate", "1")
SENDING = ("sendMessage", "sendLocation", "sendPhoto")
TIP = "🔥 冬季防火提示：电动车请勿在楼道、室内充电，充电时不要过夜。"


async def main() -> None:
    header(
        f"outbox: {BULK:,}-message bulk send against 30/s and 1/s per chat, "
        f"{WINDOW:.0f} s window (SQLite)"
    )
    bulk = list(range(FIRST_BULK_CHAT, FIRST_BULK_CHAT + BULK))
    run = Run(1 / REPORT_EVERY, WINDOW)
    residents = list(range(3_000_000, 3_000_000 + int(WINDOW / REPORT_EVERY)))
    with service_log_tally() as tally:
        async with emulator_process(*LIMITS) as emu:
            await create_residents(emu, bulk + residents)  # every bulk chat must exist
            sent, rejected, rows, calls = await flood(emu, run, bulk, residents)
    show(run, sent, rejected, lost(rows, calls), duplicates(calls, set(bulk)))
    print(f"  429s by chat: {limited_chats(calls, set(bulk))}")
    print_tally(tally)


async def flood(
    emu: Emulator, run: Run, bulk: list[int], residents: list[int]
) -> tuple[int, int, list[tuple[str, int, str]], list[dict]]:
    """The bulk send and the reports at once; returns what the emulator and the outbox saw."""
    # No duplicate merging: every report must reach a worker, each with its own card.
    async with running_service(emu, duplicate_radius_meters=0) as service:
        watch = await CardWatch.start(emu, run)
        before = await emu.call("GET", "/stats")
        await enqueue_bulk(service.sessions, bulk, TIP)
        window = asyncio.create_task(stats_after(emu, WINDOW))
        try:
            await file_reports(emu, run, residents)
            after = await window
        finally:
            run.stopped = time.perf_counter()
            await watch.stop()
        # The outbox first, the emulator second: a row marked sent by then was sent before.
        reader = observer(service.settings.database_url)
        try:
            rows = await outbox_rows(reader)
        finally:
            await reader.dispose()
        calls = [c for m in SENDING for c in await emu.call("GET", f"/calls?method={m}")]
    sent = after["sent_messages"] - before["sent_messages"]
    return sent, after["rate_limited"] - before["rate_limited"], rows, calls


async def stats_after(emu: Emulator, seconds: float) -> dict:
    await asyncio.sleep(seconds)
    return await emu.call("GET", "/stats")


def lost(rows: list[tuple[str, int, str]], calls: list[dict]) -> dict[str, int]:
    """Rows given up on, and rows marked sent with no accepted call to match them."""
    accepted = Counter((c["method"], c["params"].get("chat_id")) for c in calls if _ok(c))
    marked = Counter((method, chat) for method, chat, status in rows if status == "sent")
    return {
        "failed": sum(status == "failed" for _, _, status in rows),
        "undeliverable": sum(status == "undeliverable" for _, _, status in rows),
        "sent, never received": sum(max(0, n - accepted[key]) for key, n in marked.items()),
    }


def duplicates(calls: list[dict], bulk: set[int]) -> int:
    per_chat = Counter(c["params"].get("chat_id") for c in calls if _ok(c))
    return sum(n - 1 for chat, n in per_chat.items() if chat in bulk and n > 1)


def limited_chats(calls: list[dict], bulk: set[int]) -> str:
    """Which chats the 429s hit: report chats (one chat's own limit) or bulk ones."""
    hits = Counter(
        "bulk" if c["params"].get("chat_id") in bulk else "report"
        for c in calls
        if c.get("status") == 429
    )
    return f"{hits['report']} in report chats (residents, workers), {hits['bulk']} in bulk chats"


def _ok(call: dict) -> bool:
    return call.get("status") == 200


def show(run: Run, sent: int, rejected: int, missing: dict[str, int], doubled: int) -> None:
    rate = sent / WINDOW
    print(
        f"  accepted by the emulator: {sent:,} messages in {WINDOW:.0f} s = {rate:.1f}/s "
        f"(target ≥ {TARGET_RATE:.0f}/s: {'met' if rate >= TARGET_RATE else 'NOT met'})"
    )
    print(f"  429s answered: {rejected:,}")
    total = sum(missing.values())
    details = ", ".join(f"{k} {v}" for k, v in missing.items())
    print(f"  messages lost: {total} ({details}; must be 0: {'met' if not total else 'NOT met'})")
    print(f"  bulk messages delivered twice: {doubled}")
    values = run.latencies()
    if not values:
        print("  no report got as far as /skip")
        return
    figures = percentiles(values)
    met = figures["p99"] <= TARGET_P99 and not run.late
    print(
        f"  task card latency during the flood, {len(run.carded)} of {run.started} reports: "
        + "  ".join(f"{k} {v * 1000:,.0f} ms" for k, v in figures.items())
        + f" (target p99 ≤ {TARGET_P99:.0f} s: {'met' if met else 'NOT met'})"
    )


if __name__ == "__main__":
    asyncio.run(main())
