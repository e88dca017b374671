"""Table objects made from rows storage.compiled read on the driver itself (sqlite3, asyncpg),
joined to the session as the ORM's own reading would have joined them (issue 14: the ORM's
execution and loading of one row cost ≈ 230 µs, the statement on sqlite3 ≈ 10, the object
made here ≈ 20).

What the ORM does that matters here is kept: a row whose object the session holds already
gives that object, unchanged (what it holds may be newer than the row), with only the
attributes it had expired filled in from the row; a new one is persistent, its values as
stored (nothing to flush), held by the session's identity map. An outer join's missing row
(its primary key None) is None.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, inspect
from sqlalchemy.orm import InstanceState, Mapper, Session
from sqlalchemy.orm.attributes import instance_state, set_committed_value


@dataclass(frozen=True)
class Shape:
    """Where a table object's values are in a row: its class, the attribute each of its
    columns fills, in the row's order from `start`, and which of them make its identity."""

    model: type
    start: int
    keys: tuple[str, ...]
    identity: tuple[int, ...]  # positions in the row


def plain(model: Any) -> Mapper | None:
    """The mapper of a model mapped to one table of its own, with a key of one column (no
    inheritance, not an alias): the only ones read, got and flushed the short way."""
    mapper = inspect(model, raiseerr=False)
    if not isinstance(mapper, Mapper) or mapper.inherits is not None:
        return None
    if mapper.persist_selectable is not mapper.local_table or len(mapper.primary_key) != 1:
        return None
    return mapper


def shape_of(model: type, columns: Sequence[Any], start: int) -> Shape | None:
    """The shape of `model`'s columns at `start` in a select's result columns, if all of its
    columns are there in a row (a plain mapped table, no deferred column)."""
    mapper = plain(model)
    if mapper is None:
        return None
    table = mapper.local_table
    keys: list[str] = []
    at = start
    while at < len(columns) and isinstance(columns[at], Column) and columns[at].table is table:
        keys.append(mapper.get_property_by_column(columns[at]).key)
        at += 1
    if set(keys) != {p.key for p in mapper.column_attrs} or len(keys) != len(set(keys)):
        return None
    identity = (start + keys.index(mapper.get_property_by_column(mapper.primary_key[0]).key),)
    return Shape(model, start, tuple(keys), identity)


def heard(shape: Shape) -> bool:
    """Whether someone listens for the loading of these objects (load, refresh events):
    then the ORM's loading, which tells them, must make them."""
    events = shape.model._sa_class_manager.dispatch
    return bool(events.load or events.refresh)


def joined(session: Session, shape: Shape, row: Sequence[Any]) -> Any:
    """The object of this row's values, held by the session (see the module's doc)."""
    identity = tuple(row[i] for i in shape.identity)
    if None in identity:
        return None
    key = (shape.model, identity, None)
    held = session.identity_map.get(key)
    values = row[shape.start : shape.start + len(shape.keys)]
    if held is not None:
        unloaded = inspect(held).unloaded
        if unloaded:
            for name, value in zip(shape.keys, values, strict=True):
                if name in unloaded:
                    set_committed_value(held, name, value)
        return held
    instance = inspect(shape.model).class_manager.new_instance()
    instance.__dict__.update(zip(shape.keys, values, strict=True))
    _persistent(session, instance_state(instance), key)
    return instance


def _persistent(session: Session, state: InstanceState, key: tuple) -> None:
    """As the ORM's loading joins a row's new object to the session: its identity its key,
    its values as stored (nothing to flush), in the identity map (the key checked absent),
    and the session's loaded_as_persistent listeners told. Not `session.add`, which would
    also look for changes to cascade and treat it as coming back from elsewhere."""
    state.key, state.identity_token = key, None
    state.session_id = session.hash_key
    session.identity_map._add_unpresent(state, key)
    if session.dispatch.loaded_as_persistent:
        session.dispatch.loaded_as_persistent(session, state)
    state._commit_all(state.dict, session.identity_map)  # a listener's change too, as there
