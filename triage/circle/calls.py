"""A fire met within ten minutes: the nearest on-duty patrol team is called to an emergency
with its place; 出发 / 到场 / 已处置 / 需要支援 are timed; nobody setting off in time calls the
next team and tells the street's coordinators. Every step is an event in the report's history.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports as report_rows
from storage import staff as staff_rows
from storage import teams as team_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, Staff, Team, TeamCall
from storage.types import utcnow
from triage.actors import Actor
from triage.circle.distance import meters_between
from triage.escalation.dispatch import place_of
from triage.escalation.policy import Policy
from triage.escalation.routing import on_duty
from triage.reports.notices import EMERGENCY, Notice, card_of, post, to_followers, to_staff
from triage.tasks.outcome import Outcome

BATCH = 100
STEPS = {  # a press → (from which statuses, to which, the time column, the event)
    "depart": (("called", "passed"), "departed", "departed_at", "team_departed"),
    "arrive": (("called", "passed", "departed"), "arrived", "arrived_at", "team_arrived"),
    "handled": (
        ("called", "passed", "departed", "arrived"),
        "handled",
        "handled_at",
        "team_handled",
    ),
}


async def call_team(
    session: AsyncSession, report: Report, policy: Policy, now: datetime, *, round: int = 1
) -> list[Notice]:
    """Call the best on-duty team not yet called to this emergency; the notices say so."""
    called = {c.team_id for c in await team_rows.calls_of(session=session, report_id=report.id)}
    team, members = await _best_team(session, report, policy, now, skip=called)
    if team is None:
        await _event(session, report, "no_team", now, {"round": round})
        return []
    call = await team_rows.add_call(
        session=session,
        call=TeamCall(
            report_id=report.id,
            team_id=team.id,
            round=round,
            called_at=now,
            depart_deadline_at=now + policy.team_depart,
        ),
    )
    await _event(session, report, "team_called", now, {"team": team.name, "round": round})
    card = await card_of(session, report)
    extra = {"call_id": call.id, "team": team.name}
    return [
        Notice("team_alert", s.telegram_id, s.language, report.id, card, extra, EMERGENCY)
        for s in members
    ]


async def _best_team(
    session: AsyncSession, report: Report, policy: Policy, now: datetime, *, skip: set[int]
) -> tuple[Team | None, list[Staff]]:
    """Nearest by the emergency's location to the team's base; else (or for teams without a
    base) the team of its community, then of its street, then any."""
    teams = [t for t in await team_rows.active_teams(session=session) if t.id not in skip]
    local = now.astimezone(policy.timezone).time()
    teams = [t for t in teams if on_duty(t, local)]
    members = await team_rows.members_of(session=session, team_ids=[t.id for t in teams])
    teams = [t for t in teams if members[t.id]]
    if not teams:
        return None, []
    street = (await place_of(session, report)).street
    best = min(teams, key=lambda t: _rank(t, report, street))
    return best, members[best.id]


def _rank(team: Team, report: Report, street: str | None) -> tuple[float, int]:
    distance = math.inf
    if report.latitude is not None and team.base_latitude is not None:
        distance = meters_between(
            report.latitude, report.longitude, team.base_latitude, team.base_longitude
        )
    nearness = 0 if team.community and team.community == report.community else 1
    if nearness and team.street != street:
        nearness = 2
    return (distance, nearness) if distance < math.inf else (math.inf, nearness)


async def calls_due(session: AsyncSession, policy: Policy, now: datetime) -> int:
    """Calls nobody set off for in time: passed over, the next team called, the street's
    coordinators told. Returns how many were handled."""
    due = await team_rows.due_calls(session=session, now=now, limit=BATCH)
    for call in due:
        won = await team_rows.change_call(
            session=session,
            call_id=call.id,
            from_statuses=["called"],
            values={"status": "passed", "depart_deadline_at": None},
        )
        if won:
            await post(session, await _pass_on(session, call, policy, now))
    return len(due)


async def _pass_on(
    session: AsyncSession, call: TeamCall, policy: Policy, now: datetime
) -> list[Notice]:
    report = await session.get(Report, call.report_id)
    team = await session.get(Team, call.team_id)
    await _event(session, report, "team_passed", now, {"team": team.name, "round": call.round})
    notices = await call_team(session, report, policy, now, round=call.round + 1)
    following = notices[0].extra["team"] if notices else None
    card = await card_of(session, report)
    street = (await place_of(session, report)).street
    above = await staff_rows.street_coordinators(session=session, street=street)
    above += await staff_rows.duty_officers(session=session, street=street)
    said = {"team": team.name, "next_team": following or ""}
    kind = "team_passed" if following else "team_passed_none"
    return notices + [to_staff(s, kind, card, priority=EMERGENCY, **said) for s in _once(above)]


def _once(staff: Sequence[Staff]) -> list[Staff]:
    seen: dict[int, Staff] = {}
    for s in staff:
        seen.setdefault(s.id, s)
    return list(seen.values())


async def _event(
    session: AsyncSession, report: Report, action: str, now: datetime, detail: dict[str, Any]
) -> None:
    await report_rows.add_event(
        session=session, report_id=report.id, actor="system", action=action, detail=detail, at=now
    )


class TeamDesk:
    """A team member's presses on a team alert."""

    def __init__(self, sessions: SessionFactory, clock: Callable[[], datetime] = utcnow):
        self.sessions = sessions
        self.clock = clock

    async def press(self, actor: Actor, call_id: int, step: str) -> Outcome:
        async with transaction(self.sessions) as session:
            call = await session.get(TeamCall, call_id)
            if call is None or (step not in STEPS and step != "support"):
                return Outcome("team_gone", actor.language, refused=True)
            team = await session.get(Team, call.team_id)
            if call.team_id not in await team_rows.teams_of_member(
                session=session, staff_id=actor.id
            ):
                return Outcome("team_not_yours", actor.language, {"team": team.name}, refused=True)
            if step == "support":
                return await self._support(session, actor, call, team)
            return await self._step(session, actor, call, team, step)

    async def _step(
        self, session: AsyncSession, actor: Actor, call: TeamCall, team: Team, step: str
    ) -> Outcome:
        starts, status, column, event = STEPS[step]
        now = self.clock()
        values: dict[str, Any] = {"status": status, column: now, "depart_deadline_at": None}
        if step == "depart":
            values["departed_by"] = actor.id
        elif call.departed_at is None:  # arrived without pressing 出发: it set off at once
            values.update(departed_at=now, departed_by=actor.id)
        if call.status not in starts or not await team_rows.change_call(
            session=session, call_id=call.id, from_statuses=list(starts), values=values
        ):
            await session.refresh(call)  # a teammate's press may have won meanwhile
            return Outcome(f"team_already_{call.status}", actor.language, refused=True)
        report = await session.get(Report, call.report_id)
        minutes = round((now - call.called_at).total_seconds() / 60, 1)
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor=actor.ref,
            action=event,
            detail={"team": team.name, "minutes": minutes},
            at=now,
        )
        notices = await self._tell(session, report, event, team, actor, minutes)
        await post(session, notices)
        return Outcome(event, actor.language, {"team": team.name, "minutes": minutes})

    async def _tell(
        self,
        session: AsyncSession,
        report: Report,
        event: str,
        team: Team,
        actor: Actor,
        minutes: float,
    ) -> list[Notice]:
        """The officer and coordinators alerted see who is going and when they got there;
        the resident hears that a team set off (never to wait instead of calling 119)."""
        card = await card_of(session, report)
        said = {"team": team.name, "member": actor.name, "minutes": minutes}
        alerted = await _alerted(session, report)
        notices = [to_staff(s, event, card, priority=EMERGENCY, **said) for s in alerted]
        if event == "team_departed":
            notices += await to_followers(session, report, "team_on_the_way", card, **said)
        return notices

    async def _support(
        self, session: AsyncSession, actor: Actor, call: TeamCall, team: Team
    ) -> Outcome:
        now = self.clock()
        await team_rows.change_call(
            session=session,
            call_id=call.id,
            from_statuses=["called", "passed", "departed", "arrived"],
            values={"support_at": now},
        )
        report = await session.get(Report, call.report_id)
        await report_rows.add_event(
            session=session,
            report_id=report.id,
            actor=actor.ref,
            action="team_support",
            detail={"team": team.name},
            at=now,
        )
        card = await card_of(session, report)
        street = (await place_of(session, report)).street
        above = await _alerted(session, report)
        above += await staff_rows.street_coordinators(session=session, street=street)
        said = {"team": team.name, "member": actor.name}
        await post(
            session,
            [to_staff(s, "team_support", card, priority=EMERGENCY, **said) for s in _once(above)],
        )
        return Outcome("team_support", actor.language, {"team": team.name})


async def _alerted(session: AsyncSession, report: Report) -> list[Staff]:
    """Whoever the emergency was sent to (the assign event's `told`)."""
    told: list[int] = []
    for event in await report_rows.events_of(
        session=session, report_id=report.id, action="assigned"
    ):
        told += event.detail.get("told", [])
    return await staff_rows.staff_by_ids(session=session, ids=sorted(set(told)))


async def tell_teams_where(session: AsyncSession, report: Report) -> list[Notice]:
    """The emergency's place arrived after the teams were called: their members get the pin."""
    calls = [
        c
        for c in await team_rows.calls_of(session=session, report_id=report.id)
        if c.status in ("called", "departed")
    ]
    members = await team_rows.members_of(session=session, team_ids=[c.team_id for c in calls])
    card = await card_of(session, report)
    return [
        Notice("team_located", s.telegram_id, s.language, report.id, card, {}, EMERGENCY)
        for c in calls
        for s in members[c.team_id]
    ]
