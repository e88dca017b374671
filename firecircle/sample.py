"""The sample district shipped with the package: 东湖街道, three communities, nine cells."""

from __future__ import annotations

import json
from importlib import resources

from storage.engine import SessionFactory
from triage.circle import places, teams
from triage.districts import grid_import, staffing

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
