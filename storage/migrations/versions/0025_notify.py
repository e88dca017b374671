"""notify: on PostgreSQL the inbox and the outbox say they got rows themselves (a trigger's
pg_notify, sent at commit like a NOTIFY), so whoever inserts them, the service's transaction
costs no NOTIFY statement of its own; on SQLite, one process, nothing to do

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 17:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The table, and the channel storage.signals listens to for it.
CHANNELS = {"inboxupdate": "firecircle_inbox", "outboxmessage": "firecircle_outbox"}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One function for both: the channel is the trigger's argument. Statement-level: one
    # notification however many rows (and PostgreSQL folds a transaction's repeats into one).
    op.execute(
        "CREATE FUNCTION firecircle_notify() RETURNS trigger AS $$ "
        "BEGIN PERFORM pg_notify(TG_ARGV[0], ''); RETURN NULL; END $$ LANGUAGE plpgsql"
    )
    for table, channel in CHANNELS.items():
        op.execute(
            f"CREATE TRIGGER {table}_notify AFTER INSERT ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION firecircle_notify('{channel}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in CHANNELS:
        op.execute(f"DROP TRIGGER {table}_notify ON {table}")
    op.execute("DROP FUNCTION firecircle_notify()")
