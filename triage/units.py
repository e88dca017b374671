"""Units of work: what a surface (the chat, the web) opens to act on the domain.

A transaction for one operation, or a unit of work for everything an update does (its
steps, its replies and its "processed" mark commit together or not at all), or a few
updates do, each starting afresh. The database behind them is storage's; the surfaces hold
a SessionFactory and never touch storage.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession as Session

from storage.engine import (
    SessionFactory,
    Unit,
    contained,
    settle_before_telling,
    spoiled_unit,
    start_afresh,
    transaction,
    unit_of_work,
    write_waiting,
)
from storage.types import utcnow

__all__ = [
    "Session",
    "SessionFactory",
    "Unit",
    "contained",
    "settle_before_telling",
    "spoiled_unit",
    "start_afresh",
    "transaction",
    "unit_of_work",
    "write_waiting",
    "utcnow",
]
