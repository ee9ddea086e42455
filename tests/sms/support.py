"""Reading the database behind an SMS conversation, and setting up what a test needs without texting."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.models import Appointment, AppointmentStatus, Clinic, Patient, Slot, SlotStatus, WalkinTicket
from core.services import booking, patients, people, walkin
from core.timeutil import local_to_utc, to_local

# What a patient texts, in each language (the issue's own examples).
WORDS = {
    "fr": {
        "book": "RDV",
        "walkin": "SANS RDV",
        "position": "POSITION",
        "leave": "QUITTER",
        "cancel": "ANNULER",
        "reschedule": "CHANGER",
        "list": "MES RDV",
        "help": "AIDE",
        "yes": "OUI",
        "no": "NON",
        "name": "Marie-Ève Bélanger-Côté",
        "month": "déc.",
    },
    "en": {
        "book": "I need an appointment",
        "walkin": "walk-in",
        "position": "where am I",
        "leave": "leave",
        "cancel": "cancel appt",
        "reschedule": "reschedule",
        "list": "my appointments",
        "help": "HELP",
        "yes": "YES",
        "no": "NO",
        "name": "John O'Brien",
        "month": "Dec",
    },
}


MORE = "9"  # the choice that asks for other times


def slots(exchange) -> list[str]:
    """The numbered slot lines of an offer (not the "other times" choice)."""
    return [line for line in exchange.choices if not line.startswith(f"{MORE})")]


def label(choice_line: str) -> str:
    """'1) mar. 8 déc. à 9 h 15' -> 'mar. 8 déc. à 9 h 15'."""
    return choice_line.split(") ", 1)[1]


def patient(rt, phone: str) -> Patient | None:
    with rt.session_factory() as session:
        return patients.find_patient(session, phone)


def appointments(rt, phone: str, status: AppointmentStatus | None = None) -> list[Appointment]:
    """A patient's appointments (any clinic), soonest first."""
    with rt.session_factory() as session:
        query = (
            select(Appointment).join(Patient).where(Patient.phone == phone).order_by(Appointment.starts_at)
        )
        if status is not None:
            query = query.where(Appointment.status == status)
        return list(session.scalars(query))


def tickets(rt, phone: str) -> list[WalkinTicket]:
    with rt.session_factory() as session:
        return list(
            session.scalars(
                select(WalkinTicket).join(Patient).where(Patient.phone == phone).order_by(WalkinTicket.id)
            )
        )


def held_slots(rt) -> list[Slot]:
    with rt.session_factory() as session:
        return list(session.scalars(select(Slot).where(Slot.status == SlotStatus.HELD)))


def local_start(appointment: Appointment, tz: str = "America/Toronto") -> dt.datetime:
    return to_local(appointment.starts_at, tz).replace(tzinfo=None)


def book_directly(rt, phone: str, clinic_id: str, day: dt.date, at: dt.time, name: str | None = None) -> int:
    """An appointment booked without texting (as if by an earlier conversation); returns its id."""
    with rt.session_factory.begin() as session:
        clinic = session.get(Clinic, clinic_id)
        who = patients.get_or_create_patient(session, phone)
        person = people.first_person(session, who, rt.now())
        person.first_name, person.last_name = (
            (person.first_name, person.last_name) if person.name else people.split_name(name)
        )
        starts = local_to_utc(day, at, clinic.timezone)
        slot = session.scalar(
            select(Slot).where(
                Slot.clinic_id == clinic_id, Slot.starts_at == starts, Slot.status == SlotStatus.FREE
            )
        )
        assert slot is not None, f"no free slot at {clinic_id} {day} {at}"
        return booking.book(session, slot.id, who, "sms", rt.now(), person=person).id


def fill_walkin_queue(rt, clinic_id: str, people: int, first: int = 5145560000) -> None:
    """Give `people` other patients a place in today's queue."""
    with rt.session_factory.begin() as session:
        clinic = session.get(Clinic, clinic_id)
        for n in range(people):
            who = patients.get_or_create_patient(session, f"+1{first + n}")
            walkin.join_walkin_queue(session, clinic, who, "sms", rt.now())
