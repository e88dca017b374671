"""outbox subject: what a queued message is about ("survey_recipient:123"), so that it can be
withdrawn by that and not by matching its chat, priority and time

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(sa.Column("subject", sa.String(), nullable=True))
        batch.create_index("ix_outbox_subject", ["subject"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_index("ix_outbox_subject")
        batch.drop_column("subject")
