"""The dashboard and the health check, served by web.app against a real database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp.test_utils import TestClient, TestServer

from storage import reports as report_rows
from storage.engine import transaction
from storage.models import OutboxMessage, Report, Resident
from web.app import build_web_app

SCRIPT = '<script>alert("火")</script> 楼道堆满纸箱'
LONG = "电动车在楼道里充电，" * 20  # well past the 80 characters a row shows
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def client(sessions):
    async with TestClient(TestServer(build_web_app(sessions))) as client:
        yield client


async def _reports(sessions) -> list[Report]:
    """Four reports a minute apart, the last (newest) one the resident's <script>."""
    cases = [
        ("new", "hazard", LONG),
        ("resolved", "hazard", "灭火器过期"),
        ("new", "emergency", "厨房起火了"),
        ("acknowledged", "hazard", SCRIPT),
    ]
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=10**12, chat_id=10**12, name="小李")
        session.add(resident)
        await session.flush()
        reports = []
        for minute, (status, kind, text) in enumerate(cases):
            report = Report(
                resident_id=resident.id,
                text=text,
                kind=kind,
                status=status,
                community="幸福社区",
                created_at=START + timedelta(minutes=minute),
            )
            await report_rows.add_report(session=session, report=report, actor="system")
            reports.append(report)
        session.add(
            OutboxMessage(
                chat_id=4242,
                method="sendMessage",
                payload={},
                status="undeliverable",
                last_error="Forbidden: bot was blocked by the user <b>",
            )
        )
    return reports


async def test_healthz_answers_ok(client):
    response = await client.get("/healthz")
    assert response.status == 200
    assert await response.json() == {"status": "ok"}


async def test_an_empty_dashboard_says_so(client):
    response = await client.get("/")
    assert response.status == 200
    page = await response.text()
    assert "<p>—</p>" in page  # no counts
    assert "<tr><td colspan=4>—</td></tr>" in page  # nothing undelivered


async def test_the_dashboard_shows_counts_and_the_newest_reports_first(sessions, client):
    reports = await _reports(sessions)
    response = await client.get("/")
    assert response.status == 200
    assert response.content_type == "text/html" and response.charset == "utf-8"
    page = await response.text()
    assert "<p>acknowledged: 1 · new: 2 · resolved: 1</p>" in page
    shown = re.findall(r"<tr><td>(FC-\d{6})</td>", page)
    assert shown == [r.reference for r in reversed(reports)]
    assert "<td>2026-12-01 08:03</td><td>hazard</td>" in page
    assert f"<td>{LONG[:80]}</td>" in page and LONG[:81] not in page
    assert "<td>4242</td><td>undeliverable</td>" in page


async def test_a_residents_script_is_shown_as_text_never_run(sessions, client):
    await _reports(sessions)
    page = await (await client.get("/")).text()
    assert "&lt;script&gt;alert(&quot;火&quot;)&lt;/script&gt; 楼道堆满纸箱" in page
    assert "<script" not in page
    assert "blocked by the user &lt;b&gt;" in page and "<b>" not in page
