"""Inspection campaigns (专项排查): a checklist taken to every site of some grid cells by a
date. `firecircle campaign create` makes one with a visit per site; workers see their cells'
sites with /campaign and answer the checklist one tap at a time; each failing answer becomes
a report of the worker's, taken at once so its rectification deadline runs. `campaign status`
gives per cell: sites, visited, hazards found, per 100 sites, rectified, overdue. The
coordinators are reminded of cells behind the pace (a deadline in a column, moved by one
guarded update: one instance sends it, once)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import fieldwork as field_rows
from storage import grid as grid_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.models import Campaign, CampaignVisit, PendingInput, Site
from storage.signals import DEADLINES, touch
from triage.actors import Actor, Role
from triage.desks import DeskContext
from triage.escalation.policy import Policy
from triage.fieldwork import checklists
from triage.fieldwork.patrol import file_found
from triage.fieldwork.replies import ANSWER, SITES, FieldReply
from triage.fieldwork.sites import TYPES, site_type
from triage.reports.filing import NewReport
from triage.reports.notices import ESCALATION, TASK, Notice, post
from triage.understanding.taxonomy import Category, Severity

PURPOSE = "campaign"
REMIND_EVERY = timedelta(days=1)
MAX_TITLE = 100
BEHIND = "campaign_behind"  # the reminder's notice (a text key under [field])
TAKEN_OVER = "campaign_taken_over"  # to the worker whose half-checked site another took
TOOK_OVER = "campaign_took_over"  # to the worker who took it
NOTICES = (BEHIND, TAKEN_OVER, TOOK_OVER)


class CampaignProblem(ValueError):
    """A campaign that cannot be made or found; the message says why."""


@dataclass(frozen=True)
class Made:
    id: int
    title: str
    sites: int
    sites_by_grid: dict[str, int]


async def create(
    sessions: SessionFactory,
    policy: Policy,
    *,
    title: str,
    checklist: list[dict[str, Any]],
    grids: Sequence[str],
    site_type: str | None,
    until: date,
    now: datetime,
) -> Made:
    title = title.strip()
    if not title or len(title) > MAX_TITLE:
        raise CampaignProblem(f"the title must be 1 to {MAX_TITLE} characters")
    if not grids:
        raise CampaignProblem("name at least one grid cell (--grids A-01,A-02)")
    if len(set(grids)) != len(grids):
        raise CampaignProblem("a grid cell is named twice in --grids")
    kind = None
    if site_type is not None:
        kind = _site_type(site_type)
    zone = policy.timezone
    ends = datetime.combine(until + timedelta(days=1), time(0), zone).astimezone(now.tzinfo)
    if until < now.astimezone(zone).date():
        raise CampaignProblem(f"--until {until} has already passed")
    async with transaction(sessions) as session:
        cells = {c.code: c for c in await grid_rows.all_grid_cells(session=session)}
        unknown = [code for code in grids if code not in cells]
        if unknown:
            raise CampaignProblem(
                f"no grid cell {unknown[0]!r} (`firecircle grids list` shows them)"
            )
        chosen = [cells[code] for code in grids]
        sites = await field_rows.sites_in(
            session=session, grid_ids=[c.id for c in chosen], site_type=kind
        )
        if not sites:
            what = f"{kind} sites" if kind else "sites"
            raise CampaignProblem(
                f"no {what} in {', '.join(grids)} (`firecircle sites import` first)"
            )
        campaign = Campaign(
            title=title,
            checklist=checklist,
            grids=list(grids),
            site_type=kind,
            starts_at=now,
            ends_at=ends,
            remind_at=_next_reminder(now, ends),
            created_at=now,
        )
        session.add(campaign)
        await session.flush()
        for site in sites:
            session.add(
                CampaignVisit(campaign_id=campaign.id, site_id=site.id, grid_id=site.grid_id)
            )
        if campaign.remind_at is not None:
            await touch(session, DEADLINES, campaign.remind_at)  # the scheduler wakes for it
        by_code = {c.id: c.code for c in chosen}
        counts = {code: 0 for code in grids}
        for site in sites:
            counts[by_code[site.grid_id]] += 1
        return Made(campaign.id, title, len(sites), counts)


def _site_type(text: str) -> str:
    code = site_type(text)
    if code is None:
        raise CampaignProblem(
            f"--site-type {text!r} is not one of {', '.join(TYPES)} (or 住宅, 商铺, 三合一, 仓库…)"
        )
    return code


def _next_reminder(after: datetime, ends: datetime) -> datetime | None:
    at = after + REMIND_EVERY
    return at if at < ends else None


# --- the figures ---------------------------------------------------------------------------


async def status(
    sessions: SessionFactory,
    policy: Policy,
    campaign_id: int,
    now: datetime,
    *,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """Per cell: sites, visited, hazards found, per 100 sites, rectified, overdue; and the
    campaign's totals. `only`: these cells' codes alone (a viewer's scope), totals included."""
    async with transaction(sessions) as session:
        campaign = await session.get(Campaign, campaign_id)
        if campaign is None:
            raise CampaignProblem(f"no campaign {campaign_id}")
        cells = {c.id: c for c in await grid_rows.all_grid_cells(session=session)}
        progress = await field_rows.progress_by_grid(session=session, campaign_id=campaign_id)
        found = await field_rows.findings_by_grid(session=session, campaign_id=campaign_id, now=now)
    by_code = {cell.code: cell for cell in cells.values()}
    rows = []
    for code in campaign.grids:
        if only is not None and code not in only:
            continue
        cell = by_code.get(code)
        done = progress.get(cell.id, {}) if cell else {}
        hazards = found.get(cell.id, {}) if cell else {}
        rows.append(_figures({"grid": code, "name": cell.name if cell else code}, done, hazards))
    totals = _figures(
        {},
        {k: sum(r[k] for r in rows) for k in ("sites", "visited")},
        {k: sum(r[k] for r in rows) for k in ("hazards", "rectified", "overdue")},
    )
    zone = policy.timezone
    return {
        "id": campaign.id,
        "title": campaign.title,
        "site_type": campaign.site_type,
        "since": campaign.starts_at.astimezone(zone).date().isoformat(),
        "until": (campaign.ends_at.astimezone(zone) - timedelta(days=1)).date().isoformat(),
        "expected_rate": round(_expected(campaign, now), 4),
        "total": totals,
        "by_grid": rows,
    }


def _figures(head: dict, done: dict, hazards: dict) -> dict[str, Any]:
    sites, visited = done.get("sites", 0), done.get("visited", 0)
    found = hazards.get("hazards", 0)
    return {
        **head,
        "sites": sites,
        "visited": visited,
        "visited_rate": round(visited / sites, 4) if sites else None,
        "hazards": found,
        "hazards_per_100_sites": round(found * 100 / sites, 1) if sites else None,
        "rectified": hazards.get("rectified", 0),
        "overdue": hazards.get("overdue", 0),
    }


def _expected(campaign: Campaign, now: datetime) -> float:
    """The share of sites that should be visited by now, at an even pace to the end."""
    span = (campaign.ends_at - campaign.starts_at).total_seconds()
    if span <= 0:
        return 1.0
    return min(1.0, max(0.0, (now - campaign.starts_at).total_seconds() / span))


def status_table(found: dict[str, Any]) -> str:
    head = f"{found['title']}（{found['since']} 至 {found['until']}）"
    if found["site_type"]:
        head += f"  场所类型：{found['site_type']}"
    lines = [head, f"按进度应完成：{found['expected_rate'] * 100:.0f}%", ""]
    columns = ("网格", "场所", "已查", "隐患", "每百处", "已整改", "超期")
    lines.append("  ".join(columns))
    for row in [*found["by_grid"], {**found["total"], "grid": "合计"}]:
        per = row["hazards_per_100_sites"]
        lines.append(
            "  ".join(
                str(v)
                for v in (
                    row["grid"],
                    row["sites"],
                    row["visited"],
                    row["hazards"],
                    "—" if per is None else per,
                    row["rectified"],
                    row["overdue"],
                )
            )
        )
    return "\n".join(lines)


# --- the reminder --------------------------------------------------------------------------


async def reminders_due(session: AsyncSession, policy: Policy, now: datetime) -> int:
    """Each campaign whose reminder is due: its cells behind the pace go to their community's
    coordinators (else the street's), and the next reminder is set — once, whichever instance
    moves it first."""
    sent = 0
    for campaign in await field_rows.due_reminders(session=session, now=now):
        upcoming = _next_reminder(now, campaign.ends_at)
        if not await field_rows.move_reminder(session=session, campaign=campaign, to=upcoming):
            continue  # another instance has it
        sent += 1
        await post(session, await _behind_notices(session, policy, campaign, now))
    return sent


async def next_reminder(session: AsyncSession) -> datetime | None:
    return await field_rows.next_reminder(session=session)


async def _behind_notices(
    session: AsyncSession, policy: Policy, campaign: Campaign, now: datetime
) -> list[Notice]:
    expected = _expected(campaign, now)
    progress = await field_rows.progress_by_grid(session=session, campaign_id=campaign.id)
    cells = {c.id: c for c in await grid_rows.all_grid_cells(session=session)}
    behind: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
    for grid_id, done in sorted(progress.items(), key=lambda item: cells[item[0]].code):
        share = done["visited"] / done["sites"] if done["sites"] else 1.0
        if share >= expected:
            continue
        cell = cells[grid_id]
        line = {
            "grid": f"{cell.code} {cell.name}",
            "done": done["visited"],
            "total": done["sites"],
            "percent": round(share * 100),
        }
        behind.setdefault((cell.community, cell.street), []).append(line)
    notices = []
    until = (campaign.ends_at.astimezone(policy.timezone) - timedelta(days=1)).date().isoformat()
    for (community, street), lines in behind.items():
        staff = await staff_rows.community_coordinators(session=session, community=community)
        staff = staff or await staff_rows.street_coordinators(session=session, street=street)
        extra = {
            "title": campaign.title,
            "until": until,
            "expected": round(expected * 100),
            "lines": lines,
            "campaign_id": campaign.id,
        }
        for person in staff:
            notices.append(
                Notice(BEHIND, person.telegram_id, person.language, None, {}, extra, ESCALATION)
            )
    return notices


# --- the chat --------------------------------------------------------------------------------


class Campaigns:
    def __init__(self, context: DeskContext):
        self.context = context

    async def sites_for(self, actor: Actor | None) -> FieldReply:
        """/campaign: the sites still to check in the worker's cells, of the campaign ending
        first that has any (else all done)."""
        if actor is None or actor.role != Role.WORKER or not actor.active:
            lang = actor.language if actor else "zh"
            return FieldReply("campaign_not_for_you", lang, refused=True)
        async with transaction(self.context.sessions) as session:
            return await self._sites(session, actor)

    async def _sites(self, session: AsyncSession, actor: Actor) -> FieldReply:
        lang, now = actor.language, self.context.clock()
        mine = await self._codes(session, actor)
        last = None
        for campaign in await field_rows.active_campaigns(session=session, now=now):
            if not set(campaign.grids) & set(mine.values()):
                continue
            visits = await field_rows.visits_in(
                session=session,
                campaign_id=campaign.id,
                grid_ids=[g for g, code in mine.items() if code in campaign.grids],
            )
            left = [(v.id, s.name) for v, s in visits if v.status != "done"]
            values = _about(campaign, self.context.policy, len(visits) - len(left), len(visits))
            if left:
                return FieldReply("campaign_sites", lang, values, show=SITES, choices=left)
            last = values
        if last is not None:
            return FieldReply("campaign_all_done", lang, last)
        return FieldReply("campaign_none", lang)

    async def _codes(self, session: AsyncSession, actor: Actor) -> dict[int, str]:
        codes = await grid_rows.grid_codes_by_id(session=session)
        return {g: codes[g] for g in actor.grids if g in codes}

    async def begin(self, actor: Actor | None, visit_id: int) -> FieldReply:
        """A site pressed: its first question (or the next unanswered one, when resumed)."""
        if actor is None or actor.role != Role.WORKER or not actor.active:
            lang = actor.language if actor else "zh"
            return FieldReply("campaign_not_for_you", lang, refused=True)
        async with transaction(self.context.sessions) as session:
            visit = await session.get(CampaignVisit, visit_id)
            campaign = await session.get(Campaign, visit.campaign_id) if visit else None
            refusal = await self._refusal(session, actor, visit, campaign, takeover=True)
            if refusal is not None:
                return refusal
            if visit.staff_id not in (None, actor.id):  # half-checked long ago: taken over
                if not await self._take_over(session, actor, visit):
                    return await self._refusal(session, actor, visit, campaign) or _busy(actor)
            elif not await field_rows.claim_visit(
                session=session, visit=visit, staff_id=actor.id, now=self.context.clock()
            ):
                return await self._refusal(session, actor, visit, campaign) or _busy(actor)
            pending = await self._pending(session, actor)
            answers = (
                dict(pending.detail.get("answers", {}))
                if pending is not None and pending.detail.get("visit") == visit.id
                else dict(visit.answers)
            )
            return await self._ask(session, actor, campaign, visit, answers)

    async def _refusal(
        self,
        session: AsyncSession,
        actor: Actor,
        visit: CampaignVisit | None,
        campaign: Campaign | None,
        *,
        takeover: bool = False,
    ) -> FieldReply | None:
        """Why the worker may not check this site now; None if they may. `takeover`: a site
        another began longer ago than the policy's `visit_takeover` is no refusal."""
        lang = actor.language
        if visit is None or self._over(campaign):
            return FieldReply("campaign_ended", lang, refused=True)
        site = await session.get(Site, visit.site_id)
        if visit.status == "done":
            return FieldReply("campaign_site_done", lang, {"site": site.name}, refused=True)
        if visit.grid_id not in actor.grids:
            return FieldReply("campaign_not_your_site", lang, refused=True)
        if visit.staff_id not in (None, actor.id):
            if takeover and self._stale(visit):
                return None
            other = await staff_rows.staff_by_ids(session=session, ids=[visit.staff_id])
            name = other[0].name if other else "—"
            values = {"site": site.name, "name": name, "hours": self._hours()}
            return FieldReply("campaign_site_busy", lang, values, refused=True)
        return None

    def _over(self, campaign: Campaign | None) -> bool:
        """The campaign has ended: no site is begun, no answer taken (as `_refusal` says)."""
        return campaign is None or campaign.ends_at <= self.context.clock()

    def _hours(self) -> int | float:
        hours = round(self.context.policy.visit_takeover.total_seconds() / 3600, 1)
        return int(hours) if hours.is_integer() else hours

    def _stale(self, visit: CampaignVisit) -> bool:
        started = visit.started_at
        return (
            visit.status == "visiting"
            and started is not None
            and started < self.context.clock() - self.context.policy.visit_takeover
        )

    async def _take_over(self, session: AsyncSession, actor: Actor, visit: CampaignVisit) -> bool:
        """The site becomes this worker's; the previous one's half-answered checklist is
        dropped, and both are told."""
        now = self.context.clock()
        previous = await field_rows.take_over_visit(
            session=session,
            visit=visit,
            staff_id=actor.id,
            started_before=now - self.context.policy.visit_takeover,
            now=now,
        )
        if previous is None:
            return False
        found = await staff_rows.staff_by_ids(session=session, ids=[previous])
        site = await session.get(Site, visit.site_id)
        hours = self._hours()
        notices = []
        if found:
            before = found[0]
            pending = await resident_rows.pending_input(
                session=session, telegram_id=before.telegram_id
            )
            if (
                pending is not None
                and pending.purpose == PURPOSE
                and pending.detail.get("visit") == visit.id
            ):
                await session.delete(pending)
            extra = {"site": site.name, "name": actor.name, "hours": hours}
            notices.append(
                Notice(TAKEN_OVER, before.telegram_id, before.language, None, {}, extra, TASK)
            )
        if actor.telegram_id is not None:
            extra = {"site": site.name, "name": found[0].name if found else "—", "hours": hours}
            notices.append(
                Notice(TOOK_OVER, actor.telegram_id, actor.language, None, {}, extra, TASK)
            )
        await post(session, notices)
        return True

    async def tapped(
        self, actor: Actor | None, visit_id: int, index: int, choice: str
    ) -> FieldReply:
        """是 / 否 / 跳过 on a question: for the question on screen, once."""
        if actor is None or actor.role != Role.WORKER:
            return FieldReply(
                "campaign_not_for_you", actor.language if actor else "zh", refused=True
            )
        async with transaction(self.context.sessions) as session:
            pending = await self._pending(session, actor)
            if pending is None or pending.detail.get("visit") != visit_id:
                visit = await session.get(CampaignVisit, visit_id)
                campaign = await session.get(Campaign, visit.campaign_id) if visit else None
                refusal = await self._refusal(session, actor, visit, campaign)
                return refusal or FieldReply("campaign_answer_stale", actor.language, refused=True)
            if pending.detail.get("index") != index:
                return FieldReply("campaign_answer_stale", actor.language, refused=True)
            visit, campaign = await self._visit_of(session, pending)
            if self._over(campaign):
                await session.delete(pending)
                return FieldReply("campaign_ended_unsaved", actor.language, refused=True)
            item = campaign.checklist[index]
            if choice == "s":
                if item["required"]:
                    return FieldReply("campaign_required", actor.language, refused=True)
                answer = None
            elif item["type"] != "yesno":
                return FieldReply("campaign_answer_stale", actor.language, refused=True)
            else:
                answer = "yes" if choice == "y" else "no"
            return await self._answered(session, actor, pending, visit, campaign, answer)

    async def received(
        self, actor: Actor, *, text: str | None = None, photo: str | None = None
    ) -> FieldReply | None:
        """A typed number, a line of text, or a photo for the question on screen."""
        async with transaction(self.context.sessions) as session:
            pending = await self._pending(session, actor)
            if pending is None:
                return None
            visit, campaign = await self._visit_of(session, pending)
            if visit is None or campaign is None:
                await session.delete(pending)
                return FieldReply("campaign_ended", actor.language)
            if self._over(campaign):  # begun before the end, answered after: not taken
                await session.delete(pending)
                return FieldReply("campaign_ended_unsaved", actor.language)
            item = campaign.checklist[pending.detail["index"]]
            lang, kind, words = actor.language, item["type"], (text or "").strip()
            if kind == "yesno":
                answer = checklists.typed_yes_no(words) if photo is None else None
                if answer is None:
                    return FieldReply("campaign_tap_needed", lang)
            elif kind == "number":
                answer = _number(words) if photo is None else None
                if answer is None:
                    return FieldReply("campaign_number_needed", lang)
            elif kind == "photo":
                if photo is None:
                    return FieldReply("campaign_photo_needed", lang)
                answer = photo
            else:
                if not words or photo is not None:
                    return FieldReply("campaign_text_needed", lang)
                answer = words[:500]
            return await self._answered(session, actor, pending, visit, campaign, answer)

    # --- the steps ---------------------------------------------------------------------

    async def _pending(self, session: AsyncSession, actor: Actor) -> PendingInput | None:
        if actor.telegram_id is None:
            return None
        pending = await resident_rows.pending_input(session=session, telegram_id=actor.telegram_id)
        return pending if pending is not None and pending.purpose == PURPOSE else None

    async def _visit_of(
        self, session: AsyncSession, pending: PendingInput
    ) -> tuple[CampaignVisit | None, Campaign | None]:
        visit = await session.get(CampaignVisit, pending.detail.get("visit"))
        campaign = await session.get(Campaign, visit.campaign_id) if visit else None
        return visit, campaign

    async def _answered(
        self,
        session: AsyncSession,
        actor: Actor,
        pending: PendingInput,
        visit: CampaignVisit,
        campaign: Campaign,
        answer: Any,
    ) -> FieldReply:
        answers = {**pending.detail.get("answers", {}), str(pending.detail["index"]): answer}
        return await self._ask(session, actor, campaign, visit, answers)

    async def _ask(
        self,
        session: AsyncSession,
        actor: Actor,
        campaign: Campaign,
        visit: CampaignVisit,
        answers: dict[str, Any],
    ) -> FieldReply:
        """The next unanswered question, or the visit's end."""
        items = campaign.checklist
        index = next((i for i in range(len(items)) if str(i) not in answers), None)
        site = await session.get(Site, visit.site_id)
        if index is None:
            return await self._finish(session, actor, campaign, visit, site, answers)
        await resident_rows.expect_input(
            session=session,
            telegram_id=actor.telegram_id,
            purpose=PURPOSE,
            report_id=None,
            detail={"visit": visit.id, "index": index, "answers": answers},
            now=self.context.clock(),
        )
        item = items[index]
        key = (
            "campaign_question" if item["type"] == "yesno" else f"campaign_question_{item['type']}"
        )
        values = {
            "site": site.name,
            "n": index + 1,
            "total": len(items),
            "question": checklists.question_of(item, actor.language),
        }
        choices = [visit.id, index, item["type"], item["required"]]
        return FieldReply(key, actor.language, values, show=ANSWER, choices=choices)

    async def _finish(
        self,
        session: AsyncSession,
        actor: Actor,
        campaign: Campaign,
        visit: CampaignVisit,
        site: Site,
        answers: dict[str, Any],
    ) -> FieldReply:
        pending = await session.get(PendingInput, actor.telegram_id)
        if pending is not None:
            await session.delete(pending)
        now = self.context.clock()
        failing = [
            (i, item)
            for i, item in enumerate(campaign.checklist)
            if checklists.fails(item, answers.get(str(i)))
        ]
        if not await field_rows.finish_visit(
            session=session,
            visit_id=visit.id,
            answers=answers,
            hazards=len(failing),
            now=now,
            staff_id=actor.id,
        ):
            return FieldReply(
                "campaign_site_done", actor.language, {"site": site.name}, refused=True
            )
        photos = [
            answers[str(i)]
            for i, item in enumerate(campaign.checklist)
            if item["type"] == "photo" and answers.get(str(i))
        ]
        district = await self.context.district.current(session)
        references = []
        for index, item in failing:
            rule = item["hazard"]
            new = NewReport(
                text=_finding(campaign, site, item, answers[str(index)]),
                latitude=site.latitude,
                longitude=site.longitude,
                address=site.address,
                community=site.community,
                grid_id=site.grid_id,
                photos=photos,
                source=PURPOSE,
                filed_by=actor.ref,
                campaign_id=campaign.id,
                site_id=site.id,
            )
            report = await file_found(
                session,
                actor,
                new,
                Category(rule["category"]),
                severity=Severity(rule["severity"]),
                district=district,
                policy=self.context.policy,
                now=now,
                acknowledge=True,
            )
            references.append(report.reference)
        left = await self._left(session, actor, campaign)
        values = {"site": site.name, "left": len(left)}
        if references:
            values |= {"count": len(references), "references": "、".join(references)}
        key = "campaign_visit_found" if references else "campaign_visit_done"
        if not left:
            return FieldReply(f"{key}_last", actor.language, values)
        return FieldReply(key, actor.language, values, show=SITES, choices=left)

    async def _left(
        self, session: AsyncSession, actor: Actor, campaign: Campaign
    ) -> list[tuple[int, str]]:
        mine = await self._codes(session, actor)
        visits = await field_rows.visits_in(
            session=session,
            campaign_id=campaign.id,
            grid_ids=[g for g, code in mine.items() if code in campaign.grids],
        )
        return [(v.id, s.name) for v, s in visits if v.status != "done"]


def _about(campaign: Campaign, policy: Policy, done: int, total: int) -> dict[str, Any]:
    until = (campaign.ends_at.astimezone(policy.timezone) - timedelta(days=1)).date()
    return {"title": campaign.title, "until": until.isoformat(), "done": done, "total": total}


def _busy(actor: Actor) -> FieldReply:
    return FieldReply("campaign_answer_stale", actor.language, refused=True)


def _number(text: str) -> float | None:
    try:
        value = float(text.replace("，", ".").replace(",", "."))
    except ValueError:
        return None
    return value if value == value and abs(value) < 1e9 else None


def _finding(campaign: Campaign, site: Site, item: dict[str, Any], answer: Any) -> str:
    shown = {"yes": "是", "no": "否"}.get(answer, answer)
    if isinstance(shown, float) and shown.is_integer():
        shown = int(shown)
    return f"【{campaign.title}】{site.name}（{site.address}）：{item['question']} → {shown}"
