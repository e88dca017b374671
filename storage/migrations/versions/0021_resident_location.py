"""resident location: where a resident last shared their location, so that "哪里可以检测灭火器"
is answered with the nearest such place without asking again (/forget erases it)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resident") as batch:
        batch.add_column(sa.Column("last_latitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("last_longitude", sa.Float(), nullable=True))
        batch.add_column(sa.Column("located_at", UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resident") as batch:
        batch.drop_column("located_at")
        batch.drop_column("last_longitude")
        batch.drop_column("last_latitude")
