"""Reading and arranging the database around a conversation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.models import Appointment, AppointmentStatus, Patient, Slot, SlotStatus, WalkinTicket
from core.services import booking, patients
from core.timeutil import local_day_bounds

THURSDAY = dt.date(2026, 12, 10)
TUESDAY = dt.date(2026, 12, 8)


def patient(runtime, phone: str) -> Patient | None:
    with runtime.session_factory.begin() as session:
        found = patients.find_patient(session, phone)
        if found is not None:
            session.expunge(found)
        return found


def appointments(runtime, phone: str) -> list[Appointment]:
    with runtime.session_factory.begin() as session:
        rows = session.scalars(
            select(Appointment).join(Patient).where(Patient.phone == phone).order_by(Appointment.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def booked(runtime, phone: str) -> list[Appointment]:
    return [a for a in appointments(runtime, phone) if a.status == AppointmentStatus.BOOKED]


def tickets(runtime, phone: str) -> list[WalkinTicket]:
    with runtime.session_factory.begin() as session:
        rows = session.scalars(
            select(WalkinTicket).join(Patient).where(Patient.phone == phone).order_by(WalkinTicket.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def book_directly(runtime, phone: str, day: dt.date, clinic_id: str = "parc", nth: int = 0) -> int:
    """Book the nth free slot of a day for a patient, as staff would; returns the appointment id."""
    with runtime.session_factory.begin() as session:
        start, end = local_day_bounds(day, "America/Toronto")
        slots = session.scalars(
            select(Slot)
            .where(Slot.clinic_id == clinic_id, Slot.starts_at >= start, Slot.starts_at < end)
            .where(Slot.status == SlotStatus.FREE)
            .order_by(Slot.starts_at, Slot.practitioner_id)
        ).all()
        who = patients.get_or_create_patient(session, phone)
        return booking.book(session, slots[nth].id, who, "staff", runtime.now()).id


def take_slot(runtime, slot_id: int, phone: str) -> None:
    """Someone else books a slot (through any other channel)."""
    with runtime.session_factory.begin() as session:
        who = patients.get_or_create_patient(session, phone)
        booking.book(session, slot_id, who, "sms", runtime.now())


def slot_status(runtime, slot_id: int) -> SlotStatus:
    with runtime.session_factory.begin() as session:
        return session.get(Slot, slot_id).status
