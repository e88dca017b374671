"""The ten-minute circle: patrol teams and their members, a team's call to an emergency (with
its departure deadline and times), service points

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDEXED = [
    ("team", "street"),
    ("team", "community"),
    ("teammember", "team_id"),
    ("teammember", "staff_id"),
    ("teamcall", "report_id"),
    ("teamcall", "team_id"),
    ("teamcall", "depart_deadline_at"),
    ("place", "type"),
]


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("street", sa.String(), nullable=False),
        sa.Column("community", sa.String(), nullable=True),
        sa.Column("base_latitude", sa.Float(), nullable=True),
        sa.Column("base_longitude", sa.Float(), nullable=True),
        sa.Column("duty_start", sa.String(), nullable=True),
        sa.Column("duty_end", sa.String(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        _time("created_at", nullable=False),
    )
    op.create_table(
        "teammember",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id", ondelete="CASCADE")),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="CASCADE")),
        sa.UniqueConstraint("team_id", "staff_id"),
    )
    op.create_table(
        "teamcall",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), sa.ForeignKey("report.id")),
        sa.Column("team_id", sa.Integer(), sa.ForeignKey("team.id")),
        sa.Column("round", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("status", sa.String(), nullable=False, server_default="called"),
        _time("called_at", nullable=False),
        _time("depart_deadline_at"),
        _time("departed_at"),
        sa.Column("departed_by", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        _time("arrived_at"),
        _time("handled_at"),
        _time("support_at"),
        sa.UniqueConstraint("report_id", "team_id"),
    )
    op.create_table(
        "place",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("hours", sa.String(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("community", sa.String(), nullable=True),
        _time("updated_at", nullable=False),
    )
    for table, column in INDEXED:
        op.create_index(f"ix_{table}_{column}", table, [column])


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(f"ix_{table}_{column}", table)
    op.drop_table("place")
    op.drop_table("teamcall")
    op.drop_table("teammember")
    op.drop_table("team")
