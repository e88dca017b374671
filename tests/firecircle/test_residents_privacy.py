"""`firecircle residents export|forget`: one resident's data out, then gone, counts kept."""

from __future__ import annotations

import asyncio
import json
import os
import sys

from sqlmodel import col, func, select

from storage.engine import make_engine, make_session_factory, transaction
from storage.models import InboxUpdate, OutboxMessage, Report, ReportEvent, Resident
from tests.harness import WORKER_1, file_report, next_text, running_service, task_card

RESIDENT = 1501
NAME = "张小明"
WORDS = "7栋楼道电动车充电，有事打我电话13812345678"


async def cli(url: str, cwd, *argv: str) -> tuple[int, str, str]:
    env = {**os.environ, "FIRECIRCLE_DATABASE_URL": url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "firecircle.cli",
        *argv,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode(), err.decode()


async def acknowledged_report(url: str) -> str:
    """A resident reports; the grid worker acknowledges (a task in the staff's counts)."""
    async with running_service(url) as bot:
        reference = await file_report(bot.emulator, RESIDENT, WORDS, name=NAME)
        worker, resident = bot.staff(WORKER_1), bot.emulator.player(RESIDENT)
        await worker.callback_answer(await worker.press(await task_card(worker), "接单"))
        assert reference in (await next_text(resident))["text"]  # told: acknowledged
    return reference


async def everything_stored(url: str) -> str:
    """Every row that could hold someone's words, as one text to search."""
    engine = make_engine(url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            found = []
            for table in (Report, ReportEvent, Resident, InboxUpdate, OutboxMessage):
                rows = (await session.exec(select(table))).all()
                found += [json.dumps(r.model_dump(mode="json"), ensure_ascii=False) for r in rows]
    finally:
        await engine.dispose()
    return "\n".join(found)


async def staff_counts(url: str) -> tuple[int, int, str]:
    engine = make_engine(url)
    try:
        async with transaction(make_session_factory(engine)) as session:
            assigned = (
                await session.exec(
                    select(func.count())
                    .select_from(Report)
                    .where(col(Report.assignee_id).is_not(None))
                )
            ).one()
            acks = (
                await session.exec(
                    select(func.count())
                    .select_from(ReportEvent)
                    .where(ReportEvent.action == "acknowledged")
                )
            ).one()
            status = (await session.exec(select(Report.status))).one()
    finally:
        await engine.dispose()
    return assigned, acks, status


async def test_export_then_forget(database_url, tmp_path):
    reference = await acknowledged_report(database_url)
    assert WORDS in await everything_stored(database_url)

    code, out, err = await cli(
        database_url, tmp_path, "residents", "export", "--telegram-id", str(RESIDENT)
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["resident"]["name"] == NAME
    [report] = data["reports"]
    assert report["reference"] == reference and report["text"] == WORDS
    assert "acknowledged" in [e["action"] for e in report["events"]]
    assert data["raw_updates"] and data["messages_to_them"]
    assert data["subscriptions"] == {"tips": False, "surveys": None} and data["questions"] == []

    code, out, err = await cli(
        database_url, tmp_path, "residents", "forget", "--telegram-id", str(RESIDENT)
    )
    assert code == 0, err
    assert "1 reports anonymised (1 open ones withdrawn)" in out

    stored = await everything_stored(database_url)
    for trace in (WORDS, "13812345678", NAME, "电动车充电"):
        assert trace not in stored, trace
    assert await staff_counts(database_url) == (1, 1, "closed")
    code, out, _ = await cli(
        database_url, tmp_path, "residents", "export", "--telegram-id", str(RESIDENT)
    )
    after = json.loads(out)
    assert code == 0 and after["reports"] == [] and after["raw_updates"] == []
    assert after["resident"]["name"] == ""


async def test_export_to_a_file_is_the_owners_only(sqlite_url, tmp_path):
    await acknowledged_report(sqlite_url)
    target = tmp_path / "export.json"
    code, out, err = await cli(
        sqlite_url,
        tmp_path,
        "residents",
        "export",
        "--telegram-id",
        str(RESIDENT),
        "--out",
        str(target),
    )
    assert code == 0, err
    assert json.loads(target.read_text(encoding="utf-8"))["resident"]["telegram_id"] == RESIDENT
    assert target.stat().st_mode & 0o777 == 0o600


async def test_an_unknown_resident_is_a_clear_error(sqlite_url, tmp_path):
    for action in ("export", "forget"):
        code, out, err = await cli(
            sqlite_url, tmp_path, "residents", action, "--telegram-id", "777"
        )
        assert code == 1 and out == ""
        assert "no resident with Telegram id 777; nothing was done" in err
