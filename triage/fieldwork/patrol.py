"""/patrol: a staff member or a volunteer reports what they see — a category (one tap), the
location, a photo and a line of text; no resident's questions. A staff member's own report is
theirs at once (assigned to them); "当场整改" with a photo of the fixed state files it found
and fixed in one go, each step a lifecycle transition with its event. A volunteer's report
goes to the cell's worker on duty like a resident's."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import residents as resident_rows
from storage.engine import transaction
from storage.models import PendingInput, Report
from triage.actors import SYSTEM, Actor, Role
from triage.desks import DeskContext
from triage.districts.cells import valid_coordinates
from triage.escalation.policy import Policy
from triage.fieldwork.replies import CATEGORIES, CONFIRM, CONFIRM_SEND_ONLY, LOCATION, FieldReply
from triage.lifecycle import Action, Lifecycle, Moved
from triage.reports.filing import NewReport, create_report
from triage.reports.notices import TASK, post, to_staff
from triage.understanding.classify import classify
from triage.understanding.taxonomy import Category, Kind, Severity

PURPOSE = "patrol"
MAX_TEXT = 500  # a line of text, not an essay
# Who may patrol: staff, and volunteers; who may fix on the spot (办结 is theirs)
PATROLLERS = frozenset({Role.WORKER, Role.COORDINATOR, Role.OFFICER, Role.ADMIN, Role.VOLUNTEER})
FIXERS = frozenset({Role.WORKER, Role.COORDINATOR, Role.OFFICER, Role.ADMIN})
# The steps of a patrol report, in order
CATEGORY, PLACE, PHOTO, TEXT, READY, AFTER = "category", "place", "photo", "text", "ready", "after"


class Patrol:
    def __init__(self, context: DeskContext):
        self.context = context

    async def start(self, actor: Actor | None) -> FieldReply:
        if actor is None or actor.role not in PATROLLERS or not actor.active:
            return FieldReply("patrol_not_for_you", actor.language if actor else "zh", refused=True)
        async with transaction(self.context.sessions) as session:
            await self._keep(session, actor, {"step": CATEGORY})
        return FieldReply("patrol_category", actor.language, show=CATEGORIES, choices=_categories())

    async def category(self, actor: Actor | None, code: str) -> FieldReply:
        async with transaction(self.context.sessions) as session:
            draft = await self._draft(session, actor)
            if draft is None or draft.get("step") != CATEGORY or code not in set(Category):
                return _stale(actor)
            await self._keep(session, actor, {**draft, "category": code, "step": PLACE})
        return FieldReply("patrol_location", actor.language, show=LOCATION)

    async def received(
        self,
        actor: Actor,
        *,
        text: str | None = None,
        photo: str | None = None,
        location: tuple[float, float] | None = None,
    ) -> FieldReply | None:
        """A message while writing a patrol report; None if they are writing none."""
        async with transaction(self.context.sessions) as session:
            draft = await self._draft(session, actor)
            if draft is None:
                return None
            step, lang = draft.get("step"), actor.language
            if step == CATEGORY:
                return FieldReply("patrol_category", lang, show=CATEGORIES, choices=_categories())
            if step == PLACE:
                if location is None:
                    return FieldReply("patrol_location_needed", lang, show=LOCATION)
                district = await self.context.district.current(session)
                if not valid_coordinates(*location) or not district.serves(
                    *location, self.context.margin_meters
                ):
                    return FieldReply("patrol_outside", lang, show=LOCATION)
                await self._keep(session, actor, {**draft, "at": list(location), "step": PHOTO})
                return FieldReply("patrol_photo", lang)
            if step == PHOTO:
                if photo is None:
                    return FieldReply("patrol_photo_needed", lang)
                draft = {**draft, "photo": photo}
                if text and text.strip():
                    return await self._ready(session, actor, draft, text)
                await self._keep(session, actor, {**draft, "step": TEXT})
                return FieldReply("patrol_text", lang)
            if step == TEXT:
                if not text or not text.strip():
                    return FieldReply("patrol_text", lang)
                return await self._ready(session, actor, draft, text)
            if step == AFTER:
                if photo is None:
                    return FieldReply("patrol_after_needed", lang)
                return await self._file(session, actor, draft, fixed=photo, note=text)
            return _confirm(actor, draft)  # READY: the buttons decide

    async def send(self, actor: Actor | None) -> FieldReply:
        """提交: filed, and the worker's own task (a volunteer's goes to the cell's worker)."""
        async with transaction(self.context.sessions) as session:
            draft = await self._draft(session, actor)
            if draft is None or draft.get("step") != READY:
                return _stale(actor)
            return await self._file(session, actor, draft)

    async def fix(self, actor: Actor | None) -> FieldReply:
        """当场整改: a photo of the fixed state is all that is left to ask."""
        async with transaction(self.context.sessions) as session:
            draft = await self._draft(session, actor)
            if draft is None or draft.get("step") != READY:
                return _stale(actor)
            if actor.role not in FIXERS:
                return FieldReply("patrol_fix_not_yours", actor.language, refused=True)
            await self._keep(session, actor, {**draft, "step": AFTER})
        return FieldReply("patrol_after", actor.language)

    # --- the steps' rows ----------------------------------------------------------------

    async def _draft(self, session: AsyncSession, actor: Actor | None) -> dict[str, Any] | None:
        if actor is None or actor.telegram_id is None:
            return None
        pending = await resident_rows.pending_input(session=session, telegram_id=actor.telegram_id)
        if pending is None or pending.purpose != PURPOSE:
            return None
        return dict(pending.detail)

    async def _keep(self, session: AsyncSession, actor: Actor, draft: dict[str, Any]) -> None:
        await resident_rows.expect_input(
            session=session,
            telegram_id=actor.telegram_id,
            purpose=PURPOSE,
            report_id=None,
            detail=draft,
            now=self.context.clock(),
        )

    async def _ready(
        self, session: AsyncSession, actor: Actor, draft: dict[str, Any], text: str
    ) -> FieldReply:
        draft = {**draft, "text": text.strip()[:MAX_TEXT], "step": READY}
        await self._keep(session, actor, draft)
        return _confirm(actor, draft)

    async def _file(
        self,
        session: AsyncSession,
        actor: Actor,
        draft: dict[str, Any],
        *,
        fixed: str | None = None,
        note: str | None = None,
    ) -> FieldReply:
        pending = await session.get(PendingInput, actor.telegram_id)
        if pending is not None:
            await session.delete(pending)
        now = self.context.clock()
        latitude, longitude = draft["at"]
        new = NewReport(
            text=draft["text"],
            latitude=latitude,
            longitude=longitude,
            photos=[draft["photo"]],
            source=PURPOSE,
            filed_by=actor.ref,
        )
        report = await file_found(
            session,
            actor,
            new,
            Category(draft["category"]),
            district=await self.context.district.current(session),
            policy=self.context.policy,
            now=now,
            card=fixed is None,  # fixed on the spot: nothing left on a card
        )
        values = {"reference": report.reference}
        if fixed is not None:
            await fix_on_the_spot(
                session,
                report,
                actor,
                self.context.policy,
                now,
                before=draft["photo"],
                after=fixed,
                note=(note or "").strip() or draft["text"],
            )
            return FieldReply("patrol_fixed", actor.language, values)
        key = "patrol_filed" if actor.role in FIXERS else "patrol_filed_volunteer"
        return FieldReply(key, actor.language, values)


async def file_found(
    session: AsyncSession,
    actor: Actor,
    new: NewReport,
    category: Category,
    *,
    severity: Severity | None = None,
    district,
    policy: Policy,
    now: datetime,
    acknowledge: bool = False,
    card: bool = True,
) -> Report:
    """A hazard found in the field: staff hold it at once (and are sent its card); a
    volunteer's goes to the cell's worker on duty. `acknowledge`: taken at once as well, so
    the rectification deadline runs (a campaign's finding); `card`: the card is sent."""
    label = dataclasses.replace(classify(new.text), category=category)
    if severity is not None:  # a checklist's hazard says how serious it is
        label = dataclasses.replace(label, severity=severity)
    created = await create_report(
        session,
        resident=None,
        new=new,
        district=district,
        policy=policy,
        now=now,
        kind=Kind.HAZARD,
        to_staff=actor.role not in FIXERS,
        label=label,
    )
    report = created.report
    if actor.role in FIXERS:
        lifecycle = Lifecycle(policy, lambda: now)
        moved = await _assign_to(session, lifecycle, report, actor)
        if acknowledge and moved.won:
            moved = await lifecycle.transition(session, report, Action.ACKNOWLEDGE, actor)
        if moved.won and card:
            await post(session, [to_staff(actor, "task", moved.card, priority=TASK)])
    return report


async def _assign_to(
    session: AsyncSession, lifecycle: Lifecycle, report: Report, actor: Actor
) -> Moved:
    return await lifecycle.transition(
        session,
        report,
        Action.ASSIGN,
        SYSTEM,
        detail={"assignee": actor.id, "level": 0, "told": [actor.id], "found_by": actor.ref},
        to=actor.id,
        level=0,
    )


async def fix_on_the_spot(
    session: AsyncSession,
    report: Report,
    actor: Actor,
    policy: Policy,
    now: datetime,
    *,
    before: str,
    after: str,
    note: str,
) -> None:
    """Found and fixed (当场整改): taken, resolved with the photo after, and closed — nobody
    in the chat to ask whether it was fixed. Each a transition, each an event."""
    lifecycle = Lifecycle(policy, lambda: now)
    if report.status == "assigned":
        await lifecycle.transition(session, report, Action.ACKNOWLEDGE, actor)
    await lifecycle.transition(
        session,
        report,
        Action.RESOLVE,
        actor,
        note=note,
        photos=[after],
        detail={"on_the_spot": True, "before": before},
    )
    await lifecycle.transition(session, report, Action.CLOSE, SYSTEM, detail={"on_the_spot": True})


def _categories() -> list[str]:
    return [c.value for c in Category]


def _confirm(actor: Actor, draft: dict[str, Any]) -> FieldReply:
    show = CONFIRM if actor.role in FIXERS else CONFIRM_SEND_ONLY
    values = {"category": draft["category"], "text": draft["text"]}
    return FieldReply("patrol_ready", actor.language, values, show=show)


def _stale(actor: Actor | None) -> FieldReply:
    return FieldReply("patrol_stale", actor.language if actor else "zh", refused=True)
