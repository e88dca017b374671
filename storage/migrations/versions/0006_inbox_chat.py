"""inbox: each update's chat, so a pass takes a few updates of each chat in turn

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 17:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inboxupdate") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inboxupdate") as batch:
        batch.drop_column("chat_id")
