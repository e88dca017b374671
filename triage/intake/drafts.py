"""Writing a report in the chat, step by step.

A report is written as a draft row (description → location → photos), so a half-written
report survives a restart. Each method is one step of the conversation: it opens its own
transaction and returns a Reply telling the chat side what to say next.
"""

from __future__ import annotations

from typing import Any

from storage import residents as resident_rows
from storage.engine import transaction
from storage.models import ReportDraft, Resident
from triage.actors import Actor
from triage.desks import DeskContext
from triage.districts.cells import valid_coordinates
from triage.escalation.routing import community_in
from triage.intake import limits, residents
from triage.intake.limits import Limits
from triage.intake.reply import Reply, Step
from triage.reports.filing import NewReport, create_report
from triage.reports.lengths import TEXT_MAX_CHARS
from triage.understanding.classify import Classification, classify_message
from triage.understanding.taxonomy import Kind

DESCRIPTION_MIN_CHARS = 2
ADDRESS_MAX_CHARS = 200
MAX_PHOTOS = 5


class Intake:
    def __init__(
        self, context: DeskContext, *, default_language: str = "zh", limits: Limits | None = None
    ):
        self.context = context
        self.limits = limits or Limits()
        self.default_language = default_language

    # --- writing a report -------------------------------------------------------------

    async def start_report(
        self,
        who: Actor,
        text: str | None = None,
        label: Classification | None = None,
        source: str | None = None,
    ) -> Reply:
        """/report, or a message read as a hazard. `source`: the chat's reference to the
        message the text came from (an edit of it changes the report's words)."""
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None:
                draft = await self._begin(session, resident, text, label)
                if isinstance(draft, Reply):  # refused: a repeat, or past a limit
                    return draft
            elif text is None:
                return ask_again(draft, resident, resumed=True)
            if text is None:
                draft.step = Step.DESCRIPTION
                return ask_again(draft, resident)
            return self._describe(draft, resident, text, source)

    async def receive_text(
        self,
        who: Actor,
        text: str,
        label: Classification | None = None,
        source: str | None = None,
    ) -> Reply:
        """Text typed while a report is being written; without a draft, it starts one."""
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None:
                draft = await self._begin(session, resident, text, label)
                if isinstance(draft, Reply):
                    return draft
            if draft.step == Step.DESCRIPTION:
                return self._describe(draft, resident, text, source)
            if draft.step == Step.LOCATION:
                communities = (await self.context.district.current(session)).communities()
                return self._address(draft, resident, text, communities)
            return self._add_detail(draft, resident, text, source)

    async def receive_location(self, who: Actor, latitude: float, longitude: float) -> Reply:
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            if not valid_coordinates(latitude, longitude):
                draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
                return Reply("location_invalid", resident, step=step_of(draft))
            district = await self.context.district.current(session)
            if not district.serves(latitude, longitude, self.context.margin_meters):
                draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
                return Reply("location_outside", resident, step=step_of(draft) or Step.LOCATION)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None:  # a location shared before anything else begins a report
                draft = await self._begin(session, resident, None, None)
                if isinstance(draft, Reply):
                    return draft
            draft.latitude, draft.longitude = latitude, longitude
            cell = district.cell_at(latitude, longitude)
            draft.community = cell.community if cell else draft.community
            self._touch(draft)
            if draft.step == Step.DESCRIPTION:
                return Reply("location_first", resident, step=Step.DESCRIPTION)
            if draft.step == Step.LOCATION:
                draft.step = Step.PHOTOS
                return Reply("ask_photos", resident, step=Step.PHOTOS, values=_place(draft, cell))
            return Reply("location_updated", resident, step=draft.step)

    async def communities(self, who: Actor) -> tuple[Reply, list[str]]:
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            names = (await self.context.district.current(session)).communities()
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply("choose_community", resident, step=step_of(draft)), names

    async def choose_community(self, who: Actor, community: str) -> Reply:
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None or draft.step != Step.LOCATION:
                return Reply("community_stale", resident, step=step_of(draft))
            if community not in (await self.context.district.current(session)).communities():
                return Reply("community_unknown", resident, step=Step.LOCATION)
            draft.community = community
            draft.step = Step.PHOTOS
            self._touch(draft)
            return Reply("ask_photos", resident, step=Step.PHOTOS, values=_place(draft, None))

    async def receive_photo(
        self, who: Actor, file_id: str, caption: str | None = None, source: str | None = None
    ) -> Reply:
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None or draft.step != Step.PHOTOS:
                if draft is not None and draft.step == Step.LOCATION:
                    return Reply("photo_before_location", resident, step=Step.LOCATION)
                return Reply("photo_without_report", resident, step=step_of(draft))
            if len(draft.photos) >= MAX_PHOTOS:
                return Reply("photo_limit", resident, step=Step.PHOTOS, values={"max": MAX_PHOTOS})
            draft.photos = [*draft.photos, file_id]
            if caption and caption.strip():  # what the resident wrote under it goes to the worker
                words = f"📷 {caption.strip()}"
                draft.text = f"{draft.text}\n{words}"[:TEXT_MAX_CHARS]
                _came_from(draft, source, words)
            self._touch(draft)
            return Reply("photo_added", resident, step=Step.PHOTOS, values=_counts(draft))

    async def skip(self, who: Actor) -> Reply:
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None:
                return Reply("nothing_to_skip", resident)
            if draft.step != Step.PHOTOS:
                return Reply("cannot_skip", resident, step=Step(draft.step))
            return await self._finish(session, draft, resident)

    async def finish(self, who: Actor) -> Reply:
        """The resident pressed 完成 (done) at the photo step."""
        return await self.skip(who)

    async def cancel(self, who: Actor) -> Reply:
        async with transaction(self.context.sessions) as session:
            resident = await residents.row(session, who)
            gone = await resident_rows.delete_draft(session=session, resident_id=resident.id)
            return Reply("cancelled" if gone else "nothing_to_cancel", resident)

    # --- the steps ----------------------------------------------------------------------

    async def _begin(
        self, session, resident: Resident, text: str | None, label: Classification | None
    ) -> ReportDraft | Reply:
        """A new draft, or why none may begin (a repeat joins its report; past a limit)."""
        refused = await self.may_start(session, resident, text, label)
        if refused is not None:
            return refused
        draft = ReportDraft(
            resident_id=resident.id, step=Step.DESCRIPTION, started_at=self.context.clock()
        )
        session.add(draft)
        return draft

    def _describe(
        self, draft: ReportDraft, resident: Resident, text: str, source: str | None
    ) -> Reply:
        text = text.strip()[:TEXT_MAX_CHARS]
        if len(text) < DESCRIPTION_MIN_CHARS:
            return Reply("description_too_short", resident, step=Step.DESCRIPTION)
        draft.text = text
        draft.sources = {}
        _came_from(draft, source, text)
        self._touch(draft)
        if draft.latitude is not None or draft.community is not None:
            draft.step = Step.PHOTOS
            return Reply("ask_photos", resident, step=Step.PHOTOS, values=_place(draft, None))
        draft.step = Step.LOCATION
        return Reply("ask_location", resident, step=Step.LOCATION)

    def _address(
        self, draft: ReportDraft, resident: Resident, text: str, communities: list[str]
    ) -> Reply:
        text = " ".join(text.split())
        if len(text) > ADDRESS_MAX_CHARS:
            return Reply(
                "address_too_long",
                resident,
                step=Step.LOCATION,
                values={"max": ADDRESS_MAX_CHARS},
            )
        if len(text) < 2:
            return Reply("ask_location", resident, step=Step.LOCATION)
        draft.address = text
        draft.community = community_in(text, communities) or draft.community
        draft.step = Step.PHOTOS
        self._touch(draft)
        return Reply("ask_photos", resident, step=Step.PHOTOS, values=_place(draft, None))

    def _add_detail(
        self, draft: ReportDraft, resident: Resident, text: str, source: str | None
    ) -> Reply:
        combined = f"{draft.text}\n{text.strip()}"
        if len(combined) > TEXT_MAX_CHARS:
            return Reply(
                "description_too_long",
                resident,
                step=Step.PHOTOS,
                values={"max": TEXT_MAX_CHARS, "length": len(combined)},
            )
        draft.text = combined
        _came_from(draft, source, text.strip())
        self._touch(draft)
        return Reply("detail_added", resident, step=Step.PHOTOS, values=_counts(draft))

    async def may_start(
        self,
        session,
        resident: Resident,
        text: str | None,
        label: Classification | None = None,
    ) -> Reply | None:
        """None if a new report may begin. A text that repeats an open report of theirs joins
        it instead; past the hour's reports (or blocked) nothing begins. `label`: what the
        text was read as, if it was already."""
        filed = None  # their reports of the hour, read with their open reports
        if text:
            now = self.context.clock()
            reports, filed = await limits.open_reports(session, resident, self.limits, now)
            original = await limits.same_open_report(session, resident, text, reports)
            if original is not None:
                await limits.merge_repeat(session, resident, original, text, self.context.clock())
                values = {"original": original.reference, "report_id": original.id}
                if original.kind == Kind.EMERGENCY:  # the 119 advice again, and its place asked
                    await resident_rows.expect_input(
                        session=session,
                        telegram_id=resident.telegram_id,
                        purpose="emergency_location",
                        report_id=original.id,
                        detail={},
                        now=self.context.clock(),
                    )
                    return Reply("emergency", resident, report=original, values=values)
                return Reply(limits.REPEATED, resident, values=values)
            label = label or classify_message(text)
            if label.kind == Kind.EMERGENCY:  # no limit withholds an emergency
                return None
        why = await limits.refusal(
            session, resident, self.limits, self.context.clock(), filed=filed
        )
        return Reply(why, resident) if why is not None else None

    async def _finish(self, session, draft: ReportDraft, resident: Resident) -> Reply:
        label = classify_message(draft.text or "")  # the whole description, as it was written
        refused = await self.may_start(session, resident, draft.text, label)
        if refused is not None:
            if refused.say == limits.REPEATED:
                await session.delete(draft)
            return refused  # past the limit the draft waits: it can be sent in a while
        new = NewReport(
            text=draft.text or "",
            latitude=draft.latitude,
            longitude=draft.longitude,
            address=draft.address,
            community=draft.community,
            photos=list(draft.photos),
            sources=dict(draft.sources),
        )
        district = await self.context.district.current(session)
        created = await create_report(
            session,
            resident=resident,
            new=new,
            district=district,
            policy=self.context.policy,
            now=self.context.clock(),
            label=label,
        )
        cell = district.cell_at(new.latitude, new.longitude) if new.latitude is not None else None
        await session.delete(draft)
        values = _place(draft, cell)
        if created.original is not None:
            values["original"] = created.original.reference
            return Reply("merged", resident, report=created.report, values=values)
        return Reply(
            "receipt",
            resident,
            report=created.report,
            values=values,
            notices=tuple(created.notices),
        )

    def _touch(self, draft: ReportDraft) -> None:
        draft.updated_at = self.context.clock()


def _came_from(draft: ReportDraft, source: str | None, words: str) -> None:
    """Remember which message added these words (a new dict: JSON columns track assignment)."""
    if source is not None:
        draft.sources = {**draft.sources, source: words}


def step_of(draft: ReportDraft | None) -> Step | None:
    return Step(draft.step) if draft else None


def ask_again(draft: ReportDraft, resident: Resident, *, resumed: bool = False) -> Reply:
    """The question of the step the draft is at."""
    key = {Step.DESCRIPTION: "ask_description", Step.LOCATION: "ask_location"}.get(
        Step(draft.step), "ask_photos"
    )
    values = {"resumed": resumed, **_place(draft, None), **_counts(draft)}
    return Reply(key, resident, step=Step(draft.step), values=values)


def _place(draft: ReportDraft, cell) -> dict[str, Any]:
    """Where the draft's hazard is, in words, with the photo limit the same text mentions."""
    place = cell.name if cell else (draft.address or draft.community)
    if place is None and draft.latitude is not None:
        place = f"{draft.latitude:.5f}, {draft.longitude:.5f}"
    return {"place": place or "", "max": MAX_PHOTOS}


def _counts(draft: ReportDraft) -> dict[str, Any]:
    return {"photos": len(draft.photos), "max": MAX_PHOTOS}
