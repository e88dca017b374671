"""Writing many rows in one statement: ORM objects cost a round trip and a flush each, which a
batch of hundreds of escalations cannot afford."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    Boolean,
    ColumnElement,
    Insert,
    Integer,
    String,
    TypeDecorator,
    any_,
    bindparam,
    insert,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.sqltypes import AutoString

from storage import compiled


async def insert_with_ids(session: AsyncSession, rows: Sequence[SQLModel]) -> None:
    """New table objects of one type in one multi-row INSERT, each given the id the database
    chose for it (the objects are not attached to the session)."""
    if not rows:
        return
    postgresql = session.bind.dialect.name == "postgresql"
    statement = _returning_ids(type(rows[0]), postgresql)
    done = await compiled.execute(session, statement, [values_of(row) for row in rows])
    ids = [id_ for (id_,) in done.all()]
    given = [row.id for row in rows]
    if not postgresql:  # ids given stay theirs; chosen ones ascend in the rows' order
        ids = given if None not in given else sorted(ids)
    for row, id_ in zip(rows, ids, strict=True):
        row.id = id_


@cache
def _returning_ids(model: type[SQLModel], postgresql: bool) -> Insert:
    """The ids in the order of the rows. SQLAlchemy guarantees that order on SQLite only by a
    statement per row; SQLite gives the rows of one INSERT ascending rowids in the order of
    its VALUES, so there the ids are sorted instead."""
    id_ = model.__table__.c.id
    if postgresql:
        return insert(model.__table__).returning(id_, sort_by_parameter_order=True)
    return insert(model.__table__).returning(id_)


@cache
def insert_into(model: type[SQLModel]) -> Insert:
    """A Core INSERT of the model's table, built once: the ORM's bulk INSERT and building
    the statement each time cost more than running it (issue 14). Values by column name;
    the ids the database chooses are not read back (inline: no RETURNING for one row)."""
    return insert(model.__table__).inline()


def values_of(row: SQLModel) -> dict[str, Any]:
    """A table object's column values for a Core INSERT (its id left out while it has none)."""
    table = row.__table__
    return {
        column.name: getattr(row, column.name)
        for column in table.columns
        if not (column.primary_key and getattr(row, column.name) is None)
    }


def chunks(ids: Sequence[int], size: int = 1000) -> list[list[int]]:
    """IN lists of bounded size (asyncpg takes at most 32,767 parameters a statement)."""
    ids = list(ids)
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def bound_values(columns: tuple[str, ...]) -> dict[str, BindParameter]:
    """An UPDATE's SET of these columns as parameters (`v_<column>`), for a statement built
    once a shape; bound_params gives the values."""
    return {name: bindparam(f"v_{name}") for name in columns}


def bound_params(values: dict[str, Any]) -> dict[str, Any]:
    """The parameters of bound_values(tuple(values))."""
    return {f"v_{name}": value for name, value in values.items()}


class _AnyOf(ColumnElement[bool]):
    __visit_name__ = "firecircle_any_of"
    inherit_cache = True  # the cache key: the column and the parameter's name
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" where booleans are integers

    def __init__(self, column: ColumnElement, name: str) -> None:
        self.column = column
        self.name = name


def any_of(column: ColumnElement, name: str) -> ColumnElement[bool]:
    """`column IN` the list given as the parameter `name`. On PostgreSQL `column = ANY(:name)`,
    an array: one statement whatever the list's length. asyncpg prepares, a round trip, every
    statement a connection has not seen, and an IN list of one, two, three… ids is a statement
    each: the sender's claims and outcomes missed the cache of a connection in two of three
    (issue 14). On SQLite `column IN (SELECT value FROM json_each(:name))`, the list as JSON:
    one statement too, so storage.compiled can take it (an expanding IN's SQL depends on the
    list's length) for a column of ints or strings. Elsewhere an expanding IN."""
    return _AnyOf(column, name)


class _JsonList(TypeDecorator):
    """A list bound as its JSON text (for SQLite's json_each), each value as the column's
    type takes it: an int, or a string (an int given for a text column matches as text, as
    it would in an IN list)."""

    impl = String
    cache_ok = True

    def __init__(self, element: type) -> None:
        super().__init__()
        self.element = element

    def process_bind_param(self, value: Any, dialect: Any) -> str:
        return json.dumps([self.element(v) for v in value], ensure_ascii=False)


@compiles(_AnyOf)
def _any_of_in(element: _AnyOf, compiler, **kw) -> str:
    listed = bindparam(element.name, expanding=True, type_=element.column.type)
    return compiler.process(element.column.in_(listed), **kw)


@compiles(_AnyOf, "sqlite")
def _any_of_json(element: _AnyOf, compiler, **kw) -> str:
    kind = _json_kind(element.column.type)
    if kind is None:  # a time, a number with decimals…: the expanding IN, typed as usual
        return _any_of_in(element, compiler, **kw)
    listed = compiler.process(bindparam(element.name, type_=_JsonList(kind)), **kw)
    return f"{compiler.process(element.column, **kw)} IN (SELECT value FROM json_each({listed}))"


def _json_kind(column_type: Any) -> type | None:
    """int or str, if the column holds those plainly (JSON carries them as they are)."""
    if isinstance(column_type, Integer):
        return int
    if isinstance(column_type, AutoString) or (
        isinstance(column_type, String) and not isinstance(column_type, TypeDecorator)
    ):
        return str
    return None


@compiles(_AnyOf, "postgresql")
def _any_of_array(element: _AnyOf, compiler, **kw) -> str:
    array = bindparam(element.name, type_=ARRAY(element.column.type))
    return compiler.process(element.column == any_(array), **kw)
