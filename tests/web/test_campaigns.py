"""The console's campaign pages (README, "The web console"): the list with progress, one
campaign's figures per cell — the same as `firecircle campaign status` — on a map coloured by
the share visited, each in the viewer's scope; in zh and en."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlmodel import select

from firecircle.sample import load_sample_district
from storage import fieldwork as field_rows
from storage import reports as report_rows
from storage.engine import transaction
from storage.models import CampaignVisit, Report, Resident, Site
from storage.types import utcnow
from tests.harness import COORDINATOR_XINGFU, OFFICER, WORKER_1
from triage.console.desk import Console
from triage.escalation.policy import Policy
from triage.fieldwork import campaigns, checklists, sites
from triage.tasks.desk import StaffDesk
from web.app import build_web_app

ZONE = ZoneInfo("Asia/Shanghai")
WORKER_CHUNHUI = 2007  # 赵敏, DH-03-01: no cell of the campaign
CHECKLIST = """\
- question: 是否有电动车在楼道或室内充电？
  type: yesno
  hazard: {when: yes, category: ebike, severity: high}
"""
SITES = """name,address,type,lat,lon,grid
幸福小区1号楼,幸福路12号1栋,住宅,30.5412,114.3312,
幸福小区2号楼,幸福路12号2栋,住宅,30.5414,114.3372,
幸福小区3号楼,幸福路12号3栋,住宅,,,DH-01-02
和平里1号楼,和平路3号,住宅,30.5450,114.3320,
"""


@pytest.fixture
async def console(sessions):
    await load_sample_district(sessions)
    return Console(StaffDesk(sessions, Policy(), utcnow), ZONE, "http://console.test")


async def log_in(client, console, telegram_id: int) -> None:
    link = await console.link(telegram_id)
    response = await client.get(link.removeprefix("http://console.test"), allow_redirects=False)
    assert response.status == 303


async def page_of(console, telegram_id: int, path: str, lang: str | None = None):
    async with TestClient(TestServer(build_web_app(console))) as client:
        await log_in(client, console, telegram_id)
        cookies = {"fc_lang": lang} if lang else None
        response = await client.get(path, cookies=cookies)
        return response.status, await response.text()


async def a_campaign(sessions) -> int:
    """Four sites in three cells (DH-01-01: 1号楼; DH-01-02: 2号楼, 3号楼; DH-02-01: 和平里);
    1号楼 visited with a hazard that was fixed, 2号楼 with one past its rectification deadline."""
    await sites.import_sites(sessions, sites.parse_sites(SITES, geojson=False))
    made = await campaigns.create(
        sessions,
        Policy(),
        title="电动车入户充电专项排查",
        checklist=checklists.parse_checklist(CHECKLIST),
        grids=["DH-01-01", "DH-01-02", "DH-02-01"],
        site_type=None,
        until=(utcnow() + timedelta(days=30)).date(),
        now=utcnow(),
    )
    now = utcnow()
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=10**12, chat_id=10**12, name="—")
        session.add(resident)
        await session.flush()
        for name, status, deadline in (
            ("幸福小区1号楼", "resolved", now + timedelta(days=3)),
            ("幸福小区2号楼", "acknowledged", now - timedelta(hours=1)),
        ):
            site = (await session.exec(select(Site).where(Site.name == name))).one()
            visit = (
                await session.exec(select(CampaignVisit).where(CampaignVisit.site_id == site.id))
            ).one()
            await field_rows.finish_visit(
                session=session, visit_id=visit.id, answers={"0": "yes"}, hazards=1, now=now
            )
            report = Report(
                resident_id=resident.id,
                text=f"【排查】{name}：电动车入户充电",
                community=site.community,
                grid_id=site.grid_id,
                status=status,
                source="campaign",
                campaign_id=made.id,
                site_id=site.id,
                rectify_deadline_at=deadline,
            )
            await report_rows.add_report(session=session, report=report, actor="system")
    return made.id


def rows(page: str) -> dict[str, list[str]]:
    """The per-cell table: row id → its cells' text (tags dropped)."""
    found = {}
    for row_id, body in re.findall(r'<tr id="((?:grid-[\w-]+)|total)">(.*?)</tr>', page, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", body, re.S)
        found[row_id] = [re.sub(r"<[^>]+>", "", c).strip() for c in cells[1:]]
    return found


async def test_each_one_sees_the_campaigns_cells_in_their_scope(sessions, console):
    campaign_id = await a_campaign(sessions)

    status, listing = await page_of(console, WORKER_1, "/campaigns")
    assert status == 200 and 'id="nav-campaigns"' in listing
    assert f'href="/campaigns/{campaign_id}"' in listing and "电动车入户充电专项排查" in listing
    assert "1/1 · 100%" in listing  # DH-01-01 alone: its one site, visited

    status, page = await page_of(console, WORKER_1, f"/campaigns/{campaign_id}")
    assert status == 200
    assert rows(page) == {
        "grid-DH-01-01": ["1", "1", "100%", "1", "100.0", "1", "0"],
        "total": ["1", "1", "100%", "1", "100.0", "1", "0"],
    }

    _, page = await page_of(console, COORDINATOR_XINGFU, f"/campaigns/{campaign_id}")
    assert rows(page) == {
        "grid-DH-01-01": ["1", "1", "100%", "1", "100.0", "1", "0"],
        "grid-DH-01-02": ["2", "1", "50%", "1", "50.0", "0", "1"],
        "total": ["3", "2", "67%", "2", "66.7", "1", "1"],
    }
    assert "和平" not in page

    _, page = await page_of(console, OFFICER, f"/campaigns/{campaign_id}")
    figures = await campaigns.status(sessions, Policy(), campaign_id, utcnow())
    shown = rows(page)
    assert list(shown) == ["grid-DH-01-01", "grid-DH-01-02", "grid-DH-02-01", "total"]
    for row in [*figures["by_grid"], figures["total"]]:
        key = f"grid-{row['grid']}" if "grid" in row else "total"
        rate = "—" if row["visited_rate"] is None else f"{row['visited_rate'] * 100:.0f}%"
        per = "—" if row["hazards_per_100_sites"] is None else str(row["hazards_per_100_sites"])
        expected = [row["sites"], row["visited"], rate, row["hazards"], per]
        expected += [row["rectified"], row["overdue"]]
        assert shown[key] == [str(v) for v in expected]
    assert shown["total"] == ["4", "2", "50%", "2", "50.0", "1", "1"]
    assert 'id="pace"' in page and "按进度到今天应完成" in page

    status, listing = await page_of(console, WORKER_CHUNHUI, "/campaigns")
    assert status == 200 and 'id="none"' in listing and "电动车" not in listing
    status, page = await page_of(console, WORKER_CHUNHUI, f"/campaigns/{campaign_id}")
    assert status == 404 and "没有这个专项排查" in page
    status, _ = await page_of(console, OFFICER, "/campaigns/999999")
    assert status == 404


async def test_the_map_colours_cells_by_share_visited_and_marks_sites(sessions, console):
    campaign_id = await a_campaign(sessions)
    _, page = await page_of(console, OFFICER, f"/campaigns/{campaign_id}")
    fills = dict(
        re.findall(
            r'data-code="([\w-]+)">\s*<title>[^<]*</title>\s*<path d="[^"]+" fill="(#\w+)"', page
        )
    )
    assert fills == {"DH-01-01": "#66bb6a", "DH-01-02": "#fff59d", "DH-02-01": "#ef9a9a"}
    # 3号楼 has no location (a grid code only): three dots, two done with hazards found
    assert page.count('class="site done"') == 2 and page.count('class="site todo"') == 1
    assert page.count('class="site-row done"') == 2 and page.count('class="site-row waiting"') == 2


async def test_the_pages_speak_english_when_asked(sessions, console):
    campaign_id = await a_campaign(sessions)
    _, listing = await page_of(console, OFFICER, "/campaigns", lang="en")
    assert "Campaigns" in listing and "Progress (visited/sites)" in listing
    _, page = await page_of(console, OFFICER, f"/campaigns/{campaign_id}", lang="en")
    assert "Per 100 sites" in page and "Rectified" in page and "should be visited" in page
    assert "按进度" not in page
