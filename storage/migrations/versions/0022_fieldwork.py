"""Field work: sites, inspection campaigns and their visits; a report's campaign and site
(a report's source, "patrol" and "campaign" among them, is the column of 0015)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.types import UTCDateTime

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "site",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(), nullable=False, unique=True),
        sa.Column("address", sa.String(), nullable=False),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("gridcell.id"), nullable=False),
        sa.Column("community", sa.String(), nullable=True),
        _time("created_at", nullable=False),
        _time("updated_at", nullable=False),
    )
    op.create_index("ix_site_type", "site", ["type"])
    op.create_index("ix_site_grid_id", "site", ["grid_id"])
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("grids", sa.JSON(), nullable=False),
        sa.Column("site_type", sa.String(), nullable=True),
        _time("starts_at", nullable=False),
        _time("ends_at", nullable=False),
        _time("remind_at"),
        _time("created_at", nullable=False),
    )
    op.create_index("ix_campaign_remind_at", "campaign", ["remind_at"])
    op.create_table(
        "campaignvisit",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("campaign_id", sa.Integer(), sa.ForeignKey("campaign.id"), nullable=False),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("site.id"), nullable=False),
        sa.Column("grid_id", sa.Integer(), sa.ForeignKey("gridcell.id"), nullable=False),
        sa.Column("status", sa.String(), nullable=False, server_default="waiting"),
        sa.Column("staff_id", sa.Integer(), sa.ForeignKey("staff.id"), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("hazards", sa.Integer(), nullable=False, server_default="0"),
        _time("started_at"),
        _time("done_at"),
        sa.UniqueConstraint("campaign_id", "site_id"),
    )
    op.create_index("ix_campaignvisit_campaign_id", "campaignvisit", ["campaign_id"])
    op.create_index("ix_campaignvisit_grid_id", "campaignvisit", ["grid_id"])
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_report_campaign_id", "campaign", ["campaign_id"], ["id"])
        batch.create_foreign_key("fk_report_site_id", "site", ["site_id"], ["id"])
        batch.create_index("ix_report_campaign_id", ["campaign_id"])


def downgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.drop_index("ix_report_campaign_id")
        batch.drop_constraint("fk_report_site_id", type_="foreignkey")
        batch.drop_constraint("fk_report_campaign_id", type_="foreignkey")
        batch.drop_column("site_id")
        batch.drop_column("campaign_id")
    op.drop_table("campaignvisit")
    op.drop_table("campaign")
    op.drop_table("site")
