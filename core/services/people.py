"""The people a phone speaks for: the caller first ("moi" / "me"), then a child, a parent, a spouse."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import TooManyPeople
from core.models import Patient, Person

MAX_PEOPLE = 8  # a family, not a directory
NAME_PART_MAX = 60
_LETTER = re.compile(r"[^\W\d_]")


def fold(text: str) -> str:
    """Lower case without accents, for telling names apart ("Léa" is "lea")."""
    return "".join(c for c in unicodedata.normalize("NFD", text.casefold()) if not unicodedata.combining(c))


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """'Léa Tremblay' -> ('Léa', 'Tremblay'); 'Léa' -> ('Léa', None); nothing -> (None, None)."""
    words = " ".join((name or "").split()).split(" ")
    words = [w for w in words if w]
    if not words:
        return None, None
    return words[0][:NAME_PART_MAX], (" ".join(words[1:])[:NAME_PART_MAX] or None)


def people_of(session: Session, patient: Patient) -> list[Person]:
    """The phone's people, the first one (the phone's owner) first."""
    if patient.id is None:
        return []
    return list(session.scalars(select(Person).where(Person.patient_id == patient.id).order_by(Person.id)))


def _first(session: Session, patient: Patient) -> Person | None:
    return session.scalar(select(Person).where(Person.patient_id == patient.id).order_by(Person.id).limit(1))


def _lock_phone(session: Session, patient: Patient) -> None:
    """Take the phone's row lock: two messages of one phone adding people take turns. SQLite needs none:
    every transaction there begins IMMEDIATE, holding the database's write lock (core/db.py)."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Patient.id).where(Patient.id == patient.id).with_for_update())


def _new(session: Session, patient: Patient, name: str | None, now: dt.datetime | None, **extra) -> Person:
    first, last = split_name(name)
    person = Person(
        patient_id=patient.id,
        first_name=first,
        last_name=last,
        created_at=now or dt.datetime.now(dt.UTC),
        **extra,
    )
    session.add(person)
    session.flush()
    return person


def first_person(
    session: Session, patient: Patient, now: dt.datetime | None = None, name: str | None = None
) -> Person:
    """The phone's first person ("moi"), created the first time it is needed; named `name` when given."""
    _lock_phone(session, patient)
    found = _first(session, patient)
    if found is None:
        return _new(session, patient, name, now)
    if name and found.name != name:
        rename(found, name)
    return found


def add_person(
    session: Session,
    patient: Patient,
    name: str | None,
    now: dt.datetime | None = None,
    birth_year: int | None = None,
    card_last4: str | None = None,
) -> Person:
    """A new person of this phone; TooManyPeople past MAX_PEOPLE."""
    _lock_phone(session, patient)
    if len(people_of(session, patient)) >= MAX_PEOPLE:
        raise TooManyPeople(patient.id)
    return _new(session, patient, name, now, birth_year=birth_year, card_last4=card_last4)


def rename(person: Person, name: str) -> None:
    """Give (or correct) a person's name."""
    person.first_name, person.last_name = split_name(name)


def find_by_name(people: list[Person], name: str) -> Person | None:
    """The person a name points at: the whole name, else a first name that only one of them has."""
    wanted = fold(" ".join(name.split()))
    if not wanted:
        return None
    whole = [p for p in people if p.name and fold(p.name) == wanted]
    if whole:
        return whole[0]
    first = [p for p in people if p.first_name and fold(p.first_name) == wanted.split(" ")[0]]
    if len(first) == 1 and (len(wanted.split(" ")) == 1 or not first[0].last_name):
        return first[0]
    return None


def person_for(
    session: Session, patient: Patient, name: str | None, now: dt.datetime | None = None
) -> Person:
    """The person of this phone with this name, added when new; no name is the phone's first person."""
    if not name:
        return first_person(session, patient, now)
    people = people_of(session, patient)
    found = find_by_name(people, name)
    if found is not None:
        return found
    if people and people[0].name is None:  # the first person was never named: this is their name
        rename(people[0], name)
        return people[0]
    return add_person(session, patient, name, now=now)
