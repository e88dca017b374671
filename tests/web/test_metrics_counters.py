"""Issue 15, item 6: /metrics carries the process's own counters (triage.counters) beside the
database's figures: updates received and handled, sends and their latency, 429s, errors, the
outbox held in memory — fed by the chat side as it runs against the Bot API emulator."""

from __future__ import annotations

import re

import aiohttp

from tests.harness import PATIENCE, next_text, running_service

RESIDENT = 1971


def value(text: str, series: str) -> float:
    found = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{series} is not in /metrics"
    return float(found.group(1))


async def scrape(bot) -> str:
    url = f"http://127.0.0.1:{bot.service.http_port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        return await response.text()


async def test_metrics_count_updates_sends_429s_and_errors(sqlite_url):
    async with running_service(sqlite_url) as bot:
        before = await scrape(bot)
        for name in (
            "firecircle_updates_received_total",
            'firecircle_updates_handled_total{result="handled"}',
            "firecircle_telegram_429_total",
            'firecircle_errors_total{where="handler"}',
            'firecircle_errors_total{where="send"}',
            "firecircle_send_latency_seconds_count",
            'firecircle_send_latency_seconds_bucket{le="+Inf"}',
            'firecircle_sends_total{result="sent"}',
            "firecircle_outbox_held",
        ):
            value(before, name)
        assert "# TYPE firecircle_outbox_messages gauge" in before  # the database's figures
        bot.emulator.faults.add("sendMessage", status=429, retry_after=1, count=1)
        resident = bot.emulator.user(RESIDENT, "小陈")
        await resident.command("/start")
        await next_text(resident, PATIENCE)  # answered after the 429's second
        after = await scrape(bot)

        def grew(series: str) -> float:
            return value(after, series) - value(before, series)

        assert grew("firecircle_updates_received_total") >= 1
        assert grew('firecircle_updates_handled_total{result="handled"}') >= 1
        assert grew("firecircle_telegram_429_total") == 1
        assert grew('firecircle_sends_total{result="retry"}') == 1
        assert grew('firecircle_sends_total{result="sent"}') >= 1
        assert grew("firecircle_send_latency_seconds_count") >= 2  # the refused call and the sent
        assert "# TYPE firecircle_send_latency_seconds histogram" in after
