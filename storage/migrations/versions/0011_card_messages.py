"""card messages: which Telegram messages are a report's task cards, to edit them when the
report changes

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 06:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cardmessage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("cardmessage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cardmessage_report_id"), ["report_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("cardmessage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cardmessage_report_id"))
    op.drop_table("cardmessage")
