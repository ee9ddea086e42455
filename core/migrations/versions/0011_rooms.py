"""walk-in tickets: the room a patient is called to; display links for the waiting-room screen; an index
for a clinic's day of appointments (the live board polls it)

Revision ID: 0011_rooms
Revises: 0008_households
Create Date: 2026-12-03 15:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_rooms"
down_revision = "0008_households"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("walkin_tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("room", sa.String(length=20), nullable=True))
    op.create_table(
        "display_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=40), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    with op.batch_alter_table("display_links", schema=None) as batch_op:
        batch_op.create_index("ix_display_links_clinic_id", ["clinic_id"], unique=False)
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.create_index("ix_appointments_clinic_start", ["clinic_id", "starts_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("appointments", schema=None) as batch_op:
        batch_op.drop_index("ix_appointments_clinic_start")
    with op.batch_alter_table("display_links", schema=None) as batch_op:
        batch_op.drop_index("ix_display_links_clinic_id")
    op.drop_table("display_links")
    with op.batch_alter_table("walkin_tickets", schema=None) as batch_op:
        batch_op.drop_column("room")
