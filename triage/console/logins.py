"""One-time login links for staff, and the sessions they open. The secrets are random and
only their hashes are stored; a link works once, within its minutes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from storage import console as console_rows
from storage import residents as resident_rows
from storage import staff as staff_rows
from storage.engine import SessionFactory, transaction
from storage.types import utcnow
from triage.actors import Actor, staff_actor

SESSION_LIFETIME = timedelta(hours=12)  # a shift; then a new link
LINK_PATH = "/login/"


class LoginRefused(Exception):
    """No link for this person: `reason` is resident, unknown or inactive."""

    def __init__(self, reason: str, telegram_id: int):
        super().__init__(reason)
        self.reason, self.telegram_id = reason, telegram_id

    def __str__(self) -> str:
        return {
            "resident": f"{self.telegram_id} is a resident, not staff: no console login",
            "inactive": f"staff member {self.telegram_id} is off duty: no console login",
        }.get(self.reason, f"no staff member has Telegram id {self.telegram_id}")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class Logins:
    def __init__(self, sessions: SessionFactory, clock: Callable[[], datetime] = utcnow):
        self.sessions = sessions
        self.clock = clock

    async def issue(self, telegram_id: int, minutes: float = 15) -> str:
        """A new link's path (/login/SECRET) for a staff member; LoginRefused otherwise."""
        token = secrets.token_urlsafe(32)
        async with transaction(self.sessions) as session:
            staff = await staff_rows.staff_by_telegram_id(session=session, telegram_id=telegram_id)
            if staff is None:
                resident = await resident_rows.resident_by_telegram_id(
                    session=session, telegram_id=telegram_id
                )
                raise LoginRefused("resident" if resident else "unknown", telegram_id)
            if not staff.active:
                raise LoginRefused("inactive", telegram_id)
            expires = self.clock() + timedelta(minutes=minutes)
            await console_rows.add_login(
                session=session, staff_id=staff.id, token_hash=digest(token), expires_at=expires
            )
        return LINK_PATH + token

    async def redeem(self, token: str) -> str | None:
        """The link's one use: a new session's secret (the cookie), or None when the link is
        unknown, used or expired."""
        if not token or len(token) > 200:
            return None
        cookie = secrets.token_urlsafe(32)
        now = self.clock()
        async with transaction(self.sessions) as session:
            won = await console_rows.use_login(
                session=session,
                token_hash=digest(token),
                session_hash=digest(cookie),
                now=now,
                session_expires_at=now + SESSION_LIFETIME,
            )
        return cookie if won else None

    async def actor(self, cookie: str | None) -> Actor | None:
        """Who holds this session (an active staff member), or None."""
        if not cookie or len(cookie) > 200:
            return None
        async with transaction(self.sessions) as session:
            staff = await console_rows.staff_of_session(
                session=session, session_hash=digest(cookie), now=self.clock()
            )
            if staff is None:
                return None
            duties = await staff_rows.duties_of_staff(session=session, staff_id=staff.id)
            return staff_actor(staff, tuple(d.grid_id for d in duties))

    async def end(self, cookie: str) -> None:
        async with transaction(self.sessions) as session:
            await console_rows.end_session(
                session=session, session_hash=digest(cookie), now=self.clock()
            )


def csrf_token(cookie: str) -> str:
    """The forms' token: derived from the session's secret, which only its holder knows."""
    return digest("csrf:" + cookie)[:32]
