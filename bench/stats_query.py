"""`firecircle stats` on a year of a busy district: 200,000 reports with their events
(bench/history.py), the figures of the year, of a month and of one community's month (each
with its period before), on SQLite and PostgreSQL. Target (issue 16): ≤ 2 s."""

from __future__ import annotations

import asyncio
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.common import header, postgres_database, postgres_server, skip_postgres
from bench.history import insert_year
from firecircle.sample import load_sample_district
from storage.engine import make_engine, make_session_factory
from storage.migrate import upgrade
from triage.escalation.policy import Policy
from triage.figures.indicators import Place, figures
from triage.figures.period import Period

REPORTS = 200_000
YEAR = Period(date(2025, 12, 1), date(2026, 11, 30))
ZONE = ZoneInfo("Asia/Shanghai")
ASKED = (
    ("the year (and the year before)", YEAR, Place()),
    ("November (and October)", Period(date(2026, 11, 1), date(2026, 11, 30)), Place()),
    ("one community's November", Period(date(2026, 11, 1), date(2026, 11, 30)), Place("幸福社区")),
)


async def main() -> None:
    header(f"stats on a year of a busy district: {REPORTS:,} reports (SQLite)")
    with tempfile.TemporaryDirectory() as tmp:
        await run(f"sqlite+aiosqlite:///{Path(tmp) / 'stats.db'}")
    if skip_postgres("stats on a year"):
        return
    header(f"stats on a year of a busy district: {REPORTS:,} reports (PostgreSQL)")
    assert postgres_server()
    async with postgres_database("fc_bench_stats") as url:
        await run(url)


async def run(url: str) -> None:
    engine = make_engine(url)
    try:
        await upgrade(engine)
        sessions = make_session_factory(engine)
        await load_sample_district(sessions)
        started = time.perf_counter()
        start = datetime.combine(YEAR.since, datetime.min.time(), ZONE)
        events = await insert_year(sessions, REPORTS, start, YEAR.days)
        print(f"  wrote {REPORTS:,} reports and {events:,} events in {_since(started)}")
        await _analyse(engine)
        policy = Policy()
        for what, period, place in ASKED:
            timings, cpu = [], []
            for _ in range(3):
                started, used = time.perf_counter(), time.process_time()
                found = await figures(sessions, policy, period, place)
                timings.append(time.perf_counter() - started)
                cpu.append(time.process_time() - used)
            print(  # CPU of this process: SQLite's work, not PostgreSQL's (another process)
                f"  {what}: best {min(timings):.2f} s, worst {max(timings):.2f} s of 3, "
                f"this process's CPU {min(cpu):.2f} s "
                f"(received {found['received']:,}, closed {found['closed_rate']}; "
                f"patrol call-outs {found['team_calls']:,}, there in 10 min "
                f"{found['team_arrived_in_ten_rate']}, arrival P90 "
                f"{found['team_arrive_minutes_p90']} min; target ≤ 2 s)"
            )
    finally:
        await engine.dispose()


async def _analyse(engine) -> None:
    """What autovacuum would have done over a year: fresh statistics for the planner and, on
    PostgreSQL, the visibility map that lets the history be read from its index alone."""
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            await conn.exec_driver_sql("ANALYZE")
            await conn.commit()


def _since(started: float) -> str:
    return f"{timedelta(seconds=round(time.perf_counter() - started))}"


if __name__ == "__main__":
    asyncio.run(main())
