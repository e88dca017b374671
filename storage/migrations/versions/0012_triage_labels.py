"""triage labels: a message the bot was not sure of, and what the resident said it was

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 07:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "triagelabel",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("resident_id", sa.Integer(), sa.ForeignKey("resident.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("reading", sa.String(), nullable=False),
        sa.Column("chosen", sa.String(), nullable=True),
        sa.Column("asked_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answered_at", storage.types.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_triagelabel_resident_id", "triagelabel", ["resident_id"])


def downgrade() -> None:
    op.drop_index("ix_triagelabel_resident_id", "triagelabel")
    op.drop_table("triagelabel")
