"""The sample district shipped with the package: 东湖街道, three communities, nine cells; and
a few sites with a sample campaign's checklist, to try /campaign and the console's pages."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources

from storage.engine import SessionFactory
from triage.circle import places, teams
from triage.districts import grid_import, staffing
from triage.escalation.policy import Policy
from triage.fieldwork import campaigns, checklists, sites

SAMPLE_CAMPAIGN = "电动车入户充电专项排查（示例）"
SAMPLE_CAMPAIGN_DAYS = 14

DATA = resources.files("firecircle") / "data"


def sample_teams() -> list[dict]:
    return json.loads((DATA / "sample_teams.json").read_text(encoding="utf-8"))


def sample_staff() -> list[dict]:
    return json.loads((DATA / "sample_staff.json").read_text(encoding="utf-8"))


async def load_sample_district(sessions: SessionFactory) -> None:
    """Loads the cells, the staff, the patrol teams and the service points; loading again (a
    restarted demo) changes nothing."""
    specs = grid_import.parse_grid_file((DATA / "sample_district.geojson").read_text("utf-8"))
    await grid_import.import_cells(sessions, specs)
    known = {entry.staff.telegram_id for entry in await staffing.list_staff(sessions)}
    for person in sample_staff():
        if person["telegram_id"] in known:
            continue
        await staffing.add_staff(
            sessions,
            telegram_id=person["telegram_id"],
            name=person["name"],
            role=person["role"],
            grids=person.get("grids", ()),
            community=person.get("community"),
            street=person.get("street"),
        )
    known_teams = {entry.team.name for entry in await teams.list_teams(sessions)}
    for team in sample_teams():
        if team["name"] not in known_teams:
            await teams.add_team(sessions, teams.TeamChange(**team))
    specs = places.parse_places((DATA / "sample_places.csv").read_text("utf-8"), geojson=False)
    await places.import_places(sessions, specs, margin_meters=0)


async def load_sample_sites(sessions: SessionFactory) -> int:
    """The sample district's eight sites (data/sample_sites.csv); importing again updates
    them. Kept apart from the district: a campaign takes every site of its cells."""
    specs = sites.parse_sites((DATA / "sample_sites.csv").read_text("utf-8"), geojson=False)
    done = await sites.import_sites(sessions, specs)
    return done.added + done.updated


def sample_checklist() -> list[dict]:
    return checklists.parse_checklist((DATA / "sample_checklist.yaml").read_text("utf-8"))


async def start_sample_campaign(sessions: SessionFactory, policy: Policy, now: datetime) -> int:
    """A campaign on every cell of the sample district for two weeks; its id."""
    codes = [
        spec.code
        for spec in grid_import.parse_grid_file(
            (DATA / "sample_district.geojson").read_text("utf-8")
        )
    ]
    until = (now.astimezone(policy.timezone) + timedelta(days=SAMPLE_CAMPAIGN_DAYS)).date()
    made = await campaigns.create(
        sessions,
        policy,
        title=SAMPLE_CAMPAIGN,
        checklist=sample_checklist(),
        grids=codes,
        site_type=None,
        until=until,
        now=now,
    )
    return made.id
