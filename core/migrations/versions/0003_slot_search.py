"""slots: soft holds on what was offered, and an index of the slots that may still be offered

Revision ID: 0003_slot_search
Revises: 0002_jobs
Create Date: 2026-12-02 14:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_slot_search"
down_revision = "0002_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offered_to", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("offered_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_slots_open",
            ["clinic_id", "starts_at", "practitioner_id"],
            unique=False,
            sqlite_where=sa.text("status IN ('free', 'held')"),
            postgresql_where=sa.text("status IN ('free', 'held')"),
        )
        batch_op.create_index(
            "ix_slots_offered_to",
            ["offered_to"],
            unique=False,
            sqlite_where=sa.text("offered_to IS NOT NULL"),
            postgresql_where=sa.text("offered_to IS NOT NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("slots", schema=None) as batch_op:
        batch_op.drop_index("ix_slots_offered_to")
        batch_op.drop_index("ix_slots_open")
        batch_op.drop_column("offered_until")
        batch_op.drop_column("offered_to")
