"""inbox: each update's chat, so a pass takes a few updates of each chat in turn; outbox:
which sender holds a claim

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

KINDS = ("message", "edited_message", "callback_query", "my_chat_member")


def upgrade() -> None:
    with op.batch_alter_table("inboxupdate") as batch:
        batch.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("outboxmessage") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
    _fill_in_waiting_chats()
    op.create_index(
        "ix_inbox_waiting_by_chat",
        "inboxupdate",
        ["chat_id", "update_id"],
        postgresql_where=sa.text("processed_at IS NULL"),
        sqlite_where=sa.text("processed_at IS NULL"),
    )


def _fill_in_waiting_chats() -> None:
    """Updates still waiting get their chat, so each chat's go in order after the upgrade."""
    inbox = sa.table(
        "inboxupdate",
        sa.column("update_id", sa.BigInteger()),
        sa.column("payload", sa.JSON()),
        sa.column("chat_id", sa.BigInteger()),
        sa.column("processed_at", sa.DateTime()),
    )
    connection = op.get_bind()
    waiting = connection.execute(
        sa.select(inbox.c.update_id, inbox.c.payload).where(inbox.c.processed_at.is_(None))
    ).all()
    for update_id, payload in waiting:
        chat = _chat_of(payload)
        if chat is not None:
            connection.execute(
                inbox.update().where(inbox.c.update_id == update_id).values(chat_id=chat)
            )


def _chat_of(payload) -> int | None:
    for kind in KINDS:
        body = payload.get(kind) if isinstance(payload, dict) else None
        if not isinstance(body, dict):
            continue
        message = body.get("message") if kind == "callback_query" else body
        for holder in (
            message.get("chat") if isinstance(message, dict) else None,
            body.get("from"),
        ):
            ident = holder.get("id") if isinstance(holder, dict) else None
            if type(ident) is int and -(2**63) <= ident < 2**63:
                return ident
    return None


def downgrade() -> None:
    op.drop_index("ix_inbox_waiting_by_chat", table_name="inboxupdate")
    with op.batch_alter_table("outboxmessage") as batch:
        batch.drop_column("claimed_by")
    with op.batch_alter_table("inboxupdate") as batch:
        batch.drop_column("chat_id")
