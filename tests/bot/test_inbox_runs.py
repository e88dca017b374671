"""Updates of several chats that wait together are handled a few to a transaction:
each as if alone — its own reply, its resident's state read afresh — and when one of them
fails, the others are neither lost nor answered twice."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlmodel import select

from bot.emulator import BotApiEmulator, objects
from bot.emulator.markup import command_entities
from bot.inbox import Inbox
from storage import outbox, signals
from storage.engine import make_engine, make_session_factory, transaction
from storage.inbox import store_updates
from storage.models import InboxUpdate
from storage.residents import resident_by_telegram_id
from storage.types import utcnow
from tests.harness import (
    INSIDE,
    PATIENCE,
    REFERENCE,
    TOKEN,
    WORKER_1,
    Running,
    next_text,
    running_service,
    sample_service,
    service_settings,
    settled_outbox,
    task_card,
)
from tests.statements import Statements
from triage.protection.privacy import forget_resident

DESCRIPTION = "楼道里堆满了纸箱，还有人在充电"
ERROR = "系统出了点问题"


@asynccontextmanager
async def started_after(url: str, act) -> AsyncIterator[Running]:
    """The service started only after `act(emulator)` has sent its updates: its first
    getUpdates takes them all, and they wait together in the inbox."""
    async with BotApiEmulator(token=TOKEN, bot_username="firecircle_bot") as emulator:
        service = await sample_service(emulator, service_settings(emulator, url))
        await act(emulator)
        await service.start()
        try:
            yield Running(emulator, service)
        finally:
            await service.stop()


async def handled_at(running: Running) -> list:
    async with transaction(running.sessions) as session:
        rows = (await session.exec(select(InboxUpdate.processed_at, InboxUpdate.error))).all()
    assert [error for _, error in rows] == [None] * len(rows)
    return [at for at, _ in rows]


@pytest.fixture
async def residents():
    return []


async def test_updates_waiting_together_are_each_answered_as_if_alone(database_url, residents):
    async def act(emulator):
        residents.extend(emulator.user(2301 + i, f"居民{i}") for i in range(3))
        await residents[0].send(DESCRIPTION)
        await residents[0].send_location(*INSIDE)  # the draft the first update made, read again
        await residents[1].command("/help")
        await residents[2].send(DESCRIPTION)

    async with started_after(database_url, act) as running:
        first, second = await next_text(residents[0]), await next_text(residents[0])
        assert "位置" in first["text"], first["text"]
        await next_text(residents[1])
        await next_text(residents[2])
        at = await handled_at(running)
        assert len(at) == 4 and len(set(at)) == 1, f"not handled in one transaction: {at}"
        assert "照片" in second["text"], f"the location was not taken: {second['text']}"
        await residents[0].command("/skip")
        receipt = await next_text(residents[0])
        card = await task_card(running.staff(WORKER_1))
        assert REFERENCE.search(receipt["text"]).group() in card["text"]
        for resident in residents:
            assert [m for m in resident.messages if ERROR in m.get("text", "")] == []


async def test_more_updates_than_a_poll_takes_are_each_stored_and_answered_once(sqlite_url):
    """A getUpdates call takes POLL_LIMIT at most: the rest come with the next, asked at once
    after a full batch, and the offset confirms each update once."""
    from bot.inbox import POLL_LIMIT

    waiting: list = []

    async def act(emulator):
        waiting.extend(emulator.user(5001 + i, f"居民{i}") for i in range(POLL_LIMIT + 5))
        for resident in waiting:
            await resident.command("/help")

    async with started_after(sqlite_url, act) as running:
        for resident in waiting:
            await next_text(resident)
        assert len(await handled_at(running)) == POLL_LIMIT + 5
        await settled_outbox(running.sessions)
        assert [len(r.messages) for r in waiting] == [1] * len(waiting)


async def test_one_failing_update_leaves_the_others_answered_once(
    database_url, residents, monkeypatch
):
    real, failed = outbox.enqueue_values, []

    async def flaky(*, session, rows):
        if not failed and rows[0]["chat_id"] == residents[1].id:
            failed.append(rows[0]["chat_id"])
            raise RuntimeError("the disk hiccuped")
        return await real(session=session, rows=rows)

    async def act(emulator):
        residents.extend(emulator.user(2401 + i, f"居民{i}") for i in range(3))
        for resident in residents:
            await resident.send(DESCRIPTION)

    monkeypatch.setattr(outbox, "enqueue_values", flaky)
    async with started_after(database_url, act) as running:
        for resident in residents:
            assert "位置" in (await next_text(resident))["text"]
        assert failed, "the reply never failed: the test tested nothing"
        at = await handled_at(running)
        assert len(set(at)) == len(at), f"not handled again one by one: {at}"
        await settled_outbox(running.sessions)
        for resident in residents:
            assert len(resident.messages) == 1, resident.messages


def pending_reads() -> Statements:
    """The reads of the pending updates (storage.inbox.pending_updates) while it is open."""
    return Statements(lambda words: "pending" if "row_number()" in " ".join(words) else None)


async def files_a_report_read_once(running: Running):
    """A resident files a report: the inbox is read for the first update, then not again."""
    resident = running.emulator.user(2501, "小周")
    await resident.send(DESCRIPTION)
    assert "位置" in (await next_text(resident))["text"]
    with pending_reads() as reads:
        await resident.send_location(*INSIDE)
        assert "照片" in (await next_text(resident))["text"]
        await resident.command("/skip")
        assert REFERENCE.search((await next_text(resident))["text"])
    assert reads == []
    return resident


async def test_one_instance_reads_what_waits_once_then_knows_it(sqlite_url, monkeypatch):
    """On SQLite the one process stores every update: after its first read it handles what
    it stores without reading the inbox again, until a pass fails; then it reads it again,
    and nothing stored meanwhile is lost or handled twice."""
    async with running_service(sqlite_url) as running:
        resident = await files_a_report_read_once(running)

        inbox, failed = running.service.inbox, []
        real = inbox._handle_chats

        async def hiccup(chats):
            if not failed:
                failed.append(list(chats))
                raise RuntimeError("the disk hiccuped")
            return await real(chats)

        monkeypatch.setattr(inbox, "_handle_chats", hiccup)
        with pending_reads() as reads:
            await resident.send("还有一处楼道堆了纸箱")
            assert "位置" in (await next_text(resident))["text"]
        assert failed and reads == ["pending"]
        await settled_outbox(running.sessions)
        at = await handled_at(running)
        assert None not in at and len(resident.messages) == 4


async def test_an_instance_on_postgresql_reads_the_inbox_only_for_what_others_stored(
    database_url,
):
    """On PostgreSQL too an instance handles the updates it stored without reading the
    inbox; an update another instance stored (its notification heard) is read and handled."""
    if not database_url.startswith("postgresql"):
        pytest.skip("another instance's notification needs PostgreSQL")
    async with running_service(database_url) as running:
        await files_a_report_read_once(running)

        other = running.emulator.user(2502, "小吴")
        with pending_reads() as reads:
            await stored_by_another_instance(
                database_url, update_from(900_000_001, 2502, "小吴", "/start")
            )
            assert "您好，小吴" in (await next_text(other))["text"]
        assert reads, "an update another instance stored was found without a read"
        await settled_outbox(running.sessions)
        assert None not in await handled_at(running)


def update_from(update_id: int, user_id: int, name: str, text: str) -> dict:
    """A private chat's text as Telegram delivers it (ids the emulator never gives out)."""
    sender = objects.person(user_id, name, language_code="zh")
    said = objects.message(
        update_id, int(time.time()), objects.private_chat(sender), sender,
        text=text, entities=command_entities(text) or None,
    )  # fmt: skip
    return {"update_id": update_id, "message": said}


async def stored_by_another_instance(url: str, payload: dict) -> None:
    """Stored through an engine of its own, as another instance stores what it received."""
    engine = make_engine(url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            await store_updates(
                session=session,
                payloads=[payload],
                now=utcnow(),
                chats=[payload["message"]["chat"]["id"]],
            )
    finally:
        await engine.dispose()


@asynccontextmanager
async def held_inbox(
    running: Running, monkeypatch, stored: int
) -> AsyncIterator[tuple[asyncio.Event, asyncio.Event]]:
    """The inbox's next pass waits until the block ends, and the block goes on once `stored`
    more updates are stored: they wait in the inbox's memory meanwhile."""
    inbox, held, release, arrived = running.service.inbox, *(asyncio.Event() for _ in range(3))
    real_handle, real_receive, received = inbox._handle_chats, inbox.receive, []

    async def hold_first(chats):
        if not held.is_set():
            held.set()
            await release.wait()
        return await real_handle(chats)

    async def receive(payloads):
        new = await real_receive(payloads)  # committed: what the block erases is stored
        received.extend(payloads)
        if len(received) >= stored:
            arrived.set()
        return new

    monkeypatch.setattr(inbox, "_handle_chats", hold_first)
    monkeypatch.setattr(inbox, "receive", receive)
    yield held, arrived
    release.set()


async def erased_and_unanswered(running: Running, erased) -> None:
    async with transaction(running.sessions) as session:
        row = await resident_by_telegram_id(session=session, telegram_id=erased.id)
        assert row is None or (row.name, row.last_latitude) == ("", None), row  # blanked
        left = (await session.exec(select(InboxUpdate.payload))).all()
    assert [p for p in left if str(erased.id) in json.dumps(p)] == []
    assert len(erased.messages) == 1, erased.messages


async def test_updates_erased_while_they_waited_are_not_handled(sqlite_url, monkeypatch):
    """On SQLite the inbox knows what waits without reading it again; a resident erased
    meanwhile by another process (`firecircle residents forget`) must not have their waiting
    messages handled: nothing of them is stored again, and nobody answers them. Those of
    others waiting beside them are handled as usual."""
    async with running_service(sqlite_url) as running:
        erased, other, later = (running.emulator.user(2601 + i, f"居民{i}") for i in range(3))
        await erased.send(DESCRIPTION)
        assert "位置" in (await next_text(erased))["text"]
        async with held_inbox(running, monkeypatch, stored=3) as (held, arrived):
            await later.command("/help")  # the pass that waits
            await asyncio.wait_for(held.wait(), PATIENCE)
            await erased.send_location(*INSIDE)  # these two wait together, in memory
            await other.send(DESCRIPTION)
            await asyncio.wait_for(arrived.wait(), PATIENCE)
            await forget_resident(running.sessions, erased.id)
        assert "位置" in (await next_text(other))["text"]
        await next_text(later)
        await settled_outbox(running.sessions)
        await erased_and_unanswered(running, erased)


async def test_an_update_erased_while_it_waited_alone_is_not_handled(sqlite_url, monkeypatch):
    async with running_service(sqlite_url) as running:
        erased, later = running.emulator.user(2701, "小吴"), running.emulator.user(2702, "小郑")
        await erased.send(DESCRIPTION)
        assert "位置" in (await next_text(erased))["text"]
        async with held_inbox(running, monkeypatch, stored=2) as (held, arrived):
            await later.command("/help")
            await asyncio.wait_for(held.wait(), PATIENCE)
            await erased.send_location(*INSIDE)
            await asyncio.wait_for(arrived.wait(), PATIENCE)
            await forget_resident(running.sessions, erased.id)
        await next_text(later)
        await later.command("/help")  # handled after the erased update's pass
        await next_text(later)
        await settled_outbox(running.sessions)
        await erased_and_unanswered(running, erased)


async def test_a_stop_inside_a_group_leaves_the_rest_waiting(sqlite_url, residents, monkeypatch):
    """On SQLite a group's updates are marked when its transaction begins: those a stop
    left unhandled wait again, and are answered once, after the processor is back."""
    stopped = []

    async def act(emulator):
        residents.extend(emulator.user(2801 + i, f"居民{i}") for i in range(3))
        for resident in residents:
            await resident.send(DESCRIPTION)

    async with started_after(sqlite_url, act) as running:
        inbox = running.service.inbox
        real = inbox._process

        async def then_stop(payload):
            error = await real(payload)
            if not stopped:
                stopped.append(payload["update_id"])
                inbox.stop()
            return error

        monkeypatch.setattr(inbox, "_process", then_stop)
        for resident in residents:
            assert "位置" in (await next_text(resident))["text"]
        assert stopped, "no stop came: the test tested nothing"
        await settled_outbox(running.sessions)
        assert [len(resident.messages) for resident in residents] == [1, 1, 1]
        assert None not in await handled_at(running)


class _Recording:
    """An application that records the updates it handles; a chat's may be slow."""

    bot = None

    def __init__(self, slow_chat: int, watched: int) -> None:
        self.handled: list[tuple[int, int]] = []
        self.slow_chat, self.busy = slow_chat, asyncio.Event()
        self.watched, self.two_of_watched = watched, asyncio.Event()

    def of(self, chat: int) -> list[int]:
        return [u for c, u in self.handled if c == chat]

    async def process_update(self, update) -> None:
        chat = update.effective_chat.id
        self.handled.append((chat, update.update_id))
        if len(self.of(self.watched)) == 2:
            self.two_of_watched.set()
        if chat == self.slow_chat:
            self.busy.set()
            await asyncio.sleep(0.5)  # the pass is busy while the other instance stores


def _message(update_id: int, chat: int) -> dict:
    return update_from(update_id, chat, "居民", f"第{update_id}条")


async def test_a_chats_updates_stored_by_two_instances_are_handled_in_order(database_url):
    """On PostgreSQL, an update this instance stored waits behind an older one of its chat
    that another instance stored, though this one knew only its own."""
    if not database_url.startswith("postgresql"):
        pytest.skip("several instances need PostgreSQL")
    engine = make_engine(database_url)
    listening = await signals.listen(engine)
    app = _Recording(slow_chat=100, watched=7)
    inbox = Inbox(make_session_factory(engine), app, chats_at_once=16, shared=True)
    processing = asyncio.create_task(inbox.run_processor())
    try:
        await inbox.receive([_message(1, 100)])  # a slow update of another chat
        await asyncio.wait_for(app.busy.wait(), PATIENCE)
        await stored_by_another_instance(database_url, _message(10, 7))
        await inbox.receive([_message(11, 7)])
        await asyncio.wait_for(app.two_of_watched.wait(), PATIENCE)
    finally:
        inbox.stop()
        await processing
        await listening.close()
        await engine.dispose()
    assert app.of(7) == [10, 11]
