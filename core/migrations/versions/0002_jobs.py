"""outbound messages: what they are about, who sent them, and the send lease

Revision ID: 0002_jobs
Revises: 0001
Create Date: 2026-11-28 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_jobs"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("appointment_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("ticket_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("from_number", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("lang", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("error_message", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("attempt_token", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbound_messages_appointment_id", ["appointment_id"], unique=False)
        batch_op.create_index("ix_outbound_messages_ticket_id", ["ticket_id"], unique=False)
        batch_op.create_index("ix_outbound_messages_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_status")
        batch_op.drop_index("ix_outbound_messages_ticket_id")
        batch_op.drop_index("ix_outbound_messages_appointment_id")
        for column in (
            "claimed_at",
            "attempt_token",
            "error_message",
            "lang",
            "from_number",
            "ticket_id",
            "appointment_id",
        ):
            batch_op.drop_column(column)
