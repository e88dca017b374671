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
    # Survey questions already waiting: named as the code before this matched them (the
    # resident's chat, the bulk priority 90, queued in the statement that made the recipient),
    # so that an opt-out after the upgrade still withdraws them.
    op.execute(
        """
        UPDATE outboxmessage SET subject = (
            SELECT 'survey_recipient:' || CAST(r.id AS VARCHAR)
            FROM surveyrecipient r JOIN resident s ON s.id = r.resident_id
            WHERE s.chat_id = outboxmessage.chat_id AND r.sent_at = outboxmessage.created_at
              AND r.position = 0 AND r.answered_at IS NULL
            ORDER BY r.id LIMIT 1)
        WHERE status = 'pending' AND subject IS NULL AND priority = 90
        """
    )


def downgrade() -> None:
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_index("ix_outbox_subject")
        batch.drop_column("subject")
