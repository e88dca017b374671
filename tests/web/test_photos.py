"""A report's photos on the console: fetched from the Bot API's file endpoint through the
running service, cached, and only for those whose scope holds the report."""

from __future__ import annotations

import aiohttp

from storage import reports as report_rows
from storage.engine import transaction
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    REFERENCE,
    WORKER_2,
    next_text,
    running_service,
)


async def _browser(link: str) -> aiohttp.ClientSession:
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with session.get(link) as response:
        assert response.status == 200 and str(response.url).endswith("/")
    return session


async def test_a_reports_photo_comes_through_the_bot_api_once(database_url):
    async with running_service(database_url) as bot:
        resident = bot.emulator.user(1601, "小周")
        await resident.send("楼道里堆满了纸箱和旧家具")
        await resident.next_message()
        await resident.send_location(*INSIDE)
        await resident.next_message()
        await resident.send_photo()
        await resident.next_message()
        await resident.command("/skip")
        reference = REFERENCE.search((await next_text(resident))["text"]).group()
        async with transaction(bot.sessions) as session:
            report = await report_rows.report_by_reference(session=session, reference=reference)
        stored = bot.emulator.world.files.get(report.photos[0]).content

        coordinator = await _browser(await bot.service.console.link(COORDINATOR_XINGFU))
        async with coordinator:
            base = bot.service.console.public_url
            page = await (await coordinator.get(f"{base}/reports/{reference}")).text()
            assert f'src="/reports/{reference}/photos/0"' in page and 'id="cell-map"' in page
            before = len([c for c in bot.emulator.calls if c.method == "getFile"])
            for _ in range(2):
                async with coordinator.get(f"{base}/reports/{reference}/photos/0") as response:
                    assert response.status == 200 and response.content_type == "image/png"
                    assert await response.read() == stored
            fetched = len([c for c in bot.emulator.calls if c.method == "getFile"]) - before
            assert fetched == 1  # the second came from the cache
            missing = await coordinator.get(f"{base}/reports/{reference}/photos/1")
            assert missing.status == 404

        # a worker of another cell: not their report, so not its photo either
        outsider = await _browser(await bot.service.console.link(WORKER_2))
        async with outsider:
            response = await outsider.get(f"{base}/reports/{reference}/photos/0")
            assert response.status == 404
