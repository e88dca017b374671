"""The residents' answers to "这是要上报的消防隐患吗？", as labelled messages to retrain the
classifier on (`firecircle triage export-labels`), in the corpus's JSON-lines form."""

from __future__ import annotations

import json
from typing import Any

from storage import labels as label_rows
from storage.engine import SessionFactory, transaction


async def answered_labels(sessions: SessionFactory) -> list[dict[str, Any]]:
    async with transaction(sessions) as session:
        rows = await label_rows.answered(session=session)
    return [
        {
            "text": row.text,
            "kind": row.chosen,
            "category": None,
            "severity": None,
            "reading": row.reading,
            "answered_at": row.answered_at.isoformat() if row.answered_at else None,
        }
        for row in rows
    ]


def as_json_lines(labels: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(label, ensure_ascii=False) + "\n" for label in labels)
