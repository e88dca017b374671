"""Escalation lag: how long after its acknowledgement deadline a report climbs to level 1.

100,000 open, assigned reports (rows written directly, on the sample district's cells and
staff) have deadlines spread evenly over three minutes, starting 20 s after the service
starts. The real service runs until every one has escalated (or a time limit passes). The lag
of a report is its `escalated` event's time minus its ack deadline, both read from the
database afterwards, so nothing in the service is instrumented. Sending is taken out of the
way (a high send rate, an emulator that does not limit): this measures the scheduler and the
escalation step, not Telegram's budget.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import timedelta

from bench.common import (
    emulator_process,
    header,
    percentiles,
    postgres_database,
    running_service,
    skip_postgres,
)
from bench.seed import count_escalated, escalation_lags, insert_assigned_reports
from storage.engine import SessionFactory
from storage.types import utcnow

REPORTS = int(os.environ.get("FIRECIRCLE_BENCH_ESCALATIONS", 100_000))
POSTGRES_REPORTS = int(os.environ.get("FIRECIRCLE_BENCH_PG_ESCALATIONS", REPORTS))
SPREAD = timedelta(seconds=float(os.environ.get("FIRECIRCLE_BENCH_SPREAD", 180)))  # the deadlines fall evenly over this window …
LEAD = timedelta(seconds=20)  # … which opens this long after the reports are written
GRACE = 120.0  # seconds to wait after the last deadline before giving up on stragglers
SETTINGS = {"send_rate": 2000, "send_per_chat_rate": 2000}


async def main() -> None:
    header("escalation lag after the ack deadline (SQLite)")
    await run(REPORTS)
    header("escalation lag after the ack deadline (PostgreSQL)")
    if skip_postgres("escalation lag"):
        return
    async with postgres_database("fc_bench_escalation") as url:
        await run(POSTGRES_REPORTS, database_url=url)


async def run(reports: int, **settings) -> None:
    seeded: dict[str, float] = {}

    async def seed(sessions: SessionFactory) -> None:
        started = time.perf_counter()
        first = utcnow() + LEAD
        step = SPREAD / max(1, reports - 1)
        await insert_assigned_reports(sessions, [first + step * i for i in range(reports)])
        seeded["seconds"] = time.perf_counter() - started
        seeded["last"] = (first + SPREAD - utcnow()).total_seconds()

    async with emulator_process() as emu, running_service(
        emu, before_start=seed, **SETTINGS, **settings
    ) as service:
        print(f"  {reports:,} reports written in {seeded['seconds']:.1f} s", flush=True)
        done = await wait_for_escalations(service.sessions, reports, seeded["last"] + GRACE)
        lags = await escalation_lags(service.sessions)
    show(reports, done, lags)


async def wait_for_escalations(sessions: SessionFactory, reports: int, limit: float) -> int:
    """Poll (lightly: every 2 s) until all have climbed or the time limit passed."""
    deadline = time.monotonic() + limit
    done = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(2)
        done = await count_escalated(sessions)
        if done >= reports:
            break
    return done


def show(reports: int, done: int, lags: list[float]) -> None:
    print(f"  escalated {done:,} of {reports:,}")
    if not lags:
        return
    figures = percentiles(lags)
    print("  lag " + "  ".join(f"{k} {v:.3f} s" for k, v in figures.items()))
    verdict = "met" if figures["p99"] <= 0.5 and done == reports else "NOT met"
    print(f"  target p99 ≤ 0.5 s: {verdict}")


if __name__ == "__main__":
    asyncio.run(main())
