"""What every benchmark needs: the emulator in its own process, the service in this one."""

from __future__ import annotations

import asyncio
import logging
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url

from firecircle.sample import load_sample_district, sample_staff
from firecircle.service import Service
from firecircle.settings import Settings
from storage.engine import SessionFactory, make_engine
from storage.migrate import upgrade

TOKEN = "200000:BENCH-firecircle"
POSTGRES_ENV = "FIRECIRCLE_BENCH_POSTGRES_URL"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, {platform.system()}"


def header(title: str) -> None:
    print(f"\n== {title} ==  ({datetime.now().strftime('%Y-%m-%d %H:%M')}; {machine()})")


def percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return {"p50": at(0.50), "p99": at(0.99), "max": ordered[-1]}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Emulator:
    url: str
    http: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: dict | None = None) -> dict:
        async with self.http.request(method, f"{self.url}/_emulator{path}", json=body) as response:
            data = await response.json()
            if response.status >= 400:
                raise RuntimeError(f"{method} {path}: {data}")
            return data

    async def send(self, user_id: int, **body) -> dict:
        return await self.call("POST", f"/users/{user_id}/send", body)

    async def messages_after(self, chat_id: int, after: int, wait: float = 10) -> list[dict]:
        data = await self.call("GET", f"/chats/{chat_id}/messages?after={after}&wait={wait}")
        return data["messages"]


@asynccontextmanager
async def emulator_process(*extra: str) -> AsyncIterator[Emulator]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.emulator", "--port", str(port), "--token", TOKEN, *extra],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    # No cap on connections: a benchmark holds many long polls open at once.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        try:
            await _wait_until_up(http, f"{url}/_emulator/")
            yield Emulator(url, http)
        finally:
            process.terminate()
            process.wait(timeout=10)


async def _wait_until_up(http: aiohttp.ClientSession, url: str, what: str = "the emulator") -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            async with http.get(url):
                return
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


async def drive_from_child(module: str, *args: object) -> bytes:
    """`python -m module --drive args…`: a benchmark's simulated residents and workers, in a
    process of their own so that this one's CPU is the service's alone; what they printed."""
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, "--drive", *map(str, args), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await child.communicate()
    if child.returncode:
        raise RuntimeError(f"the driver ({module}) failed ({child.returncode})")
    return out


@asynccontextmanager
async def second_instance(emulator: Emulator, database_url: str, **settings) -> AsyncIterator[None]:
    """Another `firecircle serve`, a process of its own, on the same PostgreSQL database
    (the in-process service leads; this one handles updates and escalates beside it)."""
    port = free_port()
    env = {f"FIRECIRCLE_{key.upper()}": str(value) for key, value in settings.items()}
    env |= {
        "FIRECIRCLE_BOT_TOKEN": TOKEN,
        "FIRECIRCLE_DATABASE_URL": database_url,
        "FIRECIRCLE_TELEGRAM_API_URL": emulator.url,
        "FIRECIRCLE_HTTP_PORT": str(port),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "firecircle.cli", "serve"],
        env=os.environ | env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        await _wait_until_up(emulator.http, f"http://127.0.0.1:{port}/healthz", "firecircle")
        yield
    finally:
        process.terminate()
        process.wait(timeout=15)


@asynccontextmanager
async def running_service(
    emulator: Emulator,
    *,
    before_start: Callable[[SessionFactory], Awaitable[None]] | None = None,
    **settings,
) -> AsyncIterator[Service]:
    """The real service on a fresh database; before_start fills it while nothing runs yet
    (what a restarted service finds)."""
    with tempfile.TemporaryDirectory(prefix="firecircle-bench-") as tmp:
        url = settings.pop("database_url", None) or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        engine = make_engine(url)
        await upgrade(engine)
        await engine.dispose()
        config = Settings(
            bot_token=TOKEN,
            database_url=url,
            telegram_api_url=emulator.url,
            http_port=0,
            **settings,
        )
        service = Service(config)
        await load_sample_district(service.sessions)
        for person in sample_staff():
            await emulator.call(
                "POST", "/users", {"id": person["telegram_id"], "first_name": person["name"]}
            )
        if before_start is not None:
            await before_start(service.sessions)
        await service.start(with_web=False)
        await service.loading  # the classifier and answers: not on a measured phase's CPU
        try:
            yield service
        finally:
            await service.stop()


def postgres_server() -> str | None:
    """The PostgreSQL server to benchmark on, if one is configured."""
    return os.environ.get(POSTGRES_ENV) or None


def skip_postgres(what: str) -> bool:
    """True (after saying why) when there is no PostgreSQL server to run `what` on."""
    if postgres_server():
        return False
    print(f"  {what} on PostgreSQL: skipped (no server; set {POSTGRES_ENV} to run it)")
    return True


@asynccontextmanager
async def postgres_database(prefix: str = "fc_bench") -> AsyncIterator[str]:
    """A fresh, migrated database on the configured server, dropped afterwards."""
    server = postgres_server()
    assert server, f"{POSTGRES_ENV} is not set"
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    await _postgres_admin(server, f"CREATE DATABASE {name}")
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        await _postgres_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def _postgres_admin(server: str, sql: str) -> None:
    engine = make_engine(server)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


class _Tally(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        # One line per kind of complaint: figures (ids, counts) do not make a new kind.
        message = re.sub(r"\d+", "N", record.getMessage().split("\n", 1)[0])
        self.counts[f"{record.levelname} {message[:90]}"] += 1


@contextmanager
def service_log_tally() -> Iterator[Counter[str]]:
    """Count the service's warnings and errors instead of letting them scroll past the
    figures; the caller prints the tally (an overloaded service says so there)."""
    root = logging.getLogger()
    tally = _Tally()
    saved = root.handlers[:], root.level
    root.handlers = [tally]
    root.setLevel(logging.WARNING)
    try:
        yield tally.counts
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])


def print_tally(counts: Counter[str], limit: int = 4) -> None:
    if not counts:
        print("  service log: no warnings or errors")
        return
    print(f"  service log: {sum(counts.values()):,} warnings/errors")
    for line, count in counts.most_common(limit):
        print(f"    {count:>6,} × {line}")
