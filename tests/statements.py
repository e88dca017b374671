"""What SQL the process runs while a `with Statements(summary) as said:` block is open: each
statement as `summary` sums it up (None: left out), in order, from every engine."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine


class Statements:
    def __init__(self, summary: Callable[[list[str]], str | None]) -> None:
        self.summary = summary  # takes the statement's words
        self.said: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(Engine, "before_cursor_execute", self._heard)
        return self.said

    def __exit__(self, *_exc) -> None:
        event.remove(Engine, "before_cursor_execute", self._heard)

    def _heard(self, _conn, _cursor, statement: str, *_args) -> None:
        said = self.summary(statement.split())
        if said is not None:
            self.said.append(said)
