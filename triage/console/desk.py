"""The console's one object for the web side: logins, what it shows, what staff do."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from triage.console.acting import Acting
from triage.console.campaigns import CampaignViews
from triage.console.logins import Logins
from triage.console.views import Views
from triage.tasks.desk import StaffDesk


class Console:
    def __init__(self, desk: StaffDesk, timezone: ZoneInfo, public_url: str | None = None):
        self.logins = Logins(desk.sessions, desk.clock)
        self.views = Views(desk.sessions, desk.lifecycle, timezone, desk.clock, policy=desk.policy)
        self.acting = Acting(desk.sessions, desk)
        self.campaigns = CampaignViews(desk.sessions, desk.policy, desk.clock)
        self.timezone = timezone
        self.public_url = public_url  # where links point; None: the caller knows

    async def link(self, telegram_id: int, minutes: float = 15) -> str:
        """A one-time login link (absolute when the public address is known)."""
        path = await self.logins.issue(telegram_id, minutes)
        return (self.public_url or "").rstrip("/") + path
