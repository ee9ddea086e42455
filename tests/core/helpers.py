"""Helpers of the booking-core tests: patients, clinics and the slots of a given local day."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from core.models import Appointment, AppointmentStatus, Clinic, Slot
from core.services.patients import get_or_create_patient
from core.timeutil import local_day_bounds, local_to_utc

TORONTO = "America/Toronto"
MONDAY = dt.date(2026, 12, 7)
TUESDAY = dt.date(2026, 12, 8)
SATURDAY = dt.date(2026, 12, 12)
SUNDAY = dt.date(2026, 12, 13)


def phone(n: int) -> str:
    """A distinct valid Montréal number per n."""
    return f"+1438555{n:04d}"


def patient(session, n: int):
    return get_or_create_patient(session, phone(n))


def clinic(session, cid: str = "parc") -> Clinic:
    return session.get(Clinic, cid)


def local(day: dt.date, hh: int, mm: int = 0) -> dt.datetime:
    """A Montréal wall-clock time as the UTC instant stored in the database."""
    return local_to_utc(day, dt.time(hh, mm), TORONTO)


def slots_at(session, when: dt.datetime, cid: str = "parc") -> list[Slot]:
    """The slots (one per practitioner) that start at an instant."""
    return list(
        session.scalars(
            select(Slot).where(Slot.clinic_id == cid, Slot.starts_at == when).order_by(Slot.practitioner_id)
        )
    )


def slot_at(session, when: dt.datetime, cid: str = "parc") -> Slot:
    return slots_at(session, when, cid)[0]


def slots_on(session, day: dt.date, cid: str = "parc") -> list[Slot]:
    start, end = local_day_bounds(day, TORONTO)
    return list(
        session.scalars(
            select(Slot)
            .where(Slot.clinic_id == cid, Slot.starts_at >= start, Slot.starts_at < end)
            .order_by(Slot.starts_at, Slot.practitioner_id)
        )
    )


def live_appointments(session, slot_id: int | None = None) -> int:
    query = (
        select(func.count()).select_from(Appointment).where(Appointment.status == AppointmentStatus.BOOKED)
    )
    if slot_id is not None:
        query = query.where(Appointment.slot_id == slot_id)
    return session.scalar(query)


def local_times(slots, tz: str = TORONTO) -> list[str]:
    return [s.starts_at.astimezone(ZoneInfo(tz)).strftime("%H:%M") for s in slots]
