"""directoryversion: one counter that every change to staff, their duties or the grid cells
moves (by trigger, whoever writes: this service, another instance, the CLI, a bulk import),
so a process may keep them in memory and check one number instead of reading them again

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05 09:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("staff", "gridduty", "gridcell")
BUMP = "UPDATE directoryversion SET version = version + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "directoryversion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO directoryversion (id, version) VALUES (1, 0)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION firecircle_directory_changed() RETURNS trigger AS $$ "
            f"BEGIN {BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_directory AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION firecircle_directory_changed()"
            )
        return
    for table in TABLES:
        for when in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_directory_{when.lower()} AFTER {when} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_directory ON {table}")
        op.execute("DROP FUNCTION firecircle_directory_changed()")
    else:
        for table in TABLES:
            for when in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_directory_{when}")
    op.drop_table("directoryversion")
