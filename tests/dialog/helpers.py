"""Reading and arranging the database around a conversation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.dialog import prime
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


def _rows_of(runtime, model, phone: str) -> list:
    """A patient's rows of one table, detached so tests can read them after the session."""
    with runtime.session_factory.begin() as session:
        rows = session.scalars(
            select(model).join(Patient).where(Patient.phone == phone).order_by(model.id)
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def appointments(runtime, phone: str) -> list[Appointment]:
    return _rows_of(runtime, Appointment, phone)


def booked(runtime, phone: str) -> list[Appointment]:
    return [a for a in appointments(runtime, phone) if a.status == AppointmentStatus.BOOKED]


def tickets(runtime, phone: str) -> list[WalkinTicket]:
    return _rows_of(runtime, WalkinTicket, phone)


def primed(runtime, *, channel: str, phone: str, flow: str, data: dict, minutes: int) -> None:
    """A job has put the patient's conversation at the demo clinic into a flow (reminder, notice)."""
    with runtime.session_factory.begin() as session:
        prime(
            session,
            channel=channel,
            conversation_key=phone,
            clinic_id="parc",
            flow=flow,
            data=data,
            now=runtime.now(),
            minutes=minutes,
        )


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
