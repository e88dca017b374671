"""`make bench`: every benchmark, one after another; figures are printed, nothing fails."""

from __future__ import annotations

import asyncio
import runpy
import sys
import traceback

from bench import report_latency


def main() -> int:
    try:
        runpy.run_path(
            str(__import__("pathlib").Path(__file__).with_name("classifier_eval.py")),
            run_name="__main__",
        )
    except SystemExit:
        pass
    except Exception:
        traceback.print_exc()
    for bench in (report_latency,):
        try:
            asyncio.run(bench.main())
        except Exception:
            traceback.print_exc()
    return 0


if __name__ == "__main__":
    sys.exit(main())
