"""Open311: API clients (hashed keys, a request counter per minute) and where a report came
from (source, client, the requester's contact, media URL, attributes)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "apiclient",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("key_hash", sa.String(), nullable=False, unique=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_start", UTCDateTime(timezone=True), nullable=True),
        sa.Column("window_count", sa.Integer(), nullable=False, server_default="0"),
    )
    with op.batch_alter_table("report") as batch:
        batch.add_column(
            sa.Column("source", sa.String(), nullable=False, server_default="resident")
        )
        batch.add_column(sa.Column("client_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("contact", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("media_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("attributes", sa.JSON(), nullable=False, server_default="{}"))
        batch.create_foreign_key("fk_report_client_id", "apiclient", ["client_id"], ["id"])
        batch.create_index("ix_report_client_id", ["client_id"])


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_index("ix_report_client_id")
        batch.drop_constraint("fk_report_client_id", type_="foreignkey")
        for column in ("attributes", "media_url", "contact", "client_id", "source"):
            batch.drop_column(column)
    op.drop_table("apiclient")
