"""Report → worker: from the resident's last step to the task card in the worker's chat.

Residents file complete reports one after another (description, location, /skip); the time
runs from sending /skip to the emulator holding the worker's task message. Each report takes
about a second all the same: the bot's second reply to a resident waits out Telegram's one
message a second per chat.
"""

from __future__ import annotations

import asyncio
import json
import random
import time

from bench.common import emulator_process, header, percentiles, running_service
from firecircle.sample import DATA

REPORTS = 50


def cells() -> list[tuple[str, float, float, float, float, int]]:
    """Each sample cell's bounds and its on-duty worker."""
    features = json.loads((DATA / "sample_district.geojson").read_text("utf-8"))["features"]
    staff = {
        p["grids"][0]: p["telegram_id"]
        for p in json.loads((DATA / "sample_staff.json").read_text("utf-8"))
        if p.get("grids")
    }
    out = []
    for feature in features:
        ring = feature["geometry"]["coordinates"][0]
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        code = feature["properties"]["code"]
        out.append((code, min(lats), max(lats), min(lons), max(lons), staff[code]))
    return out


async def one_report(emu, resident: int, cell, seen: dict[int, int]) -> float:
    _, lat0, lat1, lon0, lon1, worker = cell
    await emu.call("POST", "/users", {"id": resident, "first_name": f"居民{resident}"})
    after = 0
    for body in (
        {"text": "楼道里有人给电动车充电，电线从窗户拉下来"},
        {
            "location": {
                "latitude": random.uniform(lat0, lat1),
                "longitude": random.uniform(lon0, lon1),
            }
        },
    ):
        await emu.send(resident, **body)
        after = (await emu.messages_after(resident, after))[-1]["message_id"]
    started = time.perf_counter()
    await emu.send(resident, command="/skip")
    while True:
        fresh = await emu.messages_after(worker, seen.get(worker, 0))
        seen[worker] = fresh[-1]["message_id"]
        if any("reply_markup" in m for m in fresh):
            return time.perf_counter() - started


async def main() -> None:
    header(f"report → worker latency, {REPORTS} reports one after another (SQLite)")
    random.seed(7)
    async with emulator_process() as emu, running_service(emu, duplicate_radius_meters=0):
        seen: dict[int, int] = {}
        grid = cells()
        latencies = [
            await one_report(emu, 90_000 + i, grid[i % len(grid)], seen) for i in range(REPORTS)
        ]
    figures = percentiles(latencies)
    print("  " + "  ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items()))


if __name__ == "__main__":
    asyncio.run(main())
