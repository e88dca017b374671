"""The ten-minute promise end to end: the real scheduler, the outbox against a misbehaving
Telegram, webhooks, restarts and crashes, one or two instances."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlmodel import func, select

from bot.emulator import BotApiEmulator
from firecircle.sample import load_sample_district, sample_staff
from storage import outbox as outbox_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.models import InboxUpdate, OutboxMessage, Report, ReportEvent
from tests.harness import (
    COORDINATOR_XINGFU,
    INSIDE,
    OFFICER,
    PATIENCE,
    STREET_COORDINATOR,
    TOKEN,
    WORKER_1,
    file_report,
    next_text,
    running_service,
    sample_service,
    service_settings,
    settled_outbox,
)


async def count(sessions, model, *where) -> int:
    async with transaction(sessions) as session:
        return (await session.exec(select(func.count()).select_from(model).where(*where))).one()


async def test_an_unacknowledged_task_climbs_the_chain_on_time(sqlite_url):
    async with running_service(sqlite_url, ack_sla_seconds=0.5, escalation_step_seconds=0.5) as bot:
        reference = await file_report(bot.emulator, 1401, "楼道里有电动车在充电", timeout=PATIENCE)
        escalation = await next_text(bot.staff(COORDINATOR_XINGFU))
        assert reference in escalation["text"] and "已升级到第1级" in escalation["text"]
        assert "已升级到第2级" in (await next_text(bot.staff(OFFICER)))["text"]
        assert "已升级到第2级" in (await next_text(bot.staff(STREET_COORDINATOR)))["text"]
        coordinator = bot.staff(COORDINATOR_XINGFU)
        level2 = await next_text(coordinator)
        labels = [b["text"] for row in level2["reply_markup"]["inline_keyboard"] for b in row]
        assert labels == [
            "接手",
            "联系居民",
            "指派给…",
            "📝 备注",
            "标记重复",
            "结案",
            "🚫 标记骚扰",
        ]
        await coordinator.press(level2, "接手")
        assert "协调员孙红梅" in (await next_text(bot.emulator.player(1401)))["text"]
        assert await count(bot.sessions, ReportEvent, ReportEvent.action == "escalated") == 2


async def test_a_429_storm_and_a_5xx_storm_lose_no_message(sqlite_url):
    async with running_service(sqlite_url) as bot:
        bot.emulator.faults.add(method="sendMessage", status=429, retry_after=1, count=3)
        bot.emulator.faults.add(method="sendLocation", status=502, count=2)
        bot.emulator.faults.add(method="sendMessage", status=500, count=2)
        reference = await file_report(bot.emulator, 1401, "楼道里有电动车在充电", timeout=PATIENCE)
        task = await next_text(bot.staff(WORKER_1), timeout=PATIENCE)
        assert reference in task["text"]
        assert "location" in await bot.staff(WORKER_1).next_message(timeout=PATIENCE)
        assert bot.emulator.faults.injected == 7
        statuses = await settled_outbox(bot.sessions)
        assert statuses <= {outbox_rows.SENT, outbox_rows.EXPANDED}, statuses


async def test_a_blocked_resident_is_marked_undeliverable_and_shown(sqlite_url):
    async with running_service(sqlite_url) as bot:
        await file_report(bot.emulator, 1402, "楼道里有电动车在充电", timeout=PATIENCE)
        bot.emulator.player(1402).block_bot()
        worker = bot.staff(WORKER_1)
        await worker.press(await next_text(worker), "接单")
        await worker.wait_for(lambda: "已接单" in worker.messages[0].get("text", ""))
        await settled_outbox(bot.sessions)
        link = await bot.service.console.link(OFFICER)  # the console shows it to officers
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.get(link) as response:  # logs in, then on to /
                page = await response.text()
        assert "1402" in page.split("无法送达的消息")[1] and "blocked" in page


async def test_a_second_instance_on_the_same_sqlite_file_is_refused(sqlite_url):
    from firecircle.service import Service, StartupError

    async with running_service(sqlite_url) as bot:
        second = Service(service_settings(bot.emulator, sqlite_url))
        with pytest.raises(StartupError, match="SQLite runs one instance"):
            await second.start()
        await second.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_webhook_mode_checks_the_secret_and_stores_before_answering(sqlite_url):
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    async with running_service(
        sqlite_url, webhook_url=url, webhook_secret="s3cret", http_port=port
    ) as bot:
        resident = bot.emulator.user(1403, "小李")
        await resident.command("/start")
        assert "十分钟" in (await resident.next_message())["text"]
        assert bot.emulator.webhook.url == url
        async with aiohttp.ClientSession() as http:
            forged = {"update_id": 99, "message": {"text": "x"}}
            async with http.post(url, json=forged) as response:
                assert response.status == 403
            async with http.post(
                url, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            ) as response:
                assert response.status == 403
        assert await count(bot.sessions, InboxUpdate, InboxUpdate.update_id == 99) == 0


async def test_two_instances_on_postgresql_share_the_work_exactly_once(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL")
    from firecircle.service import Service

    async with BotApiEmulator(token=TOKEN) as emulator:
        config = service_settings(
            emulator,
            database_url,
            ack_sla_seconds=0.5,
            escalation_step_seconds=0.5,
            duplicate_radius_meters=0,  # six reports at one spot, each its own
        )
        first, second = await sample_service(emulator, config), Service(config)
        await first.start(with_web=False)
        await second.start(with_web=False)
        try:
            references = [
                await file_report(
                    emulator, 1500 + i, f"{i}号楼楼道里有电动车在充电", timeout=PATIENCE
                )
                for i in range(6)
            ]
            officer = emulator.player(OFFICER)

            def told_of_all() -> bool:  # one card each, or lists when several fell due at once
                texts = " ".join(m.get("text", "") for m in officer.messages if "第2级" in str(m))
                return all(reference in texts for reference in references)

            await officer.wait_for(told_of_all, timeout=PATIENCE)
            assert sum(s.leading.is_set() for s in (first, second)) == 1
            await settled_outbox(first.sessions)
            assert len(emulator.calls_to("getUpdates")) > 0
            async with transaction(first.sessions) as session:
                escalated = (
                    await session.exec(
                        select(func.count())
                        .select_from(ReportEvent)
                        .where(ReportEvent.action == "escalated")
                    )
                ).one()
                sent = (
                    await session.exec(
                        select(func.count())
                        .select_from(OutboxMessage)
                        .where(OutboxMessage.status == "sent")
                        .where(OutboxMessage.method != "editMessageText")  # cards drawn again
                    )
                ).one()
            assert escalated == 12
            assert sent == emulator.stats["sent_messages"]
            for player in emulator.players:  # and nobody was sent the same message twice
                # (as sent: a report's cards in one chat are all edited to read as it is now)
                texts = [
                    c.params["text"]
                    for c in emulator.calls_to("sendMessage")
                    if c.status == 200 and int(c.params["chat_id"]) == player.id
                ]
                twice = [text for text in set(texts) if texts.count(text) > 1]
                assert not twice, (player, twice)
        finally:
            await second.stop()
            await first.stop()


async def test_two_instances_on_postgresql_both_handle_updates_each_chat_in_order(database_url):
    """Residents send description, location and /skip back to back; both instances handle
    updates (more chats than one instance takes at once, and the first slow, so the second
    surely gets chats), and every resident's three updates are handled once each and in
    order: each files a report with its location."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL")
    from firecircle.service import Service

    async with BotApiEmulator(token=TOKEN) as emulator:
        config = service_settings(emulator, database_url, duplicate_radius_meters=0)
        first, second = await sample_service(emulator, config), Service(config)
        handled = {first: 0, second: 0}
        for service, pause in ((first, 0.1), (second, 0.0)):
            service.inbox._process = counted(service.inbox._process, handled, service, pause)
        await first.start(with_web=False)
        await second.start(with_web=False)
        try:
            residents = [emulator.user(1600 + i, f"居民{i}") for i in range(24)]
            for number, resident in enumerate(residents):
                await resident.send(f"{number}号楼楼道里有电动车在充电")
                await resident.send_location(*INSIDE)
                await resident.command("/skip")
            await all_handled(first.sessions, 72)
            async with transaction(first.sessions) as session:
                reports = (await session.exec(select(Report))).all()
            # In order: /skip after the location filed each one, with the place it was given.
            assert len(reports) == 24 and all(r.latitude == INSIDE[0] for r in reports)
            assert sum(handled.values()) == 72, handled  # each update once
            assert handled[first] > 0 and handled[second] > 0, handled
        finally:
            await second.stop()
            await first.stop()


async def all_handled(sessions, updates: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while await count(sessions, InboxUpdate, InboxUpdate.processed_at.is_not(None)) < updates:
        assert time.monotonic() < deadline, "updates left unhandled"
        await asyncio.sleep(0.05)  # re-check a database condition; no event reaches the test


def counted(process, handled: dict, service, pause: float):
    async def wrapper(payload):
        handled[service] += 1
        await asyncio.sleep(pause)  # a slow instance: the other one takes chats meanwhile
        return await process(payload)

    return wrapper


async def test_items_due_while_the_service_was_killed_escalate_at_restart(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'crash.db'}"
    from storage.migrate import upgrade

    engine = make_engine(url)
    await upgrade(engine)
    sessions = make_session_factory(engine)
    await load_sample_district(sessions)
    async with BotApiEmulator(token=TOKEN) as emulator:
        for person in sample_staff():
            emulator.user(person["telegram_id"], person["name"])
        env = {
            **os.environ,
            "FIRECIRCLE_BOT_TOKEN": TOKEN,
            "FIRECIRCLE_DATABASE_URL": url,
            "FIRECIRCLE_TELEGRAM_API_URL": emulator.url,
            "FIRECIRCLE_HTTP_PORT": "0",
            "FIRECIRCLE_ACK_SLA_SECONDS": "2",
            "FIRECIRCLE_SEND_PER_CHAT_RATE": "100",
        }
        command = [sys.executable, "-m", "firecircle.cli", "serve"]
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL)
        try:
            reference = await file_report(emulator, 1401, "楼道里有电动车在充电", timeout=PATIENCE)
            assert (
                reference in (await next_text(emulator.player(WORKER_1), timeout=PATIENCE))["text"]
            )
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)
        async with transaction(sessions) as session:
            report = (await session.exec(select(Report))).one()
        # The deadline passes while nothing runs (the one wait here is for the clock itself).
        time.sleep(max(0.0, (report.ack_deadline_at - datetime.now(UTC)).total_seconds()) + 0.2)
        process = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL)
        try:
            escalation = await next_text(emulator.player(COORDINATOR_XINGFU), timeout=PATIENCE)
            assert reference in escalation["text"] and "已升级" in escalation["text"]
        finally:
            process.terminate()
            process.wait(timeout=PATIENCE)
    await engine.dispose()
