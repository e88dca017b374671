"""staff update and the grid roster on both databases: cells replaced, duty order kept."""

from __future__ import annotations

import pytest

from firecircle.sample import load_sample_district
from triage.districts import staffing


def roster(cells: list[staffing.CellRoster]) -> dict[str, list[int]]:
    return {c.cell.code: [w.telegram_id for w in c.workers] for c in cells}


async def test_update_replaces_cells_and_keeps_each_cells_order(sessions):
    await load_sample_district(sessions)
    before = roster(await staffing.grid_roster(sessions))
    assert before["DH-01-01"] == [2001] and before["DH-01-02"] == [2002]
    entry = await staffing.update_staff(
        sessions, telegram_id=2002, grids=["DH-01-01", "DH-01-02"], duty_hours="08:00-20:00"
    )
    assert entry.grids == ["DH-01-01", "DH-01-02"]
    after = roster(await staffing.grid_roster(sessions))
    assert after["DH-01-01"] == [2001, 2002]  # joins as a backup
    assert after["DH-01-02"] == [2002]  # keeps their place
    listed = {e.staff.telegram_id: e for e in await staffing.list_staff(sessions)}
    assert listed[2002].duty_hours == "08:00-20:00"
    await staffing.update_staff(sessions, telegram_id=2002, grids=["DH-03-03"])
    after = roster(await staffing.grid_roster(sessions))
    assert after["DH-01-01"] == [2001] and 2002 in after["DH-03-03"]
    listed = {e.staff.telegram_id: e for e in await staffing.list_staff(sessions)}
    assert listed[2002].staff.community == "春晖社区"


async def test_a_refused_update_changes_nothing(sessions):
    await load_sample_district(sessions)
    before = [e.as_dict() for e in await staffing.list_staff(sessions)]
    with pytest.raises(staffing.StaffError, match="no grid cell with code NOPE"):
        await staffing.update_staff(sessions, telegram_id=2001, name="新名字", grids=["NOPE"])
    assert [e.as_dict() for e in await staffing.list_staff(sessions)] == before


async def test_two_removals_at_once_never_leave_a_team_empty(sessions):
    """Each admin removes one of a team's two members at the same moment: one goes, the other
    is refused as the last member (PostgreSQL holds the team's row; SQLite writes in turn)."""
    import asyncio

    from triage.circle.teams import TeamChange, add_team, list_teams

    await load_sample_district(sessions)
    await add_team(sessions, TeamChange(name="双人队", street="东湖街道", members=[2001, 2002]))
    results = await asyncio.gather(
        staffing.remove_staff(sessions, telegram_id=2001),
        staffing.remove_staff(sessions, telegram_id=2002),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, staffing.StaffError)]
    assert len(refused) == 1 and "last member of patrol team '双人队'" in str(refused[0])
    [team] = [e for e in await list_teams(sessions) if e.team.name == "双人队"]
    assert len(team.members) == 1
