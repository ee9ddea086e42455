"""people: how a person is related to the phone's owner ("pour mon fils" finds the son next time)

Revision ID: 0014_house
Revises: 0010_waitlist
Create Date: 2026-12-03 15:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_house"
down_revision = "0010_waitlist"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("people", recreate="never") as batch_op:
        batch_op.add_column(sa.Column("relation", sa.String(length=20), nullable=True))


def downgrade() -> None:
    # SQLite drops the column in place (3.35+): recreating the table would break the keys pointing at it.
    with op.batch_alter_table("people", recreate="never") as batch_op:
        batch_op.drop_column("relation")
