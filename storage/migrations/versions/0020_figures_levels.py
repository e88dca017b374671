"""reportevent.level: the level an `escalated` event reached and the stars a `rated` one gave
(until now only in their JSON detail), in the history index, so `firecircle stats` counts
escalations by level and reads ratings in its one pass over the index instead of reading the
rows' details

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY = ["report_id", "at", "action", "from_status", "to_status"]


def upgrade() -> None:
    with op.batch_alter_table("reportevent") as batch:
        batch.add_column(sa.Column("level", sa.Integer(), nullable=True))
    for action, key in (("escalated", "level"), ("rated", "stars")):
        if op.get_bind().dialect.name == "postgresql":
            value = f"(detail->>'{key}')::integer"
        else:
            value = f"CAST(json_extract(detail, '$.{key}') AS INTEGER)"
        op.execute(f"UPDATE reportevent SET level = {value} WHERE action = '{action}'")
    op.drop_index("ix_reportevent_history", table_name="reportevent")
    op.create_index("ix_reportevent_history", "reportevent", [*HISTORY, "level"])


def downgrade() -> None:
    op.drop_index("ix_reportevent_history", table_name="reportevent")
    op.create_index("ix_reportevent_history", "reportevent", HISTORY)
    with op.batch_alter_table("reportevent") as batch:
        batch.drop_column("level")
