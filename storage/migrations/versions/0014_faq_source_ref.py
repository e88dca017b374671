"""faqentry: where an entry's answer comes from (a standard, a regulation, a public guide),
shown to staff and kept with the file on export

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("faqentry") as batch:
        batch.add_column(sa.Column("source_ref", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("faqentry") as batch:
        batch.drop_column("source_ref")
