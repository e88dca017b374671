"""The resident's side of the conversation: greeting, language, and writing a report.

A report is written as a draft row (description → location → photos), so a half-written
report survives a restart. Each method is one step of the conversation: it opens its own
transaction and returns a Reply telling the chat side what to say next.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from storage import reports as report_rows
from storage import residents as resident_rows
from storage.engine import SessionFactory, transaction
from storage.models import Report, ReportDraft, Resident
from storage.types import utcnow
from triage.actors import Actor
from triage.districts.cache import DistrictCache
from triage.districts.cells import valid_coordinates
from triage.escalation.policy import Policy
from triage.escalation.routing import community_in
from triage.intake import limits, residents
from triage.intake.limits import Limits
from triage.reports.filing import NewReport, create_report
from triage.reports.lengths import TEXT_MAX_CHARS
from triage.reports.notices import Notice
from triage.understanding.classify import Classification, classify
from triage.understanding.taxonomy import Kind

DESCRIPTION_MIN_CHARS = 2
ADDRESS_MAX_CHARS = 200
MAX_PHOTOS = 5


class Step(StrEnum):
    DESCRIPTION = "description"
    LOCATION = "location"
    PHOTOS = "photos"


@dataclass(frozen=True)
class Reply:
    """What to tell the resident: a text key, the values it needs, and where the draft is."""

    say: str
    resident: Resident
    step: Step | None = None
    report: Report | None = None
    values: dict[str, Any] = field(default_factory=dict)
    notices: tuple[Notice, ...] = ()  # what others must be told (tasks, alerts)

    @property
    def language(self) -> str:
        return self.resident.language


class Intake:
    def __init__(
        self,
        sessions: SessionFactory,
        district: DistrictCache,
        *,
        policy: Policy | None = None,
        default_language: str = "zh",
        district_margin_meters: float = 2000,
        clock: Callable[[], datetime] = utcnow,
        limits: Limits | None = None,
    ):
        self.sessions = sessions
        self.district = district
        self.policy = policy or Policy()
        self.limits = limits or Limits()
        self.default_language = default_language
        self.margin = district_margin_meters
        self.clock = clock

    # --- who is talking ---------------------------------------------------------------

    async def greet(self, who: Actor) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply("welcome", resident, step=_step(draft))

    async def chat(self, who: Actor, key: str) -> Reply:
        """Small talk answered (see triage.understanding.small_talk); a draft waits."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply(key, resident, step=_step(draft))

    async def has_draft(self, who: Actor) -> bool:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            return (
                await resident_rows.draft_of(session=session, resident_id=resident.id) is not None
            )

    async def language_of(self, who: Actor) -> str:
        async with transaction(self.sessions) as session:
            return (await residents.row(session, who)).language

    async def subscribe_tips(self, who: Actor, on: bool) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            resident.subscribed_tips = on
            return Reply("tips_on" if on else "tips_off", resident)

    async def set_language(self, who: Actor, language: str | None) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            if language not in ("zh", "en"):
                return Reply("choose_language", resident)
            resident.language = language
            resident.language_chosen = True
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply("language_set", resident, step=_step(draft))

    async def my_reports(self, who: Actor) -> tuple[Reply, Sequence[Report]]:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            reports = await report_rows.reports_of_resident(
                session=session, resident_id=resident.id
            )
            return Reply("my_reports" if reports else "no_reports", resident), reports

    async def where_am_i(self, who: Actor) -> Reply:
        """Repeats the question of the step the resident is at (after a restart, an odd input)."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return _ask(draft, resident) if draft else Reply("help", resident)

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
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None:
                refused = await self.may_start(session, resident, text, label)
                if refused is not None:
                    return refused
                draft = ReportDraft(
                    resident_id=resident.id, step=Step.DESCRIPTION, started_at=self.clock()
                )
                session.add(draft)
            elif text is None:
                return _ask(draft, resident, resumed=True)
            if text is None:
                draft.step = Step.DESCRIPTION
                return _ask(draft, resident)
            return self._describe(draft, resident, text, source)

    async def receive_text(
        self,
        who: Actor,
        text: str,
        label: Classification | None = None,
        source: str | None = None,
    ) -> Reply:
        """Text typed while a report is being written; without a draft, it starts one."""
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None:
                refused = await self.may_start(session, resident, text, label)
                if refused is not None:
                    return refused
                draft = ReportDraft(
                    resident_id=resident.id, step=Step.DESCRIPTION, started_at=self.clock()
                )
                session.add(draft)
            if draft.step == Step.DESCRIPTION:
                return self._describe(draft, resident, text, source)
            if draft.step == Step.LOCATION:
                communities = (await self.district.current(session)).communities()
                return self._address(draft, resident, text, communities)
            return self._add_detail(draft, resident, text, source)

    async def receive_location(self, who: Actor, latitude: float, longitude: float) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            if not valid_coordinates(latitude, longitude):
                draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
                return Reply("location_invalid", resident, step=_step(draft))
            district = await self.district.current(session)
            if not district.serves(latitude, longitude, self.margin):
                draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
                return Reply("location_outside", resident, step=_step(draft) or Step.LOCATION)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            first = draft is None
            if first:
                refused = await self.may_start(session, resident, None)
                if refused is not None:
                    return refused
                # A location shared before anything else is the start of a report: keep it.
                draft = ReportDraft(
                    resident_id=resident.id, step=Step.DESCRIPTION, started_at=self.clock()
                )
                session.add(draft)
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
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            names = (await self.district.current(session)).communities()
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            return Reply("choose_community", resident, step=_step(draft)), names

    async def choose_community(self, who: Actor, community: str) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None or draft.step != Step.LOCATION:
                return Reply("community_stale", resident, step=_step(draft))
            if community not in (await self.district.current(session)).communities():
                return Reply("community_unknown", resident, step=Step.LOCATION)
            draft.community = community
            draft.step = Step.PHOTOS
            self._touch(draft)
            return Reply("ask_photos", resident, step=Step.PHOTOS, values=_place(draft, None))

    async def receive_photo(
        self, who: Actor, file_id: str, caption: str | None = None, source: str | None = None
    ) -> Reply:
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            draft = await resident_rows.draft_of(session=session, resident_id=resident.id)
            if draft is None or draft.step != Step.PHOTOS:
                if draft is not None and draft.step == Step.LOCATION:
                    return Reply("photo_before_location", resident, step=Step.LOCATION)
                return Reply("photo_without_report", resident, step=_step(draft))
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
        async with transaction(self.sessions) as session:
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
        async with transaction(self.sessions) as session:
            resident = await residents.row(session, who)
            gone = await resident_rows.delete_draft(session=session, resident_id=resident.id)
            return Reply("cancelled" if gone else "nothing_to_cancel", resident)

    # --- the steps ----------------------------------------------------------------------

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
        if text:
            original = await limits.same_open_report(session, resident, text)
            if original is not None:
                await limits.merge_repeat(session, resident, original, text, self.clock())
                values = {"original": original.reference, "report_id": original.id}
                if original.kind == Kind.EMERGENCY:  # the 119 advice again, and its place asked
                    await resident_rows.expect_input(
                        session=session,
                        telegram_id=resident.telegram_id,
                        purpose="emergency_location",
                        report_id=original.id,
                        detail={},
                        now=self.clock(),
                    )
                    return Reply("emergency", resident, report=original, values=values)
                return Reply(limits.REPEATED, resident, values=values)
            label = label or classify(text)
            if label.kind == Kind.EMERGENCY:  # no limit withholds an emergency
                return None
        why = await limits.refusal(session, resident, self.limits, self.clock())
        return Reply(why, resident) if why is not None else None

    async def _finish(self, session, draft: ReportDraft, resident: Resident) -> Reply:
        label = classify(draft.text or "")  # the whole description, as it was written
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
        district = await self.district.current(session)
        created = await create_report(
            session,
            resident=resident,
            new=new,
            district=district,
            policy=self.policy,
            now=self.clock(),
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
        draft.updated_at = self.clock()


def _came_from(draft: ReportDraft, source: str | None, words: str) -> None:
    """Remember which message added these words (a new dict: JSON columns track assignment)."""
    if source is not None:
        draft.sources = {**draft.sources, source: words}


def _step(draft: ReportDraft | None) -> Step | None:
    return Step(draft.step) if draft else None


def _ask(draft: ReportDraft, resident: Resident, *, resumed: bool = False) -> Reply:
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
