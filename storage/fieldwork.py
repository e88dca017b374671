"""Field work's rows: sites, campaigns and their visits, and the figures of a campaign."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Campaign, CampaignVisit, Report, Site
from storage.signals import DEADLINES, touch

OPEN = ("new", "assigned", "acknowledged")
FIXED = ("resolved", "closed")


async def all_sites(*, session: AsyncSession) -> Sequence[Site]:
    statement = select(Site).order_by(col(Site.grid_id), col(Site.type), col(Site.name))
    return (await session.exec(statement)).all()


async def sites_by_name(*, session: AsyncSession) -> dict[str, Site]:
    return {s.name: s for s in (await session.exec(select(Site))).all()}


async def move_open_visits(*, session: AsyncSession, site_id: int, grid_id: int) -> None:
    """A site placed in another cell: the visits not done yet count for (and go to) the new
    cell's worker; done ones stay where they were made."""
    await session.exec(
        update(CampaignVisit)
        .where(CampaignVisit.site_id == site_id, CampaignVisit.status != "done")
        .where(CampaignVisit.grid_id != grid_id)
        .values(grid_id=grid_id)
    )


async def sites_in(
    *, session: AsyncSession, grid_ids: Sequence[int], site_type: str | None
) -> Sequence[Site]:
    statement = select(Site).where(col(Site.grid_id).in_(list(grid_ids)))
    if site_type is not None:
        statement = statement.where(Site.type == site_type)
    return (await session.exec(statement.order_by(col(Site.grid_id), col(Site.name)))).all()


async def active_campaigns(*, session: AsyncSession, now: datetime) -> Sequence[Campaign]:
    statement = select(Campaign).where(Campaign.ends_at > now).order_by(col(Campaign.ends_at))
    return (await session.exec(statement)).all()


async def all_campaigns(*, session: AsyncSession) -> Sequence[Campaign]:
    """Every campaign, the newest first (the console's list)."""
    statement = select(Campaign).order_by(col(Campaign.created_at).desc(), col(Campaign.id).desc())
    return (await session.exec(statement)).all()


async def visits_in(
    *, session: AsyncSession, campaign_id: int, grid_ids: Sequence[int]
) -> list[tuple[CampaignVisit, Site]]:
    statement = (
        select(CampaignVisit, Site)
        .join(Site, col(Site.id) == CampaignVisit.site_id)
        .where(CampaignVisit.campaign_id == campaign_id)
        .where(col(CampaignVisit.grid_id).in_(list(grid_ids)))
        .order_by(col(Site.name))
        .execution_options(populate_existing=True)  # as stored now, after a guarded update
    )
    return list((await session.exec(statement)).all())


async def claim_visit(
    *, session: AsyncSession, visit: CampaignVisit, staff_id: int, now: datetime
) -> bool:
    """The site is this worker's to check now: one guarded update (not done, and nobody
    else's), so two presses at once cannot both start it."""
    result = await session.exec(
        update(CampaignVisit)
        .where(CampaignVisit.id == visit.id, CampaignVisit.status != "done")
        .where(or_(col(CampaignVisit.staff_id).is_(None), CampaignVisit.staff_id == staff_id))
        .values(
            status="visiting",
            staff_id=staff_id,
            started_at=func.coalesce(CampaignVisit.started_at, now),
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        await session.refresh(visit)
        return True
    return False


async def take_over_visit(
    *,
    session: AsyncSession,
    visit: CampaignVisit,
    staff_id: int,
    started_before: datetime,
    now: datetime,
) -> int | None:
    """A site someone began before `started_before` and left half-checked becomes this
    worker's: one guarded update from what was read, so two takers cannot both have it.
    The previous worker's staff id, or None."""
    previous = visit.staff_id
    result = await session.exec(
        update(CampaignVisit)
        .where(
            CampaignVisit.id == visit.id,
            CampaignVisit.status == "visiting",
            CampaignVisit.staff_id == previous,
            col(CampaignVisit.started_at) < started_before,
        )
        .values(staff_id=staff_id, started_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        await session.refresh(visit)
        return previous
    return None


async def finish_visit(
    *,
    session: AsyncSession,
    visit_id: int,
    answers: dict[str, Any],
    hazards: int,
    now: datetime,
    staff_id: int | None = None,
) -> bool:
    """Done, once; by `staff_id` only (when given): not after another took the site over."""
    mine = [] if staff_id is None else [CampaignVisit.staff_id == staff_id]
    result = await session.exec(
        update(CampaignVisit)
        .where(CampaignVisit.id == visit_id, CampaignVisit.status != "done", *mine)
        .values(status="done", answers=answers, hazards=hazards, done_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


async def progress_by_grid(*, session: AsyncSession, campaign_id: int) -> dict[int, dict[str, int]]:
    """Per cell: its sites and those visited."""
    done = func.sum(case((CampaignVisit.status == "done", 1), else_=0))
    statement = (
        select(CampaignVisit.grid_id, func.count(), done)
        .where(CampaignVisit.campaign_id == campaign_id)
        .group_by(CampaignVisit.grid_id)
    )
    return {
        grid_id: {"sites": sites, "visited": int(visited or 0)}
        for grid_id, sites, visited in (await session.exec(statement)).all()
    }


async def findings_by_grid(
    *, session: AsyncSession, campaign_id: int, now: datetime
) -> dict[int, dict[str, int]]:
    """Per cell (the site's): the hazards a campaign found, those fixed (resolved or closed),
    and those still open past a deadline (not taken in time, or not fixed in time)."""
    fixed = func.sum(case((col(Report.status).in_(FIXED), 1), else_=0))
    late = and_(
        col(Report.status).in_(OPEN),
        or_(
            and_(col(Report.status).in_(("new", "assigned")), Report.ack_deadline_at < now),
            and_(Report.status == "acknowledged", Report.rectify_deadline_at < now),
            col(Report.supervised),
        ),
    )
    overdue = func.sum(case((late, 1), else_=0))
    statement = (
        select(CampaignVisit.grid_id, func.count(), fixed, overdue)
        .select_from(Report)
        .join(
            CampaignVisit,
            and_(
                CampaignVisit.campaign_id == Report.campaign_id,
                CampaignVisit.site_id == Report.site_id,
            ),
        )
        .where(Report.campaign_id == campaign_id)
        .group_by(CampaignVisit.grid_id)
    )
    return {
        grid_id: {"hazards": found, "rectified": int(ok or 0), "overdue": int(lag or 0)}
        for grid_id, found, ok, lag in (await session.exec(statement)).all()
    }


async def due_reminders(*, session: AsyncSession, now: datetime) -> Sequence[Campaign]:
    statement = select(Campaign).where(
        col(Campaign.remind_at).is_not(None), Campaign.remind_at <= now
    )
    return (await session.exec(statement.order_by(col(Campaign.remind_at)))).all()


async def move_reminder(*, session: AsyncSession, campaign: Campaign, to: datetime | None) -> bool:
    """The reminder is this instance's to send: one guarded update from the time it read, so
    whichever instance gets there, it is sent once."""
    result = await session.exec(
        update(Campaign)
        .where(Campaign.id == campaign.id, Campaign.remind_at == campaign.remind_at)
        .values(remind_at=to)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1 and to is not None:
        await touch(session, DEADLINES, to)  # the scheduler wakes for it
    return result.rowcount == 1


async def next_reminder(*, session: AsyncSession) -> datetime | None:
    return (await session.exec(select(func.min(Campaign.remind_at)))).one()
