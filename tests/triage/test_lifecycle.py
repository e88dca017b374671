"""The lifecycle table, walked whole: every action from every state by every role, on a hazard
and on a question. What the table allows works (the state it names, the event it names);
everything else is refused with a reason and changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from firecircle.sample import load_sample_district
from storage import grid as grid_rows
from storage import reports as report_rows
from storage import staff as staff_rows
from storage.engine import make_engine, make_session_factory, transaction
from storage.models import Report, Resident
from storage.types import utcnow
from triage.actors import SYSTEM, Actor, Role, resident_actor, staff_actor
from triage.escalation.policy import Policy
from triage.lifecycle import TABLE, Action, Lifecycle, Status, available_actions

POLICY = Policy()
ROLES = (Role.RESIDENT, Role.WORKER, Role.COORDINATOR, Role.OFFICER, Role.ADMIN, Role.SYSTEM)
KINDS = ("hazard", "question")
# Who plays each role: the reporter; the cell's worker (the assignee); the community's
# coordinator; the street's duty officer; the administrator (firecircle/data/sample_staff.json)
PLAYERS = {Role.WORKER: 2001, Role.COORDINATOR: 3001, Role.OFFICER: 4001, Role.ADMIN: 5001}


@pytest.fixture
async def world(sqlite_url):
    engine = make_engine(sqlite_url)
    sessions = make_session_factory(engine)
    await load_sample_district(sessions)
    async with transaction(sessions) as session:
        resident = Resident(telegram_id=77, chat_id=77, name="小李")
        session.add(resident)
        await session.flush()
        actors = {Role.RESIDENT: resident_actor(resident), Role.SYSTEM: SYSTEM}
        for role, telegram_id in PLAYERS.items():
            staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=telegram_id)
            actors[role] = staff_actor(staff)
        cell = await grid_rows.grid_cell_by_code(session=session, code="DH-01-01")
    yield sessions, actors, cell
    await engine.dispose()


def _args(action: Action, actors: dict, original: int) -> dict:
    now = utcnow()
    return {
        Action.ASSIGN: {"to": actors[Role.WORKER].id, "level": 0},
        Action.HAND_OVER: {"to": actors[Role.WORKER].id, "level": 0},
        Action.ASSIGN_TO: {"to": actors[Role.WORKER].id, "level": 0},
        Action.ORDER: {"deadline": now + timedelta(days=3)},
        Action.RATE: {"stars": 4},
        Action.EDIT: {"text": "改过的描述"},
        Action.MERGE: {"into": original},
        Action.MARK_DUPLICATE: {"into": original},
        Action.NOTE: {"note": "已电话联系居民"},
        Action.STAFF_CLOSE: {"note": "不属于消防隐患"},
    }.get(action, {})


def _allowed(action: Action, role: Role, status: Status, kind: str) -> bool:
    rule = TABLE[action]
    return (
        status != Status.MERGED
        and role in rule.roles
        and status in rule.start
        and (rule.kinds is None or kind in rule.kinds)
    )


@pytest.mark.parametrize("action", list(Action))
async def test_every_role_from_every_state(world, action):
    sessions, actors, cell = world
    lifecycle = Lifecycle(POLICY)
    rule = TABLE[action]
    async with transaction(sessions) as session:
        original = _report(actors, cell, Status.ASSIGNED, "hazard")
        session.add(original)
        await session.flush()
        for role in ROLES:
            for status in Status:
                for kind in KINDS:
                    report = _report(actors, cell, status, kind)
                    session.add(report)
                    await session.flush()
                    case = f"{action} by {role} from {status} on a {kind}"
                    moved = await lifecycle.transition(
                        session, report, action, actors[role], **_args(action, actors, original.id)
                    )
                    history = await report_rows.history_of(session=session, report_id=report.id)
                    if _allowed(action, role, status, kind):
                        assert moved.won, f"{case}: refused ({moved.refusal})"
                        assert report.status == (rule.to or status), case
                        assert [e.action for e in history] == [rule.event], case
                        assert history[0].actor == actors[role].ref, case
                    else:
                        assert not moved.won and moved.refusal.key, f"{case}: allowed"
                        assert report.status == status and not history, case


async def test_staff_off_the_task_are_refused_and_told_why(world):
    sessions, actors, cell = world
    lifecycle = Lifecycle(POLICY)
    async with transaction(sessions) as session:
        other = await staff_rows.staff_by_telegram_id(session=session, telegram_id=3002)  # 和平社区
        colleague = await staff_rows.staff_by_telegram_id(session=session, telegram_id=2002)
        report = _report(actors, cell, Status.ASSIGNED, "hazard")
        session.add(report)
        await session.flush()
        for stranger in (staff_actor(other), staff_actor(colleague)):
            moved = await lifecycle.transition(session, report, Action.ACKNOWLEDGE, stranger)
            assert moved.refusal.key == "not_your_task"
            assert await available_actions(session, report, stranger) == []
        someone = Actor(Role.RESIDENT, id=actors[Role.RESIDENT].id + 1)
        moved = await lifecycle.transition(session, report, Action.EDIT, someone, text="x")
        assert moved.refusal.key == "not_your_task"
        assert report.status == Status.ASSIGNED and report.text == "楼道里有电动车在充电"


async def test_what_each_role_is_offered_on_an_assigned_hazard(world):
    sessions, actors, cell = world
    async with transaction(sessions) as session:
        report = _report(actors, cell, Status.ASSIGNED, "hazard")
        session.add(report)
        await session.flush()
        offered = {
            role: await available_actions(session, report, actors[role])
            for role in (Role.WORKER, Role.COORDINATOR)
        }
    # 办结 only once taken; the worker hands over (转交), those above assign (指派给…)
    assert offered[Role.WORKER] == [
        Action.ACKNOWLEDGE,
        Action.ASK,
        Action.HAND_OVER,
        Action.FLAG_ABUSE,
        Action.NOTE,
        Action.MARK_DUPLICATE,
    ]
    assert Action.ASSIGN_TO in offered[Role.COORDINATOR]
    assert Action.STAFF_CLOSE in offered[Role.COORDINATOR]
    assert Action.HAND_OVER not in offered[Role.COORDINATOR]
    assert Action.RESOLVE not in offered[Role.COORDINATOR]


@pytest.mark.parametrize("source", ["patrol", "campaign", "open311"])
async def test_a_report_no_resident_filed_offers_nobody_to_ask_or_flag(world, source):
    sessions, actors, cell = world
    lifecycle = Lifecycle(POLICY)
    async with transaction(sessions) as session:
        report = _report(actors, cell, Status.ACKNOWLEDGED, "hazard")
        report.resident_id, report.source = None, source
        session.add(report)
        await session.flush()
        offered = await available_actions(session, report, actors[Role.WORKER])
        assert offered == [
            Action.HAND_OVER,
            Action.ORDER,
            Action.RESOLVE,
            Action.NOTE,
            Action.MARK_DUPLICATE,
        ]
        above = await available_actions(session, report, actors[Role.COORDINATOR])
        assert Action.ASK not in above and Action.FLAG_ABUSE not in above
        for action in (Action.ASK, Action.FLAG_ABUSE):
            moved = await lifecycle.transition(session, report, action, actors[Role.WORKER])
            assert not moved.won and moved.refusal.key == "no_resident"
        history = await report_rows.history_of(session=session, report_id=report.id)
        assert report.status == Status.ACKNOWLEDGED and not history


async def test_a_step_begun_before_a_hand_over_loses_and_says_why(world):
    """A worker typed their 办结 note while the task was handed to a colleague: the guarded
    update sees an assignee other than the one they saw, and nothing changes."""
    sessions, actors, cell = world
    lifecycle = Lifecycle(POLICY)
    async with transaction(sessions) as session:
        colleague = await staff_rows.staff_by_telegram_id(session=session, telegram_id=2002)
        report = _report(actors, cell, Status.ACKNOWLEDGED, "hazard")
        report.assignee_id = colleague.id
        session.add(report)
        await session.flush()
        coordinator = actors[Role.COORDINATOR]
        seen = actors[Role.WORKER].id  # whom the coordinator saw holding it
        moved = await lifecycle.transition(
            session, report, Action.RESOLVE, coordinator, note="已清理", seen_assignee=seen
        )
        assert not moved.won and moved.refusal.key == "task_moved_on"
        assert moved.refusal.values["assignee"] == colleague.name
        assert report.status == Status.ACKNOWLEDGED and report.assignee_id == colleague.id


def _report(actors: dict, cell, status: Status, kind: str) -> Report:
    now = utcnow()
    return Report(
        resident_id=actors[Role.RESIDENT].id,
        text="楼道里有电动车在充电",
        kind=kind,
        category="ebike" if kind == "hazard" else None,
        severity="high" if kind == "hazard" else None,
        grid_id=cell.id,
        community=cell.community,
        status=status,
        assignee_id=actors[Role.WORKER].id,
        created_at=now,
        updated_at=now,
    )


def test_readme_shows_the_table_as_it_is():
    from pathlib import Path

    from triage.lifecycle import as_markdown

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    assert as_markdown() in readme, "README's lifecycle table is stale: python -m triage.lifecycle"


async def test_a_duplicate_needs_another_live_report_in_the_actors_scope(world):
    sessions, actors, cell = world
    lifecycle = Lifecycle(POLICY)
    worker, coordinator = actors[Role.WORKER], actors[Role.COORDINATOR]
    async with transaction(sessions) as session:
        elsewhere = await grid_rows.grid_cell_by_code(session=session, code="DH-02-01")
        report = _report(actors, cell, Status.ASSIGNED, "hazard")
        original = _report(actors, cell, Status.ACKNOWLEDGED, "hazard")
        merged = _report(actors, cell, Status.MERGED, "hazard")
        outside = _report(actors, elsewhere, Status.NEW, "hazard")
        outside.assignee_id = None
        session.add_all([report, original, merged, outside])
        await session.flush()
        merged.merged_into_id = report.id  # an earlier duplicate of the one marked below
        await session.flush()
        cases = [
            (worker, None, "duplicate_unknown"),
            (worker, 10**9, "duplicate_unknown"),
            (worker, report.id, "duplicate_of_itself"),
            (worker, merged.id, "duplicate_of_merged"),
            (worker, outside.id, "duplicate_out_of_scope"),
            (coordinator, outside.id, "duplicate_out_of_scope"),
        ]
        for actor, into, key in cases:
            moved = await lifecycle.transition(
                session, report, Action.MARK_DUPLICATE, actor, into=into
            )
            assert moved.refusal is not None and moved.refusal.key == key, (actor.role, into)
        assert moved.refusal.values["original"] == outside.reference
        assert report.status == Status.ASSIGNED and report.merged_into_id is None
        assert not await report_rows.history_of(session=session, report_id=report.id)
        moved = await lifecycle.transition(
            session,
            report,
            Action.MARK_DUPLICATE,
            worker,
            detail={"into": original.reference},
            say={"original": original.reference},
            into=original.id,
        )
        assert moved.won and report.status == Status.MERGED
        assert report.merged_into_id == original.id and report.next_deadline_at is None
        await session.refresh(merged)
        assert merged.merged_into_id == original.id  # it followed `report`: now the original
        [told] = moved.notices
        assert told.kind == "marked_duplicate" and told.chat_id == 77
        assert told.extra["original"] == original.reference


async def test_notes_and_closing_need_words_and_closing_is_for_those_above(world):
    sessions, actors, cell = world
    lifecycle = Lifecycle(POLICY)
    async with transaction(sessions) as session:
        resolved = _report(actors, cell, Status.RESOLVED, "hazard")
        open_one = _report(actors, cell, Status.ASSIGNED, "hazard")
        session.add_all([resolved, open_one])
        await session.flush()
        for action in (Action.NOTE, Action.STAFF_CLOSE):
            moved = await lifecycle.transition(
                session, resolved, action, actors[Role.COORDINATOR], note="  "
            )
            assert moved.refusal.key == "note_needed"
        moved = await lifecycle.transition(
            session, resolved, Action.STAFF_CLOSE, actors[Role.WORKER], note="不是隐患"
        )
        assert moved.refusal.key == "not_for_your_role" and resolved.status == Status.RESOLVED
        moved = await lifecycle.transition(
            session, resolved, Action.STAFF_CLOSE, actors[Role.COORDINATOR], note="已核实"
        )
        assert moved.won and resolved.status == Status.CLOSED
        assert resolved.next_deadline_at is not None  # 回头看 later, as if confirmed
        moved = await lifecycle.transition(
            session, open_one, Action.STAFF_CLOSE, actors[Role.OFFICER], note="不属于消防隐患"
        )
        assert moved.won and open_one.status == Status.CLOSED
        assert open_one.next_deadline_at is None and open_one.ack_deadline_at is None
        [event] = await report_rows.history_of(session=session, report_id=open_one.id)
        assert event.action == "closed_by_staff" and event.detail["note"] == "不属于消防隐患"
