"""The console's campaign pages: the campaigns a person's cells take part in, with their
progress, and one campaign per cell — the same figures as `firecircle campaign status` — on
a map of its cells coloured by the share of sites visited, each site a dot (done or not)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from storage import console as console_rows
from storage import fieldwork as field_rows
from storage.engine import SessionFactory, transaction
from storage.types import utcnow
from triage.actors import Actor
from triage.console.drawing import draw
from triage.console.scope import scope_of
from triage.escalation.policy import Policy
from triage.fieldwork import campaigns

# A cell's fill by the share of its sites visited (from this share up), and a cell with none
SHADES = (
    (1.0, "#66bb6a"),
    (0.75, "#a5d6a7"),
    (0.5, "#fff59d"),
    (0.25, "#ffcc80"),
    (0.0, "#ef9a9a"),
)
NO_SITES = "#eeeeee"


def shade(rate: float | None) -> str:
    if rate is None:
        return NO_SITES
    return next(colour for least, colour in SHADES if rate >= least)


class CampaignViews:
    def __init__(
        self,
        sessions: SessionFactory,
        policy: Policy,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.sessions = sessions
        self.policy = policy
        self.clock = clock

    async def _codes(self, actor: Actor) -> set[str]:
        async with transaction(self.sessions) as session:
            cells = await console_rows.cells_in_scope(session=session, scope=scope_of(actor))
        return {cell.code for cell in cells}

    async def listing(self, actor: Actor) -> list[dict[str, Any]]:
        """The campaigns with a cell in the person's scope, newest first, with their progress
        in that scope and whether they have ended."""
        now, mine = self.clock(), await self._codes(actor)
        async with transaction(self.sessions) as session:
            found = [
                c for c in await field_rows.all_campaigns(session=session) if set(c.grids) & mine
            ]
        rows = []
        for campaign in found:
            figures = await campaigns.status(
                self.sessions, self.policy, campaign.id, now, only=mine
            )
            rows.append(
                {
                    **figures["total"],
                    "id": campaign.id,
                    "title": campaign.title,
                    "until": figures["until"],
                    "expected_rate": figures["expected_rate"],
                    "ended": campaign.ends_at <= now,
                }
            )
        return rows

    async def campaign(self, actor: Actor, campaign_id: int) -> dict[str, Any] | None:
        """One campaign's figures per cell in the person's scope, and its map; None when
        there is no such campaign or none of its cells is theirs."""
        now, mine = self.clock(), await self._codes(actor)
        try:
            figures = await campaigns.status(
                self.sessions, self.policy, campaign_id, now, only=mine
            )
        except campaigns.CampaignProblem:
            return None
        if not figures["by_grid"]:
            return None
        shown = {row["grid"] for row in figures["by_grid"]}
        async with transaction(self.sessions) as session:
            cells = [
                c
                for c in await console_rows.cells_in_scope(session=session, scope=scope_of(actor))
                if c.code in shown
            ]
            visits = await field_rows.visits_in(
                session=session, campaign_id=campaign_id, grid_ids=[c.id for c in cells]
            )
        codes = {c.id: c.code for c in cells}
        dots = [
            {
                "reference": site.name,
                "latitude": site.latitude,
                "longitude": site.longitude,
                "done": visit.status == "done",
                "hazards": visit.hazards,
            }
            for visit, site in visits
            if site.latitude is not None and site.longitude is not None
        ]
        drawn = draw(cells, {}, dots)
        rates = {row["grid"]: row["visited_rate"] for row in figures["by_grid"]}
        drawn = replace(
            drawn,
            cells=[
                {**cell, "rate": rates.get(cell["code"]), "fill": shade(rates.get(cell["code"]))}
                for cell in drawn.cells
            ],
        )
        expected = figures["expected_rate"]
        for row in [*figures["by_grid"], figures["total"]]:
            rate = row["visited_rate"]
            row["behind"] = rate is not None and rate < expected and rate < 1
        ended = datetime.fromisoformat(figures["until"]) + timedelta(days=1)
        return {
            **figures,
            "map": drawn,
            "sites": [
                {
                    "name": site.name,
                    "address": site.address,
                    "type": site.type,
                    "grid": codes.get(visit.grid_id, ""),
                    "status": visit.status,
                    "hazards": visit.hazards,
                }
                for visit, site in visits
            ],
            "ended": ended.date() <= now.astimezone(self.policy.timezone).date(),
        }
