"""The floor of the stack: what a report costs an application that does nothing but the stack's work.

A minimal python-telegram-bot application, polling the same emulator with the same transport
as the service (bot/transport.py's aiohttp), stores each update with one INSERT (aiosqlite)
and sends the replies a report makes: a question after the description, another after the
location, the reference after /skip and a task card with a 接单 button to the cell's worker;
after 接单, the callback's answer, the card redrawn and a notice to the resident. The same
driver as bench/profile_intake.py files the reports (a child process, CONCURRENCY in flight),
so this process's CPU time per report is the floor's: issue 14 asks firecircle for at most
twice that. It is measured again with python-telegram-bot's own (httpx) transport, which the
service no longer uses, to show what the transport alone weighs.

    python -m bench.floor [--reports 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial
from pathlib import Path

import aiosqlite
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench import profile_intake
from bench.common import TOKEN, drive_from_child, emulator_process, header, skip_postgres
from bench.report_latency import cells
from bot.transport import AiohttpRequest

TARGET_MS, TARGET_RATIO = 15.0, 2.0  # issue 14: a report's CPU, and that over the floor
WARMUP = 10
ROUNDS = 3  # the machine's speed moves by half within the hour: each figure a median of these
# An application to measure, built in a temporary folder against the emulator's address
Building = Callable[[Path, str], AbstractAsyncContextManager[Application]]


class Floor:
    """The application's whole state: one database connection and the residents' texts."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self.db, self.texts = db, {}
        self.grid = cells()

    async def store(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.db.execute(
            "INSERT INTO update_log (update_id, body) VALUES (?, ?)",
            (update.update_id, update.to_json()),
        )
        await self.db.commit()

    async def text(self, update: Update, _context) -> None:
        self.texts[update.effective_chat.id] = update.message.text
        await update.message.reply_text("请发送位置")

    async def location(self, update: Update, _context) -> None:
        where = update.message.location
        self.texts[update.effective_chat.id, "at"] = (where.latitude, where.longitude)
        await update.message.reply_text("有照片吗？没有请发 /skip")

    async def skip(self, update: Update, context) -> None:
        chat = update.effective_chat.id
        await update.message.reply_text(f"已受理，编号 FC-{update.update_id:06d}")
        worker = self.worker_at(*self.texts.pop((chat, "at"), (0.0, 0.0)))
        button = InlineKeyboardButton("接单", callback_data=f"ack:{chat}")
        await context.bot.send_message(
            worker,
            f"新任务：{self.texts.pop(chat, '')}",
            reply_markup=InlineKeyboardMarkup([[button]]),
        )

    async def ack(self, update: Update, context) -> None:
        query = update.callback_query
        resident = int(query.data.split(":", 1)[1])
        await query.answer("已接单")
        await query.edit_message_text(f"{query.message.text}\n已接单")
        await context.bot.send_message(resident, "网格员已接单")

    def worker_at(self, latitude: float, longitude: float) -> int:
        for _, lat0, lat1, lon0, lon1, worker in self.grid:
            if lat0 <= latitude <= lat1 and lon0 <= longitude <= lon1:
                return worker
        return self.grid[0][5]


def application(api_url: str, floor: Floor, *, httpx: bool) -> Application:
    builder = (
        Application.builder()
        .token(TOKEN)
        .base_url(f"{api_url}/bot")
        .base_file_url(f"{api_url}/file/bot")
        .concurrent_updates(True)
    )
    if not httpx:  # python-telegram-bot's own transport otherwise
        builder = builder.request(AiohttpRequest(connections=64)).get_updates_request(
            AiohttpRequest(connections=1)
        )
    app = builder.build()
    app.add_handler(MessageHandler(filters.ALL, floor.store), group=-1)
    app.add_handler(CallbackQueryHandler(floor.store), group=-1)
    app.add_handler(CommandHandler("skip", floor.skip))
    app.add_handler(MessageHandler(filters.LOCATION, floor.location))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, floor.text))
    app.add_handler(CallbackQueryHandler(floor.ack, pattern=r"^ack:"))
    return app


@asynccontextmanager
async def floor_application(tmp: Path, api_url: str, *, httpx: bool) -> AsyncIterator[Application]:
    """The floor's application, storing each update in its own SQLite file under tmp."""
    async with aiosqlite.connect(tmp / "floor.db") as db:
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("CREATE TABLE update_log (update_id INTEGER, body TEXT)")
        yield application(api_url, Floor(db), httpx=httpx)


async def measure(reports: int, *, httpx: bool = False, build: Building | None = None) -> float:
    """CPU ms per report of an application (this process): the floor's, unless `build`
    gives another (bench/design_floor.py)."""
    build = build or partial(floor_application, httpx=httpx)
    async with emulator_process() as emu:
        for worker in sorted({cell[5] for cell in cells()}):
            await emu.call("POST", "/users", {"id": worker, "first_name": f"网格员{worker}"})
        with tempfile.TemporaryDirectory(prefix="firecircle-floor-") as tmp:
            async with build(Path(tmp), emu.url) as app, app:
                await app.start()
                await app.updater.start_polling(poll_interval=0, timeout=10)
                try:
                    await drive_from_child("bench.profile_intake", emu.url, 20_000_000, WARMUP)
                    cpu = time.process_time()
                    await drive_from_child("bench.profile_intake", emu.url, 21_000_000, reports)
                    cpu = time.process_time() - cpu
                finally:
                    await app.updater.stop()
                    await app.stop()
    return cpu * 1000 / reports


async def main(reports: int = 100, rounds: int = ROUNDS) -> float:
    """`python -m bench`: ~2 min with PostgreSQL at 100 reports. The floors and firecircle
    are measured in turn, `rounds` times (each round in another order), so a slow minute
    weighs on every figure alike; the ratios are of the medians."""
    from bench import design_floor  # it builds on this module

    header(f"the floor: a minimal python-telegram-bot application, {reports} reports (SQLite)")
    plain = await measure(reports, httpx=True)
    print(f"  with python-telegram-bot's own httpx transport: {plain:.1f} ms CPU per report")
    services = {"SQLite": partial(profile_intake.cost, reports, False)}
    if not skip_postgres("firecircle's CPU per report"):
        services["PostgreSQL"] = partial(profile_intake.cost, reports, True)
    runs = {
        "floor": partial(measure, reports),
        "design": partial(measure, reports, build=design_floor.design_application),
        **services,
    }
    found: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for n in range(rounds):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            found[name].append(await runs[name]())
        print(f"  round {n + 1}: " + ", ".join(f"{k} {v[-1]:.1f}" for k, v in found.items()))
    floor, design = statistics.median(found["floor"]), statistics.median(found["design"])
    print(f"  floor: {floor:.1f} ms CPU per report (four updates, eight Bot API calls; aiohttp)")
    print(
        f"  the design's floor (bench/design_floor.py: the same, keeping DESIGN.md's promises"
        f" in raw SQL): {design:.1f} ms CPU per report"
    )
    print(f"  firecircle, the same {reports} reports (bench/profile_intake.py, no profiler):")
    for name in services:
        against_the_floor(name, statistics.median(found[name]), floor, design)
    return floor


def against_the_floor(name: str, service: float, floor: float, design: float) -> None:
    """firecircle's CPU per report (a median) beside the floors' and issue 14's targets."""
    ratio = service / floor
    print(
        f"    {name:<10} {service:5.1f} ms a report, {ratio:4.1f}× the floor,"
        f" {service / design:4.1f}× the design's; target ≤ {TARGET_MS:.0f} ms:"
        f" {'met' if service <= TARGET_MS else 'not met'}, ≤ {TARGET_RATIO:.0f}×:"
        f" {'met' if ratio <= TARGET_RATIO else 'not met'}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="medians of this many")
    args = parser.parse_args()
    if args.reports < 1 or args.rounds < 1:
        parser.error("--reports and --rounds must be at least 1")
    asyncio.run(main(args.reports, args.rounds))
