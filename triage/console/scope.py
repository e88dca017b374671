"""Whose reports a staff member sees: the console's lists and the chat's /tasks alike."""

from __future__ import annotations

from storage.console import Scope
from triage.actors import Actor, Role


def scope_of(actor: Actor) -> Scope:
    """A worker: their cells and what is assigned to them; a community coordinator: the
    community; a street coordinator: the street; duty officers and admins: everything."""
    if actor.role in (Role.OFFICER, Role.ADMIN):
        return Scope(everything=True)
    if actor.role == Role.COORDINATOR:
        if actor.community is None and actor.street is None:
            return Scope(everything=True)
        return Scope(community=actor.community, street=actor.street)
    return Scope(grid_ids=tuple(actor.grids), staff_id=actor.id)
