"""The session every transaction uses: sqlmodel's AsyncSession, whose `get` of a row by its
key is cheaper on SQLite (issue 14): a row the session holds is given without a trip into
SQLAlchemy's greenlet, and one it does not is read through storage.compiled, on sqlite3
itself (session.get builds and keys its SELECT at every call, and loads through the ORM:
≈ 230 µs a row, against ≈ 30)."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm.util import identity_key
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import compiled, flushing, loading


class Session(AsyncSession):
    async def flush(self, objects: Any = None) -> None:
        """As AsyncSession.flush; one object's change as one compiled statement when it may
        (storage.flushing)."""
        changes = self.new or self.dirty or self.deleted
        if objects is None and changes and await flushing.flushed(self):
            return
        await super().flush(objects)

    async def get(self, entity: Any, ident: Any, **options: Any) -> Any:
        """As AsyncSession.get; with options (locks, loader options…) exactly that."""
        statement = None if options else _by_key(entity)
        if statement is None or type(ident) not in (int, str):  # a tuple, a dict, None…
            return await super().get(entity, ident, **options)
        held = self.sync_session.identity_map.get(identity_key(entity, ident))
        if held is not None:
            state = inspect(held)
            if state.expired_attributes or state.deleted or state._deleted:
                return await super().get(entity, ident)  # as the ORM has it: loaded again
            return held
        found = await compiled.read(self, statement, {"key": ident})
        return found[0] if found else None


@cache
def _by_key(model: Any) -> Any:
    """A model's SELECT by its one-column primary key, built once (None: a key of several
    columns, or not a plain table's model: the usual way)."""
    mapper = loading.plain(model)
    if mapper is None:
        return None
    return select(model).where(mapper.primary_key[0] == bindparam("key"))
