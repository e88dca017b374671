"""report and reportevent: the indexes `firecircle stats` reads a period through — the
reports by creation time, and each report's history in one index (report, time, action,
moves) so a year's events are read without touching the table

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 10:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY = ["report_id", "at", "action", "from_status", "to_status"]


def upgrade() -> None:
    op.create_index("ix_report_created_at", "report", ["created_at"])
    op.create_index("ix_reportevent_history", "reportevent", HISTORY)


def downgrade() -> None:
    op.drop_index("ix_reportevent_history", table_name="reportevent")
    op.drop_index("ix_report_created_at", table_name="report")
