"""Who acts on a report: a resident, a staff member with their role and scope, or the system.

Every surface (the chat, the web console, Open311) turns its own notion of a user into an
Actor once, and the domain's operations take it; they never look the person up by a Telegram
id again. `ref` is what the audit history records ("resident:12", "staff:3", "system").
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    RESIDENT = "resident"
    WORKER = "worker"
    COORDINATOR = "coordinator"
    OFFICER = "officer"
    ADMIN = "admin"
    SYSTEM = "system"
    CLIENT = "client"  # another system, by its Open311 API key
    VOLUNTEER = "volunteer"  # reports what they see on patrol (/patrol); holds no tasks


STAFF_ROLES = (Role.WORKER, Role.COORDINATOR, Role.OFFICER, Role.ADMIN)


@dataclass(frozen=True)
class Actor:
    role: Role
    id: int | None = None  # the resident's or staff member's row; None for the system
    name: str = ""
    language: str = "zh"
    # A staff member's scope: the community and street they coordinate (None: all of them)
    community: str | None = None
    street: str | None = None
    active: bool = True
    grids: tuple[int, ...] = ()  # a worker's grid cells (their ids), in duty order
    # How the chat reaches them (None for someone known only to the web console or Open311)
    telegram_id: int | None = None
    chat_id: int | None = None

    @property
    def ref(self) -> str:
        return "system" if self.role == Role.SYSTEM else f"{self.kind}:{self.id}"

    @property
    def kind(self) -> str:
        if self.role in (Role.SYSTEM, Role.CLIENT):
            return str(self.role)
        return "resident" if self.role == Role.RESIDENT else "staff"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_resident(self) -> bool:
        return self.role == Role.RESIDENT


SYSTEM = Actor(Role.SYSTEM)


def staff_actor(staff, grids: tuple[int, ...] = ()) -> Actor:
    """A staff row as an actor (duck-typed: triage does not need the table's class here),
    with the grid cells they work when the caller read them."""
    return Actor(
        Role(staff.role),
        staff.id,
        staff.name,
        staff.language,
        staff.community,
        staff.street,
        staff.active,
        grids,
        telegram_id=staff.telegram_id,
        chat_id=staff.telegram_id,
    )


def client_actor(client) -> Actor:
    return Actor(Role.CLIENT, client.id, client.name)


def resident_actor(resident) -> Actor:
    return Actor(
        Role.RESIDENT,
        resident.id,
        resident.name,
        resident.language,
        telegram_id=resident.telegram_id,
        chat_id=resident.chat_id,
    )
