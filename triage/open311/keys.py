"""API keys of the systems that use Open311: made once and shown once, stored as a hash,
revoked by name, and counted per minute in the database (every instance shares the count)."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError

from storage import clients as client_rows
from storage.engine import SessionFactory, transaction
from storage.types import utcnow
from triage.actors import Actor, client_actor
from triage.open311.refusals import Refused

PREFIX = "fc311_"
WINDOW = timedelta(minutes=1)
NAME = re.compile(r"^[\w.\- ]{1,64}$")


class KeyProblem(Exception):
    """A key command that cannot be done; the message says why."""


@dataclass(frozen=True)
class ClientEntry:
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hashed(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class ApiKeys:
    def __init__(self, sessions: SessionFactory, *, per_minute: int, clock=utcnow):
        self.sessions = sessions
        self.per_minute = per_minute
        self.clock = clock

    async def create(self, name: str) -> str:
        name = name.strip()
        if not NAME.match(name):
            raise KeyProblem("a key's name is 1–64 letters, digits, spaces, '.', '-' or '_'")
        key = PREFIX + secrets.token_urlsafe(24)
        try:
            async with transaction(self.sessions) as session:
                if await client_rows.client_named(session=session, name=name):
                    raise KeyProblem(f"there is already a key named {name!r}")
                await client_rows.add_client(
                    session=session, name=name, key_hash=hashed(key), now=self.clock()
                )
        except IntegrityError:  # made at the same moment elsewhere
            raise KeyProblem(f"there is already a key named {name!r}") from None
        return key

    async def list(self) -> list[ClientEntry]:
        async with transaction(self.sessions) as session:
            rows = await client_rows.all_clients(session=session)
        return [ClientEntry(r.name, r.created_at, r.last_used_at, r.revoked_at) for r in rows]

    async def revoke(self, name: str) -> None:
        async with transaction(self.sessions) as session:
            if await client_rows.client_named(session=session, name=name) is None:
                raise KeyProblem(f"no key is named {name!r} (see `firecircle apikey list`)")
            if not await client_rows.revoke(session=session, name=name, now=self.clock()):
                raise KeyProblem(f"the key {name!r} is already revoked")

    async def admit(self, key: str | None) -> Actor:
        """The client a request comes from, counted against its minute; refused without a
        live key or over the limit."""
        if not key:
            raise Refused("no_key")
        now = self.clock()
        async with transaction(self.sessions) as session:
            client = await client_rows.count_request(
                session=session, key_hash=hashed(key), now=now, window=WINDOW
            )
        if client is None:
            raise Refused("bad_key")
        if client.window_count > self.per_minute:
            left = (client.window_start + WINDOW - now).total_seconds()
            raise Refused("too_many", retry_after=max(1, math.ceil(left)), limit=self.per_minute)
        return client_actor(client)
