"""The program report's figures kept per period (`report_snapshots`), so that the page reads them
instead of recomputing them over the whole program at each view (portal/reports/snapshots.py).

Reviewed by hand: the unique constraint's name follows the naming convention in
portal/extensions.py; nothing to fill, the first view of each period computes its figures.

Revision ID: 0011_report_snapshots
Revises: 0010_reply_waits
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

from portal.db_types import UTCDateTime

revision = "0011_report_snapshots"
down_revision = "0010_reply_waits"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_key", sa.String(length=80), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_snapshots")),
        sa.UniqueConstraint("period_key", name=op.f("uq_report_snapshots_period_key")),
    )


def downgrade():
    op.drop_table("report_snapshots")
