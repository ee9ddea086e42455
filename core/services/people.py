"""The people a phone speaks for: the caller first ("moi" / "me"), then a child, a parent, a spouse."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import bindparam, exists, or_, select
from sqlalchemy.orm import Session

from core.errors import TooManyPeople
from core.language.normalize import fold
from core.models import Appointment, Patient, Person, WalkinTicket

MAX_PEOPLE = 8  # a family, not a directory
CARD_SETTING = "card_last4"  # a clinic setting: the desk may note the last 4 digits of a health card
_CARD = re.compile(r"^\d{4}$")
NAME_PART_MAX = 60
_LETTER = re.compile(r"[^\W\d_]")
_WORDS = re.compile(r"[^\W\d_][\w'-]*")


def split_name(name: str | None) -> tuple[str | None, str | None]:
    """'Léa Tremblay' -> ('Léa', 'Tremblay'); 'Léa' -> ('Léa', None); nothing -> (None, None)."""
    words = " ".join((name or "").split()).split(" ")
    words = [w for w in words if w]
    if not words:
        return None, None
    return words[0][:NAME_PART_MAX], (" ".join(words[1:])[:NAME_PART_MAX] or None)


# Built once: a booking reads (and locks) the phone's people every time.
_PEOPLE_OF = select(Person).where(Person.patient_id == bindparam("patient_id")).order_by(Person.id)
_FIRST = _PEOPLE_OF.limit(1)
_LOCK_PHONE = select(Patient.id).where(Patient.id == bindparam("patient_id")).with_for_update()


def people_of(session: Session, patient: Patient) -> list[Person]:
    """The phone's people, the first one (the phone's owner) first."""
    if patient.id is None:
        return []
    return list(session.scalars(_PEOPLE_OF, {"patient_id": patient.id}))


def _first(session: Session, patient: Patient) -> Person | None:
    return session.scalar(_FIRST, {"patient_id": patient.id})


def _lock_phone(session: Session, patient: Patient) -> None:
    """Take the phone's row lock: two messages of one phone adding people take turns. SQLite needs none:
    every transaction there begins IMMEDIATE, holding the database's write lock (core/db.py)."""
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_LOCK_PHONE, {"patient_id": patient.id})


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
    relation: str | None = None,
) -> Person:
    """A new person of this phone; TooManyPeople past MAX_PEOPLE."""
    _lock_phone(session, patient)
    if len(people_of(session, patient)) >= MAX_PEOPLE:
        raise TooManyPeople(patient.id)
    return _new(session, patient, name, now, birth_year=birth_year, card_last4=card_last4, relation=relation)


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


def takes_card(clinic) -> bool:
    """Whether the clinic's desk notes health-card digits (off unless the clinic turns it on)."""
    return bool((clinic.settings or {}).get(CARD_SETTING))


def card_digits(typed: str | None) -> str | None:
    """The last four digits of a health card as typed at the desk ("1234", "12 34"), or None."""
    digits = "".join((typed or "").split())
    return digits if _CARD.match(digits) else None


def person_for(
    session: Session,
    patient: Patient,
    name: str | None,
    now: dt.datetime | None = None,
    card: str | None = None,
) -> Person:
    """The person of this phone with this name, added when new; no name is the phone's first person.

    With a card's last four digits (desk only): a person of that name whose card says otherwise is someone
    else (two cousins both named Léa), and a person without digits yet gets them."""
    if not name:
        return first_person(session, patient, now)
    people = people_of(session, patient)
    if card:
        named = [p for p in people if p.name and fold(p.name) == fold(" ".join(name.split()))]
        same = next((p for p in named if p.card_last4 == card), None)
        if same is not None:
            return same
        blank = next((p for p in named if p.card_last4 is None), None)
        if blank is not None:
            blank.card_last4 = card
            return blank
        if named:
            return add_person(session, patient, name, now=now, card_last4=card)
    found = find_by_name(people, name)
    if found is not None:
        if card and found.card_last4 is None:
            found.card_last4 = card
        return found
    if people and people[0].name is None:  # the first person was never named: this is their name
        rename(people[0], name)
        if card:
            people[0].card_last4 = card
        return people[0]
    return add_person(session, patient, name, now=now, card_last4=card)


def with_relation(people: list[Person], relation: str | None) -> list[Person]:
    """The people of a phone named by a relation before ("mon fils": the son; "mes enfants": any child)."""
    if not relation:
        return []
    kin = {"child": ("son", "daughter", "child")}.get(relation, (relation,))
    return [p for p in people if p.relation in kin]


def short_name(person: Person, people: list[Person]) -> str | None:
    """The first name when no one else of the phone shares it ("RDV de Léa"), else the whole name."""
    if not person.first_name:
        return None
    same = [p for p in people if p.first_name and fold(p.first_name) == fold(person.first_name)]
    return person.first_name if len(same) <= 1 else person.name


def named_in(people: list[Person], text: str) -> list[Person]:
    """The people whose first name a sentence says as a word ("annuler le RDV de Léa", "Marc's appt")."""
    words = set(_WORDS.findall(fold(text)))
    words |= {word[:-2] for word in words if word.endswith("'s")}  # the English possessive
    return [p for p in people if p.first_name and fold(p.first_name) in words]


def known_at(session: Session, patient: Patient, clinic_id: str) -> list[Person]:
    """The phone's people this clinic has seen (an appointment or a walk-in ticket there): what its staff may
    pick from, without learning who else the phone books for elsewhere."""
    seen = or_(
        exists().where(Appointment.person_id == Person.id, Appointment.clinic_id == clinic_id),
        exists().where(WalkinTicket.person_id == Person.id, WalkinTicket.clinic_id == clinic_id),
    )
    query = select(Person).where(Person.patient_id == patient.id, seen).order_by(Person.id)
    return list(session.scalars(query))


def locked_people(session: Session, patient: Patient) -> list[Person]:
    """The phone's people, read under the phone's lock: what is added next cannot race another turn."""
    _lock_phone(session, patient)
    return people_of(session, patient)


def add_to_empty(
    session: Session,
    patient: Patient,
    name: str | None,
    now: dt.datetime | None = None,
    relation: str | None = None,
) -> Person:
    """A person for a phone known (under its lock) to have none yet: no count to check."""
    return _new(session, patient, name, now, relation=relation)
