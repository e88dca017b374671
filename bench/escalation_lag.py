"""Escalation lag: how long after its acknowledgement deadline a report climbs to level 1.

100,000 open, assigned reports (rows written directly, on the sample district's cells and
staff) have deadlines spread evenly over two minutes (833 a second), starting 20 s after they
are written. (Three minutes at 556 a second was the first setting; two keep `make bench` to a
few minutes. Over 90 seconds, 1,111 a second, PostgreSQL's p99 passed 1 s on this 2-core
machine, where its server shares the cores with the service.) The real service then runs
until every one has escalated, or until a grace period after the last deadline has passed (a
service that cannot keep up would otherwise keep `make bench` busy for half an hour). The lag
of a report is its `escalated` event's time minus its ack deadline, both read from the
database afterwards: nothing in the service is instrumented. Reports still waiting when the
run stops are counted at the lag they had reached by then, a lower bound, so a backlog shows
in the percentiles instead of vanishing from them.

The event's time is when its batch began; the batch commits later, so the lag people see is
longer by up to a batch's duration.

Sending is taken out of the way: a high global send rate and an emulator that does not limit
(the per-chat limit stays Telegram's 1/s, so the sender does not compete with escalation for
the CPU by flooding the twelve staff chats).

FIRECIRCLE_BENCH_ESCALATIONS and FIRECIRCLE_BENCH_PG_ESCALATIONS change the number of reports.
"""

from __future__ import annotations

import asyncio
import os
import time
from datetime import datetime, timedelta

from bench.common import (
    emulator_process,
    header,
    percentiles,
    postgres_database,
    print_tally,
    running_service,
    service_log_tally,
    skip_postgres,
)
from bench.seed import count_escalated, escalation_outcomes, insert_assigned_reports, observer
from storage.engine import SessionFactory
from storage.types import utcnow

REPORTS = int(os.environ.get("FIRECIRCLE_BENCH_ESCALATIONS", 100_000))
POSTGRES_REPORTS = int(os.environ.get("FIRECIRCLE_BENCH_PG_ESCALATIONS", REPORTS))
SPREAD = timedelta(minutes=2)  # the deadlines fall evenly over this window …
LEAD = timedelta(seconds=20)  # … which opens this long after the reports are written
GRACE = 20.0  # seconds after the last deadline before the run stops
TARGET_P99 = 0.5
SETTINGS = {"send_rate": 2000}


async def main() -> None:
    header(_title(REPORTS, "SQLite"))
    await run(REPORTS)
    header(_title(POSTGRES_REPORTS, "PostgreSQL"))
    if skip_postgres("escalation lag"):
        return
    async with postgres_database("fc_bench_escalation") as url:
        await run(POSTGRES_REPORTS, database_url=url)


def _title(reports: int, database: str) -> str:
    minutes = SPREAD.total_seconds() / 60
    return f"escalation lag, {reports:,} deadlines over {minutes:g} min ({database})"


async def run(reports: int, **settings) -> None:
    seeded: dict[str, datetime | float] = {}

    async def seed(sessions: SessionFactory) -> None:
        started = time.perf_counter()
        first = utcnow() + LEAD
        step = SPREAD / max(1, reports - 1)
        await insert_assigned_reports(sessions, [first + step * i for i in range(reports)])
        seeded["seconds"], seeded["first"] = time.perf_counter() - started, first

    with service_log_tally() as tally:
        async with (
            emulator_process() as emu,
            running_service(emu, before_start=seed, **SETTINGS, **settings) as service,
        ):
            print(f"  {reports:,} reports written in {seeded['seconds']:.1f} s", flush=True)
            last = seeded["first"] + SPREAD
            reader = observer(service.settings.database_url)
            try:
                await wait_for_escalations(reader, reports, last)
                stopped = utcnow()
                lags, waiting = await escalation_outcomes(reader)
            finally:
                await reader.dispose()
    show(reports, lags, [(stopped - d).total_seconds() for d in waiting])
    elapsed = (stopped - seeded["first"]).total_seconds()
    print(
        f"  escalation rate: {len(lags) / elapsed:,.0f}/s "
        f"(deadlines fell at {reports / SPREAD.total_seconds():,.0f}/s)"
    )
    print_tally(tally)


async def wait_for_escalations(reader, reports: int, last: datetime) -> None:
    """Poll (lightly: every 2 s) until all have climbed or GRACE s after the last deadline."""
    while (utcnow() - last).total_seconds() < GRACE:
        await asyncio.sleep(2)
        if await count_escalated(reader) >= reports:
            return


def show(reports: int, lags: list[float], overdue: list[float]) -> None:
    """Lags of the escalated; the waiting ones count at their lag so far (a lower bound)."""
    print(f"  escalated {len(lags):,} of {reports:,} by the end of the run")
    if lags:
        print("  lag of those escalated          " + _figures(lags))
    if overdue:
        print(f"  {len(overdue):,} still waiting when the run stopped")
        print("  lag of all, waiting ones so far ≥ " + _figures(lags + overdue))
    met = bool(lags) and not overdue and percentiles(lags)["p99"] <= TARGET_P99
    print(f"  target p99 ≤ {TARGET_P99} s: {'met' if met else 'NOT met'}")


def _figures(values: list[float]) -> str:
    return "  ".join(f"{k} {v:.3f} s" for k, v in percentiles(values).items())


if __name__ == "__main__":
    asyncio.run(main())
