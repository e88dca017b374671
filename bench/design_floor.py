"""The floor of the design: bench/floor.py's application, keeping DESIGN.md's promises at
their cheapest.

The same python-telegram-bot application, transport, driver and replies as bench/floor.py,
but each update is handled as DESIGN.md says a report must be, with nothing else: raw SQL on
sqlite3 on the event loop's thread (WAL, synchronous=NORMAL, as storage/inline_sqlite.py
runs firecircle's), no ORM, no classification, no limits, no texts but the replies.

- store before confirm, idempotent on update_id: each update is INSERTed (ON CONFLICT DO
  NOTHING) and committed before it is handled;
- who wrote is read from the database, what they are writing is a row (the draft);
- a handled update is marked in the same transaction as its work;
- every change of a report is an event; its deadline is a column;
- nothing is sent from a handler: replies are outbox rows written with the work, and a sender
  claims them, sends them and records each outcome (the callback's answer is direct, as in
  firecircle); the sends and the answer go to python-telegram-bot's request with their JSON
  as it is (bot.transport.call), as firecircle's do;
- 接单 is a conditional UPDATE of the report's status.

What firecircle costs beyond this is its own code: the ORM and its flushes, the domain's
rooms, the limits, the classification, the wording and the cards it remembers.

    python -m bench.design_floor [--reports 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

from telegram import Update
from telegram.ext import Application

from bench.common import header
from bench.floor import Floor, application, measure
from bot import transport

SCHEMA = """
CREATE TABLE inbox (update_id INTEGER PRIMARY KEY, payload TEXT NOT NULL,
    received_at TEXT NOT NULL, processed_at TEXT);
CREATE TABLE resident (id INTEGER PRIMARY KEY, telegram_id INTEGER NOT NULL UNIQUE,
    chat_id INTEGER NOT NULL, name TEXT, created_at TEXT NOT NULL);
CREATE TABLE draft (resident_id INTEGER PRIMARY KEY REFERENCES resident (id), text TEXT,
    latitude REAL, longitude REAL, updated_at TEXT NOT NULL);
CREATE TABLE report (id INTEGER PRIMARY KEY, resident_id INTEGER NOT NULL REFERENCES resident (id),
    text TEXT, latitude REAL, longitude REAL, status TEXT NOT NULL, assignee INTEGER,
    created_at TEXT NOT NULL, next_deadline_at TEXT);
CREATE INDEX report_deadline ON report (next_deadline_at);
CREATE TABLE event (id INTEGER PRIMARY KEY, report_id INTEGER NOT NULL REFERENCES report (id),
    at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, to_status TEXT);
CREATE TABLE outbox (id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, method TEXT NOT NULL,
    payload TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, sent_at TEXT,
    last_error TEXT);
CREATE INDEX outbox_queued ON outbox (status, id);
"""
ACK_WITHIN = timedelta(minutes=10)


def _now() -> str:
    return datetime.now(UTC).isoformat()


@contextmanager
def atomic(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One transaction; nothing in it awaits, so no other handler's statements interleave."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


class DesignFloor(Floor):
    """bench/floor.py's handlers, each a transaction of the design's statements."""

    def __init__(self, db: sqlite3.Connection) -> None:
        super().__init__(db)  # type: ignore[arg-type]  # sqlite3's, not aiosqlite's
        self.queued = asyncio.Event()

    @contextmanager
    def transaction(self, update: Update) -> Iterator[sqlite3.Connection]:
        """An update's work, its processed mark with it; then the sender is woken."""
        with atomic(self.db) as db:
            yield db
            db.execute(
                "UPDATE inbox SET processed_at = ? WHERE update_id = ?", (_now(), update.update_id)
            )
        self.queued.set()

    def queue(self, db: sqlite3.Connection, chat_id: int, method: str, **payload) -> None:
        db.execute(
            "INSERT INTO outbox (chat_id, method, payload, status, created_at)"
            " VALUES (?, ?, ?, 'queued', ?)",
            (chat_id, method, json.dumps({"chat_id": chat_id, **payload}), _now()),
        )

    @staticmethod
    def resident(db: sqlite3.Connection, update: Update) -> tuple[int, tuple | None]:
        user = update.effective_user
        row = db.execute(
            "SELECT resident.id, draft.text, draft.latitude, draft.longitude FROM resident"
            " LEFT JOIN draft ON draft.resident_id = resident.id WHERE resident.telegram_id = ?",
            (user.id,),
        ).fetchone()
        if row is not None:
            return row[0], (row[1:] if row[1] is not None else None)
        cursor = db.execute(
            "INSERT INTO resident (telegram_id, chat_id, name, created_at) VALUES (?, ?, ?, ?)",
            (user.id, update.effective_chat.id, user.full_name, _now()),
        )
        return cursor.lastrowid, None

    async def store(self, update: Update, _context) -> None:
        self.db.execute(
            "INSERT INTO inbox (update_id, payload, received_at) VALUES (?, ?, ?)"
            " ON CONFLICT (update_id) DO NOTHING",
            (update.update_id, json.dumps(update.to_dict()), _now()),
        )  # a statement alone commits (autocommit)

    async def text(self, update: Update, _context) -> None:
        with self.transaction(update) as db:
            resident, _draft = self.resident(db, update)
            db.execute(
                "INSERT INTO draft (resident_id, text, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (resident_id) DO UPDATE SET text = excluded.text",
                (resident, update.message.text, _now()),
            )
            self.queue(db, update.effective_chat.id, "sendMessage", text="请发送位置")

    async def location(self, update: Update, _context) -> None:
        where = update.message.location
        with self.transaction(update) as db:
            resident, _draft = self.resident(db, update)
            db.execute(
                "UPDATE draft SET latitude = ?, longitude = ?, updated_at = ? WHERE resident_id = ?",
                (where.latitude, where.longitude, _now(), resident),
            )
            self.queue(db, update.effective_chat.id, "sendMessage", text="有照片吗？没有请发 /skip")

    async def skip(self, update: Update, _context) -> None:
        chat = update.effective_chat.id
        with self.transaction(update) as db:
            resident, draft = self.resident(db, update)
            words, latitude, longitude = draft or ("", 0.0, 0.0)
            worker, now = self.worker_at(latitude, longitude), datetime.now(UTC)
            report = db.execute(
                "INSERT INTO report (resident_id, text, latitude, longitude, status, assignee,"
                " created_at, next_deadline_at) VALUES (?, ?, ?, ?, 'assigned', ?, ?, ?)",
                (
                    resident,
                    words,
                    latitude,
                    longitude,
                    worker,
                    now.isoformat(),
                    (now + ACK_WITHIN).isoformat(),
                ),
            ).lastrowid
            self.event(db, report, f"resident:{resident}", "file", "assigned")
            db.execute("DELETE FROM draft WHERE resident_id = ?", (resident,))
            self.queue(db, chat, "sendMessage", text=f"已受理，编号 FC-{report:06d}")
            button = {"text": "接单", "callback_data": f"ack:{report}"}
            self.queue(
                db,
                worker,
                "sendMessage",
                text=f"新任务：{words}",
                reply_markup={"inline_keyboard": [[button]]},
            )

    async def ack(self, update: Update, _context) -> None:
        query = update.callback_query
        report = int(query.data.split(":", 1)[1])
        with self.transaction(update) as db:
            taken = db.execute(
                "UPDATE report SET status = 'acknowledged', next_deadline_at = NULL"
                " WHERE id = ? AND status = 'assigned' AND assignee = ? RETURNING resident_id",
                (report, query.from_user.id),
            ).fetchone()
            if taken is not None:
                self.event(
                    db, report, f"worker:{query.from_user.id}", "acknowledge", "acknowledged"
                )
                chat = db.execute(
                    "SELECT chat_id FROM resident WHERE id = ?", (taken[0],)
                ).fetchone()[0]
                self.queue(
                    db,
                    query.message.chat.id,
                    "editMessageText",
                    message_id=query.message.message_id,
                    text=f"{query.message.text}\n已接单",
                )
                self.queue(db, chat, "sendMessage", text="网格员已接单")
        answer = {"callback_query_id": query.id, "text": "已接单" if taken else "已处理"}
        await transport.call(query.get_bot(), "answerCallbackQuery", answer)  # as firecircle

    @staticmethod
    def event(db: sqlite3.Connection, report: int, actor: str, action: str, status: str) -> None:
        db.execute(
            "INSERT INTO event (report_id, at, actor, action, to_status) VALUES (?, ?, ?, ?, ?)",
            (report, _now(), actor, action, status),
        )

    async def send_forever(self, bot) -> None:
        """The outbox's sender: claim what is queued, send it, record each outcome."""
        while True:
            await self.queued.wait()
            self.queued.clear()
            with atomic(self.db):
                rows = self.db.execute(
                    "UPDATE outbox SET status = 'sending' WHERE status = 'queued'"
                    " RETURNING id, method, payload"
                ).fetchall()
            outcomes = await asyncio.gather(
                *(
                    transport.call(bot, method, json.loads(payload))
                    for _id, method, payload in rows
                ),
                return_exceptions=True,
            )
            with atomic(self.db):
                for (row_id, _method, _payload), outcome in zip(rows, outcomes, strict=True):
                    failed = isinstance(outcome, BaseException)
                    self.db.execute(
                        "UPDATE outbox SET status = ?, sent_at = ?, last_error = ? WHERE id = ?",
                        (
                            "failed" if failed else "sent",
                            _now(),
                            repr(outcome) if failed else None,
                            row_id,
                        ),
                    )


@asynccontextmanager
async def design_application(tmp: Path, api_url: str) -> AsyncIterator[Application]:
    db = sqlite3.connect(tmp / "design.db", isolation_level=None)  # BEGIN and COMMIT: ours
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    db.executescript(SCHEMA)
    design = DesignFloor(db)
    app = application(api_url, design, httpx=False)
    sender = asyncio.create_task(design.send_forever(app.bot))  # sends once the app is up
    try:
        yield app
    finally:
        sender.cancel()
        with suppress(asyncio.CancelledError):
            await sender
        db.close()


async def main(reports: int = 100) -> float:
    header(f"the design's floor: the floor keeping DESIGN.md's promises, {reports} reports")
    cost = await measure(reports, build=design_application)
    print(f"  the design's floor: {cost:.1f} ms CPU per report")
    return cost


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reports", type=int, default=100)
    asyncio.run(main(parser.parse_args().reports))
