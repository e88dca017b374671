"""The web console's contract (README, "The web console"): one-time login links, nothing
without a session, scope by role, CSRF, filters, exports, metrics; against real databases."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from firecircle.cli import main
from firecircle.sample import DATA, load_sample_district
from storage import reports as report_rows
from storage.engine import transaction
from storage.models import GridCell, OutboxMessage, Report, Resident, Staff, Team, TeamCall
from storage.types import utcnow
from tests.harness import COORDINATOR_XINGFU, OFFICER, WORKER_1
from triage.console.desk import Console
from triage.console.logins import LoginRefused
from triage.escalation.policy import Policy
from triage.tasks.desk import StaffDesk
from web.app import build_web_app

RESIDENT = 10**12
ZONE = ZoneInfo("Asia/Shanghai")
PAGES = ["/", "/reports", "/overdue", "/stats", "/export/reports.csv", "/export/reports.geojson"]


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def clock():
    return Clock()


@pytest.fixture
async def console(sessions, clock):
    await load_sample_district(sessions)
    return Console(StaffDesk(sessions, Policy(), clock), ZONE, "http://console.test")


async def _client(console, **options):
    return TestClient(TestServer(build_web_app(console, **options)))


@pytest.fixture
async def client(console):
    async with await _client(console) as client:
        yield client


async def log_in(client, console, telegram_id: int) -> None:
    link = await console.link(telegram_id)
    response = await client.get(link.removeprefix("http://console.test"), allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"


async def _cell(sessions, code: str) -> GridCell:
    async with transaction(sessions) as session:
        return (await session.exec(select(GridCell).where(GridCell.code == code))).one()


async def file(sessions, text: str, code: str, **values) -> Report:
    """A report in a cell (status assigned to its worker unless given), its resident's."""
    cell = await _cell(sessions, code)
    async with transaction(sessions) as session:
        resident = (
            await session.exec(select(Resident).where(Resident.telegram_id == RESIDENT))
        ).first()
        if resident is None:
            resident = Resident(telegram_id=RESIDENT, chat_id=RESIDENT, name="小李")
            session.add(resident)
            await session.flush()
        worker = (await session.exec(select(Staff).where(Staff.telegram_id == WORKER_1))).one()
        fields = {
            "status": "assigned",
            "assignee_id": worker.id,
            "latitude": 30.54,
            "longitude": 114.33,
            **values,
        }
        report = Report(
            resident_id=resident.id, text=text, community=cell.community, grid_id=cell.id, **fields
        )
        return await report_rows.add_report(session=session, report=report, actor="system")


async def test_without_a_session_every_page_is_the_login_page_and_shows_no_report(sessions, client):
    report = await file(sessions, "楼道堆满纸箱", "DH-01-01")
    for path in [*PAGES, f"/reports/{report.reference}"]:
        response = await client.get(path, allow_redirects=False)
        body = await response.text()
        assert response.status == 401, path
        assert 'id="login"' in body and "/web" in body
        assert report.reference not in body and "纸箱" not in body
    response = await client.post(f"/reports/{report.reference}", data={"action": "acknowledge"})
    assert response.status == 401
    assert (await client.get("/healthz")).status == 200


async def test_a_link_logs_in_once_and_sets_a_safe_cookie(client, console):
    link = (await console.link(COORDINATOR_XINGFU)).removeprefix("http://console.test")
    assert re.fullmatch(r"/login/[A-Za-z0-9_-]{40,}", link)
    first = await client.get(link, allow_redirects=False)
    assert first.status == 303 and first.headers["Location"] == "/"
    cookie = first.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    page = await client.get("/")
    assert page.status == 200 and "孙红梅" in await page.text()
    again = await client.get(link, allow_redirects=False)
    assert again.status == 403 and 'id="refused"' in await again.text()


async def test_a_link_is_refused_after_its_minutes(client, console, clock):
    link = (await console.link(COORDINATOR_XINGFU, minutes=15)).removeprefix("http://console.test")
    clock.now += timedelta(minutes=15, seconds=1)
    response = await client.get(link, allow_redirects=False)
    assert response.status == 403 and "Set-Cookie" not in response.headers


async def test_behind_https_the_cookie_is_secure(console):
    async with await _client(console, secure_cookies=True) as client:
        link = (await console.link(OFFICER)).removeprefix("http://console.test")
        response = await client.get(link, allow_redirects=False)
        assert "Secure" in response.headers["Set-Cookie"]


async def test_no_link_for_a_resident_or_a_stranger(sessions, console):
    await file(sessions, "x", "DH-01-01")
    with pytest.raises(LoginRefused, match="resident"):
        await console.link(RESIDENT)
    with pytest.raises(LoginRefused, match="no staff member"):
        await console.link(999)


async def test_a_worker_sees_their_grid_and_others_reports_are_404(sessions, console, client):
    mine = await file(sessions, "我的网格：楼道堆物", "DH-01-01")
    neighbour = await file(sessions, "隔壁网格：电动车充电", "DH-01-02", assignee_id=None)
    elsewhere = await file(sessions, "和平社区：消防通道", "DH-02-01", assignee_id=None)
    await log_in(client, console, WORKER_1)
    listing = await (await client.get("/reports")).text()
    assert mine.reference in listing
    assert neighbour.reference not in listing and elsewhere.reference not in listing
    assert (await client.get(f"/reports/{mine.reference}")).status == 200
    assert (await client.get(f"/reports/{elsewhere.reference}")).status == 404
    board = await (await client.get("/?partial=1")).text()
    assert re.search(r'id="n-open" [^>]*><b>1</b>', board)


async def test_the_boards_stamp_moves_with_a_new_report_or_event(sessions, console, client):
    await log_in(client, console, OFFICER)
    first = await (await client.get("/?stamp=1")).text()
    assert re.fullmatch(r"\d+\.\d+\.\d{12}", first)
    assert await (await client.get("/?stamp=1")).text() == first  # nothing changed
    page = await (await client.get("/")).text()
    assert f'data-stamp="{first}"' in page
    await file(sessions, "楼道堆物", "DH-01-01")
    assert await (await client.get("/?stamp=1")).text() != first
    client.session.cookie_jar.clear()
    assert (await client.get("/?stamp=1")).status == 401


async def test_a_coordinator_sees_the_community_an_officer_everything(sessions, console):
    xingfu = await file(sessions, "幸福社区二网格", "DH-01-02", assignee_id=None)
    heping = await file(sessions, "和平社区一网格", "DH-02-01", assignee_id=None)
    async with await _client(console) as coordinator:
        await log_in(coordinator, console, COORDINATOR_XINGFU)
        listing = await (await coordinator.get("/reports")).text()
        assert xingfu.reference in listing and heping.reference not in listing
        assert (await coordinator.get(f"/reports/{heping.reference}")).status == 404
    async with await _client(console) as officer:
        await log_in(officer, console, OFFICER)
        listing = await (await officer.get("/reports")).text()
        assert xingfu.reference in listing and heping.reference in listing


def _figure(page: str, key: str) -> str:
    return re.search(rf'id="f-{key}"><b>([^<]*)</b>', page).group(1)


async def test_statistics_in_each_ones_scope_over_a_chosen_period(sessions, console):
    await file(sessions, "我的网格：楼道堆物", "DH-01-01")
    await file(sessions, "隔壁网格：电动车充电", "DH-01-02", kind="emergency")
    await file(sessions, "和平社区：消防通道", "DH-02-01", assignee_id=None)
    expected = {WORKER_1: ("我的网格", "1"), COORDINATOR_XINGFU: ("幸福社区", "2")}
    expected[OFFICER] = ("全辖区", "3")
    for telegram_id, (place, received) in expected.items():
        async with await _client(console) as client:
            await log_in(client, console, telegram_id)
            page = await (await client.get("/stats")).text()
            assert f"统计 · {place}" in page and 'href="/stats"' in page
            assert _figure(page, "received") == received
            assert 'id="period-month" href="/stats?period=month" class="late"' in page
            today = await (await client.get("/stats?period=1")).text()
            day = clock_day(console)
            assert f"{day} 至 {day}" in today and _figure(today, "received") == received
            odd = await client.get("/stats?period=<script>")
            assert odd.status == 200 and "<script>" not in await odd.text()
            if telegram_id == WORKER_1:
                assert "DH-01-02" not in page and _figure(page, "emergencies") == "0"
            if telegram_id == OFFICER:
                assert _figure(page, "emergencies") == "1" and 'id="by-grid"' in page


def clock_day(console) -> str:
    return str(console.views.clock().astimezone(ZONE).date())


async def test_filters_search_sort_and_pages(sessions, console, client):
    await file(sessions, "楼道里电动车充电", "DH-01-01", kind="hazard", category="ebike")
    await file(sessions, "厨房起火", "DH-01-02", kind="emergency", status="new")
    await file(sessions, "灭火器过期", "DH-02-01", status="closed", category="fire_equipment")
    await log_in(client, console, OFFICER)

    async def shown(query: str) -> list[str]:
        page = await (await client.get("/reports?" + query)).text()
        return re.findall(r'<td class="ref"><a href="/reports/FC-\d+">(FC-\d+)</a>', page)

    assert len(await shown("")) == 3
    assert len(await shown("status=open")) == 2
    assert len(await shown("kind=emergency")) == 1
    assert len(await shown("category=ebike")) == 1
    assert len(await shown("community=和平社区")) == 1
    assert len(await shown("grid=DH-01-02")) == 1
    assert len(await shown("q=电动车")) == 1
    assert len(await shown("q=100%25")) == 0  # a % is looked for, not a wildcard
    today = utcnow().astimezone(ZONE).date()
    assert len(await shown(f"since={today}&until={today}")) == 3
    assert len(await shown(f"until={today - timedelta(days=1)}")) == 0
    newest, oldest = await shown(""), await shown("sort=oldest")
    assert newest == list(reversed(oldest))
    assert len(await shown("status=nonsense&page=abc")) == 3  # ignored, not an error


async def test_ten_thousand_reports_page_fast(sessions, console, client):
    cell = await _cell(sessions, "DH-01-01")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with transaction(sessions) as session:
        session.add_all(
            Report(
                reference=f"FC-9{i:06d}",
                text=f"第{i}条 楼道堆物" + ("电动车" if i % 100 == 0 else ""),
                community=cell.community,
                grid_id=cell.id,
                status=("new", "assigned", "closed")[i % 3],
                created_at=start + timedelta(minutes=i),
            )
            for i in range(10_000)
        )
    await log_in(client, console, OFFICER)
    began = time.monotonic()
    page = await (await client.get("/reports?status=open&q=电动车&page=2&sort=oldest")).text()
    took = time.monotonic() - began
    assert "共 67 条" in page and "第 2/2 页" in page  # i % 100 == 0 and i % 3 != 2
    assert len(re.findall(r'<tr class="report">', page)) == 17
    assert took < 3.0, f"a filtered page of 10,000 reports took {took:.2f} s"


async def test_a_form_without_the_csrf_token_is_refused(sessions, console, client):
    report = await file(sessions, "楼道堆物", "DH-01-01")
    await log_in(client, console, WORKER_1)
    response = await client.post(f"/reports/{report.reference}", data={"action": "acknowledge"})
    assert response.status == 403
    async with transaction(sessions) as session:
        assert (await session.get(Report, report.id)).status == "assigned"


async def test_acknowledging_on_the_web_is_the_chats_step(sessions, console, client):
    report = await file(sessions, "楼道堆物", "DH-01-01")
    await log_in(client, console, WORKER_1)
    page = await (await client.get(f"/reports/{report.reference}")).text()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    assert 'id="act-acknowledge"' in page
    response = await client.post(
        f"/reports/{report.reference}", data={"action": "acknowledge", "csrf": csrf}
    )
    body = await response.text()
    assert response.status == 200 and "已接单" in body
    again = await client.post(
        f"/reports/{report.reference}", data={"action": "acknowledge", "csrf": csrf}
    )
    assert "✗" in await again.text()  # the lifecycle's guard: already acknowledged
    async with transaction(sessions) as session:
        stored = await session.get(Report, report.id)
        told = (await session.exec(select(OutboxMessage.chat_id))).all()
        history = await report_rows.history_of(session=session, report_id=report.id)
    assert stored.status == "acknowledged"
    assert RESIDENT in told  # the resident's notice is queued with the change
    assert [e.action for e in history][-1] == "acknowledged"
    assert history[-1].actor.startswith("staff:")
    timeline = await (await client.get(f"/reports/{report.reference}")).text()
    assert "王建国" in timeline and "接单" in timeline


async def test_exports_carry_the_filters_milestones_and_a_bom(sessions, console, client):
    await file(sessions, "楼道堆物，电动车充电", "DH-01-01", reopen_count=1, rating=4)
    await file(sessions, "灭火器过期", "DH-02-01", status="closed")
    await log_in(client, console, OFFICER)
    response = await client.get("/export/reports.csv?status=open")
    raw = await response.read()
    assert response.status == 200 and raw.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == 1 and rows[0]["text"] == "楼道堆物，电动车充电"
    assert rows[0]["reopen_count"] == "1" and rows[0]["rating"] == "4"
    for column in ("created_at", "acknowledged_at", "resolved_at", "closed_at"):
        assert column in rows[0]
    assert rows[0]["escalation_level"] == "0" and rows[0]["created_at"].endswith("+08:00")
    geo = json.loads(await (await client.get("/export/reports.geojson")).text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == 2
    assert geo["features"][0]["geometry"] == {"type": "Point", "coordinates": [114.33, 30.54]}


async def test_metrics_are_open_unless_a_token_is_set(sessions, console):
    await file(sessions, "楼道堆物", "DH-01-01")
    created = utcnow() - timedelta(minutes=30)
    await file(
        sessions,
        "已接单",
        "DH-01-02",
        status="acknowledged",
        created_at=created,
        acknowledged_at=created + timedelta(minutes=7),
    )
    async with await _client(console) as client:
        text = await (await client.get("/metrics")).text()
        assert 'firecircle_open_reports{kind="hazard"} 2.0' in text
        assert 'firecircle_time_to_acknowledge_seconds_bucket{le="300.0"} 0.0' in text
        assert 'firecircle_time_to_acknowledge_seconds_bucket{le="600.0"} 1.0' in text
        assert "firecircle_time_to_acknowledge_seconds_sum 420.0" in text
    async with await _client(console, metrics_token="s3cret") as client:
        assert (await client.get("/metrics")).status == 401
        wrong = {"Authorization": "Bearer nope"}
        assert (await client.get("/metrics", headers=wrong)).status == 401
        right = {"Authorization": "Bearer s3cret"}
        assert (await client.get("/metrics", headers=right)).status == 200


async def test_logging_out_ends_the_session(console, client):
    await log_in(client, console, OFFICER)
    page = await (await client.get("/")).text()
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)
    await client.post("/logout", data={"csrf": csrf}, allow_redirects=False)
    client.session.cookie_jar.clear()
    assert (await client.get("/")).status == 401


def test_the_command_prints_a_link_last_and_refuses_a_stranger(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("FIRECIRCLE_DATABASE_URL", "FIRECIRCLE_PUBLIC_URL", "FIRECIRCLE_HTTP_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["db", "upgrade"]) == 0
    assert main(["grids", "import", str(DATA / "sample_district.geojson")]) == 0
    argv = ["staff", "add", "--telegram-id", "2001", "--name", "王建国", "--role", "worker"]
    assert main([*argv, "--grid", "DH-01-01"]) == 0
    capsys.readouterr()
    assert main(["web", "link", "--telegram-id", "2001"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"http://127\.0\.0\.1:8080/login/[A-Za-z0-9_-]{40,}", last)
    monkeypatch.setenv("FIRECIRCLE_PUBLIC_URL", "https://fire.example.org/")
    assert main(["web", "link", "--telegram-id", "2001", "--minutes", "5"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("https://fire.example.org/login/")
    assert main(["web", "link", "--telegram-id", "999"]) == 1
    assert "no staff member has Telegram id 999" in capsys.readouterr().err


async def test_the_map_colours_cells_by_open_and_overdue(sessions, console, client, clock):
    await file(sessions, "楼道堆物", "DH-01-01", ack_deadline_at=clock.now - timedelta(minutes=1))
    await file(sessions, "电动车充电", "DH-01-02", ack_deadline_at=clock.now + timedelta(hours=1))
    await log_in(client, console, COORDINATOR_XINGFU)
    page = await (await client.get("/map")).text()
    cells = dict(
        re.findall(
            r'data-code="([\w-]+)">\s*<title>[^<]*</title>\s*<path d="[^"]+" fill="(#\w+)"', page
        )
    )
    assert cells == {"DH-01-01": "#ef9a9a", "DH-01-02": "#ffe0b2", "DH-01-03": "#e8f5e9"}
    assert page.count('class="dot"') == 2
    assert 'href="/reports?status=open&amp;grid=DH-01-01"' in page


async def test_undeliverable_messages_show_to_those_who_see_everything(sessions, console):
    async with transaction(sessions) as session:
        session.add(
            OutboxMessage(
                chat_id=4242,
                payload={},
                status="undeliverable",
                last_error="Forbidden: bot was blocked by the user <b>",
            )
        )
    async with await _client(console) as officer:
        await log_in(officer, console, OFFICER)
        board = await (await officer.get("/")).text()
        assert "<td>4242</td>" in board and "blocked by the user &lt;b&gt;" in board
        assert "<b>" not in board.split('id="undelivered"')[1]
    async with await _client(console) as worker:
        await log_in(worker, console, WORKER_1)
        assert "4242" not in await (await worker.get("/")).text()


async def test_a_residents_script_is_shown_as_text_never_run(sessions, console, client):
    report = await file(sessions, '<script>alert("火")</script> 楼道堆满纸箱', "DH-01-01")
    await log_in(client, console, OFFICER)
    for path in ("/reports", f"/reports/{report.reference}"):
        page = await (await client.get(path)).text()
        assert "&lt;script&gt;alert(&#34;火&#34;)&lt;/script&gt;" in page, path
        assert '<script>alert("火")' not in page


async def test_the_now_page_counts_todays_patrol_call_outs_and_arrivals_within_ten(
    sessions, console, clock
):
    """Two fires today: 幸福社区's team got there in 6 minutes, 和平社区's in 14 (late); one
    yesterday is not today's. A coordinator counts their community's alone."""
    now = clock.now
    local = now.astimezone(ZONE)
    if local.hour == 0 and local.minute < 31:  # the two fires must fall on today's date
        pytest.skip("too close to midnight in Shanghai for 'today'")
    async with transaction(sessions) as session:
        teams = (await session.exec(select(Team).order_by(Team.id))).all()
    for code, called, arrived in (
        ("DH-01-02", now - timedelta(minutes=20), 6),
        ("DH-02-01", now - timedelta(minutes=30), 14),
        ("DH-01-01", now - timedelta(days=1), 3),
    ):
        fire = await file(sessions, "着火了", code, kind="emergency", assignee_id=None)
        async with transaction(sessions) as session:
            session.add(
                TeamCall(
                    report_id=fire.id,
                    team_id=teams[0].id,
                    called_at=called,
                    departed_at=called + timedelta(minutes=1),
                    arrived_at=called + timedelta(minutes=arrived),
                    status="arrived",
                )
            )
    for telegram_id, calls, in_ten in ((OFFICER, 2, 1), (COORDINATOR_XINGFU, 1, 1)):
        async with await _client(console) as person:
            await log_in(person, console, telegram_id)
            page = await (await person.get("/")).text()
        assert re.search(rf'id="n-team-calls"[^>]*><b>{calls}</b>今日巡逻队出警', page), page
        assert re.search(rf'id="n-team-in-ten"[^>]*><b>{in_ten}</b>今日10分钟内到场', page)
