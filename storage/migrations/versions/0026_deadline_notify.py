"""deadline notify: on PostgreSQL an UPDATE that writes reports' deadlines says so itself (a
trigger's pg_notify on the deadlines' channel, sent at commit), so a report's change costs no
NOTIFY statement of its own; on SQLite, one process, nothing to do

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 12:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # 0025's function; statement-level: one notification however many reports a batch moves
    op.execute(
        "CREATE TRIGGER report_deadline_notify AFTER UPDATE OF next_deadline_at "
        "ON report FOR EACH STATEMENT EXECUTE FUNCTION firecircle_notify('firecircle_deadlines')"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER report_deadline_notify ON report")
