"""broadcast preview: where the author's preview is, one opaque value instead of Telegram's
chat and message ids

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 06:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_broadcast = sa.table(
    "broadcast",
    sa.column("id", sa.Integer()),
    sa.column("author_id", sa.Integer()),
    sa.column("chat_id", sa.BigInteger()),
    sa.column("message_id", sa.BigInteger()),
    sa.column("preview", sa.JSON()),
)
_staff = sa.table("staff", sa.column("id", sa.Integer()), sa.column("telegram_id", sa.BigInteger()))


def upgrade() -> None:
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(sa.Column("preview", sa.JSON(), nullable=True))
    bind = op.get_bind()
    confirmed = bind.execute(
        sa.select(_broadcast.c.id, _broadcast.c.chat_id, _broadcast.c.message_id).where(
            _broadcast.c.message_id.is_not(None)
        )
    ).all()
    for id_, chat_id, message_id in confirmed:
        bind.execute(
            _broadcast.update()
            .where(_broadcast.c.id == id_)
            .values(preview={"chat_id": chat_id, "message_id": message_id})
        )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_column("message_id")
        batch_op.drop_column("chat_id")


def downgrade() -> None:
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chat_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(_broadcast.c.id, _broadcast.c.preview, _staff.c.telegram_id).join(
            _staff, _staff.c.id == _broadcast.c.author_id
        )
    ).all()
    for id_, preview, author in rows:  # a draft's author wrote from their private chat
        where = preview or {"chat_id": author, "message_id": None}
        bind.execute(
            _broadcast.update()
            .where(_broadcast.c.id == id_)
            .values(chat_id=where["chat_id"], message_id=where["message_id"])
        )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.alter_column("chat_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_column("preview")
