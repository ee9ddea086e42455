"""households: a phone has people; appointments and walk-in tickets belong to a person

Each existing patient (a phone) gets its first person, carrying the name the phone had; every appointment
and ticket is given that person. No row is lost, and downgrading puts the first person's name back.

Revision ID: 0008_households
Revises: 0007_slow_voice
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_households"
down_revision = "0007_slow_voice"
branch_labels = None
depends_on = None

ACTIVE = "status IN ('waiting', 'notified', 'called')"


def _split(name: str | None) -> tuple[str | None, str | None]:
    """'Léa Tremblay' -> ('Léa', 'Tremblay'); one word is a first name; nothing stays nothing."""
    words = (name or "").split()
    if not words:
        return None, None
    return words[0][:60], (" ".join(words[1:])[:60] or None)


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=True),
        sa.Column("last_name", sa.String(length=60), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("card_last4", sa.String(length=4), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_people_patient_id", "people", ["patient_id"])

    bind = op.get_bind()
    bind.execute(
        sa.text(
            "INSERT INTO people (patient_id, created_at)"
            " SELECT id, COALESCE(created_at, CURRENT_TIMESTAMP) FROM patients ORDER BY id"
        )
    )
    names = []
    for patient_id, name in bind.execute(sa.text("SELECT id, name FROM patients WHERE name IS NOT NULL")):
        first, last = _split(name)
        if first:
            names.append({"patient_id": patient_id, "first_name": first, "last_name": last})
    if names:
        bind.execute(
            sa.text(
                "UPDATE people SET first_name = :first_name, last_name = :last_name WHERE patient_id = :patient_id"
            ),
            names,
        )

    first_person = "(SELECT MIN(people.id) FROM people WHERE people.patient_id = {table}.patient_id)"
    for table in ("appointments", "walkin_tickets"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("person_id", sa.Integer(), nullable=True))
        bind.execute(sa.text(f"UPDATE {table} SET person_id = {first_person.format(table=table)}"))
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column("person_id", existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(f"fk_{table}_person_id_people", "people", ["person_id"], ["id"])
            batch_op.create_index(f"ix_{table}_person_id", ["person_id"])

    op.drop_index("uq_walkin_active_patient", table_name="walkin_tickets")
    op.create_index(
        "uq_walkin_active_person",
        "walkin_tickets",
        ["walkin_day_id", "person_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    op.create_index(
        "uq_appointments_person_start",
        "appointments",
        ["person_id", "starts_at"],
        unique=True,
        sqlite_where=sa.text("status = 'booked'"),
        postgresql_where=sa.text("status = 'booked'"),
    )
    # In place (SQLite 3.35+ drops a column itself): rebuilding the table others point at would break their keys.
    with op.batch_alter_table("patients", recreate="never") as batch_op:
        batch_op.drop_column("name")


def downgrade() -> None:
    with op.batch_alter_table("patients", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=120), nullable=True))
    op.get_bind().execute(
        sa.text(
            "UPDATE patients SET name = (SELECT TRIM(COALESCE(first_name, '') || ' ' || COALESCE(last_name, ''))"
            " FROM people WHERE people.id = (SELECT MIN(p.id) FROM people p WHERE p.patient_id = patients.id))"
        )
    )
    op.get_bind().execute(sa.text("UPDATE patients SET name = NULL WHERE name = ''"))
    op.drop_index("uq_appointments_person_start", table_name="appointments")
    op.drop_index("uq_walkin_active_person", table_name="walkin_tickets")
    op.create_index(
        "uq_walkin_active_patient",
        "walkin_tickets",
        ["walkin_day_id", "patient_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE),
        postgresql_where=sa.text(ACTIVE),
    )
    for table in ("appointments", "walkin_tickets"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_index(f"ix_{table}_person_id")
            batch_op.drop_constraint(f"fk_{table}_person_id_people", type_="foreignkey")
            batch_op.drop_column("person_id")
    op.drop_index("ix_people_patient_id", table_name="people")
    op.drop_table("people")
