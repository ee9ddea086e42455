"""schedule changes (closures, absences, extra time, walk-in), slot pools and visit reasons spanning slots

Revision ID: 0009_schedule
Revises: 0011_rooms
Create Date: 2026-12-03 15:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_schedule"
down_revision = "0011_rooms"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "schedule_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.String(length=40), nullable=False),
        sa.Column("practitioner_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "closure", "absence", "extra", "walkin", name="schedulekind", native_enum=False, length=20
            ),
            nullable=False,
        ),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.Time(), nullable=True),
        sa.Column("ends", sa.Time(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.Column("reason_en", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("created_by", sa.String(length=80), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["practitioner_id"], ["practitioners.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_schedule_changes_clinic_day", "schedule_changes", ["clinic_id", "day"], unique=False)
    # Never a table rebuild on SQLite: appointments refer to slots, and foreign keys are enforced.
    with op.batch_alter_table("slots", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("pool", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("public_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("joined_to", sa.Integer(), nullable=True))
    with op.batch_alter_table(
        "slots", schema=None, recreate="never"
    ) as batch_op:  # pooled slots leave the index
        batch_op.drop_index("ix_slots_open")
        batch_op.create_index(
            "ix_slots_open",
            ["clinic_id", "starts_at", "practitioner_id"],
            unique=False,
            sqlite_where=sa.text("status IN ('free', 'held') AND pool IS NULL"),
            postgresql_where=sa.text("status IN ('free', 'held') AND pool IS NULL"),
        )
    with op.batch_alter_table("appointments", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(length=40), nullable=True))
    with op.batch_alter_table("walkin_days", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("closes_at", sa.Time(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("walkin_days", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("closes_at")
    with op.batch_alter_table("appointments", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("reason")
    with op.batch_alter_table("slots", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_slots_open")
        batch_op.create_index(
            "ix_slots_open",
            ["clinic_id", "starts_at", "practitioner_id"],
            unique=False,
            sqlite_where=sa.text("status IN ('free', 'held')"),
            postgresql_where=sa.text("status IN ('free', 'held')"),
        )
    with op.batch_alter_table("slots", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("joined_to")
        batch_op.drop_column("public_at")
        batch_op.drop_column("pool")
    op.drop_index("ix_schedule_changes_clinic_day", table_name="schedule_changes")
    op.drop_table("schedule_changes")
