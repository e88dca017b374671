"""report: no chat id (the resident's row says how to reach them; the report never read it)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 07:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_column("chat_id")


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
