"""`make bench`: every benchmark, one after another; figures are printed, nothing fails."""

from __future__ import annotations

import asyncio
import os
import runpy
import sys
import threading
import traceback
from pathlib import Path

from bench import (
    escalation_burst,
    escalation_lag,
    fairness,
    floor,
    outbox_flood,
    report_latency,
    restart,
    stats_query,
    throughput,
)


def main() -> int:
    try:
        runpy.run_path(
            str(Path(__file__).with_name("classifier_eval.py")),
            run_name="__main__",
        )
    except SystemExit:
        pass
    except Exception:
        traceback.print_exc()
    for script in ("faq_calibrate.py", "faq_eval.py"):  # quality figures, no service needed
        try:
            runpy.run_path(str(Path(__file__).with_name(script)), run_name="__main__")
        except SystemExit:
            pass
        except Exception:
            traceback.print_exc()
    # The longest last: escalation lag runs 100,000 deadlines over two minutes, twice.
    for bench in (
        report_latency,
        floor,  # the stack's and the design's floors, three rounds (~2 min), beside the service's
        throughput,
        outbox_flood,
        fairness,
        escalation_burst,
        restart,
        stats_query,  # a year of history written, then the figures timed
        escalation_lag,
    ):
        try:
            run(bench.main)
        except Exception:
            traceback.print_exc()
    return 0


def run(main) -> None:
    """asyncio.run, except that what a benchmark leaves behind cannot hang `make bench`:
    a service task stuck at shutdown (an aiosqlite close that never returns was seen after
    the escalation benchmark) is named and dropped after a while, not awaited forever."""
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(main())
    finally:
        _settle(loop)
        loop.close()


def _settle(loop: asyncio.AbstractEventLoop, timeout: float = 10) -> None:
    left = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in left:
        task.cancel()
    if left:
        _, stuck = loop.run_until_complete(asyncio.wait(left, timeout=timeout))
        for task in stuck:
            print(f"  (still running {timeout:.0f} s after the benchmark: {task.get_coro()!r})")
    loop.run_until_complete(loop.shutdown_asyncgens())
    try:
        loop.run_until_complete(asyncio.wait_for(loop.shutdown_default_executor(), timeout))
    except TimeoutError:
        print("  (the default executor did not shut down)")


def _exit(code: int) -> None:
    """Exit even if a database driver's worker thread was left open (aiosqlite's threads are
    not daemons, so one connection never closed would keep the process alive)."""
    sys.stdout.flush()
    lingering = [t for t in threading.enumerate() if t is not threading.main_thread()]
    if any(not t.daemon for t in lingering):
        print(f"  ({len(lingering)} thread(s) left behind; exiting anyway)")
        sys.stdout.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":
    _exit(main())
