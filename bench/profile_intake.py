"""Where a report's CPU goes: the intake path under cProfile, with its SQL statements counted.

Residents file whole reports (description, location, /skip, as tests/harness.py file_report
does) and the on-duty worker presses 接单 on the task card: four updates a report. The residents
and the worker are driven from a child process, so this process is the service alone: its CPU
time per report is the service's (the emulator runs in a process of its own too). A few reports
warm the service up (its caches of the directory and of statements); then a run
without the profiler gives the true CPU per report, a run under cProfile says where it goes, and
a run with every step of the event loop timed says which of the service's tasks spends it.
At most CONCURRENCY reports are in flight at once: the figure is a cost, not a rate, and an
overloaded service would add its backlog's polling to it.

SQL statements are counted with a `before_cursor_execute` listener on the service's engine
(the driver's and the observer's statements are not), and transactions with a `begin` one: on
SQLite BEGIN IMMEDIATE goes straight to the driver, on PostgreSQL asyncpg begins by itself.
They are counted in a run of their own: with a listener waiting for them, the statements
storage.compiled sends to sqlite3 itself go through SQLAlchemy instead, which the profile
must not show.
cProfile (timed in thread CPU time) sees the event loop's thread only: the CPU of aiosqlite's
database thread is the process's CPU minus the main thread's, printed apart. It gives own time
by library and calls per report (a coroutine counts once per resumption); its cumulative times
are wrong across SQLAlchemy's greenlet switches, so they are not printed. With py-spy installed
a fourth run is sampled (--gil, every thread): by library again, and by stage of the service
(the innermost stage on the stack wins; code running inside a greenlet does not show its
caller, so much of SQLAlchemy's time has no stage).

    python -m bench.profile_intake [--reports 200] [--top 25] [--dump FILE] [--statements 40]

with FIRECIRCLE_BENCH_POSTGRES_URL set, the same again on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import random
import re
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import event, func, select

from bench.common import (
    Emulator,
    drive_from_child,
    emulator_process,
    header,
    postgres_database,
    postgres_server,
    print_tally,
    running_service,
    service_log_tally,
)
from bench.report_latency import cells
from bench.seed import observer
from storage.models import OutboxMessage
from triage.understanding.classify import forget_texts

DESCRIPTION = "楼道里有人给电动车充电，电线从窗户拉下来"
UPDATES_PER_REPORT = 4  # description, location, /skip, 接单
WARMUP, CONCURRENCY = 10, 8
SETTINGS = {"send_rate": 1000, "send_per_chat_rate": 1000, "duplicate_radius_meters": 0}


# ---------------------------------------------------------------- the driver (a child process)


async def drive(url: str, first_id: int, count: int) -> None:
    """Residents first_id… file `count` reports, CONCURRENCY at a time; each card is taken."""
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        emu = Emulator(url, http)
        residents = list(range(first_id, first_id + count))
        for start in range(0, count, 100):
            await asyncio.gather(
                *(
                    emu.call("POST", "/users", {"id": i, "first_name": f"居民{i}"})
                    for i in residents[start : start + 100]
                )
            )
        grid, rng = cells(), random.Random(first_id)
        cards = Cards(emu)
        await cards.start({cell[5] for cell in grid})
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(n: int, resident: int) -> None:
            cell = grid[n % len(grid)]
            point = (rng.uniform(cell[1], cell[2]), rng.uniform(cell[3], cell[4]))
            async with gate:
                await one_report(emu, cards, resident, cell[5], point)

        began = time.perf_counter()
        await asyncio.gather(*(one(n, r) for n, r in enumerate(residents)))
        await cards.stop()
    print(json.dumps({"seconds": time.perf_counter() - began}))


async def one_report(
    emu: Emulator, cards: Cards, resident: int, worker: int, point: tuple[float, float]
) -> None:
    token = f"（R{resident}）"
    await emu.send(resident, text=f"{DESCRIPTION}{token}")
    after = await replies(emu, resident, 0, 1)  # "where is it?"
    await emu.send(resident, location={"latitude": point[0], "longitude": point[1]})
    after = await replies(emu, resident, after, 1)  # "any photos?"
    card = cards.expect(token)
    await emu.send(resident, command="/skip")
    await replies(emu, resident, after, 1)  # the reference
    message_id = await asyncio.wait_for(card, 60)
    pressed = await emu.call(
        "POST", f"/users/{worker}/press", {"message_id": message_id, "text": "接单"}
    )
    await emu.call("GET", f"/callbacks/{pressed['callback_query_id']}?wait=30")


async def replies(emu: Emulator, chat: int, after: int, count: int) -> int:
    seen = 0
    while seen < count:
        fresh = await emu.messages_after(chat, after, wait=30)
        if fresh:
            seen += len(fresh)
            after = fresh[-1]["message_id"]
    return after


class Cards:
    """One long poll per worker's chat; a report's token resolves to its card's message id."""

    def __init__(self, emu: Emulator) -> None:
        self.emu, self.waiting, self.tasks = emu, {}, []

    async def start(self, workers: set[int]) -> None:
        for worker in sorted(workers):
            latest = await self.emu.messages_after(worker, 0, wait=0)
            after = latest[-1]["message_id"] if latest else 0
            self.tasks.append(asyncio.create_task(self.follow(worker, after)))

    def expect(self, token: str) -> asyncio.Future:
        self.waiting[token] = asyncio.get_running_loop().create_future()
        return self.waiting[token]

    async def follow(self, worker: int, after: int) -> None:
        while True:
            fresh = await self.emu.messages_after(worker, after, wait=30)
            for message in fresh:
                for token, future in list(self.waiting.items()):
                    if token in message.get("text", "") and "reply_markup" in message:
                        self.waiting.pop(token)
                        future.set_result(message["message_id"])
            if fresh:
                after = fresh[-1]["message_id"]

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


# ---------------------------------------------------------------- the service side (this process)


@dataclass
class Phase:
    reports: int
    seconds: float = 0.0
    cpu: float = 0.0  # the whole process
    main_cpu: float = 0.0  # the event loop's thread
    statements: Counter[str] = field(default_factory=Counter)
    by_task: Counter[str] = field(default_factory=Counter)
    texts: Counter[str] = field(default_factory=Counter)

    def per_report_ms(self, seconds: float) -> float:
        return seconds * 1000 / self.reports


def _task_name() -> str:
    """Which of the service's tasks runs the statement (a greenlet runs inside its task)."""
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return "no task"
    return task.get_coro().__qualname__ if task else "no task"


class Statements:
    """Counts the service engine's statements by their first word (and the table of writes),
    while counting() only: the count costs CPU, which the run without the profiler must not
    put on the service."""

    def __init__(self, engine) -> None:
        self.engine = engine.sync_engine
        self.counts: Counter[str] = Counter()
        self.by_task: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()  # by the statement's text, parameters apart

    @contextmanager
    def counting(self):
        event.listen(self.engine, "before_cursor_execute", self.seen)
        event.listen(self.engine, "begin", self.began)
        try:
            yield
        finally:
            event.remove(self.engine, "before_cursor_execute", self.seen)
            event.remove(self.engine, "begin", self.began)

    def began(self, _conn) -> None:
        self.counts["BEGIN"] += 1
        self.by_task[_task_name()] += 1

    def seen(self, _conn, _cursor, statement: str, *_args) -> None:
        words = statement.split(None, 3)
        kind = words[0].upper() if words else "?"
        if kind == "BEGIN":  # counted by began() (SQLite's, when it waited for the lock)
            return
        if kind in ("INSERT", "DELETE") and len(words) > 2:
            kind = f"{kind} {words[2]}"
        elif kind == "UPDATE" and len(words) > 1:
            kind = f"UPDATE {words[1]}"
        self.counts[kind] += 1
        self.by_task[_task_name()] += 1
        text = " ".join(statement.split())
        self.texts[text if len(text) <= 150 else f"{text[:60]} … {text[-85:]}"] += 1


async def run_phase(
    emu: Emulator, service, counter: Statements, first_id: int, count: int, profiler=None
) -> Phase:
    phase = Phase(count)
    before, tasks, texts = counter.counts.copy(), counter.by_task.copy(), counter.texts.copy()
    cpu, main_cpu, wall = time.process_time(), time.thread_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    try:
        await drive_from_child("bench.profile_intake", emu.url, first_id, count)
        await settled(service.settings.database_url)
    finally:
        if profiler:
            profiler.disable()
    phase.seconds = time.perf_counter() - wall
    phase.cpu, phase.main_cpu = time.process_time() - cpu, time.thread_time() - main_cpu
    phase.statements = counter.counts - before
    phase.by_task = counter.by_task - tasks
    phase.texts = counter.texts - texts
    return phase


async def settled(url: str, timeout: float = 30) -> None:
    """Until the outbox has sent what the reports made (the notices after 接单 included)."""
    engine = observer(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                left = await conn.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not left:
                return
            await asyncio.sleep(0.05)
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(postgres: bool):
    if not postgres:
        yield {}
        return
    async with postgres_database("fc_bench_profile") as url:
        yield {"database_url": url}


async def cost(reports: int, postgres: bool) -> float:
    """The service's CPU per report (ms), without the profiler: the first figure profile()
    prints, alone (bench.floor sets it beside the floor)."""
    forget_texts()
    async with emulator_process() as emu, database(postgres) as url:
        async with running_service(emu, **SETTINGS, **url) as service:
            counter = Statements(service.engine)
            await run_phase(emu, service, counter, 10_000_000, WARMUP)
            plain = await run_phase(emu, service, counter, 11_000_000, reports)
    return plain.per_report_ms(plain.cpu)


async def profile(reports: int, top: int, postgres: bool, dump: str | None, texts: int = 0) -> None:
    name = "PostgreSQL" if postgres else "SQLite"
    forget_texts()  # the texts of a run before (same ids) must be read again
    header(f"intake profile: {reports} reports, four updates each, under cProfile ({name})")
    async with emulator_process() as emu, database(postgres) as url:
        with service_log_tally() as tally:
            async with running_service(emu, **SETTINGS, **url) as service:
                counter = Statements(service.engine)
                await run_phase(emu, service, counter, 10_000_000, WARMUP)
                plain = await run_phase(emu, service, counter, 11_000_000, reports)
                with counter.counting():  # as many reports as `plain`, alike: its statements too
                    counted = await run_phase(emu, service, counter, 12_000_000, reports)
                # Not while counting: a listener on the engine's statements sends the compiled
                # ones the long way (storage.compiled), which the profile must not show.
                profiler = cProfile.Profile(time.thread_time)  # CPU, not waiting
                traced = await run_phase(emu, service, counter, 15_000_000, reports, profiler)
                clock = TaskClock()
                with clock.timing():
                    timed = await run_phase(emu, service, counter, 14_000_000, reports)
                sampled = await spied(emu, service, counter, 13_000_000, reports)
        stats = pstats.Stats(profiler)
        if dump:
            stats.dump_stats(dump)
    show(plain, traced, counted, stats, top, texts)
    clock.show(timed)
    if sampled:
        show_samples(*sampled, top)
    print_tally(tally)


def show(
    plain: Phase, traced: Phase, counted: Phase, stats: pstats.Stats, top: int, texts: int = 0
) -> None:
    updates = plain.reports * UPDATES_PER_REPORT
    print(
        f"  without the profiler: {plain.per_report_ms(plain.cpu):.1f} ms CPU per report "
        f"(event loop {plain.per_report_ms(plain.main_cpu):.1f}, other threads "
        f"{plain.per_report_ms(plain.cpu - plain.main_cpu):.1f}); "
        f"{plain.reports / plain.seconds:.1f} reports/s at {CONCURRENCY} in flight"
    )
    print(
        f"  under cProfile: {traced.per_report_ms(traced.cpu):.1f} ms CPU per report "
        f"(event loop {traced.per_report_ms(traced.main_cpu):.1f})"
    )
    total = sum(counted.statements.values())
    print(
        f"  SQL statements: {total / plain.reports:.1f} per report, "
        f"{total / updates:.1f} per update, BEGIN (a transaction) counted as one"
    )
    for kind, count in counted.statements.most_common(14):
        print(f"    {count / plain.reports:>6.2f} per report  {kind}")
    print("  by the task that ran them:")
    for task, count in counted.by_task.most_common(8):
        print(f"    {count / plain.reports:>6.2f} per report  {task}")
    if texts:
        print(f"  the {texts} most frequent statements:")
        for text, count in counted.texts.most_common(texts):
            print(f"    {count / plain.reports:>6.2f} per report  {text}")
    rows = functions(stats)
    own = sum(r.own for r in rows)
    loop_ms = plain.per_report_ms(plain.main_cpu)
    scale = loop_ms / own  # profiled seconds → unprofiled ms
    print(
        f"  own time by area (cProfile's shares, in ms of the {loop_ms:.1f} ms the event loop "
        "spends unprofiled; the profiler weighs calls more than time):"
    )
    areas: Counter[str] = Counter()
    for r in rows:
        areas[r.area] += r.own
    for area, seconds in areas.most_common():
        print(f"    {seconds / own:>6.1%}  {seconds * scale:>6.1f} ms  {area}")
    print(f"  top {top} functions by own time:")
    for r in sorted(rows, key=lambda r: -r.own)[:top]:
        print(f"    {r.own / own:>6.1%}  {r.calls / traced.reports:>8.1f}/report  {r.name}")
    # No cumulative table: SQLAlchemy's greenlet switches confuse cProfile's call stack
    # (on PostgreSQL our functions showed cumulative shares above 100 %); py-spy's stages below.


class TaskClock:
    """The event loop thread's CPU by the task each step of the loop ran (or the plain
    callback): what cProfile cannot give across greenlet switches, and py-spy gives only by
    stage. Timing every step costs, so its run is a run of its own."""

    def __init__(self) -> None:
        self.cpu: Counter[str] = Counter()

    @contextmanager
    def timing(self):
        handle = asyncio.events.Handle
        original, cpu = handle._run, self.cpu

        def timed(step) -> None:
            began = time.thread_time()
            try:
                original(step)
            finally:
                cpu[_owner(step._callback)] += time.thread_time() - began

        handle._run = timed
        try:
            yield
        finally:
            handle._run = original

    def show(self, phase: Phase, top: int = 10) -> None:
        total = self.cpu.total()
        print(
            f"  by task (every step of the loop timed, a run of its own: "
            f"{phase.per_report_ms(phase.main_cpu):.1f} ms on the loop's thread a report):"
        )
        for name, seconds in self.cpu.most_common(top):
            print(f"    {seconds / total:>6.1%}  {phase.per_report_ms(seconds):>5.2f} ms  {name}")


def _owner(callback) -> str:
    """The task a step ran, by its coroutine; else the callback's name (never its repr: an
    aiohttp response's reads headers it may not have yet)."""
    task = getattr(callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        return task.get_coro().__qualname__
    if callback is None:
        return "(cancelled)"
    return f"callback {getattr(callback, '__qualname__', type(callback).__name__)}"


@dataclass
class Row:
    name: str
    area: str
    calls: int
    own: float


def functions(stats: pstats.Stats) -> list[Row]:
    rows = []
    for (path, line, func_name), (_, calls, own, _, _) in stats.stats.items():
        short = _short(path)
        name = f"{short}:{line} {func_name}" if line else func_name
        area = area_of(path, func_name)
        rows.append(Row(name, area, calls, own))
    return rows


OURS = ("bot", "triage", "storage", "firecircle")

# First match wins: (substring of the path or built-in's name, area).
AREAS = (
    ("triage/understanding", "ours: classify (understanding)"),
    ("triage/answers", "ours: retrieval / knowledge"),
    ("triage/lifecycle", "ours: lifecycle"),
    ("triage/reports/notices", "ours: notices / outbox"),
    ("triage/delivery", "ours: notices / outbox"),
    ("storage/outbox", "ours: notices / outbox"),
    ("bot/sender", "ours: sender"),
    ("bot/transport", "ours: sender"),
    ("triage/intake", "ours: intake conversation"),
    ("triage/", "ours: other triage"),
    ("storage/", "ours: storage queries"),
    ("bot/", "ours: bot handlers"),
    ("firecircle/", "ours: service"),
    ("telegram/", "python-telegram-bot"),
    ("sqlmodel", "SQLAlchemy ORM (and sqlmodel)"),
    ("sqlalchemy/orm", "SQLAlchemy ORM (and sqlmodel)"),
    ("sqlalchemy/ext/asyncio", "SQLAlchemy asyncio bridge (greenlets)"),
    ("sqlalchemy/util/_concurrency", "SQLAlchemy asyncio bridge (greenlets)"),
    ("greenlet", "SQLAlchemy asyncio bridge (greenlets)"),
    ("sqlalchemy/", "SQLAlchemy Core (engine, SQL compile, types)"),
    ("aiosqlite", "aiosqlite (its coroutines, its thread)"),
    ("sqlite3", "SQLite itself (sqlite3's calls)"),
    ("asyncpg", "asyncpg"),
    ("aiohttp", "aiohttp (Bot API calls)"),
    ("multidict", "aiohttp (Bot API calls)"),
    ("yarl", "aiohttp (Bot API calls)"),
    ("json", "JSON"),
    ("logging", "logging"),
    ("asyncio", "asyncio event loop"),
    ("select.epoll", "asyncio event loop"),
    ("_contextvars", "asyncio event loop"),
    ("threading", "asyncio event loop"),
    ("pydantic", "pydantic"),
    ("jieba", "ours: classify (understanding)"),
    ("re/", "re (regular expressions)"),
    ("re.Pattern", "re (regular expressions)"),
    ("_sre", "re (regular expressions)"),
    ("datetime", "datetime / zoneinfo"),
    ("zoneinfo", "datetime / zoneinfo"),
)


def area_of(path: str, func_name: str) -> str:
    where = f"{_short(path)} {func_name}"
    for needle, area in AREAS:
        if needle in where:
            return area
    return "other (stdlib, builtins)"


def _short(path: str) -> str:
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1]
    stdlib = re.search(r"/lib/python3\.\d+/(.*)", path)
    if stdlib:
        return stdlib.group(1)
    for root in OURS:
        if f"/{root}/" in path:
            return root + "/" + path.split(f"/{root}/", 1)[1]
    return path


async def spied(emu: Emulator, service, counter: Statements, first_id: int, count: int):
    """The same run sampled by py-spy (if installed), which sees whole stacks through
    greenlets and every thread: inclusive times by stage that cProfile cannot give."""
    spy = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if not spy:
        print("  (py-spy not installed: no sampled profile; `pip install py-spy` for one)")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.txt"
        sampler = await asyncio.create_subprocess_exec(
            spy, "record", "--pid", str(os.getpid()), "--format", "raw", "--output", str(raw),
            "--threads", "--gil", "--full-filenames", "--rate", "250", "--nonblocking",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        await asyncio.sleep(1)  # attached
        phase = await run_phase(emu, service, counter, first_id, count)
        sampler.send_signal(signal.SIGINT)
        await sampler.wait()
        if not raw.exists():
            print("  (py-spy could not attach: no sampled profile)")
            return None
        return phase, read_samples(raw.read_text())


def read_samples(raw: str) -> list[tuple[bool, list[tuple[str, str]], int]]:
    """py-spy's raw lines, `thread (N);func (file:line);… count`, as (on the event loop's
    thread?, stack, count) with each frame (function, short path), root first."""
    samples = []
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():  # a frame name broken over lines (generated code)
            continue
        thread, *rest = stack.split(";")
        frames = []
        for frame in rest:
            func_name, _, where = frame.partition(" (")
            frames.append((func_name, _short(where.rsplit(":", 1)[0])))
        samples.append((thread.startswith(f"thread ({os.getpid()})"), frames, int(count)))
    return samples


# Innermost match wins, so each sample belongs to one stage: (function or "", path part, stage).
STAGES = (
    ("", "triage/understanding/", "classify"),
    ("", "triage/answers/", "retrieval / knowledge"),
    ("transition", "triage/lifecycle.py", "lifecycle.transition"),
    ("", "triage/reports/notices", "notices (queued for the outbox)"),
    ("record", "triage/delivery/outbox.py", "notices (queued for the outbox)"),
    ("", "firecircle/scheduler.py", "deadline scheduler"),
    ("receive", "bot/inbox.py", "inbox: store each update"),
    ("_mark", "bot/inbox.py", "inbox: mark handled"),
    ("_claim", "bot/sender.py", "sender: claim outbox rows"),
    ("_flush", "bot/sender.py", "sender: settle sent rows"),
    ("", "bot/sender.py", "sender: calls, redraws, other"),
    ("", "bot/transport.py", "sender: calls, redraws, other"),
    ("visit_of", "bot/context.py", "who is it, role, awaited (visit_of)"),
    ("gate", "bot/gate.py", "gate (abuse, privacy)"),
    ("", "triage/intake/", "intake conversation (drafts, front desk)"),
    ("", "triage/reports/", "filing, duplicates"),
    ("", "triage/tasks/", "tasks desk (接单)"),
    ("", "bot/staff.py", "staff handlers"),
    ("", "bot/resident.py", "resident handlers"),
    ("", "bot/inbox.py", "inbox: handling machinery"),
    ("", "telegram/ext/", "python-telegram-bot: Application, handlers"),
    ("", "telegram/", "python-telegram-bot: parsing, Bot"),
)


def stage_of(frames: list[tuple[str, str]]) -> str:
    for func_name, path in reversed(frames):
        for want, part, stage in STAGES:
            if part in path and (not want or want == func_name):
                return stage
    return "no stage: event loop, aiohttp, or SQLAlchemy in a greenlet (caller not seen)"


def show_samples(phase: Phase, samples, top: int) -> None:
    """The event loop's thread by stage, scaled to its measured CPU; py-spy's view of the
    other threads is not (a thread waiting on its queue can look busy to it)."""
    loop = sum(n for main, _, n in samples if main)
    if not loop:
        print("  (py-spy saw no samples on the event loop's thread)")
        return
    per = phase.per_report_ms(phase.main_cpu) / loop
    print(
        f"  py-spy: {loop:,} samples of the event loop's thread, "
        f"{phase.per_report_ms(phase.main_cpu):.1f} ms CPU per report (other threads "
        f"{phase.per_report_ms(phase.cpu - phase.main_cpu):.1f} ms); by stage, the innermost "
        "wins, with the libraries its time is spent in:"
    )
    stages: dict[str, Counter[str]] = {}
    for main, frames, n in samples:
        if main and frames:
            func_name, path = frames[-1]
            stages.setdefault(stage_of(frames), Counter())[area_of(path, func_name)] += n
    for stage, areas in sorted(stages.items(), key=lambda kv: -kv[1].total()):
        split = ", ".join(f"{a} {c / areas.total():.0%}" for a, c in areas.most_common(3))
        print(
            f"    {areas.total() / loop:>6.1%}  {areas.total() * per:>5.1f} ms  {stage}  [{split}]"
        )
    print("  py-spy, the event loop's thread by library (the frame running):")
    libraries: Counter[str] = Counter()
    for areas in stages.values():
        libraries.update(areas)
    for area, n in libraries.most_common():
        print(f"    {n / loop:>6.1%}  {n * per:>5.1f} ms  {area}")
    leaves: Counter[str] = Counter()
    for main, frames, n in samples:
        if main and frames:
            leaves[f"{frames[-1][1]} {frames[-1][0]}"] += n
    print(f"  py-spy, top {top} running functions on the event loop's thread:")
    for name, n in leaves.most_common(top):
        print(f"    {n / loop:>6.1%}  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reports", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--dump", help="write the cProfile stats here (for snakeviz, pstats)")
    parser.add_argument("--statements", type=int, default=0, help="print the N most frequent")
    parser.add_argument("--sqlite-only", action="store_true", help="not PostgreSQL")
    parser.add_argument("--drive", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        url, first, count = args.drive
        asyncio.run(drive(url, int(first), int(count)))
        return
    asyncio.run(profile(args.reports, args.top, False, args.dump, args.statements))
    if postgres_server() and not args.sqlite_only:  # FIRECIRCLE_BENCH_POSTGRES_URL
        asyncio.run(profile(args.reports, args.top, True, None, args.statements))


if __name__ == "__main__":
    main()
