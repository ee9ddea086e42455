"""appointments: a patient running late; outbound messages: who answered a call we placed

Revision ID: 0012_noshow
Revises: 0014_house
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_noshow"
down_revision = "0014_house"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("late_minutes", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("late_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answered_by", sa.String(length=24), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_column("answered_by")
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_column("late_at")
        batch_op.drop_column("late_minutes")
