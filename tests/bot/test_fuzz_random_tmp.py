"""Thousands of generated updates and button presses through the real inbox: the service keeps
running, every update is handled (or marked unreadable), nothing fails with a traceback, and
what was stored before — a resident's report, its history, the staff, the inbox — is untouched.

Hypothesis draws the batches (derandomized: the same ones every run); they are then fed, one
batch at a time, to one running service, since starting a service per example would cost more
than the examples themselves. A failure names the updates whose handling raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import logging
import os
import socket

import aiohttp
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import col, select

from bot import updates
from bot.emulator.state import CallbackRecord
from bot.webhook import PATH as WEBHOOK_PATH
from bot.webhook import SECRET_HEADER
from firecircle.service import PROCESSOR
from storage.engine import transaction
from storage.models import InboxUpdate, Report, ReportEvent, Resident, Staff
from tests.bot import fuzz_strategies as fuzz
from tests.harness import WORKER_1, file_report, running_service

BATCHES = int(os.environ.get("FIRECIRCLE_FUZZ_BATCHES", "40"))  # fewer while working on it
BATCH_SIZE = 250  # 10,000 updates in all
DRAWN = 10  # updates per Hypothesis example
IDLE_TIMEOUT = 60  # seconds for the inbox to handle a batch
FIRST_ID = 1_000_000  # the fuzz's update ids (duplicates reuse earlier ones)
WEBHOOK_EVERY = 5  # one batch in five goes through the webhook, the rest to the inbox itself
SECRET = "fuzz-secret"
RESIDENT = 1_500  # files the report that must come through untouched
FUZZERS = frozenset(fuzz.FUZZERS)


def draw_batches() -> list[list[dict]]:
    """BATCHES lists of BATCH_SIZE updates (a few of them without a usable update_id).
    Hypothesis draws them DRAWN at a time: a whole batch is past the number of choices one
    example may make, and such examples are thrown away and drawn again."""
    drawn: list[dict] = []
    one = fuzz.fed_updates

    @settings(
        max_examples=BATCHES * BATCH_SIZE // DRAWN,
        deadline=None,
        derandomize=False,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(one, min_size=DRAWN, max_size=DRAWN))
    def collect(updates: list[dict]) -> None:
        drawn.extend(copy.deepcopy(updates))

    collect()
    return [drawn[i : i + BATCH_SIZE] for i in range(0, len(drawn), BATCH_SIZE)]


class Feeder:
    """Fills in the placeholders the strategies leave (update ids, callback query ids, the
    message a button is on) from the emulator's state, and remembers the first payload of
    every update_id."""

    def __init__(self, emulator, first_id: int, earlier_ids: list[int]):
        self.emulator = emulator
        self.next_id = itertools.count(first_id)
        self.seen = list(earlier_ids)  # duplicates are drawn from these
        self.first_payload: dict[int, dict] = {}
        self.picks = itertools.count()

    def prepare(self, batch: list[dict]) -> list[object]:
        ready = []
        for update in batch:
            if not isinstance(update, dict):
                ready.append(update)
                continue
            if update.get("update_id") == fuzz.FRESH_ID:
                update["update_id"] = next(self.next_id)
            elif update.get("update_id") == fuzz.DUPLICATE:
                update["update_id"] = self.seen[next(self.picks) * 7919 % len(self.seen)]
            query = update.get("callback_query")
            if isinstance(query, dict):
                self._press(query)
            if updates.problem(update) is None:  # stored (what is not is refused with a 400)
                self.seen.append(update["update_id"])
                self.first_payload.setdefault(update["update_id"], update)
            ready.append(update)
        return ready

    def _press(self, query: dict) -> None:
        sender = query.get("from")
        uid = sender.get("id") if isinstance(sender, dict) else None
        player = self.emulator.player(uid) if type(uid) is int and uid in FUZZERS else None
        if query.get("message") == fuzz.REAL_MESSAGE:
            shown = player.last_message if player is not None else None
            if shown is None:
                del query["message"]
            else:
                query["message"] = shown
        if query.get("id") == fuzz.FRESH_QUERY:
            query["id"] = self.emulator.world.new_query_id(uid if isinstance(uid, int) else 0)
            self.emulator.world.callbacks[query["id"]] = CallbackRecord(query)


class Failures:
    """Every update whose handling raised, with the error (an extra error handler)."""

    def __init__(self) -> None:
        self.seen: list[tuple[object, BaseException]] = []

    async def __call__(self, update, context) -> None:
        self.seen.append((update, context.error))

    def describe(self) -> str:
        lines = []
        for update, error in self.seen[:10]:
            payload = update.to_dict() if hasattr(update, "to_dict") else update
            lines.append(f"{error!r} on {str(payload)[:400]}")
        return "\n".join(lines)


async def snapshot(sessions) -> dict:
    """What was stored before the fuzz: reports with their history, residents, staff, inbox."""
    async with transaction(sessions) as session:
        reports = (await session.exec(select(Report).order_by(Report.id))).all()
        events = dict(
            (
                await session.exec(
                    select(ReportEvent.report_id, func.count()).group_by(ReportEvent.report_id)
                )
            ).all()
        )
        # The fuzz writes in its own chats: their residents may rightly change (/lang).
        residents = (
            await session.exec(select(Resident).where(Resident.telegram_id == RESIDENT))
        ).all()
        staff = (await session.exec(select(Staff).order_by(Staff.id))).all()
        inbox = (await session.exec(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()
        return {
            "reports": [
                (r.id, r.reference, r.text, r.status, r.photos, r.latitude, r.longitude)
                for r in reports
            ],
            "events": events,
            "residents": [r.model_dump() for r in residents],
            "staff": [s.model_dump() for s in staff],
            "inbox": {row.update_id: (row.payload, row.processed_at, row.error) for row in inbox},
        }


async def first_unprocessed(sessions) -> InboxUpdate | None:
    async with transaction(sessions) as session:
        return (
            await session.exec(
                select(InboxUpdate)
                .where(col(InboxUpdate.processed_at).is_(None))
                .order_by(col(InboxUpdate.update_id))
            )
        ).first()


async def inbox_idle(sessions, timeout: float = IDLE_TIMEOUT) -> dict | None:
    """Waits until every stored update is handled; the first one still waiting at timeout."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout):
            while await first_unprocessed(sessions) is not None:
                await asyncio.sleep(0.05)
    stuck = await first_unprocessed(sessions)
    return stuck.payload if stuck is not None else None


async def outcomes(sessions, first_id: int) -> dict[bool, int]:
    """How many fuzz updates were handled (True) or passed over as unreadable (False)."""
    async with transaction(sessions) as session:
        rows = await session.exec(
            select(col(InboxUpdate.error).is_(None), func.count())
            .where(col(InboxUpdate.update_id) >= first_id)
            .group_by(col(InboxUpdate.error).is_(None))
        )
        return {bool(handled): count for handled, count in rows.all()}


def processor_alive() -> bool:
    return any(t.get_name() == PROCESSOR and not t.done() for t in asyncio.all_tasks())


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def post_each(url: str, batch: list[object]) -> list[int]:
    """The batch through the webhook, one update a request, as Telegram sends them."""
    headers = {SECRET_HEADER: SECRET}
    async with aiohttp.ClientSession() as http:
        statuses = []
        for update in batch:
            async with http.post(url, json=update, headers=headers) as response:
                statuses.append(response.status)
        return statuses


async def test_ten_thousand_odd_updates_break_nothing(sqlite_url, caplog):
    caplog.set_level(logging.WARNING)
    port = free_port()
    url = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    async with running_service(
        sqlite_url,
        duplicate_radius_meters=0,  # a fuzzed report is never merged into the one kept
        webhook_url=url,
        webhook_secret=SECRET,
        http_port=port,
    ) as bot:
        emulator, sessions = bot.emulator, bot.sessions
        reference = await file_report(emulator, RESIDENT, "楼道里有电动车在充电，很危险")
        for uid in FUZZERS:  # each chat has a message of the bot's for buttons to be on
            player = emulator.user(uid, f"测试{uid}")
            await player.command("/start")
            await player.next_message()
        assert await inbox_idle(sessions) is None
        before = await snapshot(sessions)
        assert any(r[1] == reference for r in before["reports"])
        assert any(s["telegram_id"] == WORKER_1 for s in before["staff"])

        failures = Failures()
        bot.service.app.add_error_handler(failures)
        caplog.clear()
        feeder = Feeder(emulator, first_id=FIRST_ID, earlier_ids=list(before["inbox"]))
        batches = draw_batches()
        assert sum(map(len, batches)) == BATCHES * BATCH_SIZE  # 10,000 unless lowered
        for number, batch in enumerate(batches):
            if number % WEBHOOK_EVERY:
                await bot.service.inbox.receive(feeder.prepare(batch))
            else:
                statuses = await post_each(url, feeder.prepare(batch))
                assert max(statuses) < 500, sorted(set(statuses))
            stuck = await inbox_idle(sessions)
            assert stuck is None, f"the inbox stopped at {str(stuck)[:500]}"
            assert processor_alive()
            assert not failures.seen, failures.describe()

        handled = await outcomes(sessions, FIRST_ID)  # most are read, not passed over
        assert handled.get(True, 0) > 2 * handled.get(False, 0), handled
        after = await snapshot(sessions)
        for key in ("reports", "residents", "staff"):
            kept = {repr(row) for row in after[key]}
            assert all(repr(row) in kept for row in before[key]), key
        old_reports = {row[0] for row in before["reports"]}
        assert {k: v for k, v in after["events"].items() if k in old_reports} == before["events"]
        for update_id, row in before["inbox"].items():
            assert after["inbox"][update_id] == row
        for update_id, payload in feeder.first_payload.items():
            if update_id not in before["inbox"]:
                assert after["inbox"][update_id][0] == payload
        tracebacks = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert not tracebacks, [r.getMessage() for r in tracebacks[:5]]
