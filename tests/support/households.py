"""The people of a phone, read for assertions."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Patient, Person
from core.services import people
from core.services.patients import get_or_create_patient


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


def add_people(runtime, phone: str, names: list[str], lang: str | None = None) -> list[int]:
    """A phone with these people, in order (the first is its owner); their ids. Book for one of them with
    tests.support.arrange.book(…, person=name)."""
    with runtime.session_factory.begin() as session:
        patient = get_or_create_patient(session, phone, lang)
        if lang is not None:
            patient.lang = lang
        return [people.add_person(session, patient, name, now=runtime.now()).id for name in names]
