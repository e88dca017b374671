"""`make bench`: every benchmark, one after another; figures are printed, nothing fails."""

from __future__ import annotations

import asyncio
import runpy
import sys
import traceback
from pathlib import Path

from bench import escalation_lag, outbox_flood, report_latency, restart, throughput


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
    for script in ("faq_eval.py",):  # printed quality figures, no service needed
        try:
            runpy.run_path(str(Path(__file__).with_name(script)), run_name="__main__")
        except SystemExit:
            pass
        except Exception:
            traceback.print_exc()
    # The longest last: escalation lag runs 100,000 deadlines over three minutes.
    for bench in (report_latency, throughput, outbox_flood, restart, escalation_lag):
        try:
            asyncio.run(bench.main())
        except Exception:
            traceback.print_exc()
    return 0


if __name__ == "__main__":
    sys.exit(main())
