"""The people of a phone, read for assertions."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Patient, Person


def names_of(runtime, phone: str) -> list[str | None]:
    """The names of a phone's people, its first person (the phone's owner) first."""
    with runtime.session_factory() as session:
        return [
            p.name
            for p in session.scalars(
                select(Person).join(Patient).where(Patient.phone == phone).order_by(Person.id)
            )
        ]


def own_name(runtime, phone: str) -> str | None:
    """The name of the phone's first person, or None (no person yet, or never named)."""
    names = names_of(runtime, phone)
    return names[0] if names else None
