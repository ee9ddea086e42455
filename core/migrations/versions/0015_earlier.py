"""waitlist entries: the appointment an entry waits to bring forward (an earlier slot moves it)

Revision ID: 0015_earlier
Revises: 0012_noshow
Create Date: 2026-12-03 18:50:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_earlier"
down_revision = "0012_noshow"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("waitlist_entries", schema=None) as batch_op:
        batch_op.drop_column("replaces_id")
