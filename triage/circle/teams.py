"""Patrol teams (巡逻队): who is in them, where they start from, when they are on duty —
`firecircle teams add|list|update|remove`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from storage import grid as grid_rows
from storage import staff as staff_rows
from storage import teams as team_rows
from storage.engine import SessionFactory, transaction
from storage.models import Staff, Team
from triage.districts.cells import DistrictMap, valid_coordinates
from triage.districts.staffing import StaffError, duty_hours_of


class TeamProblem(ValueError):
    """A team change that cannot be made; the message says why."""


BASE_MARGIN_METERS = 10_000  # a team may set off from a station outside its district, not far


@dataclass(frozen=True)
class TeamEntry:
    team: Team
    members: list[Staff]

    @property
    def duty_hours(self) -> str | None:
        t = self.team
        return f"{t.duty_start}-{t.duty_end}" if t.duty_start and t.duty_end else None

    def as_dict(self) -> dict:
        t = self.team
        base = None if t.base_latitude is None else [t.base_latitude, t.base_longitude]
        return {
            "name": t.name,
            "street": t.street,
            "community": t.community,
            "members": [{"telegram_id": s.telegram_id, "name": s.name} for s in self.members],
            "base": base,
            "duty_hours": self.duty_hours,
            "active": t.active,
        }


@dataclass
class TeamChange:
    """What `add` or `update` was given (None: not given; "" clears an optional field)."""

    name: str
    street: str | None = None
    community: str | None = None
    members: Sequence[int] | None = None  # Telegram ids of staff
    base: str | None = None  # "LAT,LON"
    duty_hours: str | None = None


async def add_team(sessions: SessionFactory, change: TeamChange) -> TeamEntry:
    if not change.name.strip() or len(change.name) > 64:
        raise TeamProblem("a team needs a name of at most 64 characters")
    if not change.street:
        raise TeamProblem("a team needs --street")
    if not change.members:
        raise TeamProblem("a team needs at least one member (--members ID,ID)")
    async with transaction(sessions) as session:
        existing = await team_rows.team_named(session=session, name=change.name.strip())
        if existing is not None and existing.active:
            raise TeamProblem(f"there is already a team named {change.name!r}")
        team = existing or Team(name=change.name.strip(), street=change.street)
        team.active = True
        await _apply(session, team, change)
        return await _entry(session, team)


async def update_team(sessions: SessionFactory, change: TeamChange) -> TeamEntry:
    async with transaction(sessions) as session:
        team = await team_rows.team_named(session=session, name=change.name)
        if team is None or not team.active:
            raise TeamProblem(f"no team is named {change.name!r} (see `firecircle teams list`)")
        await _apply(session, team, change)
        return await _entry(session, team)


async def remove_team(sessions: SessionFactory, name: str) -> Team:
    """Off duty for good: its past calls (and their figures) stay."""
    async with transaction(sessions) as session:
        team = await team_rows.team_named(session=session, name=name)
        if team is None or not team.active:
            raise TeamProblem(f"no team is named {name!r} (see `firecircle teams list`)")
        team.active = False
        await session.flush()
        return team


async def list_teams(sessions: SessionFactory) -> list[TeamEntry]:
    async with transaction(sessions) as session:
        teams = await team_rows.all_teams(session=session)
        members = await team_rows.members_of(session=session, team_ids=[t.id for t in teams])
    return [TeamEntry(t, members[t.id]) for t in teams]


async def _apply(session, team: Team, change: TeamChange) -> None:
    streets, communities = await _places(session)
    if change.street is not None:
        if change.street not in streets:
            raise TeamProblem(f"no grid cell is in the street {change.street!r}")
        team.street = change.street
    if change.community is not None:
        if change.community and communities.get(change.community) != team.street:
            raise TeamProblem(f"{change.community!r} is not a community of {team.street!r}")
        team.community = change.community or None
    if change.base is not None:
        latitude, longitude = _base(change.base)
        if latitude is not None:
            district = DistrictMap(await grid_rows.all_grid_cells(session=session))
            if not district.serves(latitude, longitude, BASE_MARGIN_METERS):
                raise TeamProblem(
                    f"--base {latitude},{longitude} is more than "
                    f"{BASE_MARGIN_METERS // 1000} km outside the district (LAT,LON, in that order?)"
                )
        team.base_latitude, team.base_longitude = latitude, longitude
    if change.duty_hours is not None:
        try:
            team.duty_start, team.duty_end = duty_hours_of(change.duty_hours)
        except StaffError as exc:
            raise TeamProblem(str(exc)) from None
    session.add(team)
    await session.flush()
    if change.members is not None:
        staff = await _members(session, change.members)
        await team_rows.set_members(
            session=session, team_id=team.id, staff_ids=[s.id for s in staff]
        )


async def _places(session) -> tuple[set[str], dict[str, str]]:
    cells = await grid_rows.all_grid_cells(session=session)
    return {c.street for c in cells}, {c.community: c.street for c in cells}


async def _members(session, telegram_ids: Sequence[int]) -> list[Staff]:
    if len(set(telegram_ids)) != len(telegram_ids):
        raise TeamProblem("a member is named twice")
    found = {
        s.telegram_id: s
        for s in await staff_rows.staff_by_telegram_ids(session=session, ids=list(telegram_ids))
        if s.active
    }
    missing = [str(i) for i in telegram_ids if i not in found]
    if missing:
        raise TeamProblem(
            f"not staff: {', '.join(missing)} (add them with `firecircle staff add` first)"
        )
    return [found[i] for i in telegram_ids]


def _base(text: str) -> tuple[float | None, float | None]:
    if not text:
        return None, None
    try:
        latitude, longitude = (float(part) for part in text.replace("，", ",").split(","))
    except ValueError:
        raise TeamProblem("--base is LAT,LON, e.g. 30.5420,114.3375") from None
    if not valid_coordinates(latitude, longitude):
        raise TeamProblem("--base is not a valid latitude,longitude")
    return latitude, longitude


async def _entry(session, team: Team) -> TeamEntry:
    members = await team_rows.members_of(session=session, team_ids=[team.id])
    return TeamEntry(team, members[team.id])
